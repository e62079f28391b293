"""What the accounting exports share: the period asked for, and its sealed orders, each with its
sealed payments, read as `server.reports.records` reads them (every figure from the chains)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server.archives.services import EARLIEST, Period
from server.errors import Conflict, Invalid, NotFound
from server.reports.records import Scope, sealed_orders, sealed_payments
from server.shops.models import Shop


class RecordsOutOfOrder(Conflict):
    code = "records_out_of_order"


def checked_period(start: date, end: date, today: date) -> Period:
    """Business days from `start` to `end`, both included: at most one year, not after today."""
    if start < EARLIEST:
        raise Invalid(f"An export cannot start before {EARLIEST}.")
    if end < start:
        raise Invalid(f"The period ends ({end}) before it starts ({start}).")
    if end > today:
        raise Invalid(f"The period ends on {end}, after today ({today}).")
    try:
        limit = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        limit = date(start.year + 1, 3, 1)
    if end >= limit:
        raise Invalid(
            f"An export covers at most one year: from {start}, it ends on "
            f"{limit - timedelta(days=1)} at the latest."
        )
    return Period(start, end)


def shop_of(session: Session, shop_id: str) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("This shop no longer exists.")
    return shop


def siren(shop: Shop) -> str:
    """The company's SIREN: the first 9 digits of the shop's SIRET."""
    return shop.siret[:9]


@dataclass(frozen=True)
class PaidOrder:
    order: dict[str, Any]  # the sealed order record
    payments: list[dict[str, Any]]  # its sealed payment records, in seq order


def paid_orders(session: Session, scope: Scope) -> Iterator[PaidOrder]:
    """The sealed orders in scope, in seq order, each with its sealed payments. An order's
    payments are sealed right after it, so both chains are read side by side, in one pass."""
    payments = sealed_payments(session, scope)
    pending = next(payments, None)
    for order in sealed_orders(session, scope):
        own = []
        while pending is not None and pending["order_seq"] == order["seq"]:
            own.append(pending)
            pending = next(payments, None)
        if pending is not None and pending["order_seq"] < order["seq"]:
            raise RecordsOutOfOrder(
                f"Payment record {pending['seq']} does not follow its order "
                f"{pending['order_seq']}: check the chains before exporting."
            )
        yield PaidOrder(order, own)
