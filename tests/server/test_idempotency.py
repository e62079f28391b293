"""Idempotency keys, on both databases: a call sent again with the same key gets the first answer
back, byte for byte, and has no second effect, also after the server restarts."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.db import Database
from server.deps import Services
from server.idempotency import IdempotencyRecord
from tests.server.helpers import Till, enroll, enrollment_code, error_of

REPLAYED = "Idempotent-Replayed"


def twice(till: Till, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
    """Send the call twice with `key`; check the second is the first replayed; the first back."""
    headers = {"Idempotency-Key": key}
    first = till.request(method, path, headers=headers, **kwargs)
    assert first.status_code < 300, first.text
    assert REPLAYED not in first.headers
    second = till.request(method, path, headers=headers, **kwargs)
    assert_replay(first, second)
    return first


def assert_replay(first: httpx.Response, second: httpx.Response) -> None:
    assert second.status_code == first.status_code
    assert second.content == first.content
    assert second.headers[REPLAYED] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]


def stored(services: Services, scope: str, key: str) -> IdempotencyRecord:
    with services.database.reader() as session:
        row = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        ).one()
    return row


def test_each_order_change_happens_once(cashier: Till) -> None:
    created = twice(cashier, "POST", "/orders", "create-1", json={"register_id": "R1"})
    assert created.status_code == 201
    order_id = created.json()["id"]
    assert [row["id"] for row in cashier.ok("GET", "/orders")] == [order_id]

    line = {"article_id": "croissant", "quantity": "2"}
    twice(cashier, "POST", f"/orders/{order_id}/lines", "line-1", json=line)
    order = cashier.ok("GET", f"/orders/{order_id}")
    assert len(order["lines"]) == 1 and order["final_price"] == "2.40"
    # The same body under another key is another line.
    cashier.ok("POST", f"/orders/{order_id}/lines", json=line, headers={"Idempotency-Key": "l-2"})
    line_id = cashier.ok("GET", f"/orders/{order_id}")["lines"][1]["id"]
    twice(cashier, "DELETE", f"/orders/{order_id}/lines/{line_id}", "remove-1")
    assert len(cashier.ok("GET", f"/orders/{order_id}")["lines"]) == 1

    payment = {"mode": "cash", "amount": "1.00"}
    twice(cashier, "POST", f"/orders/{order_id}/payments", "pay-1", json=payment)
    order = cashier.ok("GET", f"/orders/{order_id}")
    assert [p["amount"] for p in order["payments"]] == ["1.00"]
    assert order["amount_due"] == "1.40"
    rest = {"mode": "card", "amount": "1.40"}
    twice(cashier, "POST", f"/orders/{order_id}/payments", "pay-2", json=rest)
    assert len(cashier.ok("GET", f"/orders/{order_id}")["payments"]) == 2

    validated = twice(cashier, "POST", f"/orders/{order_id}/validate", "validate-1").json()
    assert validated["internal_number"] == 1
    assert validated["chain_heads"]["payment"]["seq"] == 2
    # No second seal: the next sale is number 2 and the chains are whole.
    assert cashier.sale("eau")["internal_number"] == 2
    report = cashier.ok("GET", "/verification/chains")
    assert report["ok"] is True
    assert (report["chains"]["order"]["records"], report["chains"]["payment"]["records"]) == (2, 3)


def test_a_replay_answers_even_once_the_order_moved_on(cashier: Till) -> None:
    order = cashier.new_order()
    line = cashier.request(
        "POST",
        f"/orders/{order['id']}/lines",
        json={"article_id": "eclair"},
        headers={"Idempotency-Key": "late-line"},
    )
    assert line.status_code == 200
    cashier.pay(order["id"], "card", "3.40")
    cashier.validate(order["id"])
    # The order is validated now; the retried call still gets its first answer, not a 409.
    again = cashier.request(
        "POST",
        f"/orders/{order['id']}/lines",
        json={"article_id": "eclair"},
        headers={"Idempotency-Key": "late-line"},
    )
    assert_replay(line, again)
    assert len(cashier.ok("GET", f"/orders/{order['id']}")["lines"]) == 1


def test_a_key_is_for_one_request_only(cashier: Till) -> None:
    order = cashier.new_order()
    path = f"/orders/{order['id']}/lines"
    headers = {"Idempotency-Key": "one-key"}
    cashier.ok("POST", path, json={"article_id": "croissant"}, headers=headers)
    message = error_of(
        cashier.request("POST", path, json={"article_id": "baguette"}, headers=headers),
        409,
        "idempotency_key_reused",
    )
    assert "Idempotency-Key" in message
    error_of(
        cashier.request("POST", "/orders", json={"register_id": "R1"}, headers=headers),
        409,
        "idempotency_key_reused",
    )
    assert [
        line["article_id"] for line in cashier.ok("GET", f"/orders/{order['id']}")["lines"]
    ] == ["croissant"]


def test_errors_are_not_kept(cashier: Till) -> None:
    """Nothing happened on an error, so the same call with the same key may simply be retried."""
    order = cashier.new_order()
    order = cashier.add(order["id"], "quiche")
    headers = {"Idempotency-Key": "validate-when-paid"}
    path = f"/orders/{order['id']}/validate"
    error_of(cashier.request("POST", path, headers=headers), 409, "order_not_fully_paid")
    cashier.pay(order["id"], "card", "4.80")
    response = cashier.request("POST", path, headers=headers)
    assert response.status_code == 200 and REPLAYED not in response.headers
    assert response.json()["internal_number"] == 1


def test_keys_belong_to_one_till(client: TestClient, services: Services, cashier: Till) -> None:
    other = enroll(client, services, cashier.shop_id).log_in("u-lea")
    headers = {"Idempotency-Key": "same-key"}
    mine = cashier.request("POST", "/orders", json={"register_id": "R1"}, headers=headers)
    theirs = other.request("POST", "/orders", json={"register_id": "R1"}, headers=headers)
    assert theirs.status_code == 201 and REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_bad_keys_are_refused(cashier: Till) -> None:
    for key in (b"x" * 201, "clé".encode("latin-1"), b""):
        response = cashier.request(
            "POST", "/orders", json={"register_id": "R1"}, headers={"Idempotency-Key": key}
        )
        error_of(response, 422, "invalid")
    assert cashier.ok("GET", "/orders") == []


def test_replays_survive_a_restart(services: Services, cashier: Till) -> None:
    order = cashier.new_order()
    order = cashier.add(order["id"], "formule")
    headers = {"Idempotency-Key": "pay-before-restart"}
    payment = {"mode": "card", "amount": "11.50"}
    path = f"/orders/{order['id']}/payments"
    first = cashier.request("POST", path, json=payment, headers=headers)
    assert first.status_code == 200
    validated = cashier.request(
        "POST", f"/orders/{order['id']}/validate", headers={"Idempotency-Key": "v"}
    )

    # Another server process on the same database, with the same settings.
    database = Database(services.settings.url)
    try:
        restarted = create_app(services.settings, database)
        with TestClient(restarted) as client:
            till = Till(client, cashier.shop_id, cashier.device_token, cashier.session_token)
            assert_replay(first, till.request("POST", path, json=payment, headers=headers))
            assert_replay(
                validated,
                till.request(
                    "POST", f"/orders/{order['id']}/validate", headers={"Idempotency-Key": "v"}
                ),
            )
            error_of(
                till.request("POST", path, json={**payment, "mode": "cash"}, headers=headers),
                409,
                "idempotency_key_reused",
            )
            assert len(till.ok("GET", f"/orders/{order['id']}")["payments"]) == 1
    finally:
        database.dispose()


def test_enrollment_replays_the_same_token_kept_encrypted(
    client: TestClient, services: Services, shop_id: str
) -> None:
    code = enrollment_code(services, shop_id)
    headers = {"Idempotency-Key": "enroll-once"}
    body = {"code": code, "name": "Caisse 1"}
    first = client.post("/devices/enroll", json=body, headers=headers)
    assert first.status_code == 201, first.text
    second = client.post("/devices/enroll", json=body, headers=headers)
    assert_replay(first, second)
    token = first.json()["device_token"]

    row = stored(services, "enroll", "enroll-once")
    assert token not in row.body and first.json()["device_id"] not in row.body
    assert code not in row.body and first.content.decode() != row.body
    # One device only, and it works.
    Till(client, shop_id, token).log_in("u-karim")
    # Another till cannot use the code, with or without the key.
    error_of(
        client.post("/devices/enroll", json={**body, "name": "Caisse 2"}, headers=headers),
        409,
        "idempotency_key_reused",
    )
    error_of(client.post("/devices/enroll", json=body), 401, "unauthorized")


def test_login_replays_the_same_session_kept_encrypted(
    device: Till, services: Services, manager: Till
) -> None:
    headers = {"Idempotency-Key": "login-once"}
    login = {"user_id": "u-karim", "pin": "1111"}
    first = device.request("POST", "/sessions", json=login, headers=headers)
    assert first.status_code == 201, first.text
    assert_replay(first, device.request("POST", "/sessions", json=login, headers=headers))
    token = first.json()["session_token"]
    assert Till(device.client, device.shop_id, device.device_token, token).ok("GET", "/me")

    device_id = device.ok("GET", "/me", headers={"Authorization": f"Bearer {token}"})["device_id"]
    row = stored(services, device_id, "login-once")
    assert token not in row.body and "u-karim" not in row.body
    # Nor can the PIN be found back from the request's fingerprint by trying the 10 000 PINs:
    # the fingerprint is keyed.
    sent = first.request.content
    for pin in ("1111", "0000"):
        guess = sent.replace(b'"1111"', f'"{pin}"'.encode())
        plain = hashlib.sha256(b"\0".join([b"POST", b"/sessions", guess])).hexdigest()
        assert plain != row.request_hash

    # A wrong PIN under a key is not kept: the right one may follow under the same key.
    wrong = device.request(
        "POST", "/sessions", json={**login, "pin": "0001"}, headers={"Idempotency-Key": "retry"}
    )
    error_of(wrong, 401, "unauthorized")
    retried = device.request(
        "POST", "/sessions", json={**login, "pin": "0001"}, headers={"Idempotency-Key": "retry"}
    )
    error_of(retried, 401, "unauthorized")

    code = manager.request("POST", "/enrollment-codes", headers={"Idempotency-Key": "code"})
    assert_replay(
        code, manager.request("POST", "/enrollment-codes", headers={"Idempotency-Key": "code"})
    )
    assert code.json()["code"] not in stored(services, device_id, "code").body
