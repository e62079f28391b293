"""What the accounting exports share: the period asked for, and its sealed orders, each with its
sealed payments, read as `server.reports.records` reads them (every figure from the chains)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from server.errors import Conflict
from server.reports.records import Scope, sealed_orders, sealed_payments
from server.shops.models import Shop


class RecordsOutOfOrder(Conflict):
    code = "records_out_of_order"


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
