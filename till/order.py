"""Orders as the fiscal contract sees them: lines, discounts, totals and VAT to the cent, payments,
the lines that cancel an order, and the record that gets sealed."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypeAlias

from till.errors import TillError
from till.money import (
    Cents,
    InvalidAmount,
    format_amount,
    parse_quantity,
    parse_rate,
    round_half_up,
    to_json_amount,
    to_json_quantity,
    to_json_rate,
)
from till.timestamps import as_utc, to_utc_iso, utc_now
from till.vat import VatBreakdown, VatRate, apportion, break_down_vat

JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"

SHORT_TITLE_LENGTH = 40
MULTIPLICATION_SIGN = "\u00d7"


class DiscountTooLarge(TillError):
    code = "discount_too_large"

    def __init__(self, discount: Cents, base: Cents) -> None:
        super().__init__(
            f"A discount of {format_amount(discount)} is more than the "
            f"{format_amount(base)} it applies to."
        )


class DuplicateLine(TillError):
    code = "duplicate_line"

    def __init__(self, line_id: str) -> None:
        super().__init__(f"This order already has a line {line_id}.")


class LineNotFound(TillError):
    code = "line_not_found"

    def __init__(self, line_id: str) -> None:
        super().__init__(f"This order has no line {line_id}; it may have been removed meanwhile.")


class OrderValidated(TillError):
    code = "order_validated"

    def __init__(self) -> None:
        super().__init__(
            "This order is validated and can no longer be changed: make a corrective order."
        )


class OrderHasPayments(TillError):
    code = "order_has_payments"

    def __init__(self) -> None:
        super().__init__("This order already has payments: cancel them before changing the order.")


class OrderFullyPaid(TillError):
    code = "order_fully_paid"

    def __init__(self) -> None:
        super().__init__("This order is fully paid: no payment can be added.")


class InvalidPayment(TillError):
    code = "invalid_payment"


class PaymentExceedsDue(TillError):
    code = "payment_exceeds_due"

    def __init__(self, payment: Payment, due: Cents) -> None:
        super().__init__(
            f"{format_amount(payment.amount)} in {payment.mode.label} is more than the "
            f"{format_amount(due)} due; only a sale paid with a mode that gives change "
            "may be overpaid."
        )


def _new_id() -> str:
    return uuid.uuid4().hex


class DeliveryMethod(StrEnum):
    EAT_IN = "eat_in"
    TAKE_AWAY = "take_away"
    DELIVERY = "delivery"


@dataclass(frozen=True)
class VatRates:
    """An article's VAT rates: eat-in, and the take-away one (also used for delivery) when the
    article has a different rate to take away."""

    eat_in: VatRate
    take_away: VatRate | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "eat_in", parse_rate(self.eat_in))
        if self.take_away is not None:
            object.__setattr__(self, "take_away", parse_rate(self.take_away))

    def rate_for(self, delivery: DeliveryMethod) -> VatRate:
        if delivery is DeliveryMethod.EAT_IN or self.take_away is None:
            return self.eat_in
        return self.take_away


@dataclass(frozen=True)
class Discount:
    """A discount given as a rate (percent) or as an amount, exactly one of the two.

    An amount is a magnitude that takes the sign of what it discounts, so that a refund carrying
    the same discount cancels the sale exactly.
    """

    percent: Decimal | None = None
    cents: Cents | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.cents is None):
            raise ValueError("a discount is either a rate or an amount")
        if self.percent is not None:
            object.__setattr__(self, "percent", parse_rate(self.percent))
        elif self.cents is not None and self.cents < 0:
            raise InvalidAmount(format_amount(self.cents), "a discount cannot be negative")

    @classmethod
    def rate(cls, percent: str | Decimal | int) -> Discount:
        return cls(percent=parse_rate(percent))

    @classmethod
    def amount(cls, cents: Cents) -> Discount:
        return cls(cents=cents)

    def of(self, base: Cents) -> Cents:
        """The discount on `base`, with `base`'s sign; an amount may not exceed `base`."""
        if self.percent is not None:
            return round_half_up(base * Fraction(self.percent) / 100)
        magnitude = self.cents or 0
        if magnitude > abs(base):
            raise DiscountTooLarge(magnitude, base)
        return magnitude if base >= 0 else -magnitude


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    """One line of an order. A negative quantity refunds or corrects; the unit price, VAT included,
    is never negative."""

    id: str = field(default_factory=_new_id)
    article_id: str | None = None
    label: str
    quantity: Decimal
    unit_price: Cents
    vat: VatRates
    discount: Discount | None = None
    department: str | None = None
    preparation_state: str = "none"
    # The line's initial price (unit price times quantity, to the nearest cent) and its discount,
    # worked out when the line is made so that a discount larger than the line is refused then.
    gross: Cents = field(init=False, repr=False, compare=False)
    line_discount: Cents = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", parse_quantity(self.quantity))
        if self.unit_price < 0:
            raise InvalidAmount(
                format_amount(self.unit_price),
                "a price cannot be negative (refund with a negative quantity)",
            )
        gross = round_half_up(self.unit_price * Fraction(self.quantity))
        object.__setattr__(self, "gross", gross)
        discount = self.discount.of(gross) if self.discount is not None else 0
        object.__setattr__(self, "line_discount", discount)


@dataclass(frozen=True)
class LineTotals:
    gross: Cents
    line_discount: Cents
    order_discount_share: Cents
    final: Cents
    vat_rate: VatRate
    vat: Cents
    excl_vat: Cents


@dataclass(frozen=True)
class OrderTotals:
    """An order's amounts. `lines` follows the order's lines; `vat` is by rate, descending."""

    lines: tuple[LineTotals, ...]
    vat: tuple[VatBreakdown, ...]
    initial_price: Cents
    order_discount: Cents
    total_discount: Cents
    total_vat: Cents
    final_price: Cents
    total_excl_vat: Cents
    article_count: int
    short_title: str


def compute_totals(
    lines: Sequence[OrderLine], delivery: DeliveryMethod, order_discount: Discount | None
) -> OrderTotals:
    """Totals to the cent: line discounts, then the order discount spread over the lines in
    proportion to their net amounts, then VAT per rate spread back over the lines."""
    nets = [line.gross - line.line_discount for line in lines]
    net_total = sum(nets)
    discount = order_discount.of(net_total) if order_discount is not None else 0
    shares = (
        apportion(discount, [Fraction(discount * net, net_total) for net in nets])
        if discount
        else [0] * len(nets)
    )
    finals = [net - share for net, share in zip(nets, shares, strict=True)]
    rates = [line.vat.rate_for(delivery) for line in lines]
    breakdown, vats = break_down_vat(list(zip(finals, rates, strict=True)))
    line_totals = tuple(
        LineTotals(
            gross=line.gross,
            line_discount=line.line_discount,
            order_discount_share=share,
            final=final,
            vat_rate=rate,
            vat=vat,
            excl_vat=final - vat,
        )
        for line, share, final, rate, vat in zip(lines, shares, finals, rates, vats, strict=True)
    )
    final_price = sum(finals)
    total_vat = sum(row.vat for row in breakdown)
    return OrderTotals(
        lines=line_totals,
        vat=breakdown,
        initial_price=sum(line.gross for line in lines),
        order_discount=discount,
        total_discount=sum(line.line_discount for line in lines) + discount,
        total_vat=total_vat,
        final_price=final_price,
        total_excl_vat=final_price - total_vat,
        article_count=sum(_article_count(line.quantity) for line in lines),
        short_title=_short_title(lines),
    )


def _article_count(quantity: Decimal) -> int:
    """A whole quantity counts that many articles; a weighed one counts as one (-1 to refund)."""
    if quantity == quantity.to_integral_value():
        return int(quantity)
    return 1 if quantity > 0 else -1


def _short_title(lines: Sequence[OrderLine]) -> str:
    """The main articles, most numerous first, each with its count when not 1, and "…" when some
    do not fit in SHORT_TITLE_LENGTH characters."""
    counts: Counter[str] = Counter()
    for line in lines:
        counts[line.label] += _article_count(line.quantity)
    # sorted() is stable: equally numerous articles keep the order they were rung up in.
    ranked = sorted((item for item in counts.items() if item[1]), key=lambda item: -abs(item[1]))
    parts = [
        label if count == 1 else f"{count} {MULTIPLICATION_SIGN} {label}" for label, count in ranked
    ]
    title = ", ".join(parts)
    if len(title) <= SHORT_TITLE_LENGTH:
        return title
    kept: list[str] = []
    for part in parts:
        if len(", ".join([*kept, part, "…"])) > SHORT_TITLE_LENGTH:
            break
        kept.append(part)
    if not kept:
        return parts[0][: SHORT_TITLE_LENGTH - 1] + "…"
    return ", ".join([*kept, "…"])


@dataclass(frozen=True)
class PaymentMode:
    code: str
    label: str
    gives_change: bool = False


CASH = PaymentMode("cash", "Espèces", gives_change=True)
CARD = PaymentMode("card", "Carte bancaire")
CHEQUE = PaymentMode("cheque", "Chèque")
MEAL_VOUCHER = PaymentMode("meal_voucher", "Titre-restaurant")
DEFAULT_PAYMENT_MODES = (CASH, CARD, CHEQUE, MEAL_VOUCHER)


@dataclass(frozen=True, kw_only=True)
class Payment:
    """A payment towards an order: positive on a sale, negative to pay a refund back."""

    mode: PaymentMode
    amount: Cents
    paid_at: datetime = field(default_factory=utc_now)
    id: str = field(default_factory=_new_id)

    def __post_init__(self) -> None:
        object.__setattr__(self, "paid_at", as_utc(self.paid_at))


_TotalsInputs: TypeAlias = tuple[tuple[OrderLine, ...], DeliveryMethod, Discount | None]


@dataclass(kw_only=True)
class Order:
    """An order: the server's authoritative one, or a draft on the till.

    Change lines, delivery method, order discount and payments through the methods below: the
    first three are frozen once a payment exists, and all four once the order is validated.
    Totals are computed once per change.
    """

    id: str = field(default_factory=_new_id)
    created_at: datetime = field(default_factory=utc_now)
    validated_at: datetime | None = None
    value_date: date | None = None
    shop_id: str | None = None
    register_id: str | None = None
    user_id: str | None = None
    delivery_method: DeliveryMethod = DeliveryMethod.EAT_IN
    table: str | None = None
    covers: int | None = None
    customer_account: str | None = None
    customer_id_document: str | None = None
    private_note: str = ""
    public_note: str = ""
    internal_number: int | None = None
    public_number: str | None = None
    preparation_state: str = "none"
    delivery_state: str = "none"
    shipping_state: str = "none"
    invoice_sent: bool = False
    loyalty_points: int = 0
    seal: str | None = None
    pager_number: int | None = None
    corrects_order_id: str | None = None
    lines: tuple[OrderLine, ...] = ()
    payments: tuple[Payment, ...] = ()
    order_discount: Discount | None = None
    _totals: tuple[_TotalsInputs, OrderTotals] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.lines = tuple(self.lines)
        self.payments = tuple(self.payments)

    @property
    def totals(self) -> OrderTotals:
        inputs = (self.lines, self.delivery_method, self.order_discount)
        # Identity, not equality: lines are a tuple, so any change assigns a new one.
        if self._totals is None or any(
            old is not new for old, new in zip(self._totals[0], inputs, strict=True)
        ):
            self._totals = (inputs, compute_totals(*inputs))
        return self._totals[1]

    @property
    def is_refund(self) -> bool:
        return self.totals.final_price < 0

    @property
    def first_payment_mode(self) -> PaymentMode | None:
        return self.payments[0].mode if self.payments else None

    @property
    def amount_paid(self) -> Cents:
        return sum(payment.amount for payment in self.payments)

    @property
    def amount_due(self) -> Cents:
        """What is left to pay: positive on a sale, negative (to pay back) on a refund, 0 once
        paid; change given on a sale never makes it negative."""
        remaining = self.totals.final_price - self.amount_paid
        return max(remaining, 0) if self.totals.final_price >= 0 else min(remaining, 0)

    @property
    def change_due(self) -> Cents:
        """What a sale's payments exceed its price by; only cash-like modes may exceed it."""
        if self.totals.final_price < 0:
            return 0
        return max(self.amount_paid - self.totals.final_price, 0)

    @property
    def is_fully_paid(self) -> bool:
        """Nothing left to pay; an order without lines is never fully paid."""
        return bool(self.lines) and self.amount_due == 0

    @property
    def finished(self) -> bool:
        return self.validated_at is not None and self.is_fully_paid

    def add_line(self, line: OrderLine) -> None:
        self._check_editable()
        if any(existing.id == line.id for existing in self.lines):
            raise DuplicateLine(line.id)
        self._change((*self.lines, line), self.delivery_method, self.order_discount)

    def replace_line(self, line: OrderLine) -> None:
        """Put `line` in place of the line that has its id."""
        self._check_editable()
        index = self._line_index(line.id)
        lines = (*self.lines[:index], line, *self.lines[index + 1 :])
        self._change(lines, self.delivery_method, self.order_discount)

    def remove_line(self, line_id: str) -> None:
        self._check_editable()
        index = self._line_index(line_id)
        lines = self.lines[:index] + self.lines[index + 1 :]
        self._change(lines, self.delivery_method, self.order_discount)

    def set_delivery_method(self, delivery: DeliveryMethod) -> None:
        self._check_editable()
        self._change(self.lines, delivery, self.order_discount)

    def set_order_discount(self, discount: Discount | None) -> None:
        self._check_editable()
        self._change(self.lines, self.delivery_method, discount)

    def add_payment(self, payment: Payment) -> None:
        """Record a payment in the direction of the amount due; only a sale paid with a mode that
        gives change may be overpaid (the excess is the change). A validated order may still be
        paid (a tab settled later, an invoice paid on account) until it is fully paid."""
        if not self.lines:
            raise InvalidPayment("There is nothing to pay: this order has no lines.")
        if self.is_fully_paid:
            raise OrderFullyPaid()
        due = self.amount_due
        if payment.amount == 0 or (payment.amount > 0) != (due > 0):
            raise InvalidPayment(
                "A sale is paid with a positive amount."
                if due > 0
                else "A refund is paid back with a negative amount."
            )
        if abs(payment.amount) > abs(due) and not (payment.mode.gives_change and due > 0):
            raise PaymentExceedsDue(payment, due)
        self.payments = (*self.payments, payment)

    def _check_not_validated(self) -> None:
        if self.validated_at is not None:
            raise OrderValidated()

    def _check_editable(self) -> None:
        self._check_not_validated()
        if self.payments:
            raise OrderHasPayments()

    def _line_index(self, line_id: str) -> int:
        for index, line in enumerate(self.lines):
            if line.id == line_id:
                return index
        raise LineNotFound(line_id)

    def _change(
        self, lines: tuple[OrderLine, ...], delivery: DeliveryMethod, discount: Discount | None
    ) -> None:
        # Computed before anything is assigned, so a refused change (a discount now too large)
        # leaves the order as it was.
        inputs = (lines, delivery, discount)
        totals = compute_totals(*inputs)
        self.lines, self.delivery_method, self.order_discount = inputs
        self._totals = (inputs, totals)


def refund_lines(order: Order) -> list[OrderLine]:
    """Lines that cancel `order` exactly: same article, label, price and discount, the quantity
    negated, and the VAT rate the order actually applied, whatever the delivery method. With the
    original's delivery method and order discount, they give the exact opposite of its totals."""
    return [
        replace(
            line,
            id=_new_id(),
            quantity=-line.quantity,
            vat=VatRates(totals.vat_rate),
            preparation_state="none",
        )
        for line, totals in zip(order.lines, order.totals.lines, strict=True)
    ]


def to_record(order: Order) -> dict[str, JsonValue]:
    """The order's fiscal fields as the JSON-ready dict that gets sealed (no floats).

    Left out: the seal itself, and the preparation, delivery, shipping and invoice-sent states,
    which move on after validation and are not fiscal.
    """
    totals = order.totals
    first_mode = order.first_payment_mode
    return {
        "id": order.id,
        "created_at": to_utc_iso(order.created_at),
        "validated_at": to_utc_iso(order.validated_at) if order.validated_at else None,
        "value_date": order.value_date.isoformat() if order.value_date else None,
        "shop_id": order.shop_id,
        "register_id": order.register_id,
        "user_id": order.user_id,
        "internal_number": order.internal_number,
        "public_number": order.public_number,
        "is_refund": order.is_refund,
        "corrects_order_id": order.corrects_order_id,
        "delivery_method": order.delivery_method.value,
        "table": order.table,
        "covers": order.covers,
        "pager_number": order.pager_number,
        "customer_account": order.customer_account,
        "customer_id_document": order.customer_id_document,
        "private_note": order.private_note,
        "public_note": order.public_note,
        "loyalty_points": order.loyalty_points,
        "short_title": totals.short_title,
        "article_count": totals.article_count,
        "initial_price": to_json_amount(totals.initial_price),
        "order_discount": _json_discount(order.order_discount),
        "order_discount_amount": to_json_amount(totals.order_discount),
        "total_discount": to_json_amount(totals.total_discount),
        "total_excl_vat": to_json_amount(totals.total_excl_vat),
        "total_vat": to_json_amount(totals.total_vat),
        "final_price": to_json_amount(totals.final_price),
        "first_payment_mode": first_mode.code if first_mode else None,
        "amount_paid": to_json_amount(order.amount_paid),
        "change_due": to_json_amount(order.change_due),
        "finished": order.finished,
        "lines": [
            _json_line(line, line_totals)
            for line, line_totals in zip(order.lines, totals.lines, strict=True)
        ],
        "vat": [
            {
                "rate": to_json_rate(row.rate),
                "incl": to_json_amount(row.incl),
                "vat": to_json_amount(row.vat),
                "excl": to_json_amount(row.excl),
            }
            for row in totals.vat
        ],
        "payments": [
            {
                "id": payment.id,
                "mode": payment.mode.code,
                "mode_label": payment.mode.label,
                "amount": to_json_amount(payment.amount),
                "paid_at": to_utc_iso(payment.paid_at),
            }
            for payment in order.payments
        ],
    }


def _json_line(line: OrderLine, totals: LineTotals) -> dict[str, JsonValue]:
    return {
        "id": line.id,
        "article_id": line.article_id,
        "label": line.label,
        "department": line.department,
        "quantity": to_json_quantity(line.quantity),
        "unit_price": to_json_amount(line.unit_price),
        "discount": _json_discount(line.discount),
        "gross": to_json_amount(totals.gross),
        "line_discount": to_json_amount(totals.line_discount),
        "order_discount_share": to_json_amount(totals.order_discount_share),
        "final": to_json_amount(totals.final),
        "vat_rate": to_json_rate(totals.vat_rate),
        "vat": to_json_amount(totals.vat),
        "excl_vat": to_json_amount(totals.excl_vat),
    }


def _json_discount(discount: Discount | None) -> JsonValue:
    if discount is None:
        return None
    if discount.percent is not None:
        return {"rate": to_json_rate(discount.percent)}
    return {"amount": to_json_amount(discount.cents or 0)}
