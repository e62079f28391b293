"""Every error the API gives, on both databases: a stable code, the right status, and a message a
cashier can read, always as `{"error": {"code", "message"}}`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.deps import Services
from tests.server.helpers import Till, error_of


@pytest.fixture
def order_id(cashier: Till) -> str:
    order: dict[str, Any] = cashier.add(cashier.new_order()["id"], "croissant")
    return str(order["id"])


def lines_of(till: Till, order_id: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = till.ok("GET", f"/orders/{order_id}")["lines"]
    return result


def test_an_unknown_article(cashier: Till, order_id: str) -> None:
    response = cashier.request("POST", f"/orders/{order_id}/lines", json={"article_id": "licorne"})
    assert "licorne" in error_of(response, 404, "not_found")
    assert len(lines_of(cashier, order_id)) == 1


def test_an_unknown_order(cashier: Till) -> None:
    response = cashier.request("GET", f"/orders/{'0' * 32}")
    assert "0" * 32 in error_of(response, 404, "not_found")


@pytest.mark.parametrize(
    "line",
    [
        {"label": "Remise", "unit_price": "-1.00", "vat_rate": "10"},
        {"article_id": "croissant", "unit_price": "-1.20"},
    ],
    ids=["free line", "catalog line"],
)
def test_a_negative_price(cashier: Till, order_id: str, line: dict[str, str]) -> None:
    response = cashier.request("POST", f"/orders/{order_id}/lines", json=line)
    assert "negative" in error_of(response, 422, "invalid_amount")
    assert len(lines_of(cashier, order_id)) == 1


def test_a_negative_catalog_price(manager: Till) -> None:
    article = {"label": "Avoir", "price": "-1.00", "vat_eat_in": "10"}
    response = manager.request("PUT", "/catalog/articles/avoir", json=article)
    assert "negative" in error_of(response, 422, "invalid_amount")


@pytest.mark.parametrize("quantity", ["0", "0.000", "-0", "1.2345", "abc", "100000"])
def test_a_bad_quantity(cashier: Till, order_id: str, quantity: str) -> None:
    response = cashier.request(
        "POST", f"/orders/{order_id}/lines", json={"article_id": "eau", "quantity": quantity}
    )
    assert quantity in error_of(response, 422, "invalid_quantity")
    line_id = lines_of(cashier, order_id)[0]["id"]
    response = cashier.request(
        "PATCH", f"/orders/{order_id}/lines/{line_id}", json={"quantity": quantity}
    )
    error_of(response, 422, "invalid_quantity")
    assert lines_of(cashier, order_id)[0]["quantity"] == "1.000"


@pytest.mark.parametrize("rate", ["7", "19.6", "8.5"])
def test_an_unknown_vat_rate(cashier: Till, order_id: str, rate: str) -> None:
    response = cashier.request(
        "POST",
        f"/orders/{order_id}/lines",
        json={"label": "Divers", "unit_price": "1.00", "vat_rate": rate},
    )
    message = error_of(response, 422, "unknown_vat_rate")
    assert rate in message and "5.5" in message
    response = cashier.request(
        "POST", f"/orders/{order_id}/lines", json={"article_id": "eau", "vat_rate": rate}
    )
    error_of(response, 422, "unknown_vat_rate")


def test_a_payment_on_a_validated_order(cashier: Till) -> None:
    order = cashier.sale("espresso")
    response = cashier.request(
        "POST", f"/orders/{order['id']}/payments", json={"mode": "cash", "amount": "1.00"}
    )
    assert "corrective order" in error_of(response, 409, "order_not_open")


@pytest.mark.parametrize(
    "body",
    [b'{"register_id": "R1"', b"register_id=R1", b'{"register_id": "R1",}', b"\xff\xfe"],
    ids=["truncated", "form", "trailing comma", "not utf-8"],
)
def test_malformed_json(cashier: Till, body: bytes) -> None:
    response = cashier.request(
        "POST", "/orders", content=body, headers={"Content-Type": "application/json"}
    )
    error_of(response, 400, "malformed_json")
    assert cashier.ok("GET", "/orders") == []


def test_an_oversized_body(cashier: Till, services: Services) -> None:
    limit = services.settings.max_body_bytes
    note = "x" * (limit + 1)
    declared = cashier.request("POST", "/orders", json={"register_id": "R1", "public_note": note})
    assert "KiB" in error_of(declared, 413, "body_too_large")

    def chunks() -> Iterator[bytes]:
        yield b'{"register_id": "R1", "public_note": "'
        for _ in range(limit // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    streamed = cashier.request(
        "POST", "/orders", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in {name.lower() for name in streamed.request.headers}
    error_of(streamed, 413, "body_too_large")
    bogus = cashier.request(
        "POST",
        "/orders",
        content=b'{"register_id": "R1"}',
        headers={"Content-Type": "application/json", "Content-Length": "-1"},
    )
    assert bogus.status_code in (400, 413)
    assert cashier.ok("GET", "/orders") == []


def test_an_unknown_route(client: TestClient, cashier: Till) -> None:
    error_of(client.get("/nowhere"), 404, "not_found")
    error_of(cashier.request("POST", "/orders/x/refunds"), 404, "not_found")
    error_of(cashier.request("PUT", "/orders"), 405, "method_not_allowed")


def test_an_invalid_request(cashier: Till, order_id: str) -> None:
    missing = cashier.request("POST", "/orders", json={})
    assert "register_id" in error_of(missing, 422, "invalid_request")
    extra = cashier.request("POST", "/orders", json={"register_id": "R1", "colour": "red"})
    assert "colour" in error_of(extra, 422, "invalid_request")
    # Amounts are strings with two decimals, never JSON numbers.
    number = cashier.request(
        "POST", f"/orders/{order_id}/payments", json={"mode": "cash", "amount": 1.2}
    )
    assert "amount" in error_of(number, 422, "invalid_request")
    text = cashier.request(
        "POST", f"/orders/{order_id}/payments", json={"mode": "cash", "amount": "1.2"}
    )
    error_of(text, 422, "invalid_amount")


def test_not_logged_in_and_not_allowed(client: TestClient, device: Till, accountant: Till) -> None:
    assert "PIN" in error_of(
        device.request("POST", "/orders", json={"register_id": "R1"}), 401, "unauthorized"
    )
    error_of(client.get("/me"), 401, "unauthorized")
    message = error_of(
        accountant.request("POST", "/orders", json={"register_id": "R1"}), 403, "forbidden"
    )
    assert "accountant" in message


def test_errors_carry_a_request_id(cashier: Till) -> None:
    response = cashier.request("GET", "/orders/none")
    assert response.status_code == 404
    assert len(response.headers["x-request-id"]) == 16
    assert response.headers["content-type"] == "application/json"
