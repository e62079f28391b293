"""Real `till-server serve` processes under concurrent tills: numbering stays gapless across
processes, and a server killed in the middle of a validation storm loses nothing and seals
nothing twice, the tills retrying each call with its Idempotency-Key.

Each test starts its servers on free loopback ports, on a database of its own (PostgreSQL: a
throwaway database; SQLite: a file), and builds the shop in this process, with the same master key.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.app import create_app
from server.config import Settings
from server.db import Database
from server.deps import Services
from server.orders.models import OrderLineRow, OrderRow, PaymentRow
from server.process import ServerProcess, environment
from server.sealing.models import SealedRecordRow
from tests.server.conftest import PostgresDatabases, make_settings, require_postgres
from tests.server.helpers import PINS, enrollment_code, new_shop

pytestmark = pytest.mark.slow

TILLS = 8
ARTICLES = ("creme", "croissant", "jus-orange")
RETRY_FOR_S = 60.0
REPLAYED = "Idempotent-Replayed"


# ---------------------------------------------------------------------------- servers


@dataclass
class Site:
    """A database, the services of this (test) process on it, and server processes on it."""

    settings: Settings
    services: Services
    folder: Path
    servers: list[ServerProcess] = field(default_factory=list)

    def server(self, *, workers: int = 1) -> ServerProcess:
        env = environment(
            self.settings.data_dir,
            database_url=self.settings.url,
            master_key=str(self.settings.master_key),
            pin_cost=str(self.settings.pin_cost),
            log_level="WARNING",
        )
        server = ServerProcess(
            env, self.folder / f"server-{len(self.servers)}.log", workers=workers
        )
        server.start()
        self.servers.append(server)
        return server

    def count(self, statement: Any) -> int:
        with self.services.database.reader() as session:
            return int(session.scalar(statement) or 0)


def _site(folder: Path, url: str) -> Iterator[Site]:
    settings = make_settings(folder, url)
    database = Database(settings.url)
    database.migrate()
    site = Site(settings, create_app(settings, database).state.services, folder)
    try:
        yield site
    finally:
        for server in site.servers:
            server.stop()
        database.dispose()


@pytest.fixture
def postgres_site(tmp_path: Path, postgres_databases: PostgresDatabases) -> Iterator[Site]:
    require_postgres()
    yield from _site(tmp_path, postgres_databases.create())


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    yield from _site(tmp_path, f"sqlite:///{tmp_path / 'till.sqlite3'}")


# ---------------------------------------------------------------------------- tills


class Till:
    """A till on a keep-alive connection to each server, as the cashier's screen uses the API:
    every change carries an Idempotency-Key, and a call that gets no answer (the server went
    away) is sent again with the same key, to the next server, until one answers.

    With `lose_every=n`, the answer to every n-th change is dropped as if lost on the way: the
    till sends the call again with its key, to the other server, and must get the same answer."""

    def __init__(self, servers: list[ServerProcess], code: str, *, lose_every: int = 0) -> None:
        self.servers = servers
        self.clients = [httpx.Client(base_url=server.url, timeout=30.0) for server in servers]
        self.turn = 0
        self.lose_every = 0
        self.changes = 0
        self.retries = 0  # sent again after no answer
        self.replays = 0  # answered as already done
        self.headers: dict[str, str] = {}
        enrolled = self.call("POST", "/devices/enroll", {"code": code, "name": "Caisse test"})
        self.headers["X-Device-Token"] = enrolled["device_token"]
        session = self.call("POST", "/sessions", {"user_id": "u-karim", "pin": PINS["u-karim"]})
        self.headers["Authorization"] = f"Bearer {session['session_token']}"
        self.lose_every = lose_every

    def use(self, index: int) -> None:
        """Send the next calls to this server first."""
        self.turn = index % len(self.clients)

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        deadline = time.monotonic() + RETRY_FOR_S
        while True:
            client = self.clients[self.turn]
            try:
                response = client.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"{method} {path}: no server answered"
                self.retries += 1
                self.turn = (self.turn + 1) % len(self.clients)
                time.sleep(0.02)
                continue
            assert response.status_code < 300, (
                f"{method} {path} on {client.base_url}: {response.status_code} {response.text}"
            )
            if response.headers.get(REPLAYED) == "true":
                self.replays += 1
            return response

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = dict(self.headers)
        if method == "GET":
            return self._send(method, path, body, headers).json()
        headers["Idempotency-Key"] = uuid.uuid4().hex
        response = self._send(method, path, body, headers)
        self.changes += 1
        if self.lose_every and self.changes % self.lose_every == 0:
            self.turn = (self.turn + 1) % len(self.clients)
            again = self._send(method, path, body, headers)
            assert again.headers.get(REPLAYED) == "true", f"{method} {path} done twice"
            assert again.content == response.content
        return response.json()

    def open_order(self) -> dict[str, Any]:
        """An order with a line of each article, paid in full by card, not yet validated."""
        order = self.call("POST", "/orders", {"register_id": "R1"})
        for article in ARTICLES:
            order = self.call("POST", f"/orders/{order['id']}/lines", {"article_id": article})
        self.call(
            "POST",
            f"/orders/{order['id']}/payments",
            {"mode": "card", "amount": order["final_price"]},
        )
        result: dict[str, Any] = order
        return result

    def validate(self, order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", f"/orders/{order_id}/validate")
        return result

    def close(self) -> None:
        for client in self.clients:
            client.close()


def _tills(
    site: Site, shop_id: str, servers: list[ServerProcess], *, lose_every: int = 0
) -> list[Till]:
    return [
        Till(servers, enrollment_code(site.services, shop_id), lose_every=lose_every)
        for _ in range(TILLS)
    ]


def _in_threads(tills: list[Till], work: Callable[[int, Till], None]) -> None:
    """`work` for each till in a thread of its own, all started at once; the first error fails."""
    barrier = threading.Barrier(len(tills))
    errors: list[BaseException] = []

    def run(index: int, till: Till) -> None:
        barrier.wait()
        try:
            work(index, till)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# ---------------------------------------------------------------------------- checks


def _check_sealed_once(
    site: Site, shop_id: str, till: Till, validated: list[dict[str, Any]]
) -> None:
    """Every order of the shop validated once, numbered 1..N with no gap, each with its 3 lines
    and its one payment, one record each on the order and payment chains, and the chains whole."""
    count = len(validated)
    assert sorted(order["internal_number"] for order in validated) == list(range(1, count + 1))
    assert len({order["id"] for order in validated}) == count
    assert len({order["public_number"] for order in validated}) == count
    assert len({order["record"]["hash"] for order in validated}) == count
    orders = select(func.count()).select_from(OrderRow).where(OrderRow.shop_id == shop_id)
    assert site.count(orders) == count, "an order was created twice"
    assert site.count(orders.where(OrderRow.status == "validated")) == count
    lines = (
        select(func.count())
        .select_from(OrderLineRow)
        .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
        .where(OrderRow.shop_id == shop_id)
    )
    assert site.count(lines) == count * len(ARTICLES), "a line was added twice"
    payments = (
        select(func.count())
        .select_from(PaymentRow)
        .join(OrderRow, OrderRow.id == PaymentRow.order_id)
        .where(OrderRow.shop_id == shop_id)
    )
    assert site.count(payments) == count, "a payment was added twice"
    sealed_payments = (
        select(func.count(func.distinct(PaymentRow.record_seq)))
        .join(OrderRow, OrderRow.id == PaymentRow.order_id)
        .where(OrderRow.shop_id == shop_id)
    )
    assert site.count(sealed_payments) == count
    for chain in ("order", "payment"):
        records = (
            select(func.count())
            .select_from(SealedRecordRow)
            .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == chain)
        )
        assert site.count(records) == count, f"{chain} chain"
    report = till.call("GET", "/verification/chains")
    assert report["ok"], report["first_defect"]
    assert report["chains"]["order"]["records"] == count
    assert report["chains"]["order"]["seq"] == count
    assert report["chains"]["payment"]["records"] == count
    assert report["chains"]["payment"]["seq"] == count


def _sales_on(
    site: Site, servers: list[ServerProcess], sales_per_till: int
) -> tuple[str, list[Till], list[dict[str, Any]]]:
    """Whole sales from every till at once, each order made on one server and validated on the
    next; the validated orders as answered."""
    shop_id = new_shop(site.services)
    tills = _tills(site, shop_id, servers)
    validated: list[dict[str, Any]] = []
    lock = threading.Lock()

    def sell(index: int, till: Till) -> None:
        for sale in range(sales_per_till):
            till.use(index + sale)
            order = till.open_order()
            till.use(index + sale + 1)
            result = till.validate(order["id"])
            with lock:
                validated.append(result)

    _in_threads(tills, sell)
    return shop_id, tills, validated


# ---------------------------------------------------------------------------- tests


def test_two_processes_on_postgresql_number_without_gap_or_fork(postgres_site: Site) -> None:
    servers = [postgres_site.server(), postgres_site.server()]
    shop_id, tills, validated = _sales_on(postgres_site, servers, sales_per_till=25)
    try:
        assert len(validated) == TILLS * 25
        _check_sealed_once(postgres_site, shop_id, tills[0], validated)
        heads = max(validated, key=lambda order: order["internal_number"])["chain_heads"]
        assert heads["order"]["seq"] == len(validated)
        assert heads["payment"]["seq"] == len(validated)
    finally:
        for till in tills:
            till.close()


def test_one_process_on_sqlite_numbers_without_gap(sqlite_site: Site) -> None:
    servers = [sqlite_site.server()]
    shop_id, tills, validated = _sales_on(sqlite_site, servers, sales_per_till=15)
    try:
        assert len(validated) == TILLS * 15
        _check_sealed_once(sqlite_site, shop_id, tills[0], validated)
    finally:
        for till in tills:
            till.close()


def test_several_workers_serve(postgres_site: Site) -> None:
    server = postgres_site.server(workers=2)
    for _ in range(10):  # the connections land on either worker
        assert httpx.get(f"{server.url}/version").status_code == 200


def test_servers_killed_in_a_validation_storm_seal_each_order_once(postgres_site: Site) -> None:
    """kill -9 of one of two servers, then of the other, while the tills validate (and make more
    orders), each server started again on its port: calls without an answer are sent again with
    their keys, to the other server or the restarted one. Some answers are lost on the way too.
    In the end every order is sealed once, and the chains are whole."""
    site = postgres_site
    servers = [site.server(), site.server()]
    shop_id = new_shop(site.services)
    tills = _tills(site, shop_id, servers, lose_every=7)
    per_till = 30
    # Half the orders are ready before the storm; the others are made during it, which goes on
    # until the three crashes are over, however fast validations are.
    ready = [[till.open_order()["id"] for _ in range(per_till // 2)] for till in tills]
    validated: list[dict[str, Any]] = []
    sent = [0] * TILLS
    lock = threading.Lock()
    crashed, stopped = threading.Event(), threading.Event()
    crashes: list[int] = []

    def storm(index: int, till: Till) -> None:
        turn = 0
        while turn < per_till or not crashed.is_set():
            till.use(index + turn)
            order_id = ready[index][turn] if turn < len(ready[index]) else till.open_order()["id"]
            result = till.validate(order_id)
            turn += 1
            with lock:
                validated.append(result)
                sent[index] = turn

    def crash() -> None:
        try:
            for victim, after in ((servers[0], 40), (servers[1], 100), (servers[0], 160)):
                while len(validated) < after:
                    if stopped.is_set():  # the tills failed: nothing more to crash
                        return
                    time.sleep(0.002)
                crashes.append(len(validated))
                victim.kill()
                time.sleep(0.3)
                victim.start()  # on the same port: the tills come back to it
        finally:
            crashed.set()

    crasher = threading.Thread(target=crash)
    crasher.start()
    try:
        _in_threads(tills, storm)
    finally:
        stopped.set()
        crasher.join()
    try:
        assert len(crashes) == 3, crashes
        assert all(server.process and server.process.poll() is None for server in servers)
        assert len(validated) == sum(sent) >= TILLS * per_till
        assert sum(till.retries for till in tills) > 0, "the crashes met no call"
        assert sum(till.replays for till in tills) > 0
        _check_sealed_once(site, shop_id, tills[0], validated)
    finally:
        for till in tills:
            till.close()


def test_orders_made_before_the_crash_are_all_there(postgres_site: Site) -> None:
    """What was answered is committed: a server killed right after answering loses nothing."""
    site = postgres_site
    server = site.server()
    shop_id = new_shop(site.services)
    till = Till([server], enrollment_code(site.services, shop_id))
    orders = [till.validate(till.open_order()["id"]) for _ in range(5)]
    server.kill()
    server.start()
    _check_sealed_once(site, shop_id, till, orders)
    till.close()
