"""Benchmark of the central server over real HTTP: `till-server serve` processes and real clients.

(a) Adding a line to an open order, over loopback HTTP with keep-alive (SQLite, one process):
    p50 and p99, and the ratio of its p50 to a bare `GET /health` p50 on the same server.
    Targets: add_line_p99_ms <= 15 and add_line_vs_health <= 4.
(b) Validations per second with 8 concurrent clients (8 enrolled tills) of one shop, timing only
    the validate calls, on orders prepared beforehand with 3 lines and 1 payment each: on SQLite
    and on PostgreSQL. Also whole sales per second on PostgreSQL (create, 3 lines, pay, validate:
    6 calls), and validations per second over 4 shops on PostgreSQL (8 clients, 2 per shop).
    Each part has a server of its own, started with `--workers 2` (`--workers N` to change it).
    Targets on 2 cores: >= 200/s on each database, >= 300/s over 4 shops.
Every mutating call carries an Idempotency-Key, as a till sends it. The server logs at its default
level (INFO, one line per request) into a file, as in production.

PostgreSQL is `TILL_TEST_POSTGRES` (default: the local server, database `test`): a throwaway
database is created for each part and dropped after. When it cannot be reached the PostgreSQL
figures are null, except under CI=true, where the benchmark fails.
Run: python bench/bench_server.py [--quick] [--sales N] [--lines N] [--workers N]
`--quick` is a tiny run that only proves everything works (its figures mean nothing).
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg

from server.accounts.models import Role
from server.accounts.services import Actor, new_enrollment_code
from server.cli import DEMO_SHOP
from server.config import Settings
from server.db import Database
from server.process import ServerProcess, environment
from server.registers.services import open_register
from server.sealing.keys import KeyStore, load_master_key
from server.shops.services import ShopSetup, create_shop

POSTGRES = os.environ.get("TILL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CLIENTS = 8
ARTICLES = ("creme", "croissant", "jus-orange")
PIN_COST = 10  # the smallest allowed: logging in is not what is measured


# ---------------------------------------------------------------------------- server processes


@contextmanager
def running(env: dict[str, str], log: Path, *, workers: int = 1) -> Iterator[ServerProcess]:
    server = ServerProcess(env, log, workers=workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------- databases, shops


@dataclass
class Backend:
    """A database with a master key, shops made directly in it, and the servers' environment."""

    url: str
    folder: Path
    master_key: str

    @property
    def settings(self) -> Settings:
        return Settings(
            data_dir=self.folder,
            database_url=self.url,
            master_key=self.master_key,
            pin_cost=PIN_COST,
        )

    def env(self) -> dict[str, str]:
        return environment(
            self.folder,
            database_url=self.url,
            master_key=self.master_key,
            pin_cost=str(PIN_COST),
        )

    def new_shops(self, count: int, devices_each: int) -> dict[str, list[str]]:
        """`count` demo shops and enrollment codes for `devices_each` tills in each."""
        settings = self.settings
        database = Database(settings.url)
        try:
            database.migrate()
            keys = KeyStore(
                load_master_key(settings.master_key, settings.master_key_path, create=False)
            )
            codes: dict[str, list[str]] = {}
            with database.transaction() as session:
                for _ in range(count):
                    data = json.loads(DEMO_SHOP.read_text(encoding="utf-8"))
                    data["shop"]["id"] = f"B-{uuid.uuid4().hex[:12]}"
                    setup = ShopSetup.from_json(data)
                    create_shop(session, keys, setup, pin_cost=PIN_COST)
                    shop_id = str(setup.shop["id"])
                    manager = Actor(shop_id, "u-claire", "Claire", Role.MANAGER, "bench")
                    for register in setup.registers:
                        open_register(session, keys, manager, register["id"], 15_000)
                    codes[shop_id] = [
                        new_enrollment_code(session, settings, shop_id, None)[0]
                        for _ in range(devices_each)
                    ]
            return codes
        finally:
            database.dispose()


def postgres_reachable() -> bool:
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


@contextmanager
def sqlite_backend(folder: Path) -> Iterator[Backend]:
    folder.mkdir(parents=True, exist_ok=True)
    yield Backend(f"sqlite:///{folder / 'till.sqlite3'}", folder, secrets.token_hex(32))


@contextmanager
def postgres_backend(folder: Path) -> Iterator[Backend]:
    """A throwaway PostgreSQL database, dropped at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"till_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES.rsplit("/", 1)[0]
    try:
        yield Backend(f"{base}/{name}", folder, secrets.token_hex(32))
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------- clients


class Till:
    """An enrolled till with a cashier logged in, on one keep-alive connection."""

    def __init__(self, base_url: str, code: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60.0)
        enrolled = self.call("POST", "/devices/enroll", {"code": code, "name": "Caisse bench"})
        self.http.headers["X-Device-Token"] = enrolled["device_token"]
        session = self.call("POST", "/sessions", {"user_id": "u-karim", "pin": "1111"})
        self.http.headers["Authorization"] = f"Bearer {session['session_token']}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else None
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def prepared_order(self) -> str:
        """An open order with 3 lines and 1 payment, ready to validate."""
        order = self.call("POST", "/orders", {"register_id": "R1"})
        for article in ARTICLES:
            order = self.call("POST", f"/orders/{order['id']}/lines", {"article_id": article})
        body = {"mode": "card", "amount": order["final_price"]}
        self.call("POST", f"/orders/{order['id']}/payments", body)
        return str(order["id"])

    def validate(self, order_id: str) -> None:
        self.call("POST", f"/orders/{order_id}/validate")

    def sale(self) -> None:
        self.validate(self.prepared_order())

    def close(self) -> None:
        self.http.close()


def enrolled_tills(server: ServerProcess, codes: dict[str, list[str]]) -> list[Till]:
    """One till per code, interleaving the shops."""
    per_shop = list(codes.values())
    return [
        Till(server.url, shop_codes[index])
        for index in range(max(len(c) for c in per_shop))
        for shop_codes in per_shop
        if index < len(shop_codes)
    ]


def in_parallel(tills: list[Till], work: Callable[[int, Till], None]) -> float:
    """Run `work` for each till in a thread of its own, all released at once; seconds taken."""
    barrier = threading.Barrier(len(tills) + 1)
    errors: list[BaseException] = []

    def run(index: int, till: Till) -> None:
        barrier.wait()
        try:
            work(index, till)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, till)) for index, till in enumerate(tills)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def validations_per_s(tills: list[Till], per_till: int) -> float:
    """Prepare `per_till` orders on each till, then time the validations only."""
    prepared: list[list[str]] = [[] for _ in tills]

    def prepare(index: int, till: Till) -> None:
        prepared[index] = [till.prepared_order() for _ in range(per_till)]

    def validate(index: int, till: Till) -> None:
        for order_id in prepared[index]:
            till.validate(order_id)

    in_parallel(tills, prepare)
    elapsed = in_parallel(tills, validate)
    return len(tills) * per_till / elapsed


def sales_per_s(tills: list[Till], per_till: int) -> float:
    def sell(_index: int, till: Till) -> None:
        for _ in range(per_till):
            till.sale()

    return len(tills) * per_till / in_parallel(tills, sell)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------- the parts


def add_line_latency(server: ServerProcess, code: str, lines: int) -> dict[str, float]:
    """Add-line round trips, 5 lines per order as at a counter, and bare /health round trips."""
    till = Till(server.url, code)
    try:
        for _ in range(20):  # warm up: connections, caches, the interpreter
            till.call("GET", "/health")
        order_id = ""
        add_ms: list[float] = []
        for index in range(lines):
            if index % 5 == 0:
                order_id = till.call("POST", "/orders", {"register_id": "R1"})["id"]
            body = {"article_id": ARTICLES[index % len(ARTICLES)]}
            add_ms.append(timed(partial(till.call, "POST", f"/orders/{order_id}/lines", body)))
        health_ms = [timed(lambda: till.call("GET", "/health")) for _ in range(lines)]
    finally:
        till.close()
    p50 = statistics.median(add_ms)
    return {
        "add_line_p50_ms": round(p50, 2),
        "add_line_p99_ms": round(percentile(add_ms, 0.99), 2),
        "health_p50_ms": round(statistics.median(health_ms), 2),
        "add_line_vs_health": round(p50 / statistics.median(health_ms), 2),
    }


def throughput(
    backend: Backend, log: Path, *, shops: int, sales: int, workers: int, whole_sales: bool = False
) -> dict[str, float]:
    """Validations per second (and whole sales per second) of 8 tills spread over `shops`."""
    codes = backend.new_shops(shops, CLIENTS // shops)
    with running(backend.env(), log, workers=workers) as server:
        tills = enrolled_tills(server, codes)
        try:
            figures = {"validations_per_s": validations_per_s(tills, sales // CLIENTS)}
            if whole_sales:
                figures["sales_per_s"] = sales_per_s(tills, max(1, sales // CLIENTS // 2))
        finally:
            for till in tills:
                till.close()
    return figures


def main(argv: list[str] | None = None) -> dict[str, float | None]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tiny run: proves it works")
    parser.add_argument("--sales", type=int, default=1600, help="validations timed per part")
    parser.add_argument("--lines", type=int, default=1000, help="add-line calls timed")
    parser.add_argument("--workers", type=int, default=2, help="server processes (validations)")
    args = parser.parse_args(argv)
    sales, lines = (CLIENTS * 2, 20) if args.quick else (args.sales, args.lines)
    use_postgres = postgres_reachable()
    if not use_postgres:
        if os.environ.get("CI") == "true":
            raise SystemExit(f"PostgreSQL is required under CI=true and {POSTGRES} is unreachable")
        print(f"PostgreSQL is unreachable at {POSTGRES}: its figures are left out.")
    figures: dict[str, float | None] = dict.fromkeys(
        (
            "add_line_p50_ms",
            "add_line_p99_ms",
            "add_line_vs_health",
            "validations_per_s_sqlite",
            "validations_per_s_pg",
            "validations_per_s_pg_4shops",
            "sales_per_s_pg",
        )
    )
    with tempfile.TemporaryDirectory(prefix="bench-server-") as temporary:
        folder = Path(temporary)
        with sqlite_backend(folder / "sqlite-latency") as backend:
            (code,) = backend.new_shops(1, 1).values()
            with running(backend.env(), folder / "latency.log") as server:
                latency = add_line_latency(server, code[0], lines)
        print(
            f"add line (SQLite): p50 {latency['add_line_p50_ms']} ms, "
            f"p99 {latency['add_line_p99_ms']} ms; /health p50 {latency['health_p50_ms']} ms; "
            f"ratio {latency['add_line_vs_health']}"
        )
        del latency["health_p50_ms"]
        figures.update(latency)
        setup = f"{CLIENTS} clients, --workers {args.workers}"
        with sqlite_backend(folder / "sqlite") as backend:
            result = throughput(
                backend, folder / "sqlite.log", shops=1, sales=sales, workers=args.workers
            )
        figures["validations_per_s_sqlite"] = round(result["validations_per_s"], 1)
        print(f"SQLite, 1 shop, {setup}: {result['validations_per_s']:.0f} validations/s")
        if use_postgres:
            with postgres_backend(folder / "pg") as backend:
                result = throughput(
                    backend,
                    folder / "pg.log",
                    shops=1,
                    sales=sales,
                    workers=args.workers,
                    whole_sales=True,
                )
            figures["validations_per_s_pg"] = round(result["validations_per_s"], 1)
            figures["sales_per_s_pg"] = round(result["sales_per_s"], 1)
            print(
                f"PostgreSQL, 1 shop, {setup}: {result['validations_per_s']:.0f} validations/s, "
                f"{result['sales_per_s']:.0f} whole sales/s"
            )
            with postgres_backend(folder / "pg4") as backend:
                result = throughput(
                    backend, folder / "pg4.log", shops=4, sales=sales, workers=args.workers
                )
            figures["validations_per_s_pg_4shops"] = round(result["validations_per_s"], 1)
            print(f"PostgreSQL, 4 shops, {setup}: {result['validations_per_s']:.0f} validations/s")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
