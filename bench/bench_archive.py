"""Benchmark of the fiscal archive: a year of a busy shop, archived, then verified by `till-verify`.

The shop's year 2025 is sealed into an embedded (SQLite) server database as the server seals it:
150,000 orders of 4 lines (600,000 lines), 160,000 payments (one order in 15 paid in two), a Z and
the opening and closing of the register each day. Then:
- the archive of the year is made as `POST /archives` makes it (built from the records as stored,
  signed, kept in the database and journaled), in a process of its own: its time and peak memory.
  Targets: archive_s <= 60, archive_peak_rss_mb <= 300.
- `till-verify` checks the archive (its signature, then every record): records per second.
  Target: verify_records_per_s >= 15,000.
- the FEC of the year as `GET /exports/fec` makes it, from the sealed records (the orders and
  payments tables, which say which records to read, are filled beside them first, untimed).
  Target: fec_s <= 30.
Run: python bench/bench_archive.py [--quick] [--orders N]
`--quick` is a tiny run that only proves everything works (its figures mean nothing).
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from server.accounts.models import Role
from server.accounts.services import Actor
from server.archives import services as archives
from server.cli import DEMO_SHOP
from server.db import Database
from server.exports.chart import load_chart
from server.exports.fec import build_fec
from server.orders.models import OrderRow, OrderStatus, PaymentRow
from server.sealing.keys import KeyStore
from server.sealing.services import Sealer, stored_records
from server.shops.models import Shop
from server.shops.services import ShopSetup, create_shop
from till.money import from_json_amount, parse_rate
from till.order import CARD, CASH, Order, OrderLine, Payment, VatRates, to_record
from till.timestamps import from_utc_iso

SHOP = "FR-BENCH-ARCHIVE"
YEAR = 2025
ORDERS = 150_000
LINES_PER_ORDER = 4
SPLIT_EVERY = 15  # one order in 15 is paid in two: 160,000 payments for 150,000 orders
TEMPLATES = 64
COMMIT_EVERY = 5_000
ARTICLES = (
    ("creme", "Café crème", 320, "10"),
    ("croissant", "Croissant", 120, "10"),
    ("eclair", "Éclair au café", 340, "10"),
    ("jambon-beurre", "Jambon-beurre", 520, "10"),
    ("biere", "Bière pression 25 cl", 380, "20"),
    ("eau", "Eau minérale 50 cl", 200, "5.5"),
    ("quiche", "Quiche lorraine", 480, "10"),
)


def _templates() -> list[dict[str, Any]]:
    """Order records as the server seals them (till.order's `to_record` and the names it adds),
    with 4 lines each; each sale copies one and gives it ids, numbers and times of its own."""
    records = []
    for n in range(TEMPLATES):
        lines = []
        for i in range(LINES_PER_ORDER):
            article, label, price, rate = ARTICLES[(n + 3 * i) % len(ARTICLES)]
            lines.append(
                OrderLine(
                    article_id=article,
                    label=label,
                    quantity=Decimal(1 + (n + i) % 3),
                    unit_price=price,
                    vat=VatRates(parse_rate(rate)),
                    department="snack",
                )
            )
        order = Order(shop_id=SHOP, register_id="R1", user_id="u-karim", lines=tuple(lines))
        total = order.totals.final_price
        if n % SPLIT_EVERY == 0:
            order.add_payment(Payment(mode=CARD, amount=total // 2))
            order.add_payment(Payment(mode=CASH, amount=total - total // 2))
        else:
            order.add_payment(Payment(mode=CARD if n % 3 else CASH, amount=total))
        record = to_record(order)
        record.update(
            user_name="Karim", register_name="Comptoir", corrects_public_number=None, draft_id=None
        )
        records.append(record)
    return records


def seal_year(database: Database, keys: KeyStore, orders: int) -> int:
    """Seal `orders` sales spread over the year, with a Z and two register events each day."""
    templates = _templates()
    start = datetime(YEAR, 1, 1, 5, 0, tzinfo=UTC)  # 6:00 in Paris, the shop's opening hour
    step = timedelta(days=365) / orders
    sealed = 0
    day = start.date()
    with database.writer() as session:
        sealer = Sealer(session, keys, SHOP)
        for n in range(1, orders + 1):
            now = start + step * (n - 1)
            if now.date() != day:
                sealed += _close_day(sealer, day, now)
                day = now.date()
            record = copy.deepcopy(templates[n % TEMPLATES])
            stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            record.update(
                id=uuid.uuid4().hex,
                internal_number=n,
                public_number=f"T{n:08d}",
                created_at=stamp,
                validated_at=stamp,
                value_date=now.date().isoformat(),
            )
            for line in record["lines"]:
                line["id"] = uuid.uuid4().hex
            sealed_order = sealer.append("order", record, now)
            for payment in record["payments"]:
                payment.update(id=uuid.uuid4().hex, paid_at=stamp)
                sealer.append(
                    "payment",
                    {
                        "payment_id": payment["id"],
                        "order_id": record["id"],
                        "order_seq": sealed_order.seq,
                        "order_hash": sealed_order.hash,
                        "public_number": record["public_number"],
                        "register_id": "R1",
                        "user_id": "u-karim",
                        "mode": payment["mode"],
                        "mode_label": payment["mode_label"],
                        "amount": payment["amount"],
                        "change": "0.00",
                        "paid_at": stamp,
                    },
                    now,
                )
                sealed += 1
            sealed += 1
            if n % COMMIT_EVERY == 0:
                sealer.write()
                session.commit()
        sealed += _close_day(sealer, day, start + step * (orders - 1))
        sealer.write()
        session.commit()
    return sealed


def _close_day(sealer: Sealer, day: date, now: datetime) -> int:
    for kind in ("register_closed", "register_opened"):
        sealer.append("event", {"kind": kind, "register_id": "R1", "day": day.isoformat()}, now)
    heads = {chain: {"seq": h.seq, "hash": h.hash} for chain, h in sealer.heads().items()}
    sealer.append(
        "closure", {"kind": "z", "register_id": "R1", "day": day.isoformat(), "heads": heads}, now
    )
    return 3


def build_in_child(url: str, master_key: str) -> dict[str, float]:
    """Make the year's archive in this process; its time and this process's peak memory."""
    database = Database(url)
    keys = KeyStore(bytes.fromhex(master_key))
    actor = Actor(SHOP, "u-claire", "Claire", Role.MANAGER, "bench")
    started = time.perf_counter()
    with database.reader() as session:
        period = archives.Period.checked(date(YEAR, 1, 1), date(YEAR, 12, 31), date.today())
        built = archives.build_archive(session, keys, SHOP, period)
    with built, database.transaction() as session:
        archives.store_archive(session, keys, built, actor, datetime.now(UTC))
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    database.dispose()
    return {"archive_s": seconds, "archive_peak_rss_mb": peak_kib / 1024}


def save_archive(database: Database, folder: Path) -> tuple[Path, int]:
    """The kept archive as an auditor downloads it: the ZIP, its .sig and its .pub."""
    with database.reader() as session:
        [row] = archives.list_archives(session, SHOP)
        path = folder / row["file_name"]
        with path.open("wb") as out:
            for part in archives.archive_bytes(session, row["id"], row["size"]):
                out.write(part)
    path.with_name(path.name + ".sig").write_text(row["signature"])
    path.with_name(path.name + ".pub").write_text(row["public_key"])
    return path, int(row["records"])


def time_verify(path: Path) -> float:
    """`till-verify` on the archive, as an auditor runs it: seconds taken."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", "from till.fiscal.cli import main; main()", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"till-verify failed on the archive:\n{result.stdout}{result.stderr}")
    print(result.stdout.strip()[:200], flush=True)
    return seconds


def index_orders(database: Database) -> None:
    """The orders and payments rows validation leaves beside the sealed records (reports and
    exports find their records through them): payments first, as triggers freeze those of a
    validated order."""
    with database.transaction() as session:
        orders = []
        for record in stored_records(session, SHOP, "order"):
            validated = from_utc_iso(record["validated_at"])
            orders.append(
                {
                    "id": record["id"],
                    "shop_id": SHOP,
                    "register_id": record["register_id"],
                    "user_id": record["user_id"],
                    "status": OrderStatus.OPEN,
                    "created_at": validated,
                    "updated_at": validated,
                    "validated_at": validated,
                    "value_date": date.fromisoformat(record["value_date"]),
                    "internal_number": record["seq"],
                    "public_number": record["public_number"],
                    "seal": record["hash"],
                    "final_price": from_json_amount(record["final_price"]),
                    "total_vat": from_json_amount(record["total_vat"]),
                }
            )
            if len(orders) == COMMIT_EVERY:
                session.execute(insert(OrderRow), orders)
                orders = []
        if orders:
            session.execute(insert(OrderRow), orders)
        payments = []
        for position, record in enumerate(stored_records(session, SHOP, "payment")):
            payments.append(
                {
                    "id": record["payment_id"],
                    "order_id": record["order_id"],
                    "position": position,
                    "mode": record["mode"],
                    "mode_label": record["mode_label"],
                    "gives_change": record["mode"] == CASH.code,
                    "amount": from_json_amount(record["amount"]),
                    "paid_at": from_utc_iso(record["paid_at"]),
                    "record_seq": record["seq"],
                }
            )
            if len(payments) == COMMIT_EVERY:
                session.execute(insert(PaymentRow), payments)
                payments = []
        if payments:
            session.execute(insert(PaymentRow), payments)
        session.execute(
            update(OrderRow).where(OrderRow.shop_id == SHOP).values(status=OrderStatus.VALIDATED)
        )


def time_fec(database: Database) -> float:
    """The FEC of the year, as `GET /exports/fec` makes it: seconds taken."""
    started = time.perf_counter()
    with database.reader() as session:
        shop = session.get(Shop, SHOP)
        assert shop is not None
        period = archives.Period.checked(date(YEAR, 1, 1), date(YEAR, 12, 31), date.today())
        fec = build_fec(session, shop, load_chart(session, SHOP), period)
    seconds = time.perf_counter() - started
    print(
        f"FEC {fec.name}: {fec.orders} orders, {fec.entries} entries, {fec.lines} lines, "
        f"{len(fec.content) / 2**10:.0f} KiB",
        flush=True,
    )
    return seconds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run (1,500 orders)")
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--child", nargs=2, metavar=("URL", "MASTER_KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(build_in_child(*args.child)))
        return {}
    orders = 1_500 if args.quick else args.orders
    master_key = secrets.token_hex(32)
    keys = KeyStore(bytes.fromhex(master_key))
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'till.sqlite3'}"
        database = Database(url)
        database.migrate()
        setup = json.loads(DEMO_SHOP.read_text(encoding="utf-8"))
        setup["shop"]["id"] = SHOP
        with database.transaction() as session:
            create_shop(session, keys, ShopSetup.from_json(setup), pin_cost=10)
        started = time.perf_counter()
        records = seal_year(database, keys, orders)
        print(
            f"sealed {records} records of {YEAR} in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        child = subprocess.run(
            [sys.executable, __file__, "--child", url, master_key],
            capture_output=True,
            text=True,
            check=True,
        )
        built = json.loads(child.stdout.strip().splitlines()[-1])
        path, archived = save_archive(database, folder)
        print(
            f"archive {path.name}: {path.stat().st_size / 2**20:.1f} MiB, {archived} records",
            flush=True,
        )
        verify_s = time_verify(path)
        index_orders(database)
        fec_s = time_fec(database)
        database.dispose()
    figures: dict[str, Any] = {
        "archive_s": round(built["archive_s"], 2),
        "archive_peak_rss_mb": round(built["archive_peak_rss_mb"], 1),
        "verify_records_per_s": round(archived / verify_s, 1),
        "fec_s": round(fec_s, 2),
    }
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
