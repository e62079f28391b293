"""Benchmark of the till's core (`sync/`) against a real `till-server serve` on loopback (SQLite),
set up with the server's own commands (`till-server demo` for the shop and an enrollment code).

(a) Re-sync: 1,000 drafts of 8 catalog lines each, made offline, imported by `Resync` in batches
    of 100 (`--batch`), each batch deleted locally once the server confirmed it, with progress,
    until none is left. Timed from the start of the re-sync to its end.
    Target: resync_1000_s <= 10.
(b) The client's overhead per ticket change: adding a line to an open order through a `Ticket`
    (queued, sent by the ticket's thread with an Idempotency-Key and retries ready, the answer
    parsed and made the ticket, connectivity and offline window kept, events emitted, and the
    caller woken), against a bare `requests` POST of the same body, with the same headers, to the
    same endpoint on a keep-alive session. The two are interleaved, a new order every 8 lines;
    the figure is the ratio of their medians. Target: client_overhead_ratio <= 1.5.
Run: python bench/bench_sync.py [--quick] [--drafts N] [--lines N] [--changes N] [--batch N]
`--quick` is a tiny run that only proves everything works (its figures mean nothing).
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from server import process
from sync import ticket as changes
from sync.client import Answer, ApiClient
from sync.credentials import MemoryCredentials
from sync.drafts import Draft, DraftLine
from sync.resync import Resync
from sync.service import SyncSettings, TillSync
from sync.ticket import Ticket

OPEN_REGISTER = "/registers/{register_id}/open"
LINES_PER_ORDER = 8
WARM_UP = 20


@contextmanager
def demo_server(folder: Path) -> Iterator[tuple[str, str]]:
    """A server on a free loopback port with the demo shop: (its address, an enrollment code)."""
    env = process.environment(
        folder,
        master_key=secrets.token_hex(32),
        pin_cost="10",  # the smallest allowed: logging in is not what is measured
        log_level="WARNING",
    )
    code = process.demo_enrollment_code(env)
    server = process.ServerProcess(env, folder / "server.log")
    server.start()
    try:
        yield server.url, code
    finally:
        server.stop()


def enrolled(server_url: str, code: str, folder: Path, batch: int) -> TillSync:
    """A till with its own store, enrolled, the manager logged in (she may open registers)."""
    till = TillSync(
        SyncSettings(server=server_url, data_dir=folder, register_id="R1", resync_batch=batch),
        credentials=MemoryCredentials(),
    )
    till.enroll(code, "Caisse bench")
    till.log_in("u-claire", "1234")
    if OPEN_REGISTER in till.client.get("/openapi.json")["paths"]:
        till.client.open_register("R1", "150.00")
    return till


class TimedClient(ApiClient):
    """The till's client, adding up the time spent waiting for the server's answers."""

    waiting = 0.0

    def call(self, method: str, path: str, body: Any = None, **options: Any) -> Answer:
        started = time.perf_counter()
        try:
            return super().call(method, path, body, **options)
        finally:
            self.waiting += time.perf_counter() - started


def resync_seconds(till: TillSync, count: int, lines: int, batch: int) -> tuple[float, float]:
    """Make `count` drafts of `lines` lines in the till's store, then time their re-sync: the
    seconds it took, and the seconds of it spent waiting for the server."""
    articles = till.client.catalog().body["articles"]
    now = datetime.now(UTC)
    with till.store.transaction() as db:
        for number in range(count):
            draft = Draft(
                created_at=now,
                updated_at=now,
                register_id="R1",
                user_id="u-karim",
                table=str(number % 30),
                covers=2,
                lines=tuple(
                    DraftLine.from_article(articles[(number + index) % len(articles)])
                    for index in range(lines)
                ),
            )
            till.drafts.save(draft, db)
    client = TimedClient(till.client.server, clock=till.clock, timeouts=till.client.timeouts)
    client.device_token, client.session_token = till.client.device_token, till.client.session_token
    resync = Resync(client, till.drafts, till.store, till.events, batch_size=batch)
    started = time.perf_counter()
    report = resync.run()
    elapsed = time.perf_counter() - started
    client.close()
    if report.imported != count or till.drafts.count(None) != 0:
        raise RuntimeError(f"the re-sync did not import every draft: {report}")
    return elapsed, client.waiting


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def overhead_ratio(till: TillSync, server_url: str, changes_count: int) -> tuple[float, float]:
    """Median seconds of a ticket change through the client, and of the bare call."""
    bare = requests.Session()
    headers = {
        "X-Device-Token": till.client.device_token or "",
        "Authorization": f"Bearer {till.client.session_token}",
    }
    articles = [article["id"] for article in till.client.catalog().body["articles"]]
    ticket: Ticket | None = None
    bare_order = ""

    def through_client(index: int) -> None:
        nonlocal ticket
        if index % LINES_PER_ORDER == 0:
            ticket = till.new_ticket()
        assert ticket is not None
        ticket.submit(changes.add_line(articles[index % len(articles)]))
        ticket.wait()

    def bare_call(index: int) -> None:
        nonlocal bare_order
        if index % LINES_PER_ORDER == 0:
            response = bare.post(
                f"{server_url}/orders",
                json={"register_id": "R1"},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            bare_order = response.json()["id"]
        response = bare.post(
            f"{server_url}/orders/{bare_order}/lines",
            json={"id": uuid.uuid4().hex, "article_id": articles[index % len(articles)]},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        if response.status_code != 200:
            raise RuntimeError(f"bare call: {response.status_code} {response.text}")
        response.json()

    client_s: list[float] = []
    bare_s: list[float] = []
    # New orders are made outside the timing: only the line changes are compared.
    for index in range(WARM_UP + changes_count):
        if index % LINES_PER_ORDER == 0:
            through_client(index)
            bare_call(index)
            continue
        client_time = timed(lambda index=index: through_client(index))  # type: ignore[misc]
        bare_time = timed(lambda index=index: bare_call(index))  # type: ignore[misc]
        if index >= WARM_UP:
            client_s.append(client_time)
            bare_s.append(bare_time)
    bare.close()
    if ticket is not None:
        ticket.close()
    return statistics.median(client_s), statistics.median(bare_s)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tiny run: proves it works")
    parser.add_argument("--drafts", type=int, default=1000, help="drafts re-synced")
    parser.add_argument("--lines", type=int, default=8, help="lines per draft")
    parser.add_argument("--changes", type=int, default=400, help="ticket changes timed")
    parser.add_argument("--batch", type=int, default=100, help="drafts per import call")
    args = parser.parse_args(argv)
    drafts, lines, changes_count = (
        (20, 8, 16) if args.quick else (args.drafts, args.lines, args.changes)
    )
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temporary:
        folder = Path(temporary)
        (folder / "server").mkdir()
        with demo_server(folder / "server") as (server_url, code):
            till = enrolled(server_url, code, folder / "till", args.batch)
            try:
                resync_s, server_s = resync_seconds(till, drafts, lines, args.batch)
                print(
                    f"re-sync of {drafts} drafts of {lines} lines, batches of {args.batch}: "
                    f"{resync_s:.2f} s ({drafts / resync_s:.0f} drafts/s), of which "
                    f"{server_s:.2f} s waiting for the server's answers and "
                    f"{resync_s - server_s:.2f} s of the till's own work"
                )
                client_s, bare_s = overhead_ratio(till, server_url, changes_count)
            finally:
                till.close()
    ratio = client_s / bare_s
    print(
        f"ticket change through the client: median {client_s * 1000:.2f} ms; bare requests: "
        f"{bare_s * 1000:.2f} ms; ratio {ratio:.3f}"
    )
    figures = {"resync_1000_s": round(resync_s, 3), "client_overhead_ratio": round(ratio, 3)}
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
