"""Registers and the closure obligation (seed 000 §3.2, `article_add_check.php`): orders only on
an open register, and only while the shop's daily, monthly or yearly Z is not overdue, a day
starting at the shop's opening hour."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from server.deps import Services
from server.registers.models import RegisterPeriod
from server.registers.services import overdue
from server.shops.models import Register, Shop
from tests.server.helpers import enroll, error_of, new_shop, open_register
from till.timestamps import utc_now

PARIS = ZoneInfo("Europe/Paris")


def shop(obligation: str, opening_hour: int = 6) -> Shop:
    return Shop(
        id="S", timezone="Europe/Paris", opening_hour=opening_hour, closure_obligation=obligation
    )


REGISTER = Register(shop_id="S", id="R1", name="Comptoir")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize(
    ("opened", "now", "due"),
    [
        # Opened late in the evening: the business day runs on past midnight to 6:00.
        ("2026-11-20 23:00", "2026-11-21 02:00", False),
        ("2026-11-20 23:00", "2026-11-21 05:59", False),
        ("2026-11-20 23:00", "2026-11-21 06:00", True),
        # Opened at 5:00, before the opening hour: that is still the day before.
        ("2026-11-21 05:00", "2026-11-21 06:30", True),
        ("2026-11-21 07:00", "2026-11-21 23:59", False),
    ],
)
def test_a_daily_z_is_due_when_the_business_day_changes(opened: str, now: str, due: bool) -> None:
    reason = overdue(shop("daily"), REGISTER, at(opened), at(now))
    assert (reason is not None) == due
    if due:
        assert reason is not None and "close it (Z)" in reason and "Comptoir" in reason


@pytest.mark.parametrize(
    ("opened", "now", "due"),
    [
        ("2026-11-02 09:00", "2026-11-30 22:00", False),
        ("2026-11-30 23:00", "2026-12-01 05:00", False),  # still 30 November's business day
        ("2026-11-30 23:00", "2026-12-01 07:00", True),
    ],
)
def test_a_monthly_z_is_due_when_the_month_changes(opened: str, now: str, due: bool) -> None:
    assert (overdue(shop("monthly"), REGISTER, at(opened), at(now)) is not None) == due


@pytest.mark.parametrize(
    ("opened", "now", "due"),
    [
        ("2025-11-21 09:00", "2026-11-21 08:59", False),
        ("2025-11-21 09:00", "2026-11-21 09:01", True),
        ("2024-02-29 09:00", "2025-02-28 09:01", True),
    ],
)
def test_a_yearly_z_is_due_a_year_after_opening(opened: str, now: str, due: bool) -> None:
    assert (overdue(shop("yearly"), REGISTER, at(opened), at(now)) is not None) == due


def test_no_obligation_never_forces_a_z() -> None:
    assert overdue(shop("none"), REGISTER, at("2020-01-01 09:00"), at("2026-11-21 09:00")) is None


def test_orders_wait_for_the_missed_z(client: TestClient, services: Services) -> None:
    shop_id = new_shop(services, open_registers=False)
    # Opened two days ago, never closed.
    open_register(services, shop_id, "R1", now=utc_now() - timedelta(days=2))
    cashier = enroll(client, services, shop_id).log_in("u-karim")
    [register, other] = cashier.ok("GET", "/registers")
    assert register["open"] and "close it (Z)" in register["closure_due"]
    assert not other["open"] and other["closure_due"] is None

    message = error_of(
        cashier.request("POST", "/orders", json={"register_id": "R1"}), 409, "closure_overdue"
    )
    assert "Comptoir" in message and "close it (Z)" in message
    message = error_of(
        cashier.request("POST", "/orders", json={"register_id": "R2"}), 409, "register_closed"
    )
    assert "open it" in message

    # The Z of the missed day, then a new opening: selling again.
    cashier.ok(
        "POST", "/registers/R1/close", json={"counted": {"cash": "100.00"}, "float_left": "80.00"}
    )
    opened = cashier.ok("POST", "/registers/R1/open", json={"float": "80.00"})
    assert opened["closure_due"] is None
    assert cashier.new_order("R1")["status"] == "open"


def test_an_order_left_open_across_the_day_is_sealed_after_the_z(
    client: TestClient, services: Services
) -> None:
    shop_id = new_shop(services, open_registers=False)
    cashier = enroll(client, services, shop_id).log_in("u-karim")
    open_register(services, shop_id, "R1")
    order = cashier.new_order()
    order = cashier.add(order["id"], "creme")
    cashier.pay(order["id"], "card", order["final_price"])
    # The day turns (the period is made to look opened yesterday).
    with services.database.transaction() as session:
        session.execute(
            update(RegisterPeriod)
            .where(RegisterPeriod.shop_id == shop_id)
            .values(opened_at=utc_now() - timedelta(days=1, hours=1))
        )
    error_of(cashier.request("POST", f"/orders/{order['id']}/validate"), 409, "closure_overdue")
    cashier.ok(
        "POST", "/registers/R1/close", json={"counted": {"cash": "100.00"}, "float_left": "0.00"}
    )
    cashier.ok("POST", "/registers/R1/open", json={"float": "0.00"})
    assert cashier.validate(order["id"])["status"] == "validated"


def test_drafts_are_imported_only_on_an_open_register(
    client: TestClient, services: Services
) -> None:
    shop_id = new_shop(services, open_registers=False)
    cashier = enroll(client, services, shop_id).log_in("u-karim")
    draft = {
        "id": str(uuid.uuid4()),
        "created_at": "2026-11-21T08:00:00Z",
        "register_id": "R1",
        "lines": [{"label": "Café", "unit_price": "1.80", "vat_rate": "10", "quantity": "1"}],
    }
    [result] = cashier.ok("POST", "/drafts/import", json={"drafts": [draft]})["results"]
    assert result["status"] == "rejected" and result["error"]["code"] == "register_closed"
    open_register(services, shop_id, "R1")
    [result] = cashier.ok("POST", "/drafts/import", json={"drafts": [draft]})["results"]
    assert result["status"] == "imported"


def test_cash_goes_in_and_out_of_an_open_register_only(
    client: TestClient, services: Services
) -> None:
    shop_id = new_shop(services, open_registers=False)
    cashier = enroll(client, services, shop_id).log_in("u-karim")
    movement = {"kind": "in", "amount": "50.00", "reason": "Monnaie de la banque"}
    error_of(
        cashier.request("POST", "/registers/R1/cash-movements", json=movement),
        409,
        "register_closed",
    )
    cashier.ok("POST", "/registers/R1/open", json={"float": "100.00"})
    assert cashier.ok("GET", "/registers/R1/cash-movements") == []
    made = cashier.ok("POST", "/registers/R1/cash-movements", json=movement)
    assert (made["kind"], made["amount"], made["reason"]) == ("in", "50.00", movement["reason"])
    out = cashier.ok(
        "POST", "/registers/R1/cash-movements", json={**movement, "kind": "out", "amount": "7.20"}
    )
    assert cashier.ok("GET", "/registers/R1/cash-movements") == [made, out]
    assert cashier.ok("GET", "/registers/R2/cash-movements") == []
    error_of(cashier.request("GET", "/registers/R9/cash-movements"), 404, "not_found")
    error_of(
        cashier.request("POST", "/registers/R1/open", json={"float": "10.00"}), 409, "register_open"
    )
    error_of(cashier.request("POST", "/registers/R2/open", json={"float": "-1.00"}), 422, "invalid")
    error_of(
        cashier.request("POST", "/registers/R1/cash-movements", json={**movement, "reason": "   "}),
        422,
        "invalid_request",
    )
    error_of(
        cashier.request("POST", "/registers/R9/open", json={"float": "1.00"}), 404, "not_found"
    )
