"""Chain heads: the till keeps the last heads the server showed, signed with the shop's key, and
raises a kept alarm when a server shows less (restored from an old backup) or another record at a
remembered place; a replayed answer, old by nature, is no alarm; a bad signature is not believed.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from server.db import Database
from sync import ticket as changes
from sync.client import RetryPolicy, Timeouts
from sync.errors import ServerUnreachable
from sync.events import ChainAlarm, Events
from sync.heads import ChainHeads
from sync.service import TillSync
from sync.store import FILE_NAME, LocalStore
from sync.ticket import Validated
from tests.server.conftest import make_settings
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import Recorder, server_done
from tests.sync.servers import ServerThread, Site, enrolled_till, till_settings
from till.fiscal.canonical import canonical_json
from till.fiscal.keys import ShopKey

SHOP = "FR-TEST-1"


def sale(till: TillSync, *articles: str) -> Validated:
    ticket = till.new_ticket()
    for article in articles or ("croissant",):
        ticket.submit(changes.add_line(article))
    assert ticket.wait(10)
    ticket.submit(changes.add_payment("card", ticket.order["final_price"]))
    assert ticket.wait(10)
    return ticket.validate()


def test_heads_are_kept_and_their_signature_checked(
    site: Site, shop_id: str, till: TillSync
) -> None:
    first = sale(till)
    assert first.order["internal_number"] == 1
    kept = till.heads.remembered(shop_id)
    assert (
        kept["order"]
        == first.chain_heads["order"]
        == {
            "seq": 1,
            "hash": first.order["record"]["hash"],
        }
    )
    second = sale(till, "creme", "eclair")
    assert till.heads.remembered(shop_id)["order"]["seq"] == 2
    assert second.alarms == [] and till.heads.alarms() == []
    # The shop's public key was read once to check the signatures, and kept.
    keys = till.store.get("public_keys")[shop_id]
    assert len(keys) == 1
    till.check_chain_heads()
    assert till.heads.alarms() == []


def test_a_replayed_validation_is_no_alarm(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    """A validation whose answer was lost is sent again later, after other validations: the
    server replays its first answer, with the heads of that time. That is not a server going
    back."""
    first = till.new_ticket()
    first.submit(changes.add_line("croissant"))
    assert first.wait(10)
    first.submit(changes.add_payment("cash", "5.00"))
    assert first.wait(10)
    proxy.decide = lambda method, path: (
        Fault.LOSE_ANSWER if path.endswith("/validate") else Fault.PASS
    )
    till.client.retry = RetryPolicy(attempts=1)
    till.client.timeouts = Timeouts(connect=1.0, read=0.5)
    with pytest.raises(ServerUnreachable):
        first.validate()
    server_done(proxy)
    proxy.decide = lambda method, path: Fault.PASS
    till.client.retry = RetryPolicy(attempts=3, first_delay=0.01)
    later = sale(till, "the")
    assert later.order["internal_number"] == 2
    again = first.validate()
    assert again.replayed and again.order["internal_number"] == 1
    assert again.alarms == [] and till.heads.alarms() == []
    assert till.heads.remembered(shop_id)["order"]["seq"] == 2
    assert site.records(shop_id, "order") == 2


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[Site, Any]]:
    """A server of its own, on a database this test may restore from a backup."""
    folder = tmp_path / "server"
    folder.mkdir()
    settings = make_settings(folder, f"sqlite:///{folder / 'till.sqlite3'}")
    database = Database(settings.url)
    database.migrate()
    app = create_app(settings, database)
    site = Site(app, app.state.services, ServerThread(app).start(), folder)
    yield site, settings
    site.server.stop()
    site.services.database.dispose()


def test_a_server_restored_from_an_old_backup_raises_an_alarm(
    own_server: tuple[Site, Any], tmp_path: Path
) -> None:
    site, settings = own_server
    shop_id = site.new_shop()
    proxy = FaultProxy(site.server.port).start()
    till = enrolled_till(site, shop_id, proxy.url, tmp_path / "till")
    recorder = Recorder(till)
    try:
        sale(till)
        sale(till)
        database_file = site.folder / "till.sqlite3"
        backup_file = site.folder / "backup.sqlite3"
        source, target = sqlite3.connect(database_file), sqlite3.connect(backup_file)
        source.backup(target)
        source.close()
        target.close()
        sale(till)
        sale(till)
        assert till.heads.remembered(shop_id)["order"]["seq"] == 4

        # The server is restored from the backup: its last two sales are gone.
        site.server.stop()
        site.services.database.dispose()
        for companion in ("-wal", "-shm"):
            Path(f"{database_file}{companion}").unlink(missing_ok=True)
        shutil.copyfile(backup_file, database_file)
        database = Database(settings.url)
        app = create_app(settings, database)
        site.app, site.services = app, app.state.services
        site.server = ServerThread(app).start()
        proxy.upstream_port = site.server.port

        result = sale(till)
        assert result.order["internal_number"] == 3  # a number the till has seen before
        kinds = {(alarm.chain, alarm.kind) for alarm in result.alarms}
        assert ("order", "went_back") in kinds and ("payment", "went_back") in kinds
        (order_alarm,) = [alarm for alarm in result.alarms if alarm.chain == "order"]
        assert order_alarm.remembered == {"seq": 4, "hash": order_alarm.remembered["hash"]}
        assert order_alarm.shown is not None and order_alarm.shown["seq"] == 3
        assert "records were lost" in order_alarm.message
        assert recorder.of(ChainAlarm)
        # The till keeps the highest heads it saw, and the alarms, across a restart.
        till.close()
        restarted = TillSync(
            till_settings(tmp_path / "till", proxy.url), credentials=till.credentials
        )
        assert restarted.heads.remembered(shop_id)["order"]["seq"] == 4
        assert {alarm["kind"] for alarm in restarted.heads.alarms()} == {"went_back"}
        restarted.close()
    finally:
        till.close()
        proxy.stop()


# ---------------------------------------------------------------------------- unit


def signed(key: ShopKey, heads: dict[str, Any], signed_at: str) -> dict[str, str]:
    message = canonical_json({"shop_id": SHOP, "chain_heads": heads, "signed_at": signed_at})
    return {"key_id": key.key_id, "signed_at": signed_at, "signature": key.sign(message).hex()}


def head(seq: int, fill: str) -> dict[str, Any]:
    return {"seq": seq, "hash": fill * 64}


@pytest.fixture
def guard(tmp_path: Path) -> Iterator[tuple[ChainHeads, ShopKey, list[str]]]:
    key = ShopKey.generate()
    asked: list[str] = []

    def public_keys(shop_id: str) -> list[dict[str, Any]]:
        asked.append(shop_id)
        return [{"key_id": key.key_id, "public_key": key.public_key.hex}]

    store = LocalStore.open(tmp_path / FILE_NAME)
    yield ChainHeads(store, Events(), public_keys), key, asked
    store.close()


def test_another_record_at_a_remembered_place_is_a_fork(
    guard: tuple[ChainHeads, ShopKey, list[str]],
) -> None:
    heads, key, asked = guard
    shown = {"order": head(5, "a"), "event": head(9, "b")}
    assert heads.observe(SHOP, shown, signed(key, shown, "2026-03-02T10:00:00.000000Z")) == []
    assert asked == [SHOP]
    forked = {"order": head(5, "c"), "event": head(10, "d")}
    (alarm,) = heads.observe(SHOP, forked, signed(key, forked, "2026-03-02T10:01:00.000000Z"))
    assert (alarm.chain, alarm.kind) == ("order", "forked")
    assert "rewritten" in alarm.message
    # A fork is an alarm even in a replayed answer; the event chain moved on normally.
    assert heads.observe(SHOP, forked, replayed=True)[0].kind == "forked"
    assert heads.remembered(SHOP) == {"order": head(5, "a"), "event": head(10, "d")}
    assert asked == [SHOP]  # the key, once known, is not asked for again


def test_heads_with_a_bad_signature_are_not_believed(
    guard: tuple[ChainHeads, ShopKey, list[str]],
) -> None:
    heads, key, asked = guard
    shown = {"order": head(3, "a")}
    signature = signed(key, shown, "2026-03-02T10:00:00.000000Z")
    lower = {"order": head(1, "a")}
    (alarm,) = heads.observe(SHOP, lower, signature)  # a signature of other heads
    assert alarm.kind == "bad_signature"
    assert heads.remembered(SHOP) == {}
    stranger = ShopKey.generate()
    (alarm,) = heads.observe(SHOP, shown, signed(stranger, shown, "2026-03-02T10:00:00.000000Z"))
    assert alarm.kind == "unknown_key"
    assert asked == [SHOP, SHOP]  # an unknown key: the shop's keys are read again first
    assert len(heads.alarms()) == 2
    heads.clear_alarms()
    assert heads.alarms() == []


def test_going_back_without_replay_is_an_alarm(
    guard: tuple[ChainHeads, ShopKey, list[str]],
) -> None:
    heads, _, _ = guard
    assert heads.observe(SHOP, {"payment": head(7, "e")}) == []
    assert heads.observe(SHOP, {"payment": head(6, "f")}, replayed=True) == []
    (alarm,) = heads.observe(SHOP, {"payment": head(6, "f")})
    assert alarm.kind == "went_back" and alarm.shown == head(6, "f")
    (malformed,) = heads.observe(SHOP, {"order": {"seq": "1", "hash": "x"}})
    assert malformed.kind == "malformed"
