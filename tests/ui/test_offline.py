"""Offline on the screen: the link goes down mid-ticket, the ticket goes on as a draft, a second
draft is made; the banner says how long is left; the link comes back, the drafts are re-synced
with their progress, and both become orders that are paid and validated. Past 20 hours the till
is blocked, its drafts kept."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from sync.clock import FakeClock
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import server_view
from tests.sync.servers import Site
from tests.ui.driver import Driver
from tests.ui.test_sale import pay_in_cash


def test_drafts_offline_then_resync_and_validate(
    driver: Driver, site: Site, shop_id: str, proxy: FaultProxy
) -> None:
    driver.log_in("u-karim")
    driver.sell("croissant")
    proxy.network_down(Fault.DROP)
    driver.tap("product-creme")  # no answer: the till goes offline
    driver.qtbot.waitUntil(lambda: driver.window.offline_banner.isVisible(), timeout=20_000)
    assert "HORS LIGNE" in driver.text("offline-banner")
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "draft", timeout=20_000)
    driver.sell("eclair")
    first = driver.order()
    assert [line["label"] for line in first["lines"]] == ["Croissant", "Éclair au café"]
    driver.tap("sale-pay")  # refused: a draft is never paid
    assert driver.window.current == "sale"
    driver.tap("sale-park")
    driver.settle()
    driver.sell("baguette", "baguette")
    sync = driver.context.core
    assert sync.drafts.count(None) == 2
    proxy.network_up()
    driver.qtbot.waitUntil(lambda: not driver.window.offline_banner.isVisible(), timeout=20_000)
    driver.qtbot.waitUntil(lambda: len(driver.window.imported) == 2, timeout=30_000)
    assert sync.drafts.count(None) == 0
    driver.tap("nav-drafts")
    driver.on("drafts")
    driver.settle()
    for _ in range(2):
        driver.tap("imported-0")
        driver.on("sale")
        driver.settle()
        assert driver.order()["draft_id"] is not None
        pay_in_cash(driver)
        driver.tap("nav-drafts")
        driver.on("drafts")
        driver.settle()
    assert site.records(shop_id, "order") == 2


def test_past_twenty_hours_the_till_is_blocked(
    qtbot: QtBot, site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path
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
        driver.qtbot.waitUntil(lambda: driver.window.offline_banner.isVisible(), timeout=20_000)
        clock.advance(21 * 3600)
        driver.window.refresh_status()
        driver.on("blocked")
        assert "20 heures" in driver.text("blocked-message")
        proxy.network_up()
        driver.tap("blocked-retry")
        driver.qtbot.waitUntil(lambda: driver.window.current != "blocked", timeout=20_000)
    finally:
        driver.close()


def test_an_empty_draft_is_left_behind(driver: Driver, site: Site, proxy: FaultProxy) -> None:
    """A ticket parked offline leaves an empty draft on screen; when the server is back, that
    one is no order to complete: only the parked draft is sent."""
    driver.log_in("u-karim")
    driver.sell("croissant")
    proxy.network_down(Fault.DROP)
    driver.tap("product-creme")
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "draft", timeout=20_000)
    driver.settle()
    driver.tap("sale-park")
    driver.settle()
    sync = driver.context.core
    assert sync.drafts.count(None) == 2  # the parked one, and the empty one on screen
    proxy.network_up()
    driver.qtbot.waitUntil(lambda: len(driver.window.imported) == 1, timeout=30_000)
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "online", timeout=20_000)
    driver.settle()
    assert sync.drafts.count(None) == 0
    assert len(driver.window.imported) == 1


def test_a_ticket_gone_offline_keeps_what_the_cashier_typed(
    driver: Driver, proxy: FaultProxy
) -> None:
    """A price typed over the catalog's, a line's discount, the ticket's discount and its private
    note stay on the draft the ticket becomes when the server goes away."""
    driver.log_in("u-karim")
    driver.sell("croissant", "eclair")
    sale = driver.window.page("sale")
    sale.lines.setCurrentRow(0)
    driver.type_keys("0,95")
    driver.tap("key-price")
    driver.settle()
    sale.lines.setCurrentRow(1)
    driver.type_keys("15")
    driver.tap("key-discount-rate")
    driver.settle()
    sale.lines.setCurrentRow(-1)
    driver.type_keys("1")
    driver.tap("key-discount-amount")
    driver.settle()
    driver.tap("key-details")
    driver.fill("field-2", "Client habitué")
    driver.tap("panel-yes")
    driver.settle()
    online = driver.order()
    assert online["order_discount"] == {"amount": "1.00"}
    assert online["private_note"] == "Client habitué"
    proxy.network_down(Fault.DROP)
    driver.tap("product-creme")  # no answer: the ticket goes on as a draft
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "draft", timeout=20_000)
    driver.settle()
    draft = driver.order()
    assert [(line["label"], line["unit_price"], line["discount"]) for line in draft["lines"]] == [
        ("Croissant", "0.95", None),
        ("Éclair au café", "3.40", {"rate": "15.00"}),
    ]
    assert draft["order_discount"] == {"amount": "1.00"}
    assert draft["private_note"] == "Client habitué"
    assert draft["final_price"] == online["final_price"]


def test_a_ticket_no_draft_could_be_made_of_stays_on_the_server(
    qtbot: QtBot, site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The server goes away past the 20 hours: no draft can be made of the ticket, so its order
    is not given up; once the server is back, it is still open there with its line."""
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
        order_id = driver.order()["id"]
        proxy.network_down(Fault.DROP)
        clock.advance(21 * 3600)
        driver.tap("product-creme")  # no answer, and too late for a draft
        driver.on("blocked")
        driver.settle()
        assert driver.context.core.drafts.count(None) == 0
        proxy.network_up()
        driver.tap("blocked-retry")
        driver.qtbot.waitUntil(lambda: driver.window.current != "blocked", timeout=20_000)
        driver.settle()
        kept = server_view(site, shop_id, order_id)
        assert kept["status"] == "open"
        assert [line["label"] for line in kept["lines"]] == ["Croissant"]
    finally:
        driver.close()
