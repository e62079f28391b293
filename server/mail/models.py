"""A shop's mail settings, its report schedules, and the outbox of messages to send."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class MessageKind(StrEnum):
    Z_COPY = "z_copy"
    DAILY_REPORT = "daily_report"
    MONTHLY_REPORT = "monthly_report"
    INVOICE = "invoice"
    RECEIPT = "receipt"
    TEST = "test"


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a sender until `claimed_until`
    SENT = "sent"
    FAILED = "failed"  # refused for good by the SMTP server: sent again only when asked


class MailSettingsRow(Base):
    """Unset SMTP fields fall back on the server's (`TILL_SMTP_*`)."""

    __tablename__ = "mail_settings"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int | None]
    smtp_tls: Mapped[str | None] = mapped_column(String(10))
    smtp_user: Mapped[str | None] = mapped_column(String(255))
    # Sealed with the master key (KeyStore.seal_secret): a database dump does not give it away.
    smtp_password: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(255))
    z_copies: Mapped[bool] = mapped_column(default=True)
    z_format: Mapped[str] = mapped_column(String(10), default="pdf")
    z_recipients: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of addresses
    # The `closure` chain's seq up to which the shop's closings have had their reports queued.
    reports_after_seq: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class MailScheduleRow(Base):
    """A report sent after each daily or monthly closing."""

    __tablename__ = "mail_schedules"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(10))  # daily, monthly
    format: Mapped[str] = mapped_column(String(10))  # pdf, csv, xlsx, html
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of addresses


class MailMessageRow(Base):
    """One message to send: what it is made of is read when it is sent, from the sealed records
    it names (a closure, an issuance), so the row stays small and the message says what the
    records say."""

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    closure_seq: Mapped[int | None]
    issuance_id: Mapped[str | None] = mapped_column(ForeignKey("issuances.id"))
    format: Mapped[str] = mapped_column(String(10))
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of addresses
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
