"""Enrollment, PIN log-in, sessions and roles through the API, on both databases; secrets never
reach the logs, and each shop only ever sees its own orders."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from server.accounts.models import Device, EnrollmentCode, User, UserSession
from server.accounts.services import token_hash
from server.deps import Services
from server.operations.logs import JsonFormatter
from tests.server.helpers import (
    PINS,
    Till,
    enroll,
    enrollment_code,
    error_of,
    new_shop,
    other_shop_till,
)
from till.timestamps import utc_now


def test_an_enrollment_code_enrolls_one_till_once(client: TestClient, services: Services) -> None:
    till = enroll(client, services, new_shop(services))
    code = enrollment_code(services, till.shop_id)
    first = client.post("/devices/enroll", json={"code": code, "name": "Caisse 2"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["shop"]["id"] == till.shop_id
    assert len(body["device_id"]) == 32 and len(body["device_token"]) >= 40

    again = client.post("/devices/enroll", json={"code": code, "name": "Caisse 3"})
    message = error_of(again, 401, "unauthorized")
    assert "already used" in message
    error_of(
        client.post("/devices/enroll", json={"code": "ABCDE-FGHJK", "name": "Caisse 4"}),
        401,
        "unauthorized",
    )
    # The new till works on its own.
    Till(client, till.shop_id, body["device_token"]).log_in("u-karim").ok("GET", "/me")


def test_an_enrollment_code_is_read_loosely(client: TestClient, services: Services) -> None:
    shop_id = new_shop(services)
    code = enrollment_code(services, shop_id)
    typed = " " + code.lower().replace("-", " ") + " "
    response = client.post("/devices/enroll", json={"code": typed, "name": "Caisse"})
    assert response.status_code == 201, response.text


def test_an_expired_enrollment_code_is_refused(client: TestClient, services: Services) -> None:
    shop_id = new_shop(services)
    code = enrollment_code(services, shop_id)
    with services.database.transaction() as session:
        session.execute(
            update(EnrollmentCode)
            .where(EnrollmentCode.shop_id == shop_id)
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    message = error_of(
        client.post("/devices/enroll", json={"code": code, "name": "Caisse"}), 401, "unauthorized"
    )
    assert "expired" in message


def test_managers_make_enrollment_codes(
    client: TestClient, manager: Till, cashier: Till, accountant: Till
) -> None:
    error_of(cashier.request("POST", "/enrollment-codes"), 403, "forbidden")
    error_of(accountant.request("POST", "/enrollment-codes"), 403, "forbidden")
    response = manager.request("POST", "/enrollment-codes")
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    assert len(code) == 11 and code[5] == "-"
    enrolled = client.post("/devices/enroll", json={"code": code, "name": "Terrasse"})
    assert enrolled.status_code == 201
    assert enrolled.json()["shop"]["id"] == manager.shop_id


def test_unknown_and_revoked_devices_are_refused(
    client: TestClient, services: Services, cashier: Till
) -> None:
    unknown = {"X-Device-Token": secrets.token_urlsafe(32)}
    error_of(client.get("/users"), 401, "unauthorized")
    error_of(client.get("/users", headers=unknown), 401, "unauthorized")
    error_of(client.get("/catalog", headers=unknown), 401, "unauthorized")
    error_of(
        client.post("/sessions", json={"user_id": "u-karim", "pin": "1111"}, headers=unknown),
        401,
        "unauthorized",
    )
    # A real session token on a device that is not the one it was opened on.
    error_of(
        client.get("/me", headers={**unknown, "Authorization": f"Bearer {cashier.session_token}"}),
        401,
        "unauthorized",
    )
    assert cashier.ok("GET", "/me")["user"]["id"] == "u-karim"

    with services.database.transaction() as session:
        session.execute(
            update(Device)
            .where(Device.token_hash == token_hash(cashier.device_token))
            .values(revoked_at=utc_now())
        )
    message = error_of(cashier.request("GET", "/me"), 401, "unauthorized")
    assert "revoked" in message
    error_of(cashier.request("GET", "/users"), 401, "unauthorized")
    error_of(cashier.request("POST", "/orders", json={"register_id": "R1"}), 401, "unauthorized")
    error_of(
        client.post(
            "/sessions",
            json={"user_id": "u-karim", "pin": "1111"},
            headers={"X-Device-Token": cashier.device_token},
        ),
        401,
        "unauthorized",
    )


def _log_in(device: Till, user_id: str, pin: str) -> int:
    response = device.client.post(
        "/sessions",
        json={"user_id": user_id, "pin": pin},
        headers={"X-Device-Token": device.device_token},
    )
    return response.status_code


def test_wrong_pins_lock_the_user_for_a_while(device: Till, services: Services) -> None:
    users = device.ok("GET", "/users")
    assert {user["id"] for user in users} == set(PINS)
    assert all(set(user) == {"id", "name", "role", "active"} for user in users)

    login = {"user_id": "u-lea", "pin": "9876"}
    for _ in range(4):
        message = error_of(device.request("POST", "/sessions", json=login), 401, "unauthorized")
        assert message == "Unknown user or wrong PIN."
    # An unknown user is answered exactly like a wrong PIN.
    unknown = device.request("POST", "/sessions", json={"user_id": "u-nobody", "pin": "9876"})
    assert error_of(unknown, 401, "unauthorized") == "Unknown user or wrong PIN."

    message = error_of(device.request("POST", "/sessions", json=login), 423, "user_locked")
    assert "locked" in message and "5 more minute" in message
    right = {"user_id": "u-lea", "pin": PINS["u-lea"]}
    error_of(device.request("POST", "/sessions", json=right), 423, "user_locked")
    # Other users are not held up.
    assert _log_in(device, "u-karim", PINS["u-karim"]) == 201

    with services.database.transaction() as session:
        session.execute(
            update(User)
            .where(User.shop_id == device.shop_id, User.id == "u-lea")
            .values(locked_until=utc_now() - timedelta(seconds=1))
        )
    assert _log_in(device, "u-lea", PINS["u-lea"]) == 201
    # The count starts again from zero after the lock and after each right PIN.
    for _ in range(4):
        assert _log_in(device, "u-lea", "9876") == 401
    assert _log_in(device, "u-lea", PINS["u-lea"]) == 201
    for _ in range(4):
        assert _log_in(device, "u-lea", "9876") == 401
    assert _log_in(device, "u-lea", "9876") == 423


def test_bad_pin_formats_are_refused_like_wrong_pins(device: Till) -> None:
    for pin in ("abcd", "1", "\u0661\u0661\u0661\u0661"):  # Arabic-Indic digits
        response = device.request("POST", "/sessions", json={"user_id": "u-karim", "pin": pin})
        error_of(response, 401, "unauthorized")


def test_sessions_expire(cashier: Till, services: Services) -> None:
    assert cashier.ok("GET", "/me")["user"]["role"] == "cashier"
    with services.database.transaction() as session:
        session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash(cashier.session_token))
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    message = error_of(cashier.request("GET", "/me"), 401, "unauthorized")
    assert "log in again" in message
    error_of(cashier.request("POST", "/orders", json={"register_id": "R1"}), 401, "unauthorized")


def test_a_session_lasts_the_configured_hours(device: Till, services: Services) -> None:
    response = device.request("POST", "/sessions", json={"user_id": "u-karim", "pin": "1111"})
    assert response.status_code == 201
    body = response.json()
    assert body["user"] == {"id": "u-karim", "name": "Karim", "role": "cashier", "active": True}
    assert body["shop_id"] == device.shop_id
    with services.database.reader() as session:
        row = session.get(UserSession, token_hash(body["session_token"]))
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(hours=services.settings.session_hours)


def test_log_out_ends_the_session(cashier: Till, device: Till) -> None:
    other = device.log_in("u-lea")
    response = cashier.request("DELETE", "/sessions/current")
    assert response.status_code == 204 and response.content == b""
    error_of(cashier.request("GET", "/me"), 401, "unauthorized")
    error_of(cashier.request("POST", "/orders", json={"register_id": "R1"}), 401, "unauthorized")
    assert cashier.request("DELETE", "/sessions/current").status_code == 204
    assert device.request("DELETE", "/sessions/current").status_code == 204
    # Only that session ends.
    assert other.ok("GET", "/me")["user"]["id"] == "u-lea"


def test_the_accountant_reads_everything_and_changes_nothing(
    cashier: Till, manager: Till, accountant: Till
) -> None:
    sale = cashier.sale("croissant", "creme")
    open_order = cashier.new_order()
    open_order = cashier.add(open_order["id"], "eau")

    assert accountant.ok("GET", f"/orders/{sale['id']}")["record"] == sale["record"]
    assert {row["id"] for row in accountant.ok("GET", "/orders")} == {sale["id"], open_order["id"]}
    assert accountant.ok("GET", "/me")["user"]["role"] == "accountant"
    assert accountant.ok("GET", "/shop")["id"] == accountant.shop_id
    assert [row["id"] for row in accountant.ok("GET", "/registers")] == ["R1", "R2"]
    assert accountant.ok("GET", "/verification/chains")["ok"] is True
    assert accountant.ok("GET", "/catalog")["articles"]

    order_id, line_id = open_order["id"], open_order["lines"][0]["id"]
    writes: list[tuple[str, str, object]] = [
        ("POST", "/orders", {"register_id": "R1"}),
        ("PATCH", f"/orders/{order_id}", {"table": "1"}),
        ("POST", f"/orders/{order_id}/lines", {"article_id": "eau"}),
        ("DELETE", f"/orders/{order_id}/lines/{line_id}", None),
        ("POST", f"/orders/{order_id}/payments", {"mode": "card", "amount": "2.00"}),
        ("POST", f"/orders/{order_id}/cancel", None),
        ("POST", f"/orders/{sale['id']}/refund", {"register_id": "R1"}),
        ("POST", "/users", {"id": "u-new", "name": "Nouveau", "role": "cashier", "pin": "4321"}),
        ("PATCH", "/users/u-karim", {"name": "K."}),
        ("PUT", "/catalog/articles/eau", {"label": "Eau", "price": "0.01", "vat_eat_in": "10"}),
        ("DELETE", "/catalog/articles/eau", None),
    ]
    for method, path, body in writes:
        message = error_of(accountant.request(method, path, json=body), 403, "forbidden")
        assert "accountant" in message
    assert cashier.ok("GET", f"/orders/{order_id}") == open_order


def test_managers_manage_users(manager: Till, cashier: Till, device: Till) -> None:
    new_user = {"id": "u-sam", "name": "Sam", "role": "cashier", "pin": "5678"}
    error_of(cashier.request("POST", "/users", json=new_user), 403, "forbidden")
    response = manager.request("POST", "/users", json=new_user)
    assert response.status_code == 201
    assert response.json() == {"id": "u-sam", "name": "Sam", "role": "cashier", "active": True}
    sam = device.log_in("u-sam", "5678")
    assert sam.ok("GET", "/me")["user"]["name"] == "Sam"
    error_of(manager.request("POST", "/users", json=new_user), 422, "invalid")
    admin = {**new_user, "id": "u-boss", "role": "admin"}
    error_of(manager.request("POST", "/users", json=admin), 403, "forbidden")
    error_of(manager.request("PATCH", "/users/u-sam", json={"role": "admin"}), 403, "forbidden")
    error_of(manager.request("PATCH", "/users/u-nobody", json={"name": "X"}), 404, "not_found")
    error_of(manager.request("PATCH", "/users/u-claire", json={"active": False}), 422, "invalid")

    assert manager.ok("PATCH", "/users/u-sam", json={"active": False})["active"] is False
    error_of(sam.request("GET", "/me"), 401, "unauthorized")
    assert _log_in(device, "u-sam", "5678") == 401
    assert "u-sam" not in {user["id"] for user in device.ok("GET", "/users")}
    manager.ok("PATCH", "/users/u-sam", json={"active": True, "pin": "8765"})
    assert _log_in(device, "u-sam", "5678") == 401
    assert _log_in(device, "u-sam", "8765") == 201


# ---------------------------------------------------------------------------- logs


def test_secrets_never_reach_the_logs(
    client: TestClient, services: Services, manager: Till, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("till")
    level = logger.level
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.DEBUG)
    try:
        secret_pin, wrong_pin = "73958142", "86420975"
        manager.ok(
            "POST",
            "/users",
            json={"id": "u-nina", "name": "Nina", "role": "cashier", "pin": secret_pin},
        )
        code = manager.ok("POST", "/enrollment-codes", headers={"Idempotency-Key": "code-1"})[
            "code"
        ]
        enrolled = client.post(
            "/devices/enroll",
            json={"code": code, "name": "Caisse 2"},
            headers={"Idempotency-Key": "enroll-1"},
        )
        device_token = enrolled.json()["device_token"]
        device = Till(client, manager.shop_id, device_token)
        assert _log_in(device, "u-nina", wrong_pin) == 401
        nina = device.log_in("u-nina", secret_pin)
        nina.sale("croissant")
        error_of(nina.request("GET", "/orders/nope"), 404, "not_found")
        nina.request("DELETE", "/sessions/current")
        error_of(nina.request("GET", "/me"), 401, "unauthorized")
        error_of(client.get("/me", headers={"X-Device-Token": "x" * 40}), 401, "unauthorized")
        records = list(caplog.records)
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)

    requests = [record for record in records if getattr(record, "event", None) == "request"]
    assert len(requests) >= 10
    formatter = JsonFormatter()
    text = "\n".join(
        [formatter.format(record) for record in records]
        + [repr(vars(record)) for record in records]
    )
    assert '"route":"/orders/{order_id}/validate"' in text  # route templates, not paths
    secrets_seen = {
        "PIN": secret_pin,
        "wrong PIN": wrong_pin,
        "enrollment code": code,
        "enrollment code, bare": code.replace("-", ""),
        "device token": device_token,
        "manager's device token": manager.device_token,
        "session token": nina.session_token,
        "manager's session token": manager.session_token,
    }
    for name, value in secrets_seen.items():
        assert value not in text, f"the {name} is in the logs"


# ---------------------------------------------------------------------------- shops


def test_a_shop_never_sees_another_shops_orders(
    client: TestClient, services: Services, cashier: Till, manager: Till
) -> None:
    other = other_shop_till(client, services, "u-claire")
    theirs = other.sale("baguette")
    their_open = other.new_order()
    their_open = other.add(their_open["id"], "eau")
    mine = cashier.sale("croissant")

    for order in (theirs, their_open):
        order_id = order["id"]
        line_id = order["lines"][0]["id"]
        attempts: list[tuple[Till, str, str, object]] = [
            (cashier, "GET", f"/orders/{order_id}", None),
            (cashier, "PATCH", f"/orders/{order_id}", {"table": "1"}),
            (cashier, "POST", f"/orders/{order_id}/lines", {"article_id": "eau"}),
            (cashier, "PATCH", f"/orders/{order_id}/lines/{line_id}", {"quantity": "2"}),
            (cashier, "DELETE", f"/orders/{order_id}/lines/{line_id}", None),
            (cashier, "POST", f"/orders/{order_id}/payments", {"mode": "cash", "amount": "9.00"}),
            (cashier, "POST", f"/orders/{order_id}/cancel", None),
            (cashier, "POST", f"/orders/{order_id}/validate", None),
            (manager, "POST", f"/orders/{order_id}/refund", {"register_id": "R1"}),
        ]
        for till, method, path, body in attempts:
            error_of(till.request(method, path, json=body), 404, "not_found")

    assert [row["id"] for row in cashier.ok("GET", "/orders")] == [mine["id"]]
    # Both shops have a T00000001: the search finds this shop's own.
    assert theirs["public_number"] == mine["public_number"]
    found = cashier.ok("GET", "/orders", params={"public_number": theirs["public_number"]})
    assert [row["id"] for row in found] == [mine["id"]]
    assert other.ok("GET", f"/orders/{their_open['id']}") == their_open
    # A session token only works on the device it was opened on.
    crossed = Till(client, cashier.shop_id, cashier.device_token, other.session_token)
    error_of(crossed.request("GET", "/me"), 401, "unauthorized")
