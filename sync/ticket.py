"""An online ticket, what you see is what you get: each change is a server call, and the ticket is
the order as the server last answered it, never a local guess.

Changes are queued and sent one at a time, in order, by the ticket's sender thread, each with its
own Idempotency-Key (kept across its retries). While a change is on its way the screen shows it as
pending; the server's answer then replaces the ticket. A change the server refuses is rolled back
from the screen with the server's reason. A change that got no answer at all may or may not have
been recorded: it is rolled back with the changes queued behind it, and the ticket is reloaded from
the server before anything else is sent. Payments and validation wait until every change is
acknowledged.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sync.client import ApiClient, new_key
from sync.drafts import discount_json
from sync.errors import (
    ApiError,
    CertificateRejected,
    ChangesPending,
    ServerUnreachable,
    TicketClosed,
)
from sync.events import ChainAlarm, ChangeRolledBack, Events, TicketChanged
from sync.heads import ChainHeads
from till.money import to_json_quantity
from till.order import Discount

log = logging.getLogger("till.sync")

# A sender thread with nothing to send for this long ends; the next change starts another.
_IDLE_S = 30.0
# How long a validation or a cancellation waits for the sender to be through with a change already
# answered (it is telling the screen); past that, it is refused with the reason, never left hanging.
SETTLING_S = 5.0


@dataclass(frozen=True)
class Change:
    """One change of a ticket: a call on the order, and what the screen shows while it is sent."""

    label: str
    method: str
    path: str  # below /orders/{id}
    body: dict[str, Any] | None = None
    needs_acknowledged: bool = False  # payments: only on the server's version of the ticket
    key: str = field(default_factory=new_key)


def add_line(
    article_id: str | None = None,
    *,
    quantity: str | Decimal = "1",
    label: str | None = None,
    unit_price: str | None = None,
    vat_rate: str | None = None,
    discount: Discount | None = None,
    line_id: str | None = None,
) -> Change:
    """A catalog article (its price and VAT unless given), or a free line (label, price, VAT).
    The line's id is chosen here, so the screen can follow it and a resend cannot double it."""
    body: dict[str, Any] = {
        "id": line_id or new_key(),
        "quantity": to_json_quantity(Decimal(quantity)),
    }
    for name, value in (
        ("article_id", article_id),
        ("label", label),
        ("unit_price", unit_price),
        ("vat_rate", vat_rate),
        ("discount", discount_json(discount)),
    ):
        if value is not None:
            body[name] = value
    return Change(f"+ {label or article_id}", "POST", "/lines", body)


def change_line(
    line_id: str,
    *,
    quantity: str | Decimal | None = None,
    unit_price: str | None = None,
    label: str | None = None,
    discount: Discount | None = None,
    remove_discount: bool = False,
) -> Change:
    body: dict[str, Any] = {}
    if quantity is not None:
        body["quantity"] = to_json_quantity(Decimal(quantity))
    if unit_price is not None:
        body["unit_price"] = unit_price
    if label is not None:
        body["label"] = label
    if discount is not None:
        body["discount"] = discount_json(discount)
    if remove_discount:
        body["remove_discount"] = True
    return Change("~ line", "PATCH", f"/lines/{line_id}", body)


def remove_line(line_id: str) -> Change:
    return Change("- line", "DELETE", f"/lines/{line_id}")


def change_order(**fields: Any) -> Change:
    """Fields of the order (`table`, `covers`, `delivery_method`, `order_discount`, notes...);
    a field given as None is cleared."""
    body = {
        name: discount_json(value) if isinstance(value, Discount) else value
        for name, value in fields.items()
    }
    return Change("~ " + ", ".join(sorted(fields)), "PATCH", "", body)


def add_payment(mode: str, amount: str) -> Change:
    return Change(f"{mode} {amount}", "POST", "/payments", {"mode": mode, "amount": amount}, True)


def remove_payment(payment_id: str) -> Change:
    return Change("- payment", "DELETE", f"/payments/{payment_id}", needs_acknowledged=True)


# What a cashier may put on an order; an order with none of them holds nothing.
_CONTENTS = (
    "lines",
    "payments",
    "table",
    "covers",
    "customer_account",
    "public_note",
    "private_note",
    "order_discount",
)


def is_empty(order: Mapping[str, Any]) -> bool:
    """Nothing was put on this order (or all of it was taken off again): no line, no payment,
    no table, covers, customer, note or discount. A correction and an order made from a draft
    are never empty: they stand for something done elsewhere."""
    return (
        not any(order.get(name) for name in _CONTENTS)
        and order.get("corrects_order_id") is None
        and order.get("draft_id") is None
    )


@dataclass(frozen=True)
class Validated:
    """The sealed order, as answered; `alarms` when its chain heads contradict earlier ones."""

    order: dict[str, Any]
    chain_heads: dict[str, Any]
    alarms: list[ChainAlarm]
    replayed: bool


def _order_of(body: dict[str, Any]) -> dict[str, Any]:
    """The order itself, without what a validation answer adds around it."""
    return {
        name: value
        for name, value in body.items()
        if name not in ("chain_heads", "chain_heads_signature")
    }


class Ticket:
    """Changes may be submitted from any thread; events come from the sender thread."""

    def __init__(
        self,
        client: ApiClient,
        events: Events,
        order: dict[str, Any],
        *,
        heads: ChainHeads | None = None,
        shop_id: str | None = None,
    ) -> None:
        self._client = client
        self._events = events
        self._heads = heads
        self._shop_id = shop_id or order.get("shop_id")
        self._order = order
        self._queue: collections.deque[Change] = collections.deque()
        self._in_flight = False
        self._out_of_step = False
        self._closed = False
        self._sender: threading.Thread | None = None
        self._condition = threading.Condition()
        self._validate_key = new_key()

    @classmethod
    def open(
        cls,
        client: ApiClient,
        events: Events,
        register_id: str,
        *,
        key: str | None = None,
        heads: ChainHeads | None = None,
        **fields: Any,
    ) -> Ticket:
        """A new order on the server. Call again with the same `key` after a failure: an order
        the server made but could not announce is then given back, not made twice."""
        answer = client.call("POST", "/orders", {"register_id": register_id, **fields}, key=key)
        ticket = cls(client, events, answer.body, heads=heads)
        ticket._announce()
        return ticket

    @classmethod
    def resume(
        cls, client: ApiClient, events: Events, order_id: str, *, heads: ChainHeads | None = None
    ) -> Ticket:
        """An open order of the server (one made earlier, or imported from a draft)."""
        return cls.of(client, events, client.get(f"/orders/{order_id}"), heads=heads)

    @classmethod
    def of(
        cls,
        client: ApiClient,
        events: Events,
        order: dict[str, Any],
        *,
        heads: ChainHeads | None = None,
    ) -> Ticket:
        """The ticket of an open order just read from the server."""
        ticket = cls(client, events, order, heads=heads)
        ticket._announce()
        return ticket

    # ------------------------------------------------------------------------ state

    @property
    def id(self) -> str:
        return str(self._order["id"])

    @property
    def order(self) -> dict[str, Any]:
        """The order as the server last answered it."""
        with self._condition:
            return self._order

    @property
    def pending(self) -> tuple[Change, ...]:
        with self._condition:
            return tuple(self._queue)

    @property
    def out_of_step(self) -> bool:
        """A change got no answer: the ticket must be read again from the server."""
        return self._out_of_step

    @property
    def acknowledged(self) -> bool:
        """Every change is acknowledged and the ticket is the server's current order."""
        with self._condition:
            return not self._queue and not self._out_of_step

    def _announce(self) -> None:
        with self._condition:
            event = TicketChanged(
                self.id,
                self._order,
                tuple(change.label for change in self._queue),
                self._out_of_step,
            )
        self._events.emit(event)

    # ------------------------------------------------------------------------ changes

    def submit(self, change: Change) -> None:
        """Queue a change; it shows as pending until the server's answer replaces the ticket."""
        with self._condition:
            if self._closed:
                raise TicketClosed()
            if change.needs_acknowledged and (self._queue or self._out_of_step):
                raise ChangesPending("taking a payment")
            self._queue.append(change)
            if self._sender is None:
                self._sender = threading.Thread(
                    target=self._send, name=f"ticket-{self.id[:8]}", daemon=True
                )
                self._sender.start()
            self._condition.notify_all()
        self._announce()

    def wait(self, timeout: float | None = None) -> bool:
        """Until every queued change has been answered (or rolled back); False on time-out."""
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._queue and not self._in_flight, timeout
            )

    def _send(self) -> None:
        while True:
            with self._condition:
                if not self._condition.wait_for(lambda: bool(self._queue) or self._closed, _IDLE_S):
                    self._sender = None
                    return
                if not self._queue:
                    self._sender = None
                    return
                change = self._queue[0]
                self._in_flight = True
            try:
                self._send_one(change)
            finally:
                with self._condition:
                    self._in_flight = False
                    self._condition.notify_all()

    def _send_one(self, change: Change) -> None:
        try:
            if self._out_of_step:
                self._reload()
            answer = self._client.call(
                change.method, f"/orders/{self.id}{change.path}", change.body, key=change.key
            )
        except (ServerUnreachable, CertificateRejected) as error:
            # No answer: the change may have been recorded or not. Nothing queued behind it can
            # be sent on a screen that may be wrong; the ticket is read again first.
            with self._condition:
                dropped = list(self._queue)
                self._queue.clear()
                self._out_of_step = True
            for index, lost in enumerate(dropped):
                message = (
                    f"{error.message} This change may not have been recorded; the ticket will be "
                    "read again from the server."
                    if index == 0
                    else "Not sent: an earlier change of this ticket got no answer."
                )
                self._events.emit(ChangeRolledBack(self.id, lost.label, error.code, message))
        except ApiError as error:
            with self._condition:
                self._queue.popleft()
            self._events.emit(ChangeRolledBack(self.id, change.label, error.code, error.message))
        else:
            with self._condition:
                self._order = answer.body
                self._queue.popleft()
        self._announce()

    def _reload(self) -> None:
        body = self._client.get(f"/orders/{self.id}")
        with self._condition:
            self._order = body
            self._out_of_step = False

    def refresh(self) -> None:
        """Read the ticket again from the server (after it got out of step, or to see changes
        made elsewhere); waits for the changes already queued."""
        self.wait()
        self._reload()
        self._announce()

    # ------------------------------------------------------------------------ validation

    def _settled(self, what: str) -> None:
        """Refuses `what` while changes wait to be sent. A change already answered may still be
        finishing on the sender (the screen shows it done, from the sender's own event): that
        moment is waited for, not refused, for `SETTLING_S` at most."""
        with self._condition:
            settled = self._condition.wait_for(
                lambda: bool(self._queue) or not self._in_flight, SETTLING_S
            )
            if self._queue or not settled:
                raise ChangesPending(what)

    def validate(self) -> Validated:
        """Number and seal the order: only once the ticket is the server's version. Sent again
        after a failure, it carries the same key, so the order is never validated twice."""
        self._settled("validating")
        if self._out_of_step:
            self.refresh()
        answer = self._client.call("POST", f"/orders/{self.id}/validate", key=self._validate_key)
        body: dict[str, Any] = answer.body
        heads: dict[str, Any] = body.get("chain_heads") or {}
        alarms: list[ChainAlarm] = []
        if self._heads is not None and heads and self._shop_id:
            alarms = self._heads.observe(
                str(self._shop_id),
                heads,
                body.get("chain_heads_signature"),
                replayed=answer.replayed,
            )
        with self._condition:
            self._order = _order_of(body)
            self._closed = True
            self._condition.notify_all()
        self._announce()
        return Validated(self._order, heads, alarms, answer.replayed)

    def cancel(self) -> None:
        """Cancel the open order on the server (it has no payment)."""
        self._settled("cancelling")
        answer = self._client.call("POST", f"/orders/{self.id}/cancel")
        with self._condition:
            self._order = answer.body
            self._closed = True
            self._condition.notify_all()
        self._announce()

    def close(self) -> None:
        """Stop sending (what is still queued is dropped); the order stays on the server."""
        with self._condition:
            self._closed = True
            dropped = list(self._queue)
            self._queue.clear()
            self._condition.notify_all()
            sender = self._sender
        for change in dropped:
            self._events.emit(
                ChangeRolledBack(self.id, change.label, "ticket_closed", TicketClosed().message)
            )
        if sender is not None and sender is not threading.current_thread():
            sender.join()

    def __repr__(self) -> str:
        return f"Ticket({self.id}, pending={len(self.pending)})"
