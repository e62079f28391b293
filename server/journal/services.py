"""Writing to the event journal: each event is sealed on the shop's `event` chain, in the same
transaction as what it records, so an event is journaled if and only if it happened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from server.db import lock_shop
from server.journal.models import EventRow
from server.sealing.keys import KeyStore
from server.sealing.services import Sealer, stored_record
from till.fiscal.records import SealedRecord
from till.timestamps import to_utc_iso, utc_now

if TYPE_CHECKING:
    from server.accounts.services import Actor


class EventKind(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    PIN_FAILED = "pin_failed"
    REGISTER_OPENED = "register_opened"
    REGISTER_CLOSED = "register_closed"
    CASH_MOVEMENT = "cash_movement"
    X_REPORT = "x_report"
    SHOP_CLOSING = "shop_closing"
    DOCUMENT_ISSUED = "document_issued"
    DUPLICATA_ISSUED = "duplicata_issued"
    CORRECTION_OPENED = "correction_opened"
    DRAFTS_IMPORTED = "drafts_imported"
    OFFLINE_PERIOD = "offline_period"
    EXPORT = "export"
    ARCHIVE_CREATED = "archive_created"
    SETTINGS_CHANGED = "settings_changed"
    CATALOG_CHANGED = "catalog_changed"
    USER_CHANGED = "user_changed"
    SERVER_STARTED = "server_started"
    NEW_VERSION = "new_version"
    INTEGRITY_FAILURE = "integrity_failure"
    MAIL_SENT = "mail_sent"
    MAIL_FAILED = "mail_failed"


_INDEX = insert(cast(Table, EventRow.__table__))


def append_event(
    sealer: Sealer,
    kind: EventKind,
    details: Mapping[str, Any],
    *,
    actor: Actor | None = None,
    register_id: str | None = None,
    now: datetime | None = None,
) -> SealedRecord:
    """Seal one event with a sealer the caller holds (the shop locked), with the other records
    of the same operation."""
    now = now or utc_now()
    record = sealer.append(
        "event",
        {
            "kind": kind.value,
            "occurred_at": to_utc_iso(now),
            "user_id": actor.user_id if actor else None,
            "user_name": actor.user_name if actor else None,
            "device_id": actor.device_id if actor else None,
            "register_id": register_id,
            "details": dict(details),
        },
        now,
    )
    sealer.session.execute(
        _INDEX,
        {
            "shop_id": sealer.shop_id,
            "seq": record.seq,
            "kind": kind.value,
            "occurred_at": now,
            "user_id": actor.user_id if actor else None,
            "register_id": register_id,
        },
    )
    return record


def journal(
    session: Session,
    keys: KeyStore,
    shop_id: str,
    kind: EventKind,
    details: Mapping[str, Any],
    *,
    actor: Actor | None = None,
    register_id: str | None = None,
    now: datetime | None = None,
) -> SealedRecord:
    """Seal one event in the caller's transaction; takes the shop's lock until it ends."""
    lock_shop(session, shop_id)
    with Sealer(session, keys, shop_id) as sealer:
        return append_event(sealer, kind, details, actor=actor, register_id=register_id, now=now)


def last_event(session: Session, shop_id: str, kinds: tuple[EventKind, ...]) -> int | None:
    """The seq of the shop's last event of one of these kinds."""
    return session.scalar(
        select(EventRow.seq)
        .where(EventRow.shop_id == shop_id, EventRow.kind.in_([kind.value for kind in kinds]))
        .order_by(EventRow.seq.desc())
        .limit(1)
    )


def journal_start(
    session: Session, keys: KeyStore, shop_id: str, version: str, fingerprint: str
) -> SealedRecord:
    """A server start, with its version and fiscal fingerprint; a `new_version` event when
    either differs from the last start's (seed 000 §11)."""
    details: dict[str, Any] = {"version": version, "fingerprint": fingerprint}
    kind = EventKind.SERVER_STARTED
    lock_shop(session, shop_id)
    seq = last_event(session, shop_id, (EventKind.SERVER_STARTED, EventKind.NEW_VERSION))
    if seq is not None:
        record = stored_record(session, shop_id, "event", seq)
        before = record["details"] if record else {}
        if (before.get("version"), before.get("fingerprint")) != (version, fingerprint):
            kind = EventKind.NEW_VERSION
            details["previous_version"] = before.get("version")
            details["previous_fingerprint"] = before.get("fingerprint")
    return journal(session, keys, shop_id, kind, details)
