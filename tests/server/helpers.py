"""Server test helpers: a shop per test, and a till that talks to the API like a real one."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient

from server.accounts.models import Role
from server.accounts.services import Actor, new_enrollment_code
from server.db import Database
from server.deps import Services
from server.registers import services as registers
from server.shops.services import ShopSetup, create_shop

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "shop.json"
PINS = {
    "u-claire": "1234",
    "u-karim": "1111",
    "u-lea": "2222",
    "u-compta": "0000",
    "u-admin": "9999",
}
TEST_PIN_COST = 10
DEMO_OPENING_HOUR: int = json.loads(DEMO.read_text(encoding="utf-8"))["shop"]["opening_hour"]


def demo_setup(shop_id: str) -> ShopSetup:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["shop"]["id"] = shop_id
    return ShopSetup.from_json(data)


def new_shop(services: Services, *, open_registers: bool = True, **shop_fields: Any) -> str:
    """A fresh demo shop with a unique id, so tests sharing a database never meet; its registers
    opened with a float of 100.00 € unless told otherwise."""
    shop_id = f"T-{uuid.uuid4().hex[:12]}"
    setup = demo_setup(shop_id)
    setup.shop.update(shop_fields)
    with services.database.transaction() as session:
        create_shop(session, services.keys, setup, pin_cost=TEST_PIN_COST)
    if open_registers:
        for register in setup.registers:
            open_register(services, shop_id, register["id"])
    return shop_id


def manager(shop_id: str) -> Actor:
    """The demo shop's manager, as a service sees her (for what tests do behind the API)."""
    return Actor(shop_id, "u-claire", "Claire", Role.MANAGER, "test-device")


def open_register(
    services: Services, shop_id: str, register_id: str, *, float_: int = 10_000, now: Any = None
) -> None:
    with services.database.transaction() as session:
        registers.open_register(
            session, services.keys, manager(shop_id), register_id, float_, now=now
        )


def enrollment_code(services: Services, shop_id: str) -> str:
    with services.database.transaction() as session:
        code, _ = new_enrollment_code(session, services.settings, shop_id, None)
    return code


@dataclass
class Till:
    """An enrolled till with a user logged in: the API as the cashier's screen uses it."""

    client: TestClient | httpx.Client
    shop_id: str
    device_token: str
    session_token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        headers = {"X-Device-Token": self.device_token}
        if self.session_token:
            headers["Authorization"] = f"Bearer {self.session_token}"
        return headers

    def log_in(self, user_id: str, pin: str | None = None) -> Till:
        response = self.client.post(
            "/sessions",
            json={"user_id": user_id, "pin": pin or PINS[user_id]},
            headers={"X-Device-Token": self.device_token},
        )
        assert response.status_code == 201, response.text
        return Till(self.client, self.shop_id, self.device_token, response.json()["session_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def new_order(self, register_id: str = "R1", **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok(
            "POST", "/orders", json={"register_id": register_id, **fields}
        )
        return result

    def add(self, order_id: str, article_id: str, quantity: str = "1", **fields: Any) -> Any:
        return self.ok(
            "POST",
            f"/orders/{order_id}/lines",
            json={"article_id": article_id, "quantity": quantity, **fields},
        )

    def pay(self, order_id: str, mode: str, amount: str) -> Any:
        return self.ok(
            "POST", f"/orders/{order_id}/payments", json={"mode": mode, "amount": amount}
        )

    def validate(self, order_id: str) -> Any:
        return self.ok("POST", f"/orders/{order_id}/validate")

    def sale(self, *articles: str, mode: str = "card") -> dict[str, Any]:
        """A whole sale: one line per article, paid in full with `mode`, validated."""
        order = self.new_order()
        for article in articles:
            order = self.add(order["id"], article)
        self.pay(order["id"], mode, order["final_price"])
        result: dict[str, Any] = self.validate(order["id"])
        return result


def enroll(client: TestClient | httpx.Client, services: Services, shop_id: str) -> Till:
    code = enrollment_code(services, shop_id)
    response = client.post("/devices/enroll", json={"code": code, "name": "Caisse test"})
    assert response.status_code == 201, response.text
    return Till(client, shop_id, response.json()["device_token"])


def fresh_database(database: Database) -> None:
    database.migrate()


def error_of(response: httpx.Response, status: int, code: str) -> str:
    """The message of an error answer, once its status, its code and its shape are checked."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert isinstance(message, str), body
    # Readable: a sentence for a person, not a bare status phrase or a Python dump.
    assert len(message) >= 15 and " " in message, message
    assert "Traceback" not in message and "{'" not in message, message
    return message


def other_shop_till(client: TestClient | httpx.Client, services: Services, user_id: str) -> Till:
    """A till of another, fresh shop, with `user_id` logged in on it."""
    return enroll(client, services, new_shop(services)).log_in(user_id)


def next_business_morning(days: int = 1) -> datetime:
    """07:00 in Paris on the business day `days` after today's, for the demo shop (its day starts
    at 06:00, so at 00:30 today's business day is still yesterday's)."""
    paris = ZoneInfo("Europe/Paris")
    today = (datetime.now(paris) - timedelta(hours=DEMO_OPENING_HOUR)).date()
    return datetime.combine(today + timedelta(days=days), time(7), tzinfo=paris)
