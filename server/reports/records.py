"""The sealed records of a period, as reports and exports read them: every figure comes from the
order and payment chains themselves, never from the editable tables (seed 000 §4.1).

The orders table only says which records to read (by validation time, register, user); the
records are read by seq, a batch at a time, so a year of a busy shop streams in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from server.orders.models import OrderRow, OrderStatus, PaymentRow
from server.registers.models import CashMovement
from server.sealing.models import SealedRecordRow

SEQ_BATCH = 500


@dataclass(frozen=True)
class Scope:
    """What a report or an export covers: a shop's orders validated in [start, end), for one
    register or all, one user or all."""

    shop_id: str
    start: datetime
    end: datetime
    register_id: str | None = None
    user_id: str | None = None

    def condition(self) -> Any:
        parts = [
            OrderRow.shop_id == self.shop_id,
            OrderRow.status == OrderStatus.VALIDATED,
            OrderRow.validated_at >= self.start,
            OrderRow.validated_at < self.end,
        ]
        if self.register_id is not None:
            parts.append(OrderRow.register_id == self.register_id)
        if self.user_id is not None:
            parts.append(OrderRow.user_id == self.user_id)
        return and_(*parts)


def records_at(
    session: Session, shop_id: str, chain: str, seqs: list[int]
) -> Iterator[dict[str, Any]]:
    """The sealed records of a chain at these seqs, in seq order, parsed."""
    for first in range(0, len(seqs), SEQ_BATCH):
        for body in session.scalars(
            select(SealedRecordRow.body)
            .where(
                SealedRecordRow.shop_id == shop_id,
                SealedRecordRow.chain == chain,
                SealedRecordRow.seq.in_(seqs[first : first + SEQ_BATCH]),
            )
            .order_by(SealedRecordRow.seq)
        ):
            yield orjson.loads(body)


def sealed_orders(session: Session, scope: Scope) -> Iterator[dict[str, Any]]:
    """The sealed order records in scope (sales, refunds and corrections), in seq order, each
    with its seal (`hash`, `signature`, `prev_hash`, `seq`, `key_id`)."""
    seqs = session.scalars(
        select(OrderRow.internal_number)
        .where(scope.condition(), OrderRow.internal_number.is_not(None))
        .order_by(OrderRow.internal_number)
    ).all()
    return records_at(session, scope.shop_id, "order", [seq for seq in seqs if seq is not None])


def sealed_payments(session: Session, scope: Scope) -> Iterator[dict[str, Any]]:
    """The sealed payment records of the orders in scope, in seq order."""
    seqs = session.scalars(
        select(PaymentRow.record_seq)
        .join(OrderRow, OrderRow.id == PaymentRow.order_id)
        .where(scope.condition(), PaymentRow.record_seq.is_not(None))
        .order_by(PaymentRow.record_seq)
    ).all()
    return records_at(session, scope.shop_id, "payment", [seq for seq in seqs if seq is not None])


def sealed_cash_movements(session: Session, scope: Scope) -> Iterator[dict[str, Any]]:
    """The journal's sealed events of the cash put into or taken out of the registers in scope
    (by the user in scope) from start to end, in seq order."""
    parts = [
        CashMovement.shop_id == scope.shop_id,
        CashMovement.at >= scope.start,
        CashMovement.at < scope.end,
    ]
    if scope.register_id is not None:
        parts.append(CashMovement.register_id == scope.register_id)
    if scope.user_id is not None:
        parts.append(CashMovement.user_id == scope.user_id)
    seqs = session.scalars(
        select(CashMovement.event_seq).where(*parts).order_by(CashMovement.event_seq)
    ).all()
    return records_at(session, scope.shop_id, "event", list(seqs))
