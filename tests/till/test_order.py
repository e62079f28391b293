"""Tests of till.order: totals to the cent for any basket, refunds that cancel exactly, payments,
immutability after validation, and the sealed record."""

import json
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from till.errors import TillError
from till.fiscal.canonical import canonical_json
from till.money import InvalidAmount, InvalidQuantity, InvalidRate
from till.order import (
    CARD,
    CASH,
    CHEQUE,
    MEAL_VOUCHER,
    DeliveryMethod,
    Discount,
    DiscountTooLarge,
    DuplicateLine,
    InvalidPayment,
    LineNotFound,
    LineTotals,
    Order,
    OrderFullyPaid,
    OrderHasPayments,
    OrderLine,
    OrderTotals,
    OrderValidated,
    Payment,
    PaymentExceedsDue,
    PaymentMode,
    VatRates,
    compute_totals,
    refund_lines,
    to_record,
)
from till.timestamps import InvalidTimestamp
from till.vat import FRENCH_RATES, VatBreakdown

EAT_IN, TAKE_AWAY, DELIVERY = DeliveryMethod
TIMES = "\u00d7"

# --- Strategies -----------------------------------------------------------------------------

rates = st.sampled_from(FRENCH_RATES)
vat_rates = st.builds(VatRates, rates, st.none() | rates)
quantities = st.one_of(
    st.integers(-20, 50).filter(bool).map(Decimal),
    st.integers(-99999, 99999).filter(bool).map(lambda n: Decimal(n).scaleb(-3)),
    st.integers(-99_999_000, 99_999_000).filter(bool).map(lambda n: Decimal(n).scaleb(-3)),
)
rate_discounts = st.integers(0, 10000).map(lambda n: Discount.rate(Decimal(n).scaleb(-2)))


def discounts_on(base: int) -> st.SearchStrategy[Discount | None]:
    return st.none() | rate_discounts | st.integers(0, abs(base)).map(Discount.amount)


@st.composite
def order_lines(draw: st.DrawFn) -> OrderLine:
    line = OrderLine(
        article_id=draw(st.none() | st.sampled_from(["a1", "a2", "a3"])),
        label=draw(st.sampled_from(["Café", "Croissant", "Sandwich jambon-beurre", "Tomates"])),
        quantity=draw(quantities),
        unit_price=draw(st.integers(0, 100_000)),
        vat=draw(vat_rates),
    )
    return replace(line, discount=draw(discounts_on(line.gross)))


Basket = tuple[list[OrderLine], DeliveryMethod, Discount | None]


@st.composite
def baskets(draw: st.DrawFn) -> Basket:
    lines = draw(st.lists(order_lines(), min_size=1, max_size=30))
    net_total = sum(line.gross - line.line_discount for line in lines)
    return lines, draw(st.sampled_from(DeliveryMethod)), draw(discounts_on(net_total))


def check_invariants(totals: OrderTotals) -> None:
    lines = totals.lines
    assert sum(line.final for line in lines) == totals.final_price
    assert sum(row.incl for row in totals.vat) == totals.final_price
    assert sum(row.vat for row in totals.vat) == totals.total_vat
    assert totals.total_excl_vat + totals.total_vat == totals.final_price
    assert totals.initial_price - totals.total_discount == totals.final_price
    assert sum(line.gross for line in lines) == totals.initial_price
    for line in lines:
        assert line.excl_vat + line.vat == line.final
        assert line.gross - line.line_discount - line.order_discount_share == line.final
    for row in totals.vat:
        assert row.excl + row.vat == row.incl
        assert sum(line.vat for line in lines if line.vat_rate == row.rate) == row.vat
        assert sum(line.final for line in lines if line.vat_rate == row.rate) == row.incl
    assert [row.rate for row in totals.vat] == sorted(
        {line.vat_rate for line in lines}, reverse=True
    )


def check_opposite(original: LineTotals | VatBreakdown, refund: LineTotals | VatBreakdown) -> None:
    """Every amount negated, the rate kept."""
    for f in fields(original):
        value = getattr(original, f.name)
        assert getattr(refund, f.name) == (-value if isinstance(value, int) else value), f.name


def check_cancels(original: OrderTotals, refund: OrderTotals) -> None:
    for original_line, refund_line in zip(original.lines, refund.lines, strict=True):
        check_opposite(original_line, refund_line)
    for original_row, refund_row in zip(original.vat, refund.vat, strict=True):
        check_opposite(original_row, refund_row)
    for name in (
        "initial_price",
        "order_discount",
        "total_discount",
        "total_vat",
        "final_price",
        "total_excl_vat",
        "article_count",
    ):
        assert getattr(refund, name) == -getattr(original, name), name


# --- Properties -----------------------------------------------------------------------------


@settings(deadline=None)
@given(baskets())
def test_totals_add_up_to_the_cent(basket: Basket) -> None:
    check_invariants(compute_totals(*basket))


@settings(deadline=None)
@given(baskets(), st.sampled_from(DeliveryMethod))
def test_refund_cancels_exactly(basket: Basket, refund_delivery: DeliveryMethod) -> None:
    lines, delivery, discount = basket
    order = Order(lines=tuple(lines), delivery_method=delivery, order_discount=discount)
    refund = Order(
        lines=tuple(refund_lines(order)),
        delivery_method=delivery,
        order_discount=discount,
        corrects_order_id=order.id,
    )
    check_invariants(refund.totals)
    check_cancels(order.totals, refund.totals)
    # The refund's VAT is fixed to what was applied, so any delivery method gives the same.
    refund.set_delivery_method(refund_delivery)
    check_cancels(order.totals, refund.totals)


# --- Worked examples ------------------------------------------------------------------------


TEN_PERCENT = VatRates(Decimal(10))


def line(
    label: str,
    unit_price: int,
    quantity: str = "1",
    *,
    vat: VatRates = TEN_PERCENT,
    discount: Discount | None = None,
) -> OrderLine:
    return OrderLine(
        label=label, unit_price=unit_price, quantity=Decimal(quantity), vat=vat, discount=discount
    )


def cafe_order() -> Order:
    """Three coffees at 2,50 eaten in (10 %), 10 % off the order: 6,75."""
    order = Order()
    order.add_line(line("Café", 250, "3"))
    order.set_order_discount(Discount.rate(10))
    return order


def test_cafe_with_order_discount() -> None:
    totals = cafe_order().totals
    assert totals.lines == (
        LineTotals(
            gross=750,
            line_discount=0,
            order_discount_share=75,
            final=675,
            vat_rate=Decimal(10),
            vat=61,  # 675 * 10 / 110 = 61.36
            excl_vat=614,
        ),
    )
    assert totals.vat == (VatBreakdown(rate=Decimal(10), incl=675, vat=61, excl=614),)
    assert (totals.initial_price, totals.total_discount, totals.final_price) == (750, 75, 675)
    assert (totals.total_vat, totals.total_excl_vat) == (61, 614)
    assert (totals.article_count, totals.short_title) == (3, f"3 {TIMES} Café")


def test_sandwich_follows_the_delivery_method() -> None:
    order = Order()
    order.add_line(line("Sandwich", 500, vat=VatRates(Decimal(10), Decimal("5.5"))))
    assert (order.totals.lines[0].vat_rate, order.totals.total_vat) == (Decimal(10), 45)  # 45.45
    order.set_delivery_method(TAKE_AWAY)
    assert (order.totals.lines[0].vat_rate, order.totals.total_vat) == (Decimal("5.5"), 26)
    assert order.totals.total_excl_vat == 474
    order.set_delivery_method(DELIVERY)
    assert order.totals.vat == (VatBreakdown(rate=Decimal("5.5"), incl=500, vat=26, excl=474),)
    order.set_delivery_method(EAT_IN)
    assert order.totals.total_vat == 45


def test_order_discount_remainder_goes_to_the_first_line() -> None:
    twenty = VatRates(Decimal(20))
    lines = [line(label, 100, vat=twenty) for label in ("Thé", "Jus", "Eau")]
    totals = compute_totals(lines, EAT_IN, Discount.amount(100))
    # 100 / 3 = 33.33 each: 99, so the one cent left goes to the first line.
    assert [t.order_discount_share for t in totals.lines] == [34, 33, 33]
    assert [t.final for t in totals.lines] == [66, 67, 67]
    # 200 * 20 / 120 = 33.33; lines 11, 11.17, 11.17.
    assert totals.vat == (VatBreakdown(rate=Decimal(20), incl=200, vat=33, excl=167),)
    assert [t.vat for t in totals.lines] == [11, 11, 11]


def test_mixed_basket() -> None:
    five_five, twenty = VatRates(Decimal("5.5")), VatRates(Decimal(20))
    lines = [
        line("Croissant", 120, "2", vat=five_five, discount=Discount.rate(10)),
        line("Tomates", 399, "0.245", vat=five_five),  # 97.755 € cents
        line("Bière", 450, vat=twenty, discount=Discount.amount(50)),
    ]
    totals = compute_totals(lines, TAKE_AWAY, Discount.amount(100))
    assert [t.gross for t in totals.lines] == [240, 98, 450]
    assert [t.line_discount for t in totals.lines] == [24, 0, 50]
    # Nets 216, 98, 400 (714): shares 30.25, 13.73, 56.02.
    assert [t.order_discount_share for t in totals.lines] == [30, 14, 56]
    assert [t.final for t in totals.lines] == [186, 84, 344]
    assert totals.vat == (
        VatBreakdown(rate=Decimal(20), incl=344, vat=57, excl=287),  # 57.33
        VatBreakdown(rate=Decimal("5.5"), incl=270, vat=14, excl=256),  # 14.08
    )
    assert [t.vat for t in totals.lines] == [10, 4, 57]  # 9.70 and 4.38
    assert (totals.initial_price, totals.total_discount, totals.final_price) == (788, 174, 614)
    assert (totals.total_vat, totals.total_excl_vat) == (71, 543)
    assert (totals.article_count, totals.short_title) == (4, f"2 {TIMES} Croissant, Tomates, Bière")


def test_amount_discount_takes_the_sign_of_what_it_discounts() -> None:
    assert Discount.amount(50).of(200) == 50
    assert Discount.amount(50).of(-200) == -50
    assert Discount.rate("12.5").of(-100) == -13  # -12.5 rounds away from zero
    assert Discount.amount(0).of(0) == 0
    assert Discount.rate(10).of(0) == 0


def test_discount_errors() -> None:
    with pytest.raises(DiscountTooLarge) as raised:
        line("Café", 250, discount=Discount.amount(251))
    assert raised.value.code == "discount_too_large"
    with pytest.raises(DiscountTooLarge):
        line("Offert", 0, discount=Discount.amount(1))
    with pytest.raises(DiscountTooLarge):
        compute_totals([line("Café", 250), line("Café", 250, "-1")], EAT_IN, Discount.amount(1))
    with pytest.raises(InvalidAmount) as negative:
        Discount.amount(-1)
    assert negative.value.code == "invalid_amount"
    with pytest.raises(InvalidRate):
        Discount.rate("100,5")
    with pytest.raises(ValueError):
        Discount()


def test_line_errors() -> None:
    with pytest.raises(InvalidAmount):
        line("Café", -250)
    with pytest.raises(InvalidQuantity):
        line("Café", 250, "0")
    with pytest.raises(InvalidQuantity):
        line("Café", 250, "0.0001")
    with pytest.raises(InvalidRate):
        VatRates(Decimal(120))


def test_vat_rates() -> None:
    both = VatRates(Decimal(10), Decimal("5.5"))
    assert [both.rate_for(d) for d in DeliveryMethod] == [10, Decimal("5.5"), Decimal("5.5")]
    assert {VatRates(Decimal(20)).rate_for(d) for d in DeliveryMethod} == {20}


@pytest.mark.parametrize(
    ("labels", "title"),
    [
        (["Café", "Croissant", "Café"], f"2 {TIMES} Café, Croissant"),
        (["Thé", "Café", "Café", "Thé", "Eau"], f"2 {TIMES} Thé, 2 {TIMES} Café, Eau"),
        (
            ["Sandwich jambon-beurre", "Croque-monsieur", "Salade niçoise", "Café"],
            "Sandwich jambon-beurre, …",
        ),
        (
            ["Assiette de fromages affinés et charcuterie"],
            "Assiette de fromages affinés et charcut…",
        ),
    ],
)
def test_short_title(labels: list[str], title: str) -> None:
    totals = compute_totals([line(label, 100) for label in labels], EAT_IN, None)
    assert totals.short_title == title
    assert len(totals.short_title) <= 40


def test_article_count_counts_weighed_lines_once() -> None:
    lines = [line("Café", 250, "3"), line("Tomates", 399, "0.250"), line("Pommes", 299, "-1.5")]
    assert compute_totals(lines, EAT_IN, None).article_count == 3


# --- Editing --------------------------------------------------------------------------------


def test_lines_are_edited_by_id() -> None:
    order = Order()
    cafe, croissant = line("Café", 250), line("Croissant", 120)
    order.add_line(cafe)
    order.add_line(croissant)
    order.replace_line(replace(cafe, quantity=Decimal(2)))
    assert [(x.label, x.quantity) for x in order.lines] == [
        ("Café", Decimal(2)),
        ("Croissant", Decimal(1)),
    ]
    assert order.totals.final_price == 620
    order.remove_line(cafe.id)
    assert order.lines == (croissant,)
    with pytest.raises(LineNotFound) as missing:
        order.remove_line(cafe.id)
    assert missing.value.code == "line_not_found"
    with pytest.raises(DuplicateLine):
        order.add_line(croissant)


def test_refused_change_leaves_the_order_as_it_was() -> None:
    order = Order()
    cafe = line("Café", 250)
    order.add_line(cafe)
    order.add_line(line("Croissant", 120))
    order.set_order_discount(Discount.amount(300))
    before = (order.lines, order.totals)
    with pytest.raises(DiscountTooLarge):
        order.remove_line(cafe.id)
    assert (order.lines, order.totals) == before


def test_totals_are_computed_once_per_change() -> None:
    order = cafe_order()
    assert order.totals is order.totals
    order.lines = (*order.lines, line("Croissant", 120))
    assert order.totals.final_price == 783  # (750 + 120) less 10 %


ORDER_MUTATIONS: list[Callable[[Order], None]] = [
    lambda order: order.add_line(line("Croissant", 120)),
    lambda order: order.replace_line(replace(order.lines[0], quantity=Decimal(1))),
    lambda order: order.remove_line(order.lines[0].id),
    lambda order: order.set_delivery_method(TAKE_AWAY),
    lambda order: order.set_order_discount(None),
]


@pytest.mark.parametrize("mutate", ORDER_MUTATIONS)
def test_payments_freeze_the_lines(mutate: Callable[[Order], None]) -> None:
    order = cafe_order()
    order.add_payment(Payment(mode=CARD, amount=100))
    with pytest.raises(OrderHasPayments) as raised:
        mutate(order)
    assert raised.value.code == "order_has_payments"


@pytest.mark.parametrize("mutate", ORDER_MUTATIONS)
def test_validated_order_is_immutable(mutate: Callable[[Order], None]) -> None:
    order = cafe_order()
    order.validated_at = datetime.now(UTC)
    with pytest.raises(OrderValidated) as raised:
        mutate(order)
    assert raised.value.code == "order_validated"


def test_a_validated_order_is_paid_until_fully_paid_then_finished() -> None:
    order = cafe_order()
    order.validated_at = datetime.now(UTC)
    order.add_payment(Payment(mode=CARD, amount=600))
    assert not order.finished
    order.add_payment(Payment(mode=CASH, amount=100))
    assert (order.change_due, order.finished) == (25, True)
    with pytest.raises(OrderFullyPaid):
        order.add_payment(Payment(mode=CASH, amount=100))


# --- Payments -------------------------------------------------------------------------------


def test_split_payment_with_cash_change() -> None:
    order = cafe_order()
    assert (order.amount_due, order.first_payment_mode, order.is_fully_paid) == (675, None, False)
    order.add_payment(Payment(mode=CARD, amount=500))
    order.add_payment(Payment(mode=MEAL_VOUCHER, amount=100))
    assert (order.amount_paid, order.amount_due, order.change_due) == (600, 75, 0)
    order.add_payment(Payment(mode=CASH, amount=100))
    assert (order.amount_paid, order.amount_due, order.change_due) == (700, 0, 25)
    assert order.is_fully_paid
    assert order.first_payment_mode == CARD
    assert not order.finished
    order.validated_at = datetime.now(UTC)
    assert order.finished


@pytest.mark.parametrize("mode", [CARD, CHEQUE, MEAL_VOUCHER])
def test_only_change_giving_modes_overpay(mode: PaymentMode) -> None:
    order = cafe_order()
    with pytest.raises(PaymentExceedsDue) as raised:
        order.add_payment(Payment(mode=mode, amount=676))
    assert raised.value.code == "payment_exceeds_due"
    assert order.payments == ()


def test_fully_paid_order_refuses_payments() -> None:
    order = cafe_order()
    order.add_payment(Payment(mode=CARD, amount=675))
    with pytest.raises(OrderFullyPaid) as raised:
        order.add_payment(Payment(mode=CASH, amount=100))
    assert raised.value.code == "order_fully_paid"


def test_payment_must_go_the_way_of_the_amount_due() -> None:
    order = cafe_order()
    for amount in (0, -100):
        with pytest.raises(InvalidPayment) as raised:
            order.add_payment(Payment(mode=CASH, amount=amount))
        assert raised.value.code == "invalid_payment"


def test_refund_is_paid_back_with_negative_amounts() -> None:
    original = cafe_order()
    refund = Order(corrects_order_id=original.id, order_discount=original.order_discount)
    for refund_line in refund_lines(original):
        refund.add_line(refund_line)
    assert refund.is_refund and refund.totals.final_price == -675
    assert refund.amount_due == -675
    with pytest.raises(InvalidPayment):
        refund.add_payment(Payment(mode=CASH, amount=675))
    with pytest.raises(PaymentExceedsDue):
        refund.add_payment(Payment(mode=CASH, amount=-700))
    refund.add_payment(Payment(mode=CARD, amount=-600))
    refund.add_payment(Payment(mode=CASH, amount=-75))
    assert (refund.amount_due, refund.change_due, refund.is_fully_paid) == (0, 0, True)


def test_orders_with_nothing_to_pay() -> None:
    empty = Order()
    assert not empty.is_fully_paid
    with pytest.raises(InvalidPayment):
        empty.add_payment(Payment(mode=CASH, amount=100))
    free = Order()
    free.add_line(line("Verre d'eau", 0))
    assert free.is_fully_paid
    with pytest.raises(OrderFullyPaid):
        free.add_payment(Payment(mode=CASH, amount=100))


def test_payment_times_are_utc() -> None:
    paris = timezone(timedelta(hours=2))
    payment = Payment(mode=CASH, amount=100, paid_at=datetime(2024, 6, 1, 14, 0, tzinfo=paris))
    assert payment.paid_at == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert payment.paid_at.tzinfo is UTC
    with pytest.raises(InvalidTimestamp):
        Payment(mode=CASH, amount=100, paid_at=datetime(2024, 6, 1, 14, 0))


def test_errors_are_till_errors_with_distinct_codes() -> None:
    errors: list[type[TillError]] = [
        DiscountTooLarge,
        DuplicateLine,
        InvalidPayment,
        LineNotFound,
        OrderFullyPaid,
        OrderHasPayments,
        OrderValidated,
        PaymentExceedsDue,
    ]
    assert all(issubclass(error, TillError) for error in errors)
    assert len({error.code for error in errors}) == len(errors)


# --- Record ---------------------------------------------------------------------------------


def json_types_only(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_types_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_types_only(item) for item in value)
    return value is None or isinstance(value, str | int | bool)


def test_record() -> None:
    order = cafe_order()
    order.add_payment(
        Payment(mode=CASH, amount=1000, paid_at=datetime(2024, 6, 1, 12, 0, 5, tzinfo=UTC))
    )
    order.validated_at = datetime(2024, 6, 1, 14, 0, 6, 250000, tzinfo=timezone(timedelta(hours=2)))
    order.value_date = date(2024, 6, 1)
    order.internal_number = 42
    record = to_record(order)
    assert json_types_only(record)
    json.dumps(record, allow_nan=False)
    assert record["validated_at"] == "2024-06-01T12:00:06.250000Z"
    assert record["value_date"] == "2024-06-01"
    assert record["delivery_method"] == "eat_in"
    assert record["order_discount"] == {"rate": "10.00"}
    assert (record["final_price"], record["total_vat"], record["change_due"]) == (
        "6.75",
        "0.61",
        "3.25",
    )
    assert (record["finished"], record["is_refund"], record["first_payment_mode"]) == (
        True,
        False,
        "cash",
    )
    assert record["vat"] == [{"rate": "10.00", "incl": "6.75", "vat": "0.61", "excl": "6.14"}]
    assert record["lines"] == [
        {
            "id": order.lines[0].id,
            "article_id": None,
            "label": "Café",
            "department": None,
            "quantity": "3.000",
            "unit_price": "2.50",
            "discount": None,
            "gross": "7.50",
            "line_discount": "0.00",
            "order_discount_share": "0.75",
            "final": "6.75",
            "vat_rate": "10.00",
            "vat": "0.61",
            "excl_vat": "6.14",
        }
    ]
    assert record["payments"] == [
        {
            "id": order.payments[0].id,
            "mode": "cash",
            "mode_label": "Espèces",
            "amount": "10.00",
            "paid_at": "2024-06-01T12:00:05.000000Z",
        }
    ]
    assert "seal" not in record


@settings(deadline=None)
@given(baskets())
def test_any_record_is_json_ready(basket: Basket) -> None:
    lines, delivery, discount = basket
    record = to_record(Order(lines=tuple(lines), delivery_method=delivery, order_discount=discount))
    assert json_types_only(record)
    assert json.loads(canonical_json(record)) == record
