"""The server's settings, read once from the environment (`TILL_*`, `DATABASE_URL`)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from platformdirs import user_data_path
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable, with embedded defaults: SQLite and a master key file in the data
    folder. Production sets `DATABASE_URL` (PostgreSQL) and `TILL_MASTER_KEY` (or its file)."""

    model_config = SettingsConfigDict(env_prefix="TILL_", extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=lambda: user_data_path("till-server", appauthor=False))
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    # 32 bytes in hex; or the path of a file holding them. Never stored in the database.
    master_key: str | None = None
    master_key_file: Path | None = None
    session_hours: float = 8.0
    pin_attempts: int = 5
    pin_cost: int = Field(default=14, ge=10, le=16)  # scrypt n = 2**pin_cost
    pin_lock_minutes: float = 5.0
    enrollment_code_hours: float = 24.0
    max_body_bytes: int = 4 * 1024 * 1024
    idempotency_days: int = 30
    # How often ended days, months and years are looked for and closed (they are also at start);
    # 0: only at start.
    closing_check_seconds: float = Field(default=60.0, ge=0)
    # E-mail (server.mail): the SMTP server of every shop whose manager has not set one.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # CA certificates to trust for SMTP servers, beside the system's (a private relay's own CA).
    smtp_ca_file: Path | None = None
    # How often the outbox is looked at, and shop closings for scheduled reports (a request that
    # queues a message also wakes the sender); 0: no sender thread at all.
    mail_send_seconds: float = Field(default=30.0, ge=0)
    # The wait after a failed attempt, doubled after each one up to the maximum.
    mail_retry_seconds: float = Field(default=60.0, ge=0)
    mail_retry_max_seconds: float = Field(default=3600.0, ge=0)
    log_level: str = "INFO"

    @cached_property
    def url(self) -> str:
        if self.database_url:
            # psycopg 3 is the driver; a plain postgresql:// address means it too.
            for plain in ("postgresql://", "postgres://"):
                if self.database_url.startswith(plain):
                    return "postgresql+psycopg://" + self.database_url[len(plain) :]
            return self.database_url
        return f"sqlite:///{self.data_dir / 'till.sqlite3'}"

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"
