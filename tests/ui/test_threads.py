"""The GUI thread never waits on the disk or the server: the drafts are read on a worker, and
what a worker brings back (the catalog at log-in) is put in place on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from sync.clock import FakeClock
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.servers import Site
from tests.ui.driver import Driver
from ui.context import TillContext


def on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def watched(calls: list[bool], method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, noting for each call whether it ran on the GUI thread."""

    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(on_gui_thread())
        return method(*args, **kwargs)

    return call


def test_the_catalog_is_read_on_a_worker_and_put_in_place_on_the_gui_thread(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[bool] = []
    kept: list[bool] = []

    def keep(context: TillContext, catalog: dict[str, Any]) -> None:
        kept.append(on_gui_thread())
        context.__dict__["catalog"] = catalog

    monkeypatch.setattr(
        TillContext,
        "catalog",
        property(lambda context: context.__dict__["catalog"], keep),
        raising=False,
    )
    sync = driver.context.core
    monkeypatch.setattr(sync, "catalog", watched(read, sync.catalog))
    driver.log_in("u-karim")
    driver.on("sale")
    assert read == [False]
    assert kept == [True]
    assert driver.context.catalog["articles"]


def test_the_parked_drafts_are_read_on_a_worker(
    driver: Driver, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver.log_in("u-karim")
    driver.sell("croissant")
    proxy.network_down(Fault.DROP)
    driver.tap("product-creme")
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "draft", timeout=20_000)
    driver.settle()
    drafts = driver.context.core.drafts
    calls: list[bool] = []
    monkeypatch.setattr(drafts, "all", watched(calls, drafts.all))
    driver.tap("sale-resume")
    driver.settle()
    assert calls == [False]
    assert driver.buttons("panel-no")  # the panel of the parked tickets, once they are read
    driver.close_panels()


def test_the_blocked_screen_counts_the_drafts_on_a_worker(
    qtbot: QtBot,
    site: Site,
    shop_id: str,
    proxy: FaultProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.ui.conftest import make_driver

    clock = FakeClock()
    driver = make_driver(
        qtbot,
        proxy.url,
        tmp_path / "till",
        enrolled_with=site.enrollment_code(shop_id),
        clock=clock,
    )
    try:
        driver.log_in("u-karim")
        driver.sell("croissant")
        proxy.network_down(Fault.DROP)
        driver.tap("product-creme")
        driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "draft", timeout=20_000)
        driver.settle()
        drafts = driver.context.core.drafts
        calls: list[bool] = []
        monkeypatch.setattr(drafts, "count", watched(calls, drafts.count))
        clock.advance(21 * 3600)
        driver.window.refresh_status()
        driver.on("blocked")
        driver.settle()
        assert calls and not any(calls)
        assert "1 brouillon" in driver.text("blocked-message")
    finally:
        driver.close()
