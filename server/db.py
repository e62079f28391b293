"""The database: engines, sessions, migrations and the per-shop lock that orders sealing.

SQLite (embedded default) and PostgreSQL (production) behave alike here: every write transaction
holds what it needs from its first statement, so two validations never interleave.
- SQLite: WAL, `synchronous=FULL`, and writers start with `BEGIN IMMEDIATE` (the database's single
  write lock), readers with a plain `BEGIN`, so a read never blocks or is blocked by a write.
  A process keeps one write connection: its writers queue for it and take over the moment it is
  free, where SQLite's busy handler would have them sleep between tries (up to 100 ms a try).
- PostgreSQL: a transaction-scoped advisory lock per shop (`lock_shop`) orders the appends to a
  shop's chains across any number of server processes; other shops are not held up. A group of
  validations takes those of its shops that are free (`try_lock_shops`), or waits a while for one
  (`wait_for_shop`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from till.timestamps import as_utc

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_MS = 30_000

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def _sqlite_engine(url: str, begin: str, **options: Any) -> Engine:
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, hide_parameters=True, **options
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off: SQLAlchemy's "begin" below
        # decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        # SQLite's own lower() knows ASCII only: "Élodie" would not be found as "élodie", where
        # PostgreSQL finds it. Nothing stored depends on lower() (no index, no trigger uses it).
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Straight to the driver: on the path of every write, and nothing to add to a BEGIN.
        connection.connection.cursor().execute(begin)

    return engine


class Database:
    """The engines and session factories of one database: `writer()` for requests that change
    something, `reader()` for those that only read."""

    def __init__(self, url: str, *, pool: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            writers: dict[str, Any] = {}
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                # One writer at a time in SQLite: one write connection per process.
                writers = {"pool_size": 1, "max_overflow": 0, "pool_timeout": SQLITE_BUSY_MS / 1000}
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", **writers)
            self.read_engine = _sqlite_engine(url, "BEGIN")
        else:
            options: dict[str, Any] = (
                {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
                if pool
                else {"poolclass": NullPool}
            )
            # Parameters stay out of error messages, hence out of logs.
            self.write_engine = create_engine(url, hide_parameters=True, **options)
            self.read_engine = self.write_engine
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def writer(self, connection: Connection | None = None) -> Session:
        """A write session; on `connection` if given (`connect`)."""
        return self._writer(bind=connection) if connection is not None else self._writer()

    def connect(self) -> Connection:
        """A write connection to keep, for transactions one after another (`writer`)."""
        return self.write_engine.connect()

    def reader(self) -> Session:
        return self._reader()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed at the end of the block, rolled back on error."""
        with self.writer() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration; safe when several processes
        start at once."""
        with self.write_engine.connect() as connection:
            if not self.is_sqlite:
                connection.execute(text("SELECT pg_advisory_lock(7011525)"))
                connection.commit()
            try:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                if not self.is_sqlite:
                    connection.execute(text("SELECT pg_advisory_unlock(7011525)"))
                    connection.commit()

    def dispose(self) -> None:
        self.write_engine.dispose()
        self.read_engine.dispose()


_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's error code for a lock not had in time
_TRY_LOCK_SHOPS = text(
    "SELECT key, pg_try_advisory_xact_lock(key) FROM unnest(CAST(:keys AS bigint[])) AS key"
)


def _shop_lock_key(shop_id: str) -> int:
    return int.from_bytes(hashlib.sha256(shop_id.encode()).digest()[:8], "big", signed=True)


def try_lock_shops(session: Session, shop_ids: Collection[str]) -> set[str]:
    """Take the sealing locks of those shops that nobody holds, waiting for none; the shops
    whose lock is now held. On SQLite the write transaction holds every shop's."""
    if session.get_bind().dialect.name != "postgresql":
        session.connection()
        return set(shop_ids)
    by_key = {_shop_lock_key(shop_id): shop_id for shop_id in shop_ids}
    return {
        by_key[key]
        for key, taken in session.execute(_TRY_LOCK_SHOPS, {"keys": list(by_key)})
        if taken
    }


def wait_for_shop(session: Session, shop_id: str, timeout_ms: int) -> bool:
    """Wait at most `timeout_ms` for the shop's sealing lock; whether it is now held. When it is
    not, PostgreSQL has aborted the transaction, to be rolled back. On SQLite the write
    transaction holds every shop's."""
    if session.get_bind().dialect.name != "postgresql":
        session.connection()
        return True
    try:
        # One round trip, the time limit for this wait only: both are inlined integers.
        session.connection().exec_driver_sql(
            f"SET LOCAL lock_timeout = {int(timeout_ms)}; "
            f"SELECT pg_advisory_xact_lock({_shop_lock_key(shop_id)}); "
            "SET LOCAL lock_timeout = DEFAULT"
        )
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return False
        raise
    return True


def lock_shop(session: Session, shop_id: str) -> None:
    """Hold the shop's sealing lock until the transaction ends (seed: the per-shop semaphore of
    `getCommandeNextID`). On SQLite the transaction already holds the database's write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _shop_lock_key(shop_id)}
        )
