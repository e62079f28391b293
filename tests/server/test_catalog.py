"""The catalog through the API, on both databases: read whole with an ETag, changed by managers
entry by entry, each change a new version."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.helpers import Till, error_of

ARTICLE = {
    "label": "Chausson aux pommes",
    "price": "1.90",
    "vat_eat_in": "10",
    "vat_take_away": "5.5",
    "department_id": "viennoiserie",
    "plu": "403",
}


def catalog(till: Till, **headers: str) -> tuple[int, str, Any]:
    response = till.request("GET", "/catalog", headers=headers)
    body = response.json() if response.content else None
    return response.status_code, response.headers["ETag"], body


def article(body: dict[str, Any], article_id: str) -> dict[str, Any] | None:
    return next((row for row in body["articles"] if row["id"] == article_id), None)


def test_the_catalog_is_read_whole_by_an_enrolled_till(device: Till) -> None:
    status, tag, body = catalog(device)
    assert status == 200
    assert tag == '"catalog-1"' and body["version"] == 1
    croissant = article(body, "croissant")
    assert croissant == {
        "id": "croissant",
        "plu": "401",
        "barcode": None,
        "label": "Croissant",
        "department_id": "viennoiserie",
        "price": "1.20",
        "vat_eat_in": "10.00",
        "vat_take_away": "5.50",
        "sold_by_weight": False,
        "image": None,
        "position": 10,
    }
    water = article(body, "eau")
    assert water is not None and water["barcode"] == "3274080005003"
    assert [mode["code"] for mode in body["payment_modes"]] == [
        "cash",
        "card",
        "contactless",
        "cheque",
        "meal_voucher",
    ]
    assert body["payment_modes"][0]["gives_change"] is True
    assert [group["id"] for group in body["department_groups"]] == ["drinks", "bakery", "food"]
    assert {department["id"] for department in body["departments"]} >= {"hot", "viennoiserie"}


def test_an_unchanged_catalog_answers_304(device: Till) -> None:
    _, tag, _ = catalog(device)
    response = device.request("GET", "/catalog", headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == tag
    listed = device.request("GET", "/catalog", headers={"If-None-Match": f'"catalog-0", {tag}'})
    assert listed.status_code == 304
    stale = device.request("GET", "/catalog", headers={"If-None-Match": '"catalog-0"'})
    assert stale.status_code == 200 and stale.json()["version"] == 1


def test_each_change_by_a_manager_is_a_new_version(manager: Till, cashier: Till) -> None:
    _, first_tag, _ = catalog(manager)
    created = manager.ok("PUT", "/catalog/articles/chausson", json=ARTICLE)
    assert created["price"] == "1.90" and created["vat_take_away"] == "5.50"
    status, tag, body = catalog(manager, **{"If-None-Match": first_tag})
    assert status == 200 and tag == '"catalog-2"' and body["version"] == 2
    assert article(body, "chausson") == created

    # Sold at the new price straight away.
    order = cashier.new_order(delivery_method="take_away")
    order = cashier.add(order["id"], "chausson", "2")
    assert (order["final_price"], order["lines"][0]["vat_rate"]) == ("3.80", "5.50")

    changed = manager.ok("PUT", "/catalog/articles/chausson", json={**ARTICLE, "price": "2.10"})
    assert changed["price"] == "2.10"
    assert catalog(manager)[1] == '"catalog-3"'

    response = manager.request("DELETE", "/catalog/articles/chausson")
    assert response.status_code == 204
    status, tag, body = catalog(manager, **{"If-None-Match": '"catalog-3"'})
    assert (status, tag) == (200, '"catalog-4"')
    assert article(body, "chausson") is None
    error_of(manager.request("DELETE", "/catalog/articles/chausson"), 404, "not_found")
    error_of(
        cashier.request("POST", f"/orders/{order['id']}/lines", json={"article_id": "chausson"}),
        404,
        "not_found",
    )
    # The order that already has it keeps it, at the price it was sold at.
    assert cashier.ok("GET", f"/orders/{order['id']}")["lines"][0]["unit_price"] == "1.90"

    # Written again, it comes back.
    manager.ok("PUT", "/catalog/articles/chausson", json=ARTICLE)
    status, tag, body = catalog(manager)
    assert tag == '"catalog-5"' and article(body, "chausson") is not None


def test_departments_groups_and_payment_modes_are_managed_too(manager: Till) -> None:
    manager.ok("PUT", "/catalog/department-groups/sweets", json={"label": "Confiserie"})
    manager.ok("PUT", "/catalog/departments/candy", json={"label": "Bonbons", "group_id": "sweets"})
    manager.ok("PUT", "/catalog/payment-modes/gift", json={"label": "Carte cadeau"})
    manager.ok("PUT", "/catalog/articles/sucette", json={**ARTICLE, "department_id": "candy"})
    _, tag, body = catalog(manager)
    assert tag == '"catalog-5"'
    assert "sweets" in {group["id"] for group in body["department_groups"]}
    assert {"id": "candy", "label": "Bonbons", "group_id": "sweets", "position": 0} in body[
        "departments"
    ]
    assert "gift" in {mode["code"] for mode in body["payment_modes"]}

    assert manager.request("DELETE", "/catalog/payment-modes/gift").status_code == 204
    assert "gift" not in {mode["code"] for mode in catalog(manager)[2]["payment_modes"]}
    error_of(manager.request("DELETE", "/catalog/shelves/one"), 404, "not_found")
    error_of(
        manager.request("PUT", "/catalog/departments/x", json={"label": "X", "group_id": "none"}),
        404,
        "not_found",
    )
    error_of(
        manager.request(
            "PUT", "/catalog/articles/x", json={**ARTICLE, "department_id": "no-such-department"}
        ),
        404,
        "not_found",
    )
    assert catalog(manager)[1] == '"catalog-6"'


def test_only_managers_change_the_catalog(cashier: Till, device: Till) -> None:
    error_of(cashier.request("PUT", "/catalog/articles/chausson", json=ARTICLE), 403, "forbidden")
    error_of(cashier.request("DELETE", "/catalog/articles/croissant"), 403, "forbidden")
    error_of(
        cashier.request("PUT", "/catalog/payment-modes/gift", json={"label": "Cadeau"}),
        403,
        "forbidden",
    )
    # An enrolled till reads the catalog; changing it takes a logged-in manager.
    error_of(device.request("PUT", "/catalog/articles/chausson", json=ARTICLE), 401, "unauthorized")
    _, tag, body = catalog(cashier)
    assert tag == '"catalog-1"' and article(body, "chausson") is None
    assert article(body, "croissant") is not None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"vat_eat_in": "7"}, "unknown_vat_rate"),
        ({"vat_take_away": "8"}, "unknown_vat_rate"),
        ({"vat_eat_in": "dix"}, "invalid_rate"),
        ({"price": "-1.00"}, "invalid_amount"),
        ({"price": "1,90"}, "invalid_amount"),
        ({"price": "1.9"}, "invalid_amount"),
    ],
    ids=["eat-in rate", "take-away rate", "rate text", "negative", "comma", "one decimal"],
)
def test_bad_articles_are_refused(manager: Till, changes: dict[str, str], code: str) -> None:
    message = error_of(
        manager.request("PUT", "/catalog/articles/chausson", json={**ARTICLE, **changes}),
        422,
        code,
    )
    if code == "unknown_vat_rate":
        assert "5.5" in message and "20" in message
    _, tag, body = catalog(manager)
    assert tag == '"catalog-1"' and article(body, "chausson") is None


def test_article_ids_and_fields_are_checked(manager: Till) -> None:
    error_of(manager.request("PUT", "/catalog/articles/a b", json=ARTICLE), 422, "invalid_request")
    error_of(
        manager.request("PUT", "/catalog/articles/ok", json={**ARTICLE, "colour": "red"}),
        422,
        "invalid_request",
    )
    error_of(
        manager.request("PUT", "/catalog/articles/ok", json={**ARTICLE, "price": 1.9}),
        422,
        "invalid_request",
    )
