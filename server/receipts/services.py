"""Issuing a receipt or an invoice of a validated order: recorded and journaled before the till
prints, downloads or sends it, with its copy number (seed 000 §3.3: no server answer, no print).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.services import WRITERS, Actor
from server.db import lock_shop
from server.errors import Conflict, NotFound
from server.journal.services import EventKind, append_event
from server.orders.models import OrderRow, OrderStatus
from server.receipts.models import IssuanceRow
from server.sealing.keys import KeyStore
from server.sealing.services import Sealer, stored_record
from server.shops.models import ShopKey
from till.fiscal.proof import sign_receipt
from till.timestamps import to_utc_iso, utc_now


class Document(StrEnum):
    RECEIPT = "receipt"
    INVOICE = "invoice"


class Channel(StrEnum):
    PRINT = "print"
    DOWNLOAD = "download"
    EMAIL = "email"
    SMS = "sms"


class NotValidated(Conflict):
    code = "order_not_validated"


@dataclass(frozen=True)
class Issued:
    row: IssuanceRow
    proof: str
    event_hash: str


def issue(
    session: Session,
    keys: KeyStore,
    actor: Actor,
    order_id: str,
    document: Document,
    channel: Channel,
    recipient: str | None,
    *,
    now: datetime | None = None,
) -> Issued:
    """Record one more copy of the order's document; the first is the original."""
    actor.require(WRITERS, "issue receipts and invoices")
    order = session.get(OrderRow, order_id)
    if order is None or order.shop_id != actor.shop_id:
        raise NotFound(f"There is no order {order_id}.")
    if order.status != OrderStatus.VALIDATED or order.internal_number is None:
        raise NotValidated(
            "A receipt or an invoice exists only for a validated order: validate it first."
        )
    record = stored_record(session, actor.shop_id, "order", order.internal_number)
    if record is None:
        raise NotFound(f"The sealed record of order {order.public_number} is missing.")
    key_row = session.get(ShopKey, record["key_id"])
    if key_row is None:
        raise NotFound(f"The key {record['key_id']} that sealed this order is not known.")
    proof = sign_receipt(record, keys.open(key_row))
    # The shop's lock numbers copies: two tills reprinting at once get two numbers.
    lock_shop(session, actor.shop_id)
    now = now or utc_now()
    copy = 1 + (
        session.scalar(
            select(func.count()).where(
                IssuanceRow.order_id == order_id, IssuanceRow.document == document.value
            )
        )
        or 0
    )
    with Sealer(session, keys, actor.shop_id) as sealer:
        event = append_event(
            sealer,
            EventKind.DOCUMENT_ISSUED if copy == 1 else EventKind.DUPLICATA_ISSUED,
            {
                "order_id": order_id,
                "public_number": order.public_number,
                "order_seq": order.internal_number,
                "document": document.value,
                "channel": channel.value,
                "copy": copy,
                "duplicata": copy - 1,
            },
            actor=actor,
            register_id=order.register_id,
            now=now,
        )
    row = IssuanceRow(
        id=uuid.uuid4().hex,
        shop_id=actor.shop_id,
        order_id=order_id,
        document=document.value,
        channel=channel.value,
        copy=copy,
        recipient=recipient,
        user_id=actor.user_id,
        device_id=actor.device_id,
        issued_at=now,
        event_seq=event.seq,
    )
    session.add(row)
    session.flush()
    return Issued(row, proof, event.hash)


def issuance_json(row: IssuanceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "document": row.document,
        "channel": row.channel,
        "copy": row.copy,
        "duplicata": row.copy > 1,
        "duplicata_number": row.copy - 1,
        "recipient": row.recipient,
        "user_id": row.user_id,
        "issued_at": to_utc_iso(row.issued_at),
        "event_seq": row.event_seq,
    }


def issuances(session: Session, actor: Actor, order_id: str) -> list[dict[str, Any]]:
    order = session.get(OrderRow, order_id)
    if order is None or order.shop_id != actor.shop_id:
        raise NotFound(f"There is no order {order_id}.")
    rows = session.scalars(
        select(IssuanceRow)
        .where(IssuanceRow.order_id == order_id)
        .order_by(IssuanceRow.issued_at, IssuanceRow.copy)
    )
    return [issuance_json(row) for row in rows]


def copies(session: Session, order_id: str) -> dict[str, int]:
    """How many copies of each document of the order were issued (shown on the order)."""
    counts = dict.fromkeys((document.value for document in Document), 0)
    for document, count in session.execute(
        select(IssuanceRow.document, func.count())
        .where(IssuanceRow.order_id == order_id)
        .group_by(IssuanceRow.document)
    ):
        counts[document] = count
    return counts
