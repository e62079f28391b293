"""Orders through the API, on both databases: lines, VAT by delivery method, discounts, payments,
validation and numbering, the payment chain, refunds, cancellation, and the database triggers that
keep sealed rows as they were sealed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.deps import Services
from server.sealing.models import SealedRecordRow
from tests.server.helpers import DEMO, Till, enroll, error_of, new_shop
from till.money import parse_amount
from till.order import DeliveryMethod, Discount, Order, OrderLine, VatRates, to_record

ARTICLES: dict[str, dict[str, Any]] = {
    article["id"]: article for article in json.loads(DEMO.read_text("utf-8"))["articles"]
}
TOTALS = (
    "initial_price",
    "order_discount",
    "order_discount_amount",
    "total_discount",
    "total_excl_vat",
    "total_vat",
    "final_price",
    "article_count",
    "short_title",
    "vat",
)
LINE_TOTALS = (
    "article_id",
    "label",
    "quantity",
    "unit_price",
    "discount",
    "gross",
    "line_discount",
    "order_discount_share",
    "final",
    "vat_rate",
    "vat",
    "excl_vat",
)


def expected(
    lines: Sequence[tuple[str, str, Discount | None]],
    *,
    delivery: DeliveryMethod = DeliveryMethod.EAT_IN,
    order_discount: Discount | None = None,
) -> dict[str, Any]:
    """What the fiscal core computes for these (article, quantity, line discount) lines."""
    order = Order(delivery_method=delivery, order_discount=order_discount)
    for article_id, quantity, discount in lines:
        article = ARTICLES[article_id]
        order.add_line(
            OrderLine(
                article_id=article_id,
                label=article["label"],
                quantity=Decimal(quantity),
                unit_price=parse_amount(article["price"]),
                vat=VatRates(article["vat_eat_in"], article.get("vat_take_away")),
                discount=discount,
            )
        )
    return dict(to_record(order))


def assert_totals(answer: dict[str, Any], wanted: dict[str, Any]) -> None:
    for name in TOTALS:
        assert answer[name] == wanted[name], (name, answer[name], wanted[name])
    assert len(answer["lines"]) == len(wanted["lines"])
    for line, wanted_line in zip(answer["lines"], wanted["lines"], strict=True):
        for name in LINE_TOTALS:
            assert line[name] == wanted_line[name], (name, line[name], wanted_line[name])


def line_of(order: dict[str, Any], article_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        line for line in order["lines"] if line["article_id"] == article_id
    )
    return found


def sealed_records(services: Services, shop_id: str, chain: str) -> list[dict[str, Any]]:
    with services.database.reader() as session:
        bodies = session.scalars(
            select(SealedRecordRow.body)
            .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == chain)
            .order_by(SealedRecordRow.seq)
        ).all()
    return [orjson.loads(body) for body in bodies]


def paid_order(till: Till, *articles: str) -> dict[str, Any]:
    """An open order with these articles, paid in full by card, not validated."""
    order = till.new_order()
    for article in articles:
        order = till.add(order["id"], article)
    paid: dict[str, Any] = till.pay(order["id"], "card", order["final_price"])
    return paid


# ---------------------------------------------------------------------------- building


def test_an_order_keeps_its_table_covers_customer_and_notes(cashier: Till) -> None:
    order = cashier.new_order(
        delivery_method="take_away",
        table="12",
        covers=3,
        customer_account="C-0042",
        public_note="Sans gluten",
        private_note="Habitué du jeudi",
    )
    assert order["status"] == "open"
    assert order["register_id"] == "R1"
    assert order["user_id"] == "u-karim"
    assert order["shop_id"] == cashier.shop_id
    assert order["internal_number"] is None and order["public_number"] is None
    assert order["record"] is None
    assert (order["delivery_method"], order["table"], order["covers"]) == ("take_away", "12", 3)
    assert (order["customer_account"], order["public_note"], order["private_note"]) == (
        "C-0042",
        "Sans gluten",
        "Habitué du jeudi",
    )
    assert order["final_price"] == "0.00" and order["lines"] == []
    assert cashier.ok("GET", f"/orders/{order['id']}") == order

    changed = cashier.ok(
        "PATCH",
        f"/orders/{order['id']}",
        json={
            "table": "T4",
            "covers": 2,
            "customer_id_document": "CNI 123",
            "pager_number": 17,
            "public_note": "Bien cuit",
        },
    )
    assert (changed["table"], changed["covers"], changed["pager_number"]) == ("T4", 2, 17)
    assert changed["customer_id_document"] == "CNI 123"
    assert changed["public_note"] == "Bien cuit"
    assert changed["private_note"] == "Habitué du jeudi"  # absent: unchanged
    assert changed["revision"] == order["revision"] + 1

    cleared = cashier.ok(
        "PATCH",
        f"/orders/{order['id']}",
        json={"table": None, "covers": None, "customer_account": None, "private_note": None},
    )
    assert (cleared["table"], cleared["covers"], cleared["customer_account"]) == (None, None, None)
    assert cleared["private_note"] == ""
    assert cleared["pager_number"] == 17

    error_of(
        cashier.request("PATCH", f"/orders/{order['id']}", json={"delivery_method": None}),
        422,
        "invalid",
    )
    error_of(
        cashier.request("PATCH", f"/orders/{order['id']}", json={"delivery_method": "drone"}),
        422,
        "invalid",
    )
    error_of(cashier.request("POST", "/orders", json={"register_id": "R9"}), 404, "not_found")


def test_lines_are_added_changed_and_removed_with_the_fiscal_core_totals(cashier: Till) -> None:
    order = cashier.new_order()
    order_id = order["id"]
    order = cashier.add(order_id, "croissant", "3")
    order = cashier.add(order_id, "creme", "2", discount={"rate": "10"})
    order = cashier.add(order_id, "campagne", "0.750")
    order = cashier.add(order_id, "eau", discount={"amount": "0.30"})
    wanted = [
        ("croissant", "3", None),
        ("creme", "2", Discount.rate("10")),
        ("campagne", "0.750", None),
        ("eau", "1", Discount.amount(30)),
    ]
    assert_totals(order, expected(wanted))
    assert order["final_price"] == "16.16"
    assert order["amount_due"] == order["final_price"]
    assert line_of(order, "campagne")["gross"] == "5.10"

    creme = line_of(order, "creme")["id"]
    order = cashier.ok("PATCH", f"/orders/{order_id}/lines/{creme}", json={"quantity": "5"})
    wanted[1] = ("creme", "5", Discount.rate("10"))
    assert_totals(order, expected(wanted))

    order = cashier.ok(
        "PATCH", f"/orders/{order_id}/lines/{creme}", json={"discount": {"amount": "1.00"}}
    )
    wanted[1] = ("creme", "5", Discount.amount(100))
    assert_totals(order, expected(wanted))

    order = cashier.ok("PATCH", f"/orders/{order_id}/lines/{creme}", json={"remove_discount": True})
    wanted[1] = ("creme", "5", None)
    assert_totals(order, expected(wanted))

    croissant = line_of(order, "croissant")["id"]
    order = cashier.ok("DELETE", f"/orders/{order_id}/lines/{croissant}")
    del wanted[0]
    assert_totals(order, expected(wanted))
    assert cashier.ok("GET", f"/orders/{order_id}") == order

    error_of(
        cashier.request("DELETE", f"/orders/{order_id}/lines/{croissant}"), 404, "line_not_found"
    )
    error_of(
        cashier.request("PATCH", f"/orders/{order_id}/lines/{croissant}", json={"quantity": "2"}),
        404,
        "not_found",
    )
    # A line discount larger than the line is refused and changes nothing.
    eau = line_of(order, "eau")["id"]
    error_of(
        cashier.request(
            "PATCH", f"/orders/{order_id}/lines/{eau}", json={"discount": {"amount": "5.00"}}
        ),
        422,
        "discount_too_large",
    )
    assert cashier.ok("GET", f"/orders/{order_id}") == order


def test_free_lines_and_price_overrides(cashier: Till) -> None:
    order = cashier.new_order()
    order = cashier.ok(
        "POST",
        f"/orders/{order['id']}/lines",
        json={"label": "Gâteau sur commande", "unit_price": "24.00", "vat_rate": "5.5"},
    )
    order = cashier.add(order["id"], "baguette", unit_price="1.10")
    free, baguette = order["lines"]
    assert (free["label"], free["vat_rate"], free["final"]) == (
        "Gâteau sur commande",
        "5.50",
        "24.00",
    )
    assert baguette["unit_price"] == "1.10" and baguette["vat_rate"] == "10.00"
    assert order["final_price"] == "25.10"
    error_of(
        cashier.request("POST", f"/orders/{order['id']}/lines", json={"label": "Sans prix"}),
        422,
        "invalid",
    )


def test_the_delivery_method_picks_the_vat_rate(cashier: Till) -> None:
    order = cashier.new_order()
    for article in ("croissant", "baguette", "creme", "biere"):
        order = cashier.add(order["id"], article)
    lines = [(article, "1", None) for article in ("croissant", "baguette", "creme", "biere")]
    eat_in = expected(lines)
    assert_totals(order, eat_in)
    assert line_of(order, "croissant")["vat_rate"] == "10.00"
    assert [row["rate"] for row in order["vat"]] == ["20.00", "10.00"]

    order = cashier.ok("PATCH", f"/orders/{order['id']}", json={"delivery_method": "take_away"})
    take_away = expected(lines, delivery=DeliveryMethod.TAKE_AWAY)
    assert_totals(order, take_away)
    assert order["delivery_method"] == "take_away"
    assert line_of(order, "croissant")["vat_rate"] == "5.50"
    assert line_of(order, "baguette")["vat_rate"] == "5.50"
    assert line_of(order, "creme")["vat_rate"] == "10.00"  # same rate either way
    assert [row["rate"] for row in order["vat"]] == ["20.00", "10.00", "5.50"]
    # Prices are VAT included: the price stays, the VAT inside it changes.
    assert order["final_price"] == eat_in["final_price"] == "9.50"
    assert order["total_vat"] != eat_in["total_vat"]

    order = cashier.ok("PATCH", f"/orders/{order['id']}", json={"delivery_method": "delivery"})
    assert_totals(order, expected(lines, delivery=DeliveryMethod.DELIVERY))
    order = cashier.ok("PATCH", f"/orders/{order['id']}", json={"delivery_method": "eat_in"})
    assert_totals(order, eat_in)

    direct = cashier.new_order(delivery_method="take_away")
    direct = cashier.add(direct["id"], "croissant", "2")
    assert_totals(direct, expected([("croissant", "2", None)], delivery=DeliveryMethod.TAKE_AWAY))


def test_order_discounts_by_rate_and_by_amount(cashier: Till) -> None:
    order = cashier.new_order(delivery_method="take_away")
    order = cashier.add(order["id"], "croissant", "3")
    order = cashier.add(order["id"], "jus-orange", discount={"rate": "20"})
    order = cashier.add(order["id"], "eclair", "2")
    lines = [
        ("croissant", "3", None),
        ("jus-orange", "1", Discount.rate("20")),
        ("eclair", "2", None),
    ]
    path = f"/orders/{order['id']}"

    order = cashier.ok("PATCH", path, json={"order_discount": {"rate": "10"}})
    wanted = expected(lines, delivery=DeliveryMethod.TAKE_AWAY, order_discount=Discount.rate("10"))
    assert_totals(order, wanted)
    assert order["order_discount"] == {"rate": "10.00"}
    shares = [parse_amount(line["order_discount_share"]) for line in order["lines"]]
    assert sum(shares) == parse_amount(order["order_discount_amount"]) > 0

    order = cashier.ok("PATCH", path, json={"order_discount": {"amount": "2.00"}})
    wanted = expected(lines, delivery=DeliveryMethod.TAKE_AWAY, order_discount=Discount.amount(200))
    assert_totals(order, wanted)
    assert order["order_discount_amount"] == "2.00"
    assert sum(parse_amount(row["incl"]) for row in order["vat"]) == parse_amount(
        order["final_price"]
    )

    order = cashier.ok("PATCH", path, json={"order_discount": None})
    assert_totals(order, expected(lines, delivery=DeliveryMethod.TAKE_AWAY))
    assert order["order_discount"] is None and order["order_discount_amount"] == "0.00"

    before = cashier.ok("GET", path)
    error_of(
        cashier.request("PATCH", path, json={"order_discount": {"amount": "999.00"}}),
        422,
        "discount_too_large",
    )
    error_of(
        cashier.request("PATCH", path, json={"order_discount": {"rate": "10", "amount": "1.00"}}),
        422,
        "invalid",
    )
    error_of(
        cashier.request("PATCH", path, json={"order_discount": {"rate": "150"}}),
        422,
        "invalid_rate",
    )
    assert cashier.ok("GET", path) == before


# ---------------------------------------------------------------------------- payments


def test_split_payments_and_cash_change(cashier: Till, services: Services) -> None:
    order = cashier.new_order()
    for article in ("formule", "creme", "tarte-citron"):
        order = cashier.add(order["id"], article)
    assert order["final_price"] == "18.60"
    order_id = order["id"]

    order = cashier.pay(order_id, "meal_voucher", "9.00")
    assert (order["amount_paid"], order["amount_due"], order["is_fully_paid"]) == (
        "9.00",
        "9.60",
        False,
    )
    assert order["first_payment_mode"] == "meal_voucher"
    order = cashier.pay(order_id, "card", "5.00")
    error_of(
        cashier.request(
            "POST", f"/orders/{order_id}/payments", json={"mode": "cheque", "amount": "4.70"}
        ),
        422,
        "payment_exceeds_due",
    )
    order = cashier.pay(order_id, "cash", "10.00")
    assert (order["amount_paid"], order["amount_due"], order["change_due"]) == (
        "24.00",
        "0.00",
        "5.40",
    )
    assert order["is_fully_paid"] is True
    assert [(p["mode"], p["amount"]) for p in order["payments"]] == [
        ("meal_voucher", "9.00"),
        ("card", "5.00"),
        ("cash", "10.00"),
    ]
    assert order["payments"][0]["mode_label"] == "Titre-restaurant"

    # Fully paid: no payment can be added, none removed.
    error_of(
        cashier.request(
            "POST", f"/orders/{order_id}/payments", json={"mode": "card", "amount": "0.01"}
        ),
        409,
        "order_fully_paid",
    )
    error_of(
        cashier.request("DELETE", f"/orders/{order_id}/payments/{order['payments'][0]['id']}"),
        409,
        "payment_locked",
    )
    assert cashier.ok("GET", f"/orders/{order_id}")["payments"] == order["payments"]

    validated = cashier.validate(order_id)
    assert validated["status"] == "validated"
    assert validated["change_due"] == "5.40" and validated["finished"] is True
    record = validated["record"]
    assert record["chain"] == "order"
    assert record["change_due"] == "5.40"
    assert [p["amount"] for p in record["payments"]] == ["9.00", "5.00", "10.00"]

    payments = sealed_records(services, cashier.shop_id, "payment")
    assert [p["seq"] for p in payments] == [1, 2, 3]
    assert [(p["mode"], p["amount"], p["change"]) for p in payments] == [
        ("meal_voucher", "9.00", "0.00"),
        ("card", "5.00", "0.00"),
        ("cash", "10.00", "5.40"),
    ]
    for payment, stored in zip(payments, order["payments"], strict=True):
        assert payment["payment_id"] == stored["id"]
        assert payment["order_id"] == order_id
        assert payment["order_seq"] == record["seq"]
        assert payment["order_hash"] == record["hash"]
        assert payment["public_number"] == validated["public_number"]
    assert payments[1]["prev_hash"] == payments[0]["hash"]
    assert validated["chain_heads"]["payment"] == {"seq": 3, "hash": payments[2]["hash"]}
    assert cashier.ok("GET", "/verification/chains")["ok"] is True


def test_payments_while_not_fully_paid(cashier: Till) -> None:
    order = cashier.new_order()
    order_id = order["id"]
    error_of(
        cashier.request(
            "POST", f"/orders/{order_id}/payments", json={"mode": "card", "amount": "1.00"}
        ),
        422,
        "invalid_payment",
    )
    order = cashier.add(order_id, "quiche", "2")
    for body, status, code in (
        ({"mode": "card", "amount": "0.00"}, 422, "invalid_payment"),
        ({"mode": "card", "amount": "-1.00"}, 422, "invalid_payment"),
        ({"mode": "card", "amount": "9.61"}, 422, "payment_exceeds_due"),
        ({"mode": "bitcoin", "amount": "1.00"}, 404, "not_found"),
        ({"mode": "card", "amount": "1,00"}, 422, "invalid_amount"),
    ):
        error_of(cashier.request("POST", f"/orders/{order_id}/payments", json=body), status, code)

    order = cashier.pay(order_id, "card", "4.00")
    # With a payment on it, the order's content is frozen.
    error_of(
        cashier.request(
            "POST", f"/orders/{order_id}/lines", json={"article_id": "eau", "quantity": "1"}
        ),
        409,
        "order_has_payments",
    )
    error_of(
        cashier.request("PATCH", f"/orders/{order_id}", json={"delivery_method": "take_away"}),
        409,
        "order_has_payments",
    )
    error_of(cashier.request("POST", f"/orders/{order_id}/cancel"), 409, "payment_locked")
    # A payment entered by mistake is taken back while the order is not fully paid.
    order = cashier.ok("DELETE", f"/orders/{order_id}/payments/{order['payments'][0]['id']}")
    assert order["payments"] == [] and order["amount_due"] == "9.60"
    error_of(cashier.request("DELETE", f"/orders/{order_id}/payments/{'0' * 32}"), 404, "not_found")
    order = cashier.add(order_id, "eau")
    assert order["final_price"] == "11.60"


def test_validation_requires_full_payment(cashier: Till) -> None:
    order = cashier.new_order()
    error_of(cashier.request("POST", f"/orders/{order['id']}/validate"), 422, "invalid")
    order = cashier.add(order["id"], "jambon-beurre")
    message = error_of(
        cashier.request("POST", f"/orders/{order['id']}/validate"), 409, "order_not_fully_paid"
    )
    assert "5.20" in message
    cashier.pay(order["id"], "card", "5.00")
    message = error_of(
        cashier.request("POST", f"/orders/{order['id']}/validate"), 409, "order_not_fully_paid"
    )
    assert "0.20" in message
    cashier.pay(order["id"], "cash", "0.20")
    assert cashier.validate(order["id"])["internal_number"] == 1


def test_a_validated_order_never_changes(cashier: Till, manager: Till) -> None:
    order = cashier.sale("croissant", "creme", mode="cash")
    order_id = order["id"]
    line_id = order["lines"][0]["id"]
    payment_id = order["payments"][0]["id"]
    stored = cashier.ok("GET", f"/orders/{order_id}")
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", f"/orders/{order_id}", {"table": "7"}),
        ("PATCH", f"/orders/{order_id}", {"order_discount": {"rate": "50"}}),
        ("POST", f"/orders/{order_id}/lines", {"article_id": "eau"}),
        ("PATCH", f"/orders/{order_id}/lines/{line_id}", {"quantity": "3"}),
        ("DELETE", f"/orders/{order_id}/lines/{line_id}", None),
        ("POST", f"/orders/{order_id}/payments", {"mode": "cash", "amount": "1.00"}),
        ("DELETE", f"/orders/{order_id}/payments/{payment_id}", None),
        ("POST", f"/orders/{order_id}/cancel", None),
        ("POST", f"/orders/{order_id}/validate", None),
    ]
    for till in (cashier, manager):
        for method, path, body in attempts:
            message = error_of(till.request(method, path, json=body), 409, "order_not_open")
            assert "corrective" in message
    assert cashier.ok("GET", f"/orders/{order_id}") == stored
    assert stored["record"] == order["record"]


# ---------------------------------------------------------------------------- numbering


def test_numbers_are_gapless_per_shop(
    cashier: Till, client: TestClient, services: Services
) -> None:
    numbers = []
    for index in range(4):
        if index == 1:
            cancelled = cashier.new_order()
            cashier.ok("POST", f"/orders/{cancelled['id']}/cancel")
            cashier.add(cashier.new_order()["id"], "eau")  # left open
        order = cashier.sale("espresso")
        numbers.append((order["internal_number"], order["public_number"]))
        assert order["record"]["seq"] == order["internal_number"]
        assert order["record"]["public_number"] == order["public_number"]
    assert numbers == [(n, f"T{n:08d}") for n in (1, 2, 3, 4)]

    listed = cashier.ok("GET", "/orders", params={"status": "validated"})
    assert sorted(row["internal_number"] for row in listed) == [1, 2, 3, 4]
    found = cashier.ok("GET", "/orders", params={"public_number": "T00000003"})
    assert [row["internal_number"] for row in found] == [3]
    records = sealed_records(services, cashier.shop_id, "order")
    assert [record["seq"] for record in records] == [1, 2, 3, 4]
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(records))

    # Another shop has numbers of its own, from 1, with its own prefix.
    other_shop = new_shop(services, public_prefix="B")
    other = enroll(client, services, other_shop).log_in("u-karim")
    assert other.sale("espresso")["public_number"] == "B00000001"
    assert cashier.sale("espresso")["internal_number"] == 5


# ---------------------------------------------------------------------------- refunds


def test_a_refund_is_a_corrective_order(cashier: Till, manager: Till, services: Services) -> None:
    original = cashier.sale("croissant", "croissant", "creme", mode="card")
    path = f"/orders/{original['id']}/refund"
    error_of(cashier.request("POST", path, json={"register_id": "R1"}), 403, "forbidden")
    error_of(manager.request("POST", path, json={"register_id": "R9"}), 404, "not_found")

    response = manager.request("POST", path, json={"register_id": "R2"})
    assert response.status_code == 201, response.text
    refund = response.json()
    assert refund["status"] == "open"
    assert refund["corrects_order_id"] == original["id"]
    assert refund["register_id"] == "R2" and refund["user_id"] == "u-claire"
    assert [line["quantity"] for line in refund["lines"]] == ["-1.000", "-1.000", "-1.000"]
    assert refund["final_price"] == "-" + original["final_price"] == "-5.60"
    assert refund["total_vat"] == "-" + original["total_vat"]
    assert refund["is_refund"] is True
    assert refund["amount_due"] == "-5.60"

    # A partial refund: the cashier completes it, one croissant is kept.
    refund = cashier.ok("DELETE", f"/orders/{refund['id']}/lines/{refund['lines'][0]['id']}")
    assert refund["final_price"] == "-4.40"
    error_of(
        cashier.request(
            "POST", f"/orders/{refund['id']}/payments", json={"mode": "card", "amount": "4.40"}
        ),
        422,
        "invalid_payment",
    )
    refund = cashier.pay(refund["id"], "card", "-4.40")
    assert refund["is_fully_paid"] is True and refund["amount_due"] == "0.00"
    validated = cashier.validate(refund["id"])
    assert validated["internal_number"] == original["internal_number"] + 1
    record = validated["record"]
    assert record["corrects_order_id"] == original["id"]
    assert record["corrects_public_number"] == original["public_number"]
    assert record["is_refund"] is True and record["final_price"] == "-4.40"
    assert [line["quantity"] for line in record["lines"]] == ["-1.000", "-1.000"]
    payment = sealed_records(services, cashier.shop_id, "payment")[-1]
    assert (payment["amount"], payment["order_seq"]) == ("-4.40", record["seq"])

    # The original is untouched; what is left of it can still be refunded, and no more.
    assert cashier.ok("GET", f"/orders/{original['id']}")["record"] == original["record"]
    again = manager.ok("POST", path, json={"register_id": "R1"})
    cashier.pay(again["id"], "cash", again["final_price"])
    message = error_of(
        cashier.request("POST", f"/orders/{again['id']}/validate"), 409, "refund_too_large"
    )
    assert "1.20" in message
    assert cashier.ok("GET", "/verification/chains")["ok"] is True


def test_refunding_more_than_the_original_is_refused(cashier: Till, manager: Till) -> None:
    original = cashier.sale("eclair")
    refund = manager.ok("POST", f"/orders/{original['id']}/refund", json={"register_id": "R1"})
    refund = manager.add(refund["id"], "eclair", "-1")
    assert refund["final_price"] == "-6.80"
    refund = manager.pay(refund["id"], "card", "-6.80")
    error_of(manager.request("POST", f"/orders/{refund['id']}/validate"), 409, "refund_too_large")
    assert manager.ok("GET", f"/orders/{refund['id']}")["status"] == "open"

    open_order = cashier.new_order()
    error_of(
        manager.request("POST", f"/orders/{open_order['id']}/refund", json={"register_id": "R1"}),
        409,
        "order_not_open",
    )


def test_an_open_order_can_be_cancelled(cashier: Till) -> None:
    order = cashier.new_order(table="3")
    order = cashier.add(order["id"], "the")
    cancelled = cashier.ok("POST", f"/orders/{order['id']}/cancel")
    assert cancelled["status"] == "cancelled"
    assert cancelled["internal_number"] is None
    message = error_of(
        cashier.request("POST", f"/orders/{order['id']}/lines", json={"article_id": "eau"}),
        409,
        "order_not_open",
    )
    assert "cancelled" in message
    error_of(cashier.request("POST", f"/orders/{order['id']}/validate"), 409, "order_not_open")
    error_of(cashier.request("POST", f"/orders/{order['id']}/cancel"), 409, "order_not_open")
    listed = cashier.ok("GET", "/orders", params={"status": "cancelled"})
    assert [row["id"] for row in listed] == [order["id"]]


def test_orders_are_found_by_customer_and_by_time(cashier: Till) -> None:
    elodie = cashier.new_order(customer_account="Élodie Lefèvre")
    dupont = cashier.new_order(customer_account="C-0042 Dupont")
    martin = cashier.new_order(customer_account="C-0043 Martin")
    percent = cashier.new_order(customer_account="100% bio")
    later = cashier.new_order()

    def found(**params: str) -> list[str]:
        return [row["id"] for row in cashier.ok("GET", "/orders", params=params)]

    assert found(customer="dupont") == [dupont["id"]]
    assert cashier.ok("GET", "/orders", params={"customer": "DUPONT"})[0]["customer_account"] == (
        "C-0042 Dupont"
    )
    assert found(customer="%") == [percent["id"]]  # a wildcard is a character like any other
    assert found(customer="c-004") == [martin["id"], dupont["id"]]
    assert found(since=later["created_at"]) == [later["id"]]
    assert found(since=dupont["created_at"], before=later["created_at"]) == found()[1:4]
    assert found(customer="nobody") == []
    assert found(customer="élodie") == found(customer="LEFÈVRE") == [elodie["id"]]


# ---------------------------------------------------------------------------- triggers


@dataclass(frozen=True)
class Sealed:
    services: Services
    shop_id: str
    order_id: str
    open_order_id: str


@pytest.fixture(scope="module")
def sealed(app: FastAPI, client: TestClient) -> Sealed:
    """A validated sale, and an open order beside it, in a shop of this module's own."""
    services: Services = app.state.services
    till = enroll(client, services, new_shop(services)).log_in("u-karim")
    order = till.sale("croissant", "creme", mode="cash")
    open_order = till.new_order()
    till.add(open_order["id"], "eau")
    till.pay(open_order["id"], "card", "1.00")
    return Sealed(services, till.shop_id, order["id"], open_order["id"])


FORBIDDEN_STATEMENTS = {
    "update a sealed record": "UPDATE sealed_records SET seq = seq WHERE shop_id = :shop",
    "delete a sealed record": "DELETE FROM sealed_records WHERE shop_id = :shop",
    "update a validated order": "UPDATE orders SET table_name = 'X' WHERE id = :order",
    "delete a validated order": "DELETE FROM orders WHERE id = :order",
    "update its lines": "UPDATE order_lines SET quantity = '9.000' WHERE order_id = :order",
    "delete its lines": "DELETE FROM order_lines WHERE order_id = :order",
    "move its lines away": "UPDATE order_lines SET order_id = :open WHERE order_id = :order",
    "update its payments": "UPDATE payments SET amount = 1 WHERE order_id = :order",
    "delete its payments": "DELETE FROM payments WHERE order_id = :order",
    "insert a line": (
        "INSERT INTO order_lines (id, order_id, position, label, quantity, unit_price, vat_eat_in)"
        " VALUES (:new_id, :order, 99, 'Ajout', '1.000', 100, '10.00')"
    ),
    "insert a payment": (
        "INSERT INTO payments (id, order_id, position, mode, mode_label, gives_change, amount,"
        " paid_at) VALUES (:new_id, :order, 99, 'cash', 'Espèces', :yes, 100, '2026-01-01')"
    ),
}


def _run(sealed: Sealed, statement: str) -> None:
    with sealed.services.database.writer() as session:
        try:
            session.execute(
                text(statement),
                {
                    "shop": sealed.shop_id,
                    "order": sealed.order_id,
                    "open": sealed.open_order_id,
                    "new_id": "f" * 32,
                    "yes": True,
                },
            )
            session.flush()
        finally:
            session.rollback()


@pytest.mark.parametrize(
    "statement", FORBIDDEN_STATEMENTS.values(), ids=FORBIDDEN_STATEMENTS.keys()
)
def test_the_database_refuses_to_change_sealed_rows(sealed: Sealed, statement: str) -> None:
    with pytest.raises(DBAPIError, match="sealed rows cannot be changed"):
        _run(sealed, statement)


def test_the_database_lets_open_orders_change(sealed: Sealed) -> None:
    """The triggers hold validated orders only: the rows of an open order may change."""
    for statement in (
        "UPDATE orders SET table_name = 'X' WHERE id = :open",
        "UPDATE order_lines SET quantity = '2.000' WHERE order_id = :open",
        "UPDATE payments SET amount = 2 WHERE order_id = :open",
        "DELETE FROM payments WHERE order_id = :open",
    ):
        _run(sealed, statement)  # rolled back, but not refused


def test_postgresql_refuses_to_truncate_sealed_records(sealed: Sealed) -> None:
    if sealed.services.database.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="sealed rows cannot be changed"):
        _run(sealed, "TRUNCATE sealed_records")
