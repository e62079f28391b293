"""A shop's mail settings, and the outbox: messages queued in the transaction of what they tell
(a Z, a closing, an issuance), claimed by one sender at a time, marked sent or failed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from server.accounts.services import Actor
from server.closures.models import ClosureKind, ClosureRow
from server.config import Settings
from server.errors import Conflict, Invalid, NotFound
from server.journal.services import EventKind, journal
from server.mail.mailer import MailFailure, SmtpServer, Tls
from server.mail.models import (
    MailMessageRow,
    MailScheduleRow,
    MailSettingsRow,
    MessageKind,
    MessageStatus,
)
from server.sealing.keys import KeyStore
from till.fiscal.records import SealedRecord
from till.timestamps import to_utc_iso, utc_now

# A claimed message is left to its sender this long; past it, the sender is taken for dead and
# the message is claimed again. Longer than an SMTP exchange can take.
CLAIM_LEASE = timedelta(minutes=10)
# Attempts before an outage is given up on (the waits between them grow to an hour: about two
# days); a manager may send the message again (`POST /mail/messages/{id}/retry`).
MAX_ATTEMPTS = 50
REPORT_KINDS = {
    ClosureKind.DAILY.value: MessageKind.DAILY_REPORT,
    ClosureKind.MONTHLY.value: MessageKind.MONTHLY_REPORT,
}


def _password_context(shop_id: str) -> str:
    return f"till-smtp-password\x00{shop_id}"


# ---------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ShopSmtp:
    host: str
    port: int
    tls: Tls
    user: str | None
    # The new password; None keeps the one stored.
    password: str | None = field(default=None, repr=False)
    clear_password: bool = False


@dataclass(frozen=True)
class Schedule:
    period: str  # daily, monthly
    format: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class MailSettings:
    """What a manager sets: None for `smtp` is the server's SMTP server."""

    smtp: ShopSmtp | None
    sender: str | None
    z_copies: bool
    z_format: str
    z_recipients: tuple[str, ...]
    reports: tuple[Schedule, ...]


def _addresses(text: str) -> list[str]:
    addresses: list[str] = orjson.loads(text)
    return addresses


def _dump(addresses: Sequence[str]) -> str:
    return orjson.dumps(list(addresses)).decode()


def settings_json(session: Session, shop_id: str, server: Settings | None = None) -> dict[str, Any]:
    """A shop's mail settings as managers see them: never the password, only whether one is
    set. With `server`, also the server's SMTP server that applies when the shop sets none."""
    row = session.get(MailSettingsRow, shop_id)
    schedules = session.scalars(
        select(MailScheduleRow)
        .where(MailScheduleRow.shop_id == shop_id)
        .order_by(MailScheduleRow.position)
    ).all()
    smtp = None
    if row is not None and row.smtp_host is not None:
        smtp = {
            "host": row.smtp_host,
            "port": row.smtp_port,
            "tls": row.smtp_tls,
            "user": row.smtp_user,
            "password_set": row.smtp_password is not None,
        }
    answer: dict[str, Any] = {
        "smtp": smtp,
        "sender": row.sender if row else None,
        "z_copies": {
            "enabled": row.z_copies if row else True,
            "format": row.z_format if row else "pdf",
            "recipients": _addresses(row.z_recipients) if row else [],
        },
        "reports": [
            {
                "period": schedule.period,
                "format": schedule.format,
                "recipients": _addresses(schedule.recipients),
            }
            for schedule in schedules
        ],
    }
    if server is not None:
        answer["server_smtp"] = (
            {
                "host": server.smtp_host,
                "port": server.smtp_port,
                "tls": server.smtp_tls,
                "sender": server.smtp_sender,
            }
            if server.smtp_host
            else None
        )
    return answer


def change_settings(
    session: Session, keys: KeyStore, actor: Actor, settings: MailSettings
) -> dict[str, Any]:
    """Replace the shop's mail settings; each change is journaled with its value before and
    after (a new password only as changed). Messages waiting for their next attempt are tried
    again at once, with the new settings."""
    shop_id = actor.shop_id
    before = settings_json(session, shop_id)
    now = utc_now()
    row = session.get(MailSettingsRow, shop_id)
    if row is None:
        # Reports are for the closings made from now on, not for the shop's whole past.
        last_closure = session.scalar(
            select(func.max(ClosureRow.seq)).where(ClosureRow.shop_id == shop_id)
        )
        row = MailSettingsRow(shop_id=shop_id, reports_after_seq=last_closure or 0)
        session.add(row)
    smtp = settings.smtp
    password_changed = False
    if smtp is None:
        password_changed = row.smtp_password is not None
        row.smtp_host = row.smtp_port = row.smtp_tls = row.smtp_user = row.smtp_password = None
    else:
        if (
            smtp.password is None
            and not smtp.clear_password
            and row.smtp_password is not None
            and (row.smtp_host, row.smtp_user) != (smtp.host, smtp.user)
        ):
            # The password kept is for the server and user it was given with, never for others.
            raise Invalid("Give the password again for another SMTP server or user.")
        row.smtp_host, row.smtp_port, row.smtp_tls = smtp.host, smtp.port, smtp.tls.value
        row.smtp_user = smtp.user
        if smtp.password is not None:
            row.smtp_password = keys.seal_secret(smtp.password.encode(), _password_context(shop_id))
            password_changed = True
        elif smtp.clear_password:
            password_changed = row.smtp_password is not None
            row.smtp_password = None
    row.sender = settings.sender
    row.z_copies = settings.z_copies
    row.z_format = settings.z_format
    row.z_recipients = _dump(settings.z_recipients)
    row.updated_at = now
    for old in session.scalars(select(MailScheduleRow).where(MailScheduleRow.shop_id == shop_id)):
        session.delete(old)
    session.flush()
    for position, schedule in enumerate(settings.reports):
        session.add(
            MailScheduleRow(
                shop_id=shop_id,
                position=position,
                period=schedule.period,
                format=schedule.format,
                recipients=_dump(schedule.recipients),
            )
        )
    session.flush()
    after = settings_json(session, shop_id)
    changes: dict[str, Any] = {
        f"mail.{name}": {"before": before[name], "after": after[name]}
        for name in after
        if before[name] != after[name]
    }
    if password_changed:
        changes["mail.smtp_password"] = "changed"
    if changes:
        journal(session, keys, shop_id, EventKind.SETTINGS_CHANGED, changes, actor=actor)
    session.execute(
        update(MailMessageRow)
        .where(
            MailMessageRow.shop_id == shop_id,
            MailMessageRow.status == MessageStatus.QUEUED,
            MailMessageRow.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
    )
    return after


def smtp_server(
    settings: Settings, keys: KeyStore, row: MailSettingsRow | None
) -> tuple[SmtpServer, str]:
    """The SMTP server a shop's messages go through, and their sender's address."""
    sender = (row.sender if row else None) or settings.smtp_sender
    if (
        row is not None
        and row.smtp_host is not None
        and row.smtp_port is not None
        and row.smtp_tls is not None
    ):
        password = (
            keys.open_secret(row.smtp_password, _password_context(row.shop_id)).decode()
            if row.smtp_password is not None
            else None
        )
        server = SmtpServer(
            row.smtp_host, row.smtp_port, Tls(row.smtp_tls), row.smtp_user, password
        )
    elif settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        server = SmtpServer(
            settings.smtp_host,
            settings.smtp_port,
            Tls(settings.smtp_tls),
            settings.smtp_user,
            password,
        )
    else:
        raise MailFailure(
            "No SMTP server is set up: a manager sets the shop's in the mail settings, or the "
            "server's administrator sets TILL_SMTP_HOST."
        )
    if not sender:
        raise MailFailure(
            "No sender address is set up: a manager sets it in the mail settings, or the "
            "server's administrator sets TILL_SMTP_SENDER."
        )
    return server, sender


# ---------------------------------------------------------------------------- queueing


def queue_message(
    session: Session,
    shop_id: str,
    kind: MessageKind,
    recipients: Sequence[str],
    fmt: str,
    *,
    closure_seq: int | None = None,
    issuance_id: str | None = None,
    now: datetime | None = None,
) -> MailMessageRow:
    """Put one message in the outbox, in the caller's transaction: it is sent if and only if
    what it tells is committed."""
    now = now or utc_now()
    row = MailMessageRow(
        id=uuid.uuid4().hex,
        shop_id=shop_id,
        kind=kind.value,
        closure_seq=closure_seq,
        issuance_id=issuance_id,
        format=fmt,
        recipients=_dump(recipients),
        status=MessageStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def queue_z_copy(session: Session, shop_id: str, z: SealedRecord) -> MailMessageRow | None:
    """The copy of a Z to the shop's recipients, unless it has none or copies are off."""
    row = session.get(MailSettingsRow, shop_id)
    if row is None or not row.z_copies:
        return None
    recipients = _addresses(row.z_recipients)
    if not recipients:
        return None
    return queue_message(
        session, shop_id, MessageKind.Z_COPY, recipients, row.z_format, closure_seq=z.seq
    )


def shops_with_reports_due(session: Session) -> list[str]:
    """Shops with a daily or monthly closing made since their reports were last queued."""
    newer = exists().where(
        ClosureRow.shop_id == MailSettingsRow.shop_id,
        ClosureRow.seq > MailSettingsRow.reports_after_seq,
        ClosureRow.kind.in_(list(REPORT_KINDS)),
    )
    return list(
        session.scalars(
            select(MailSettingsRow.shop_id).where(newer).order_by(MailSettingsRow.shop_id)
        )
    )


def queue_reports(session: Session, shop_id: str) -> list[MailMessageRow]:
    """Queue the scheduled reports of the closings made since the last time, once each: the
    shop's settings row is held until the transaction ends, and moves past those closings."""
    row = session.scalars(
        select(MailSettingsRow).where(MailSettingsRow.shop_id == shop_id).with_for_update()
    ).one_or_none()
    if row is None:
        return []
    closings = session.scalars(
        select(ClosureRow)
        .where(
            ClosureRow.shop_id == shop_id,
            ClosureRow.seq > row.reports_after_seq,
            ClosureRow.kind.in_(list(REPORT_KINDS)),
        )
        .order_by(ClosureRow.seq)
    ).all()
    schedules = session.scalars(
        select(MailScheduleRow)
        .where(MailScheduleRow.shop_id == shop_id)
        .order_by(MailScheduleRow.position)
    ).all()
    queued = [
        queue_message(
            session,
            shop_id,
            REPORT_KINDS[closing.kind],
            _addresses(schedule.recipients),
            schedule.format,
            closure_seq=closing.seq,
        )
        for closing in closings
        for schedule in schedules
        if schedule.period == closing.kind
    ]
    if closings:
        row.reports_after_seq = closings[-1].seq
    return queued


# ---------------------------------------------------------------------------- the outbox


def message_json(row: MailMessageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "recipients": _addresses(row.recipients),
        "format": row.format,
        "closure_seq": row.closure_seq,
        "issuance_id": row.issuance_id,
        "attempts": row.attempts,
        "next_attempt_at": to_utc_iso(row.next_attempt_at),
        "last_error": row.last_error,
        "created_at": to_utc_iso(row.created_at),
        "sent_at": to_utc_iso(row.sent_at) if row.sent_at else None,
    }


def recipients_of(row: MailMessageRow) -> list[str]:
    return _addresses(row.recipients)


def list_messages(
    session: Session, shop_id: str, status: MessageStatus | None, limit: int
) -> list[dict[str, Any]]:
    query = select(MailMessageRow).where(MailMessageRow.shop_id == shop_id)
    if status is not None:
        query = query.where(MailMessageRow.status == status.value)
    rows = session.scalars(
        query.order_by(MailMessageRow.created_at.desc(), MailMessageRow.id).limit(limit)
    )
    return [message_json(row) for row in rows]


class NotFailed(Conflict):
    code = "message_not_failed"


def retry_message(session: Session, shop_id: str, message_id: str) -> MailMessageRow:
    """Send a failed message again (once its settings are put right)."""
    row = session.get(MailMessageRow, message_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound(f"There is no message {message_id}.")
    if row.status != MessageStatus.FAILED:
        raise NotFailed(f"The message is {row.status}: only a failed message is sent again.")
    row.status = MessageStatus.QUEUED.value
    row.next_attempt_at = utc_now()
    session.flush()
    return row


def due_messages(session: Session, now: datetime, limit: int) -> list[str]:
    """Messages whose time has come, and those whose sender has stopped answering."""
    return list(
        session.scalars(
            select(MailMessageRow.id)
            .where(_claimable(now))
            .order_by(MailMessageRow.next_attempt_at)
            .limit(limit)
        )
    )


def _claimable(now: datetime) -> Any:
    return or_(
        and_(
            MailMessageRow.status == MessageStatus.QUEUED,
            MailMessageRow.next_attempt_at <= now,
        ),
        and_(
            MailMessageRow.status == MessageStatus.SENDING,
            MailMessageRow.claimed_until < now,
        ),
    )


def claim(session: Session, message_id: str, token: str, now: datetime) -> bool:
    """Take the message for this sender, if no other has it: one conditional update, which two
    senders of any process cannot both win."""
    result = session.execute(
        update(MailMessageRow)
        .where(MailMessageRow.id == message_id, _claimable(now))
        .values(
            status=MessageStatus.SENDING.value,
            claim=token,
            claimed_until=now + CLAIM_LEASE,
            attempts=MailMessageRow.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _details(row: MailMessageRow) -> dict[str, Any]:
    """What the journal says of a message: never the addresses (personal data kept for good),
    only how many."""
    return {
        "message_id": row.id,
        "kind": row.kind,
        "closure_seq": row.closure_seq,
        "issuance_id": row.issuance_id,
        "recipients": len(_addresses(row.recipients)),
        "attempt": row.attempts,
    }


def mark_sent(
    session: Session,
    keys: KeyStore,
    message_id: str,
    token: str,
    refused: Sequence[str],
    files: Sequence[Mapping[str, Any]],
    now: datetime,
) -> bool:
    """Record a message handed to the SMTP server, and journal it with its attached `files`
    (name, size, SHA-256); False if the claim was lost meanwhile (another sender took it)."""
    row = session.get(MailMessageRow, message_id, with_for_update=True)
    if row is None or row.claim != token or row.status != MessageStatus.SENDING:
        return False
    row.status = MessageStatus.SENT.value
    row.sent_at = now
    row.claim = row.claimed_until = None
    row.last_error = (
        f"The SMTP server refused {len(refused)} of the recipients." if refused else None
    )
    details = {**_details(row), "files": [dict(file) for file in files]}
    journal(session, keys, row.shop_id, EventKind.MAIL_SENT, details, now=now)
    return True


def mark_failed(
    session: Session,
    keys: KeyStore,
    message_id: str,
    token: str,
    failure: MailFailure,
    retry_in: Callable[[int], timedelta],
    now: datetime,
) -> bool:
    """Record a failed attempt: tried again after `retry_in(attempts)`, or failed for good. The
    first failure of a message and its final one are journaled, not every retry of an outage."""
    row = session.get(MailMessageRow, message_id, with_for_update=True)
    if row is None or row.claim != token or row.status != MessageStatus.SENDING:
        return False
    if not failure.permanent and row.attempts >= MAX_ATTEMPTS:
        failure = MailFailure(
            f"{failure.reason} Given up after {row.attempts} attempts: a manager may send it "
            "again.",
            permanent=True,
        )
    row.status = (MessageStatus.FAILED if failure.permanent else MessageStatus.QUEUED).value
    row.next_attempt_at = now + retry_in(row.attempts)
    row.claim = row.claimed_until = None
    row.last_error = failure.reason
    if failure.permanent or row.attempts == 1:
        journal(
            session,
            keys,
            row.shop_id,
            EventKind.MAIL_FAILED,
            {**_details(row), "reason": failure.reason, "will_retry": not failure.permanent},
            now=now,
        )
    return True


def message_row(session: Session, message_id: str) -> MailMessageRow:
    row = session.get(MailMessageRow, message_id)
    if row is None:
        raise NotFound(f"There is no message {message_id}.")
    return row
