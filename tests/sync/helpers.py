"""Helpers of the till core's tests: an event recorder, the server's view of an order, drafts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sync.drafts import Draft, DraftLine
from sync.events import Event
from sync.service import TillSync
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.servers import Site


class Recorder:
    """Every event a till emits, as they come."""

    def __init__(self, till: TillSync) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()
        till.events.subscribe(self.add)

    def add(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        with self.lock:
            return [event for event in self.events if isinstance(event, kind)]


def server_view(site: Site, shop_id: str, order_id: str) -> dict[str, Any]:
    """The order as the server holds it, read straight from it (no proxy in between)."""
    client = site.client(shop_id)
    try:
        order: dict[str, Any] = client.get(f"/orders/{order_id}")
        return order
    finally:
        client.close()


def articles(till: TillSync) -> dict[str, dict[str, Any]]:
    return {article["id"]: article for article in till.client.catalog().body["articles"]}


def made_drafts(till: TillSync, count: int, *, lines: int = 3, register: str = "R1") -> list[str]:
    """`count` drafts straight into the store (as if made offline earlier), with catalog lines."""
    catalog = list(articles(till).values())
    now = datetime.now(UTC)
    ids = []
    with till.store.transaction() as db:
        for number in range(count):
            draft = Draft(
                created_at=now,
                updated_at=now,
                register_id=register,
                user_id="u-karim",
                table=str(number % 20),
                lines=tuple(
                    DraftLine.from_article(catalog[(number + index) % len(catalog)])
                    for index in range(lines)
                ),
            )
            till.drafts.save(draft, db)
            ids.append(draft.id)
    return ids


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def server_done(proxy: FaultProxy) -> None:
    """Until the server has answered every call the proxy passed on (answers it then lost
    included): what the server did is then all committed."""
    wait_until(
        lambda: all(
            exchange.status is not None
            for exchange in list(proxy.exchanges)
            if exchange.fault not in (Fault.DROP, Fault.BLACK_HOLE)
        )
    )
