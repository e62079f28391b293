"""Z, X and the shop's closings: a full day at the register, figures recomputed independently
from the sealed records, grand totals carried over, missed days closed at start, and a chain's
end cut behind the server's back noticed from the last Z's heads."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import text, update

from server.closures.schedule import ShopClosings
from server.closures.services import close_due_periods
from server.deps import Services
from server.registers.services import business_day
from server.sealing.services import stored_records
from server.shops.models import Shop
from tests.server.helpers import Till, enroll, error_of, new_shop, next_business_morning
from tests.server.test_tamper import triggers_off
from till.money import from_json_amount, parse_rate, to_json_amount
from till.timestamps import utc_now

PARIS = ZoneInfo("Europe/Paris")
# (article, take-away?): 10 %, 5.5 % (take-away bakery) and 20 % (beer).
BASKETS = [
    [("creme", False), ("croissant", False)],
    [("baguette", True), ("campagne", True)],
    [("biere", False), ("jambon-beurre", False)],
    [("eclair", True), ("eau", True), ("espresso", False)],
    [("formule", False)],
    [("pain-choc", True), ("tarte-citron", True), ("biere", False)],
]


def records(services: Services, shop_id: str, chain: str) -> list[dict[str, Any]]:
    with services.database.reader() as session:
        return list(stored_records(session, shop_id, chain))


def recompute(
    services: Services, shop_id: str, register: str, orders_after: int, orders_upto: int
) -> dict[str, Any]:
    """The Z's figures, from the sealed orders and payments alone (seq range of the period)."""
    orders = [
        r
        for r in records(services, shop_id, "order")
        if r["register_id"] == register and orders_after < r["seq"] <= orders_upto
    ]
    seqs = {r["seq"] for r in orders}
    payments = [p for p in records(services, shop_id, "payment") if p["order_seq"] in seqs]
    net: dict[str, int] = defaultdict(int)
    for payment in payments:
        net[payment["mode"]] += from_json_amount(payment["amount"]) - from_json_amount(
            payment["change"]
        )
    vat: dict[Decimal, list[int]] = defaultdict(lambda: [0, 0, 0])
    for order in orders:
        for row in order["vat"]:
            sums = vat[parse_rate(row["rate"])]
            for index, name in enumerate(("excl", "vat", "incl")):
                sums[index] += from_json_amount(row[name])
    sales = [from_json_amount(o["final_price"]) for o in orders if not o["is_refund"]]
    refunds = [from_json_amount(o["final_price"]) for o in orders if o["is_refund"]]
    return {
        "sales_count": len(sales),
        "refunds_count": len(refunds),
        "period_total": sum(sales) + sum(refunds),
        "net": dict(net),
        "vat": {rate: sums for rate, sums in vat.items()},
    }


def sell(till: Till, rng: random.Random, index: int) -> dict[str, Any]:
    basket = BASKETS[index % len(BASKETS)]
    take_away = basket[0][1]
    order = till.new_order(delivery_method="take_away" if take_away else "eat_in")
    for article, _ in basket:
        order = till.add(order["id"], article, quantity=str(rng.randint(1, 3)))
    total = from_json_amount(order["final_price"])
    kind = index % 4
    if kind == 0:  # cash, with change
        till.pay(order["id"], "cash", to_json_amount(total + 500 - total % 500))
    elif kind == 1:
        till.pay(order["id"], "card", order["final_price"])
    elif kind == 2:  # split
        till.pay(order["id"], "meal_voucher", to_json_amount(total // 2))
        till.pay(order["id"], "cash", to_json_amount(total - total // 2 + 100))
    else:
        till.pay(order["id"], "contactless", order["final_price"])
    result: dict[str, Any] = till.validate(order["id"])
    return result


def figures_match(z: dict[str, Any], expected: dict[str, Any], extra_cash: int) -> None:
    assert z["sales_count"] == expected["sales_count"]
    assert z["refunds_count"] == expected["refunds_count"]
    assert from_json_amount(z["period_total"]) == expected["period_total"]
    assert {
        parse_rate(row["rate"]): [from_json_amount(row[n]) for n in ("excl", "vat", "incl")]
        for row in z["vat"]
    } == expected["vat"]
    modes = {row["mode"]: from_json_amount(row["expected"]) for row in z["modes"]}
    wanted = dict(expected["net"])
    wanted["cash"] = wanted.get("cash", 0) + extra_cash
    assert {mode: amount for mode, amount in modes.items() if amount or mode in wanted} == wanted


def test_a_full_day_at_the_register(client: TestClient, services: Services) -> None:
    shop_id = new_shop(services, open_registers=False)
    device = enroll(client, services, shop_id)
    cashier, manager = device.log_in("u-karim"), device.log_in("u-claire")
    rng = random.Random(4)

    error_of(cashier.request("POST", "/orders", json={"register_id": "R1"}), 409, "register_closed")
    opened = cashier.ok("POST", "/registers/R1/open", json={"float": "150.00"})
    assert opened["open"] and opened["float"] == "150.00" and opened["closure_due"] is None
    error_of(
        cashier.request("POST", "/registers/R1/open", json={"float": "1.00"}), 409, "register_open"
    )

    sales = [sell(cashier, rng, index) for index in range(50)]
    assert len({sale["public_number"] for sale in sales}) == 50

    # A refund of the third sale, paid back in cash.
    refund = manager.ok("POST", f"/orders/{sales[2]['id']}/refund", json={"register_id": "R1"})
    cashier.pay(refund["id"], "cash", refund["final_price"])
    cashier.validate(refund["id"])

    # Reprints: each a duplicata, numbered.
    copies = [cashier.ok("POST", f"/orders/{sales[0]['id']}/issuances", json={}) for _ in range(3)]
    assert [(c["copy"], c["duplicata"]) for c in copies] == [(1, False), (2, True), (3, True)]

    x = cashier.ok("POST", "/registers/R1/x-report")
    last_seq = records(services, shop_id, "order")[-1]["seq"]
    figures_match(x, recompute(services, shop_id, "R1", 0, last_seq), 15_000)
    assert x["type"] == "register_x" and x["float_left"] is None
    assert cashier.ok("GET", "/registers")[0]["open"] is True  # an X closes nothing

    movement = cashier.ok(
        "POST",
        "/registers/R1/cash-movements",
        json={"kind": "out", "amount": "20.00", "reason": "Achat de lait"},
    )
    assert movement["amount"] == "20.00"

    expected = recompute(services, shop_id, "R1", 0, last_seq)
    cash_expected = expected["net"]["cash"] + 15_000 - 2_000
    counted = {
        "cash": to_json_amount(cash_expected - 150),  # 1.50 € missing
        "card": to_json_amount(expected["net"]["card"]),
        "contactless": to_json_amount(expected["net"]["contactless"]),
        "meal_voucher": to_json_amount(expected["net"]["meal_voucher"]),
    }
    incomplete = {key: value for key, value in counted.items() if key != "card"}
    message = error_of(
        cashier.request(
            "POST", "/registers/R1/close", json={"counted": incomplete, "float_left": "150.00"}
        ),
        422,
        "invalid",
    )
    assert "Carte bancaire" in message
    closed = cashier.ok(
        "POST", "/registers/R1/close", json={"counted": counted, "float_left": "150.00"}
    )
    z = closed["closure"]
    assert closed["register"]["open"] is False
    figures_match(z, expected, 15_000 - 2_000)
    cash = next(row for row in z["modes"] if row["mode"] == "cash")
    assert cash["difference"] == "-1.50"
    assert all(row["difference"] == "0.00" for row in z["modes"] if row["mode"] != "cash")
    assert (z["float_at_opening"], z["float_left"]) == ("150.00", "150.00")
    assert (z["cash_out"], z["cash_in"]) == ("20.00", "0.00")
    assert [m["reason"] for m in z["cash_movements"]] == ["Achat de lait"]
    assert z["z_number"] == 1 and z["previous_grand_total"] == "0.00"
    assert z["grand_total"] == z["period_total"] == to_json_amount(expected["period_total"])
    heads = z["chain_heads"]
    assert heads["order"]["seq"] == last_seq
    assert heads["payment"] == {
        "seq": records(services, shop_id, "payment")[-1]["seq"],
        "hash": records(services, shop_id, "payment")[-1]["hash"],
    }
    error_of(cashier.request("POST", "/orders", json={"register_id": "R1"}), 409, "register_closed")

    # The next day: the grand total carries on.
    cashier.ok("POST", "/registers/R1/open", json={"float": "150.00"})
    sale = sell(cashier, rng, 1)  # by card
    z2 = cashier.ok(
        "POST",
        "/registers/R1/close",
        json={"counted": {"cash": "150.00", "card": sale["final_price"]}, "float_left": "100.00"},
    )["closure"]
    assert z2["z_number"] == 2 and z2["sales_count"] == 1
    assert z2["previous_grand_total"] == z["grand_total"]
    assert from_json_amount(z2["grand_total"]) == from_json_amount(
        z["grand_total"]
    ) + from_json_amount(sale["final_price"])
    assert cashier.ok("GET", "/closures", params={"register_id": "R1"}) == [z2, z]
    assert cashier.ok("GET", "/verification/chains")["ok"] is True


def test_a_z_counts_only_its_own_register_and_period(cashier: Till) -> None:
    cashier.sale("creme")  # R1
    order = cashier.new_order("R2")
    order = cashier.add(order["id"], "espresso")
    cashier.pay(order["id"], "card", order["final_price"])
    cashier.validate(order["id"])
    z = cashier.ok(
        "POST",
        "/registers/R2/close",
        json={"counted": {"cash": "100.00", "card": "1.80"}, "float_left": "100.00"},
    )["closure"]
    assert z["sales_count"] == 1 and z["period_total"] == "1.80"


def test_validation_waits_for_an_open_register(cashier: Till) -> None:
    """An order made before the Z is sealed in the next period, not slipped into a closed one."""
    order = cashier.new_order()
    order = cashier.add(order["id"], "creme")
    cashier.pay(order["id"], "card", order["final_price"])
    cashier.ok(
        "POST", "/registers/R1/close", json={"counted": {"cash": "100.00"}, "float_left": "0.00"}
    )
    error_of(cashier.request("POST", f"/orders/{order['id']}/validate"), 409, "register_closed")
    cashier.ok("POST", "/registers/R1/open", json={"float": "0.00"})
    assert cashier.validate(order["id"])["status"] == "validated"


def test_closing_refuses_what_cannot_be(cashier: Till) -> None:
    error_of(
        cashier.request(
            "POST",
            "/registers/R1/close",
            json={"counted": {"cash": "10.00"}, "float_left": "50.00"},
        ),
        422,
        "invalid",
    )
    error_of(
        cashier.request(
            "POST", "/registers/R1/close", json={"counted": {"gold": "1.00"}, "float_left": "0.00"}
        ),
        422,
        "invalid",
    )
    error_of(
        cashier.request(
            "POST", "/registers/R1/close", json={"counted": {"cash": "-1.00"}, "float_left": "0.00"}
        ),
        422,
        "invalid",
    )
    error_of(cashier.request("POST", "/registers/R9/close", json={}), 422, "invalid_request")
    error_of(
        cashier.request(
            "POST",
            "/registers/R1/cash-movements",
            json={"kind": "out", "amount": "0.00", "reason": "x"},
        ),
        422,
        "invalid",
    )


# ---------------------------------------------------------------------------- shop closings


def test_a_day_is_closed_once_it_has_ended(services: Services, cashier: Till) -> None:
    sales = [cashier.sale("creme", mode="cash"), cashier.sale("baguette", mode="card")]
    with services.database.transaction() as session:
        assert close_due_periods(session, services.keys, cashier.shop_id) == []
    with services.database.transaction() as session:
        [daily] = close_due_periods(
            session, services.keys, cashier.shop_id, now=next_business_morning()
        )
    day = daily.body
    assert day["type"] == "daily" and day["sales_count"] == 2
    total = sum(from_json_amount(sale["final_price"]) for sale in sales)
    assert from_json_amount(day["period_total"]) == total
    assert day["grand_total"] == day["period_total"]
    assert {row["mode"] for row in day["payments"]} == {"cash", "card"}
    assert day["chain_heads"]["order"]["seq"] == sales[-1]["record"]["seq"]
    # Asked again: nothing more to close.
    with services.database.transaction() as session:
        assert (
            close_due_periods(session, services.keys, cashier.shop_id, now=next_business_morning())
            == []
        )


def test_missed_days_months_and_years_are_closed_in_order(services: Services) -> None:
    shop_id = new_shop(services, open_registers=False)
    created = datetime(2025, 12, 29, 12, 0, tzinfo=PARIS)
    with services.database.transaction() as session:
        session.execute(update(Shop).where(Shop.id == shop_id).values(created_at=created))
    with services.database.transaction() as session:
        sealed = close_due_periods(
            session, services.keys, shop_id, now=datetime(2026, 2, 2, 7, 0, tzinfo=PARIS)
        )
    periods = [(r.body["type"], r.body["period"]) for r in sealed]
    assert periods[:4] == [
        ("daily", "2025-12-29"),
        ("daily", "2025-12-30"),
        ("daily", "2025-12-31"),
        ("monthly", "2025-12"),
    ]
    assert periods[4] == ("yearly", "2025")
    assert ("monthly", "2026-01") in periods and periods[-1] == ("daily", "2026-02-01")
    assert len([p for p in periods if p[0] == "daily"]) == 3 + 31 + 1
    seqs = [r.seq for r in sealed]
    assert seqs == sorted(seqs) and seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_the_server_closes_missed_days_at_start(services: Services) -> None:
    shop_id = new_shop(services, open_registers=False)
    three_days_ago = utc_now() - timedelta(days=3)
    with services.database.transaction() as session:
        session.execute(update(Shop).where(Shop.id == shop_id).values(created_at=three_days_ago))
        shop = session.get(Shop, shop_id)
        assert shop is not None
        today = business_day(shop, utc_now())
    ShopClosings(services.database, services.keys, 0).run_once([shop_id])
    closings = records(services, shop_id, "closure")
    days = [r["period"] for r in closings if r["type"] == "daily"]
    assert days == [(today - timedelta(days=n)).isoformat() for n in (3, 2, 1)]
    ShopClosings(services.database, services.keys, 0).run_once([shop_id])
    assert len(records(services, shop_id, "closure")) == len(closings)


# ---------------------------------------------------------------------------- truncation


def test_cutting_the_newest_orders_is_seen_from_the_last_z(
    services: Services, cashier: Till
) -> None:
    for _ in range(4):
        cashier.sale("creme")
    cashier.ok(
        "POST",
        "/registers/R1/close",
        json={"counted": {"cash": "100.00", "card": "12.80"}, "float_left": "0.00"},
    )
    assert cashier.ok("GET", "/verification/chains")["ok"] is True
    database = services.database
    # The last two orders go, their rows too, so only the Z remembers them.
    with triggers_off(database) as connection:
        connection.execute(
            text(
                "DELETE FROM sealed_records WHERE shop_id = :shop AND chain = 'order' AND seq > 2"
            ),
            {"shop": cashier.shop_id},
        )
    with database.write_engine.connect() as connection, connection.begin():
        if database.is_sqlite:
            connection.exec_driver_sql("DROP TRIGGER orders_sealed_no_delete")
            connection.exec_driver_sql("DROP TRIGGER orders_sealed_no_update")
        else:
            connection.exec_driver_sql("ALTER TABLE orders DISABLE TRIGGER USER")
        connection.execute(
            text("UPDATE orders SET status = 'open' WHERE shop_id = :shop AND internal_number > 2"),
            {"shop": cashier.shop_id},
        )
        if database.is_sqlite:
            for statement in _orders_triggers():
                connection.exec_driver_sql(statement)
        else:
            connection.exec_driver_sql("ALTER TABLE orders ENABLE TRIGGER USER")
    report = cashier.ok("GET", "/verification/chains")
    assert report["ok"] is False
    assert report["first_defect"]["kind"] == "truncated"
    assert report["first_defect"]["chain"] == "order" and report["first_defect"]["seq"] == 3


def _orders_triggers() -> list[str]:
    from tests.server.test_tamper import _migration

    return [s for s in _migration().SQLITE_TRIGGERS if "ON orders" in s]
