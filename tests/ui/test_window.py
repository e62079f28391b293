"""The window around the screens, against the real server: the header names the shop from the
start, before anyone has logged in, as the till last learnt it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.sync.servers import Site
from tests.ui.driver import Driver
from ui.app import open_window
from ui.context import TillContext


def test_the_header_names_the_shop_before_anyone_logs_in(
    driver: Driver, site: Site, shop_id: str, qtbot: QtBot
) -> None:
    manager = site.client(shop_id, "u-claire")
    try:
        enrolled_as = manager.get("/shop")["name"]
        driver.on("login")
        assert driver.text("shop-name") == enrolled_as  # what the enrollment said
        manager.call("PATCH", "/shop", {"name": "Chez Zoé"})
    finally:
        manager.close()
    driver.log_in("u-karim")
    driver.on("sale")
    driver.settle()
    assert driver.text("shop-name") == "Chez Zoé"
    driver.tap("nav-logout")
    driver.on("login")
    assert driver.text("shop-name") == "Chez Zoé"
    context = driver.context
    driver.close()
    # The next start: nobody logged in yet, and the name the last log-in read.
    restarted = TillContext(context.data_dir, context.settings, context.make_sync, lambda _e: None)
    window = open_window(restarted)
    qtbot.addWidget(window)
    window.show()
    again = Driver(qtbot, window)
    try:
        again.on("login")
        assert again.text("shop-name") == "Chez Zoé"
    finally:
        again.close()
