"""Drafts made offline, imported on reconnect, on both databases: each becomes an open order once,
a bad draft is reported without stopping the others, and a late one is flagged."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from tests.server.helpers import Till, error_of
from till.timestamps import to_utc_iso, utc_now


def draft(hours_ago: float = 1, **fields: Any) -> dict[str, Any]:
    """A draft as a till sends it: a croissant and two crèmes, at the prices it had then."""
    return {
        "id": str(uuid.uuid4()),
        "created_at": to_utc_iso(utc_now() - timedelta(hours=hours_ago)),
        "register_id": "R1",
        "lines": [
            {
                "id": uuid.uuid4().hex,
                "article_id": "croissant",
                "label": "Croissant",
                "quantity": "1",
                "unit_price": "1.10",
                "vat_rate": "10",
                "vat_take_away": "5.5",
            },
            {
                "article_id": "creme",
                "label": "Café crème",
                "quantity": "2",
                "unit_price": "3.20",
                "vat_rate": "10",
                "discount": {"rate": "10"},
            },
        ],
        **fields,
    }


def line(**fields: Any) -> dict[str, Any]:
    return {"label": "Article", "quantity": "1", "unit_price": "2.00", "vat_rate": "10", **fields}


def import_drafts(till: Till, *drafts: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = till.ok("POST", "/drafts/import", json={"drafts": drafts})[
        "results"
    ]
    assert [result["draft_id"] for result in results] == [d["id"] for d in drafts]
    return results


def test_drafts_become_open_orders(cashier: Till) -> None:
    first = draft(
        delivery_method="take_away",
        table="5",
        covers=2,
        customer_account="C-7",
        public_note="Pour emporter",
        private_note="Réseau coupé",
        order_discount={"amount": "0.50"},
    )
    second = draft(user_id="u-lea")
    results = import_drafts(cashier, first, second)
    assert [(r["status"], r["late"]) for r in results] == [("imported", False)] * 2

    order = cashier.ok("GET", f"/orders/{results[0]['order_id']}")
    assert order["status"] == "open" and order["draft_id"] == first["id"]
    assert order["internal_number"] is None and order["payments"] == []
    assert (order["delivery_method"], order["table"], order["covers"]) == ("take_away", "5", 2)
    assert (order["customer_account"], order["public_note"], order["private_note"]) == (
        "C-7",
        "Pour emporter",
        "Réseau coupé",
    )
    assert order["user_id"] == "u-karim"
    # The prices the till had when the draft was made; VAT for the order's delivery method.
    croissant, creme = order["lines"]
    assert (croissant["unit_price"], croissant["vat_rate"]) == ("1.10", "5.50")
    assert croissant["id"] != first["lines"][0]["id"]  # the server gives its own line ids
    assert (creme["quantity"], creme["line_discount"], creme["vat_rate"]) == (
        "2.000",
        "0.64",
        "10.00",
    )
    assert order["order_discount_amount"] == "0.50"
    assert order["final_price"] == "6.36"  # 1.10 + 6.40 - 0.64 - 0.50

    assert cashier.ok("GET", f"/orders/{results[1]['order_id']}")["user_id"] == "u-lea"

    # The cashier completes it, then it is paid and validated like any order.
    cashier.add(order["id"], "eau")
    cashier.pay(order["id"], "cash", "10.00")
    validated = cashier.validate(order["id"])
    assert validated["record"]["draft_id"] == first["id"]
    assert validated["change_due"] == "1.64"


def test_a_draft_is_imported_once(cashier: Till) -> None:
    one = draft()
    first = import_drafts(cashier, one)[0]
    assert first["status"] == "imported"
    two = draft()
    again = import_drafts(cashier, one, two)
    assert again[0] == {
        "draft_id": one["id"],
        "status": "already_imported",
        "order_id": first["order_id"],
    }
    assert again[1]["status"] == "imported"
    # Even once its order is validated, or with its content changed in between.
    cashier.pay(
        first["order_id"], "card", cashier.ok("GET", f"/orders/{first['order_id']}")["final_price"]
    )
    cashier.validate(first["order_id"])
    changed = {**one, "lines": [line()]}
    assert import_drafts(cashier, changed)[0]["order_id"] == first["order_id"]
    orders = cashier.ok("GET", "/orders")
    assert sorted(row["draft_id"] for row in orders) == sorted([one["id"], two["id"]])


def test_bad_drafts_are_rejected_one_by_one(cashier: Till) -> None:
    good = draft()
    bad = {
        "unknown_article": draft(lines=[line(article_id="licorne")]),
        "unknown_rate": draft(lines=[line(vat_rate="7")]),
        "zero_quantity": draft(lines=[line(), line(quantity="0")]),
        "negative_price": draft(lines=[line(unit_price="-2.00")]),
        "unknown_register": draft(register_id="R9"),
        "unknown_user": draft(user_id="u-nobody"),
        "accountant": draft(user_id="u-compta"),
        "discount": draft(lines=[line(discount={"amount": "3.00"})]),
    }
    codes = {
        "unknown_article": "not_found",
        "unknown_rate": "unknown_vat_rate",
        "zero_quantity": "invalid_quantity",
        "negative_price": "invalid_amount",
        "unknown_register": "not_found",
        "unknown_user": "not_found",
        "accountant": "invalid",
        "discount": "discount_too_large",
    }
    results = import_drafts(cashier, bad["unknown_article"], good, *list(bad.values())[1:])
    by_draft = {result["draft_id"]: result for result in results}
    assert by_draft[good["id"]]["status"] == "imported"
    for name, sent in bad.items():
        result = by_draft[sent["id"]]
        assert result["status"] == "rejected", (name, result)
        assert result["error"]["code"] == codes[name], (name, result)
        assert len(result["error"]["message"]) > 15
        assert "order_id" not in result
    # Nothing is left of the rejected drafts, and one may be sent again once put right.
    assert [row["draft_id"] for row in cashier.ok("GET", "/orders")] == [good["id"]]
    fixed = {**bad["unknown_rate"], "lines": [line(vat_rate="5.5")]}
    assert import_drafts(cashier, fixed)[0]["status"] == "imported"


def test_a_draft_older_than_20_hours_is_imported_late(cashier: Till) -> None:
    results = import_drafts(cashier, draft(hours_ago=19.9), draft(hours_ago=20.1), draft(72))
    assert [(r["status"], r["late"]) for r in results] == [
        ("imported", False),
        ("imported", True),
        ("imported", True),
    ]
    late = cashier.ok("GET", f"/orders/{results[2]['order_id']}")
    assert late["status"] == "open" and len(late["lines"]) == 2


def test_drafts_are_checked_as_a_whole_request(cashier: Till, accountant: Till) -> None:
    error_of(
        accountant.request("POST", "/drafts/import", json={"drafts": [draft()]}), 403, "forbidden"
    )
    error_of(cashier.request("POST", "/drafts/import", json={"drafts": []}), 422, "invalid_request")
    missing_price = draft(lines=[{"label": "Sans prix", "vat_rate": "10"}])
    error_of(
        cashier.request("POST", "/drafts/import", json={"drafts": [missing_price]}),
        422,
        "invalid_request",
    )
    assert cashier.ok("GET", "/orders") == []
