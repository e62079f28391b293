"""The real server for the till's tests: the FastAPI app served by uvicorn on a loopback port, in a
thread of the test process, on a SQLite database of its own; shops are made directly in it, and
tills enrolled and logged in through the API, as in a shop."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from server.accounts.services import new_enrollment_code
from server.deps import Services
from server.orders.models import OrderLineRow, OrderRow, PaymentRow
from server.sealing.models import SealedRecordRow
from server.shops.services import create_shop
from sync.client import ApiClient, RetryPolicy, Timeouts
from sync.clock import Clock, SystemClock
from sync.credentials import CredentialStore, MemoryCredentials
from sync.service import SyncSettings, TillSync
from tests.server.helpers import PINS, TEST_PIN_COST, demo_setup

REGISTERS = ("R1", "R2")
OPEN_REGISTER = "/registers/{register_id}/open"
# Quick retries: a test waits milliseconds between tries, not seconds.
FAST_RETRY = RetryPolicy(attempts=10, first_delay=0.02, max_delay=0.2, budget=30.0)
TEST_TIMEOUTS = Timeouts(connect=1.0, read=2.0)


class ServerThread:
    """uvicorn serving `app` in a thread, on a loopback port of its own (optionally with TLS)."""

    def __init__(
        self,
        app: FastAPI,
        *,
        port: int = 0,
        certfile: str | None = None,
        keyfile: str | None = None,
    ) -> None:
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self.scheme = "https" if certfile else "http"
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive(), "the server stopped at start"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()


def has_route(app: FastAPI, path: str) -> bool:
    """Whether the server has this route yet (the API grows while the till is built)."""
    paths: dict[str, Any] = app.openapi()["paths"]
    return path in paths


@dataclass
class Site:
    """The server of a test session: its app, its services, the thread serving it."""

    app: FastAPI
    services: Services
    server: ServerThread
    folder: Path

    def enrollment_code(self, shop_id: str) -> str:
        with self.services.database.transaction() as session:
            code, _ = new_enrollment_code(session, self.services.settings, shop_id, None)
        return code

    def new_shop(self, *, open_registers: tuple[str, ...] = REGISTERS) -> str:
        """A fresh demo shop, its registers opened by its manager through the API (when the
        server has registers to open)."""
        shop_id = f"S-{uuid.uuid4().hex[:12]}"
        with self.services.database.transaction() as session:
            create_shop(session, self.services.keys, demo_setup(shop_id), pin_cost=TEST_PIN_COST)
        self.open_registers(shop_id, open_registers)
        return shop_id

    def open_registers(self, shop_id: str, registers: tuple[str, ...]) -> None:
        if registers and has_route(self.app, OPEN_REGISTER):
            client = self.client(shop_id, "u-claire")
            for register in registers:
                client.open_register(register, "150.00")
            client.close()

    def client(self, shop_id: str, user_id: str = "u-karim") -> ApiClient:
        """A bare API client straight to the server (no proxy): the test's own view."""
        client = ApiClient(self.server.url, clock=SystemClock(), retry=FAST_RETRY)
        enrolled = client.enroll(self.enrollment_code(shop_id), "Poste de contrôle")
        client.device_token = enrolled["device_token"]
        client.session_token = client.log_in(user_id, PINS[user_id])["session_token"]
        return client

    def count(self, statement: Any) -> int:
        with self.services.database.reader() as session:
            return int(session.scalar(statement) or 0)

    def orders(self, shop_id: str) -> int:
        return self.count(
            select(func.count()).select_from(OrderRow).where(OrderRow.shop_id == shop_id)
        )

    def lines(self, order_id: str) -> int:
        return self.count(
            select(func.count()).select_from(OrderLineRow).where(OrderLineRow.order_id == order_id)
        )

    def payments(self, order_id: str) -> int:
        return self.count(
            select(func.count()).select_from(PaymentRow).where(PaymentRow.order_id == order_id)
        )

    def records(self, shop_id: str, chain: str) -> int:
        return self.count(
            select(func.count())
            .select_from(SealedRecordRow)
            .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == chain)
        )

    def events(self, shop_id: str) -> list[dict[str, Any]]:
        """The shop's journal, every event as sealed, in order."""
        with self.services.database.reader() as session:
            bodies = session.scalars(
                select(SealedRecordRow.body)
                .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == "event")
                .order_by(SealedRecordRow.seq)
            )
            return [json.loads(body) for body in bodies]

    def draft_ids(self, shop_id: str) -> list[str]:
        """The draft id of every order of the shop made from a draft, once per order."""
        with self.services.database.reader() as session:
            return list(
                session.scalars(
                    select(OrderRow.draft_id).where(
                        OrderRow.shop_id == shop_id, OrderRow.draft_id.is_not(None)
                    )
                )
            )


def till_settings(folder: Path, server: str, **overrides: Any) -> SyncSettings:
    values: dict[str, Any] = {
        "server": server,
        "data_dir": folder,
        "register_id": "R1",
        "device_name": "Caisse test",
        "connect_timeout": TEST_TIMEOUTS.connect,
        "read_timeout": TEST_TIMEOUTS.read,
        "heartbeat_seconds": 0.2,
        **overrides,
    }
    return SyncSettings(**values)


def enrolled_till(
    site: Site,
    shop_id: str,
    server: str,
    folder: Path,
    *,
    user_id: str = "u-karim",
    clock: Clock | None = None,
    credentials: CredentialStore | None = None,
    retry: RetryPolicy = FAST_RETRY,
    **settings: Any,
) -> TillSync:
    """A till of the shop with its own store in `folder`, enrolled and logged in through `server`
    (the server itself, or a proxy before it)."""
    till = TillSync(
        till_settings(folder, server, **settings),
        clock=clock,
        credentials=credentials or MemoryCredentials(),
        retry=retry,
    )
    till.enroll(site.enrollment_code(shop_id))
    till.log_in(user_id, PINS[user_id])
    return till
