"""Benchmark of a register's Z over a busy day: 5,000 validated orders of 3 lines and 1 payment
each on one register, then the Z (figures recomputed from the sealed records, sealed on the
closure chain, with the commit). Target: z_seconds_5000 <= 1.

The day is made through the server's own services, in-process, on the embedded SQLite database
in a temporary folder (the Z reads the sealed records as a server process would; HTTP adds a
constant few milliseconds). Also printed: the X of the same day, and the daily shop closing.
Run: python bench/bench_closing.py [--quick] [--orders N]
`--quick` is a tiny run that only proves everything works (its figures mean nothing).
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from server.accounts.models import Role
from server.accounts.services import Actor
from server.cli import DEMO_SHOP
from server.closures.services import close_due_periods, close_register, x_report
from server.db import Database
from server.orders import services as orders
from server.orders.schemas import LineIn, OrderIn
from server.registers.services import open_register
from server.sealing.keys import KeyStore
from server.shops.services import ShopSetup, create_shop
from till.money import from_json_amount
from till.timestamps import utc_now

ARTICLES = ("creme", "croissant", "jus-orange")
BATCH = 250  # orders per transaction while the day is made


def make_day(database: Database, keys: KeyStore, count: int) -> Actor:
    setup = ShopSetup.from_json(json.loads(DEMO_SHOP.read_text(encoding="utf-8")))
    cashier = Actor(setup.shop["id"], "u-karim", "Karim", Role.CASHIER, "bench")
    with database.transaction() as session:
        create_shop(session, keys, setup, pin_cost=10)
        open_register(session, keys, cashier, "R1", 15_000)
    made = 0
    while made < count:
        with database.transaction() as session:
            for index in range(made, min(count, made + BATCH)):
                order = orders.create_order(session, cashier, OrderIn(register_id="R1"))
                for article in ARTICLES:
                    order = orders.add_line(
                        session, cashier, order["id"], LineIn(article_id=article)
                    )
                mode = ("cash", "card", "contactless", "meal_voucher")[index % 4]
                orders.add_payment(session, cashier, order["id"], mode, order["final_price"])
                orders.validate_order(session, keys, cashier, order["id"])
        made = min(count, made + BATCH)
    return cashier


def measure(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'till.sqlite3'}")
        try:
            database.migrate()
            keys = KeyStore(bytes.fromhex(secrets.token_hex(32)))
            started = time.perf_counter()
            cashier = make_day(database, keys, count)
            made_in = time.perf_counter() - started

            started = time.perf_counter()
            with database.transaction() as session:
                x, _event = x_report(session, keys, cashier, "R1")
            x_seconds = time.perf_counter() - started

            modes = {row["mode"]: row["expected"] for row in x["modes"]}
            counted = {mode: from_json_amount(amount) for mode, amount in modes.items()}
            started = time.perf_counter()
            with database.transaction() as session:
                closing = close_register(session, keys, cashier, "R1", counted, 15_000)
            z_seconds = time.perf_counter() - started
            assert closing.record.body["sales_count"] == count

            tomorrow = utc_now() + timedelta(days=1, hours=1)
            started = time.perf_counter()
            with database.transaction() as session:
                close_due_periods(session, keys, cashier.shop_id, now=tomorrow)
            daily_seconds = time.perf_counter() - started
        finally:
            database.dispose()
    print(f"day of {count} orders made in {made_in:.1f} s")
    print(f"X {x_seconds:.3f} s, Z {z_seconds:.3f} s, daily closing {daily_seconds:.3f} s")
    print(f"period total {closing.record.body['period_total']} €")
    # The figure keeps its name at any size, so that the last line always reads the same.
    return {
        "orders": count,
        "z_seconds_5000": round(z_seconds, 3),
        "x_seconds": round(x_seconds, 3),
        "daily_closing_seconds": round(daily_seconds, 3),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run that proves it works")
    parser.add_argument("--orders", type=int, default=5_000)
    args = parser.parse_args(argv)
    count = 50 if args.quick else args.orders
    figures = measure(count)
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
