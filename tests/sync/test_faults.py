"""A faulty network between the till and the real server (dropped calls, delays, answers cut in
the middle, black holes, answers lost after the server acted), during a busy sale and during a
re-sync: nothing is done twice (line, order, payment, import), and the till's ticket is the
server's order every time it says it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync import ticket as changes
from sync.client import Timeouts
from sync.errors import ServerUnreachable
from sync.service import TillSync
from tests.sync.faultproxy import Fault, FaultProxy, RandomFaults
from tests.sync.helpers import made_drafts, server_done, server_view
from tests.sync.servers import Site, has_route
from till.timestamps import to_utc_iso

pytestmark = pytest.mark.slow

RATES = {
    Fault.DROP: 0.07,
    Fault.DELAY: 0.07,
    Fault.RESET_MID_RESPONSE: 0.08,
    Fault.BLACK_HOLE: 0.04,
    Fault.LOSE_ANSWER: 0.07,
}
ARTICLES = ("croissant", "creme", "pain-choc", "jus-orange", "eclair", "baguette", "the")


def test_a_busy_sale_through_a_faulty_network(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    till.client.timeouts = Timeouts(connect=1.0, read=1.0)
    proxy.delay = 0.05
    proxy.decide = RandomFaults(seed=20260302, rates=RATES, paths=("/orders",))
    ticket = till.new_ticket(table="9", covers=4)
    comparisons = 0
    for turn in range(10):
        for article in ARTICLES[turn % 3 : turn % 3 + 3]:
            ticket.submit(changes.add_line(article))
        lines = ticket.order["lines"]
        if turn % 3 == 2 and len(lines) >= 2:
            ticket.submit(changes.change_line(lines[0]["id"], quantity="2"))
            ticket.submit(changes.remove_line(lines[-1]["id"]))
        assert ticket.wait(120)
        if ticket.out_of_step:
            server_done(proxy)
            ticket.refresh()
        assert ticket.order == server_view(site, shop_id, ticket.id)
        comparisons += 1
    ticket.submit(changes.add_payment("cash", ticket.order["final_price"]))
    assert ticket.wait(120)
    if ticket.out_of_step:
        server_done(proxy)
        ticket.refresh()
    assert ticket.order == server_view(site, shop_id, ticket.id)
    assert ticket.order["is_fully_paid"]
    validated = ticket.validate()
    assert validated.order["status"] == "validated"

    order = validated.order
    assert site.orders(shop_id) == 1, "an order was made twice"
    assert len({line["id"] for line in order["lines"]}) == len(order["lines"])
    assert site.lines(ticket.id) == len(order["lines"]), "a line was added twice"
    assert site.payments(ticket.id) == 1, "a payment was added twice"
    assert site.records(shop_id, "order") == 1, "the order was validated twice"
    assert site.records(shop_id, "payment") == 1
    report = till.client.get("/verification/chains")
    assert report["ok"], report["first_defect"]
    # The network did misbehave, and calls the server had done were answered again, not redone.
    assert set(proxy.faults()) == set(Fault), proxy.faults()
    assert any(exchange.replayed for exchange in proxy.exchanges)
    assert comparisons == 10


def test_a_resync_through_a_faulty_network(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    till.client.timeouts = Timeouts(connect=1.0, read=1.0)
    till.resync.batch_size = 15
    ids = made_drafts(till, 120, lines=4)
    reports_periods = has_route(site.app, "/offline-periods")
    if reports_periods:
        started = to_utc_iso(datetime.now(UTC) - timedelta(hours=1))
        with till.store.transaction() as db:
            till.store.put(db, "offline_period", {"started_at": started, "drafts": 120})
        assert till.offline.came_back()
    proxy.decide = RandomFaults(
        seed=7,
        rates={fault: rate * 2.5 for fault, rate in RATES.items()},
        paths=("/drafts/import", "/offline-periods"),
    )
    runs = 0
    while till.resync.needed():
        runs += 1
        assert runs <= 20, "the re-sync never finished"
        try:
            till.resync.run()
        except ServerUnreachable:
            continue
    imported = site.draft_ids(shop_id)
    assert sorted(imported) == sorted(ids), "a draft was imported twice, or not at all"
    assert till.drafts.count(None) == 0
    if reports_periods:
        manager = site.client(shop_id, "u-claire")
        periods = manager.get("/events?kind=offline_period")
        manager.close()
        assert len(periods) == 1, "the offline period was reported twice"
    faults = proxy.faults()
    assert sum(count for fault, count in faults.items() if fault is not Fault.PASS) >= 5, faults
