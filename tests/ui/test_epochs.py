"""Answers that come after the screen changed hands: the order a till was opening when training
was switched on, or when its user logged out, is not put on the screen it was not opened for."""

from __future__ import annotations

from tests.sync.faultproxy import FaultProxy, Hold
from tests.sync.servers import Site
from tests.ui.driver import Driver
from tests.ui.test_sale import pay_in_cash

# The first call of a session's first ticket: the register's open orders, to reuse an empty one.
OPEN_ORDERS = ("GET", "/orders?")


def held(proxy: FaultProxy) -> Hold:
    hold = Hold(*OPEN_ORDERS)
    proxy.hold = hold
    return hold


def test_training_tapped_while_the_first_ticket_opens_stays_training(
    driver: Driver, site: Site, shop_id: str, proxy: FaultProxy
) -> None:
    hold = held(proxy)
    driver.log_in("u-karim")
    driver.qtbot.waitUntil(hold.held.is_set, timeout=20_000)
    driver.tap("nav-training")
    assert driver.ticket_kind() == "training"
    hold.released.set()
    driver.settle()
    assert driver.ticket_kind() == "training"
    assert driver.window.training_banner.isVisible()
    driver.sell("croissant")
    validated = pay_in_cash(driver)
    assert validated["public_number"] is None
    driver.settle()
    assert site.records(shop_id, "order") == 0  # nothing sealed
    opened = site.orders(shop_id)
    driver.tap("nav-training")  # back to real sales: on the order opened for them
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "online", timeout=20_000)
    driver.settle()
    assert site.orders(shop_id) == opened == 1
    assert driver.order()["user_id"] == "u-karim"


def test_a_log_out_while_the_first_ticket_opens_leaves_nothing_to_the_next_user(
    driver: Driver, site: Site, shop_id: str, proxy: FaultProxy
) -> None:
    driver.log_in("u-karim")
    driver.sell()
    karims = driver.order()["id"]  # empty: left on the server for Karim's next session
    driver.tap("nav-logout")
    driver.settle()
    hold = held(proxy)
    driver.log_in("u-karim")
    driver.qtbot.waitUntil(hold.held.is_set, timeout=20_000)  # about to find that order again
    driver.tap("nav-logout")
    driver.log_in("u-lea")
    driver.on("sale")
    hold.released.set()  # Karim's order comes back now, on Léa's screen
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "online", timeout=20_000)
    driver.settle()
    assert driver.order()["user_id"] == "u-lea"
    assert driver.order()["id"] != karims
    driver.sell("croissant")
    assert driver.order()["user_id"] == "u-lea"
    driver.tap("nav-logout")
    driver.settle()
    driver.log_in("u-karim")
    driver.on("sale")
    driver.qtbot.waitUntil(lambda: driver.ticket_kind() == "online", timeout=20_000)
    driver.settle()
    assert driver.order()["id"] == karims  # not leaked: Karim's session starts on it again
