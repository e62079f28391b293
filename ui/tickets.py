"""The ticket on the sale screen, whatever stands behind it: the server's order (online), a draft
kept on the till (offline), or an order that exists only in memory (training mode). The screen
shows `view()`, in the server's order shape, and never computes a total itself: the server does
online, the fiscal core (`till.order`) does for drafts and training.

No Qt here. Online changes do not block (the ticket's own thread sends them); a draft's changes
wait on the disk and a validation on the server, so the screen runs those in a worker
(`blocking`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from sync import ticket as changes
from sync.drafts import Draft, DraftLine
from sync.offline import OfflineWork
from sync.ticket import Ticket, is_empty
from till.errors import TillError
from till.money import Cents, to_json_amount
from till.order import (
    DeliveryMethod,
    Discount,
    Order,
    Payment,
    PaymentMode,
    to_record,
)
from till.timestamps import utc_now

ONLINE = "online"
DRAFT = "draft"
TRAINING = "training"


class NotPayable(TillError):
    code = "not_payable"

    def __init__(self) -> None:
        super().__init__("A draft cannot be paid or validated: it waits for the server to be back.")


@dataclass(frozen=True)
class TicketView:
    """What the ticket panel shows: the order, and the changes still on their way."""

    order: dict[str, Any]
    pending: tuple[str, ...] = ()
    out_of_step: bool = False

    @property
    def empty(self) -> bool:
        """Nothing is on the ticket, nor on its way to it."""
        return not self.pending and not self.out_of_step and is_empty(self.order)


def order_view(order: Order, status: str) -> dict[str, Any]:
    """A local order (draft, training) in the shape the server gives its orders."""
    view = to_record(order)
    view.update(
        status=status,
        amount_due=to_json_amount(order.amount_due),
        is_fully_paid=order.is_fully_paid,
    )
    return view


def _delivery(fields: dict[str, Any]) -> dict[str, Any]:
    if isinstance(fields.get("delivery_method"), str):
        fields["delivery_method"] = DeliveryMethod(fields["delivery_method"])
    return fields


class SaleTicket(Protocol):
    kind: str
    blocking: bool

    @property
    def id(self) -> str: ...
    def view(self) -> TicketView: ...
    def add_article(self, article: Mapping[str, Any], quantity: str = "1") -> None: ...
    def set_quantity(self, line_id: str, quantity: Decimal) -> None: ...
    def set_unit_price(self, line_id: str, cents: Cents) -> None: ...
    def set_discount(self, line_id: str, discount: Discount | None) -> None: ...
    def remove_line(self, line_id: str) -> None: ...
    def set_fields(self, **fields: Any) -> None: ...
    def add_payment(self, mode: Mapping[str, Any], cents: Cents) -> None: ...
    def remove_payment(self, payment_id: str) -> None: ...
    def validate(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


class OnlineTicket:
    """The server's order: each change is a server call, the view the server's last answer."""

    kind = ONLINE
    blocking = False

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket

    @property
    def id(self) -> str:
        return self.ticket.id

    def view(self) -> TicketView:
        return TicketView(
            self.ticket.order,
            tuple(change.label for change in self.ticket.pending),
            self.ticket.out_of_step,
        )

    def add_article(self, article: Mapping[str, Any], quantity: str = "1") -> None:
        self.ticket.submit(changes.add_line(str(article["id"]), quantity=quantity))

    def set_quantity(self, line_id: str, quantity: Decimal) -> None:
        self.ticket.submit(changes.change_line(line_id, quantity=quantity))

    def set_unit_price(self, line_id: str, cents: Cents) -> None:
        self.ticket.submit(changes.change_line(line_id, unit_price=to_json_amount(cents)))

    def set_discount(self, line_id: str, discount: Discount | None) -> None:
        self.ticket.submit(
            changes.change_line(line_id, discount=discount, remove_discount=discount is None)
        )

    def remove_line(self, line_id: str) -> None:
        self.ticket.submit(changes.remove_line(line_id))

    def set_fields(self, **fields: Any) -> None:
        self.ticket.submit(changes.change_order(**fields))

    def add_payment(self, mode: Mapping[str, Any], cents: Cents) -> None:
        self.ticket.submit(changes.add_payment(str(mode["code"]), to_json_amount(cents)))

    def remove_payment(self, payment_id: str) -> None:
        self.ticket.submit(changes.remove_payment(payment_id))

    def validate(self) -> dict[str, Any]:
        """Blocks on the server: run it in a worker."""
        return self.ticket.validate().order

    def close(self) -> None:
        self.ticket.close()


class DraftTicket:
    """A draft made offline: kept on the till's disk at each change, never paid or validated."""

    kind = DRAFT
    blocking = True

    def __init__(self, offline: OfflineWork, draft: Draft) -> None:
        self.offline = offline
        self.draft = draft

    @property
    def id(self) -> str:
        return self.draft.id

    def view(self) -> TicketView:
        return TicketView(order_view(self.draft.order(), DRAFT))

    def _line(self, line_id: str) -> DraftLine:
        return next(line for line in self.draft.lines if line.id == line_id)

    def _save(self, draft: Draft) -> None:
        self.draft = self.offline.save(draft)

    def add_article(self, article: Mapping[str, Any], quantity: str = "1") -> None:
        self._save(self.draft.with_line(DraftLine.from_article(article, quantity)))

    def _change_line(self, line_id: str, **fields: Any) -> None:
        self._save(self.draft.with_line(replace(self._line(line_id), **fields)))

    def set_quantity(self, line_id: str, quantity: Decimal) -> None:
        self._change_line(line_id, quantity=quantity)

    def set_unit_price(self, line_id: str, cents: Cents) -> None:
        self._change_line(line_id, unit_price=cents)

    def set_discount(self, line_id: str, discount: Discount | None) -> None:
        self._change_line(line_id, discount=discount)

    def remove_line(self, line_id: str) -> None:
        self._save(self.draft.without_line(line_id))

    def set_fields(self, **fields: Any) -> None:
        self._save(self.draft.changed(**_delivery(fields)))

    def add_payment(self, mode: Mapping[str, Any], cents: Cents) -> None:
        raise NotPayable()

    def remove_payment(self, payment_id: str) -> None:
        raise NotPayable()

    def validate(self) -> dict[str, Any]:
        raise NotPayable()

    def close(self) -> None:
        """A draft stays on the till until the server has imported it."""


class TrainingTicket:
    """Training mode: an order in memory only, computed by the fiscal core; nothing is sent,
    stored, numbered or sealed."""

    kind = TRAINING
    blocking = False

    def __init__(self, register_id: str | None, user_id: str | None) -> None:
        self.order = Order(register_id=register_id, user_id=user_id)
        self.finished = False

    @property
    def id(self) -> str:
        return self.order.id

    def view(self) -> TicketView:
        return TicketView(order_view(self.order, TRAINING))

    def _replace(self, line_id: str, **fields: Any) -> None:
        line = next(line for line in self.order.lines if line.id == line_id)
        self.order.replace_line(replace(line, **fields))

    def add_article(self, article: Mapping[str, Any], quantity: str = "1") -> None:
        self.order.add_line(DraftLine.from_article(article, quantity).order_line())

    def set_quantity(self, line_id: str, quantity: Decimal) -> None:
        self._replace(line_id, quantity=quantity)

    def set_unit_price(self, line_id: str, cents: Cents) -> None:
        self._replace(line_id, unit_price=cents)

    def set_discount(self, line_id: str, discount: Discount | None) -> None:
        self._replace(line_id, discount=discount)

    def remove_line(self, line_id: str) -> None:
        self.order.remove_line(line_id)

    def set_fields(self, **fields: Any) -> None:
        _delivery(fields)
        if "delivery_method" in fields:
            self.order.set_delivery_method(fields.pop("delivery_method"))
        if "order_discount" in fields:
            self.order.set_order_discount(fields.pop("order_discount"))
        for name, value in fields.items():
            setattr(self.order, name, value)

    def add_payment(self, mode: Mapping[str, Any], cents: Cents) -> None:
        self.order.add_payment(
            Payment(
                mode=PaymentMode(
                    str(mode["code"]), str(mode["label"]), bool(mode.get("gives_change"))
                ),
                amount=cents,
            )
        )

    def remove_payment(self, payment_id: str) -> None:
        self.order.payments = tuple(
            payment for payment in self.order.payments if payment.id != payment_id
        )

    def validate(self) -> dict[str, Any]:
        """Marks the training order done; it gets no number and no seal."""
        self.order.validated_at = utc_now()
        self.finished = True
        return order_view(self.order, TRAINING)

    def close(self) -> None:
        """Nothing to keep."""
