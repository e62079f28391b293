"""Offline work and re-sync against the real server: drafts while the server is away, refused past
the 20-hour window and kept, imported on reconnect in batches with progress, deleted only once the
server confirmed them, the offline period in the server's journal; refused drafts kept with their
reason and tried again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.client import RetryPolicy, Timeouts
from sync.clock import FakeClock
from sync.credentials import MemoryCredentials
from sync.drafts import Draft, DraftLine
from sync.errors import OfflineWindowExpired, OnlineOnly, ServerUnreachable
from sync.events import DraftImported, DraftRejected, OfflinePeriodReported, ResyncProgress
from sync.service import TillSync
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import Recorder, articles, made_drafts, server_done
from tests.sync.servers import OPEN_REGISTER, Site, enrolled_till, has_route, till_settings


def go_offline(till: TillSync, proxy: FaultProxy) -> None:
    proxy.network_down(Fault.DROP)
    with pytest.raises(ServerUnreachable):
        till.client.health()
    assert till.online is False


def come_back(till: TillSync, proxy: FaultProxy) -> None:
    proxy.network_up()
    till.client.health()
    assert till.online is True
    assert till.wait_resync(60)


def test_offline_drafts_then_resync_on_reconnect(
    site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    # The till's clock starts 22 hours ago, so the window's end is in the server's past.
    clock = FakeClock(wall=datetime.now(UTC) - timedelta(hours=22))
    till = enrolled_till(site, shop_id, proxy.url, tmp_path / "till", clock=clock)
    recorder = Recorder(till)
    try:
        catalog = articles(till)
        with pytest.raises(OnlineOnly):
            till.offline.new_draft("R1", "u-karim")
        go_offline(till, proxy)
        first = till.offline.new_draft("R1", "u-karim", table="3", covers=2)
        first = till.offline.save(
            first.with_line(DraftLine.from_article(catalog["croissant"], "2")).with_line(
                DraftLine.from_article(catalog["creme"])
            )
        )
        clock.advance(3 * 3600)
        # 17 hours left, less the few (fake) seconds of retries that found the server gone.
        assert timedelta(hours=17) - timedelta(seconds=30) < till.offline_time_left()
        assert till.offline_time_left() <= timedelta(hours=17)
        second = till.offline.new_draft("R1", "u-karim", customer_account="C-42")
        second = till.offline.save(second.with_line(DraftLine.from_article(catalog["formule"])))
        assert second.totals.final_price == 1150  # provisional, from the fiscal core

        clock.advance(17 * 3600)
        assert till.offline_time_left() == timedelta(0)
        with pytest.raises(OfflineWindowExpired) as refused:
            till.offline.new_draft("R1", "u-karim")
        assert "more than 20 hours" in refused.value.message
        assert "2 drafts already made are kept" in refused.value.message
        with pytest.raises(OfflineWindowExpired):
            till.offline.save(first.changed(table="4"))
        assert [draft.id for draft in till.drafts.all()] == [first.id, second.id]
        assert till.drafts.get(first.id) == first

        clock.advance(3600)
        come_back(till, proxy)
        assert till.offline_time_left() == timedelta(hours=20)
        assert till.drafts.count(None) == 0
        assert sorted(site.draft_ids(shop_id)) == sorted([first.id, second.id])
        assert recorder.of(ResyncProgress)[-1] == ResyncProgress(2, 2)
        imported = {event.draft_id: event for event in recorder.of(DraftImported)}
        assert set(imported) == {first.id, second.id}
        # Imported anyway, and flagged when made more than 20 hours before (by the till's clock).
        assert imported[first.id].late and not imported[second.id].late
        order = till.client.get(f"/orders/{imported[first.id].order_id}")
        assert order["status"] == "open" and order["draft_id"] == first.id
        assert order["final_price"] == "5.60" and order["table"] == "3"
        (period,) = recorder.of(OfflinePeriodReported)
        assert period.drafts == 2
        if has_route(site.app, "/offline-periods"):
            manager = site.client(shop_id, "u-claire")
            (event,) = manager.get("/events?kind=offline_period")
            manager.close()
            assert event["register_id"] == "R1"
            assert event["details"]["drafts"] == 2
            assert event["details"]["seconds"] >= 21 * 3600
    finally:
        till.close()


def test_batches_progress_and_confirmation(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    """Each batch's drafts are deleted only when the server answered for them: an answer lost on
    the way leaves them all here; the next run finds them already imported and deletes them."""
    recorder = Recorder(till)
    till.resync.batch_size = 40
    ids = made_drafts(till, 100)
    till.client.retry = RetryPolicy(attempts=1)
    till.client.timeouts = Timeouts(connect=1.0, read=30.0)  # a slow machine is no lost answer
    imports = 0

    def second_batch_answer_lost(method: str, path: str) -> Fault:
        nonlocal imports
        if path == "/drafts/import":
            imports += 1
            # The server imports the batch; its answer is cut on the way.
            return Fault.RESET_MID_RESPONSE if imports == 2 else Fault.PASS
        return Fault.PASS

    proxy.decide = second_batch_answer_lost
    with pytest.raises(ServerUnreachable):
        till.resync.run()
    assert till.drafts.count() == 60  # the first batch confirmed, the second not heard of
    server_done(proxy)  # the server may answer after the till gave up waiting
    assert len(site.draft_ids(shop_id)) == 80  # but the server has it
    till.resync.run()
    assert till.drafts.count(None) == 0
    assert sorted(site.draft_ids(shop_id)) == sorted(ids)  # each once
    progress = [(event.done, event.total) for event in recorder.of(ResyncProgress)]
    assert progress == [(0, 100), (40, 100), (0, 60), (40, 60), (60, 60)]


def test_refused_drafts_stay_with_their_reason(
    site: Site, shop_id: str, till: TillSync, tmp_path: Path
) -> None:
    recorder = Recorder(till)
    good = made_drafts(till, 3)
    now = datetime.now(UTC)
    ghost = Draft(
        created_at=now,
        updated_at=now,
        register_id="R1",
        lines=(DraftLine(article_id="ghost", label="Fantôme", unit_price=100, vat_rate="10"),),
    )
    # A register id the server cannot even read: the whole batch is refused, then split.
    unreadable = Draft(
        created_at=now,
        updated_at=now,
        register_id="R" * 41,
        lines=(
            DraftLine(article_id="croissant", label="Croissant", unit_price=120, vat_rate="10"),
        ),
    )
    till.drafts.save(ghost)
    till.drafts.save(unreadable)
    report = till.resync.run()
    assert (report.imported, report.rejected) == (3, 2)
    assert sorted(site.draft_ids(shop_id)) == sorted(good)
    kept = {draft.id: draft for draft in till.drafts.all()}
    assert set(kept) == {ghost.id, unreadable.id}
    assert kept[ghost.id].status == "rejected"
    assert kept[ghost.id].rejection is not None and "ghost" in kept[ghost.id].rejection["message"]
    assert kept[unreadable.id].rejection is not None
    assert kept[unreadable.id].rejection["code"] == "invalid_request"
    assert {event.draft_id for event in recorder.of(DraftRejected)} == {ghost.id, unreadable.id}
    assert till.resync.left() == {"drafts": 0, "refused_drafts": 2, "offline_periods": 0}
    # Tried again at the next re-sync, refused again for the same reasons, still kept.
    report = till.resync.run()
    assert (report.imported, report.rejected) == (0, 2)
    assert till.drafts.count("rejected") == 2


def test_drafts_of_a_closed_register_wait_until_it_opens(site: Site, tmp_path: Path) -> None:
    if not has_route(site.app, OPEN_REGISTER):
        pytest.skip("this server has no registers to open")
    shop_id = site.new_shop(open_registers=("R1",))
    till = enrolled_till(site, shop_id, site.server.url, tmp_path / "till")
    try:
        waiting = made_drafts(till, 2, register="R2")
        report = till.resync.run()
        assert report.rejected == 2
        assert {draft.rejection["code"] for draft in till.drafts.all() if draft.rejection} == {
            "register_closed"
        }
        site.open_registers(shop_id, ("R2",))
        report = till.resync.run()
        assert report.imported == 2
        assert sorted(site.draft_ids(shop_id)) == sorted(waiting)
    finally:
        till.close()


def test_the_catalog_is_kept_for_drafts_made_while_the_server_is_away(
    site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    credentials = MemoryCredentials()
    till = enrolled_till(site, shop_id, proxy.url, tmp_path / "till", credentials=credentials)
    catalog = till.catalog()
    assert till.catalog() == catalog
    assert [e.status for e in proxy.exchanges if e.path == "/catalog"] == [200, 304]
    till.close()
    proxy.network_down(Fault.DROP)
    restarted = TillSync(till_settings(tmp_path / "till", proxy.url), credentials=credentials)
    try:
        assert restarted.catalog() == catalog
        croissant = next(a for a in catalog["articles"] if a["id"] == "croissant")
        assert DraftLine.from_article(croissant).unit_price == 120
    finally:
        restarted.close()


def test_an_empty_draft_is_dropped_not_sent(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    catalog = articles(till)
    go_offline(till, proxy)
    left = till.offline.new_draft("R1", "u-karim")  # started, nothing put on it
    noted = till.offline.new_draft("R1", "u-karim", table="5")
    sold = till.offline.new_draft("R1", "u-karim")
    till.offline.save(sold.with_line(DraftLine.from_article(catalog["croissant"])))
    orders = site.orders(shop_id)
    come_back(till, proxy)
    assert till.drafts.count(None) == 0
    assert sorted(site.draft_ids(shop_id)) == sorted([noted.id, sold.id])
    assert left.id not in site.draft_ids(shop_id)
    assert site.orders(shop_id) == orders + 2
