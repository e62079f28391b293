"""A day at the till on the real server: the register opened with its float counted, a sale
paid across two modes with the receipt printed from the sealed order, a refund under a manager's
PIN, and the register closed with a difference shown before the Z."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.sync.servers import Site
from tests.ui.driver import Driver
from ui.qt import QApplication, QChildEvent, QEvent, QObject, QPoint, QRect, Qt


def test_open_sell_with_a_split_payment_and_print(driver: Driver, site: Site, shop_id: str) -> None:
    driver.log_in("u-karim")
    driver.on("sale")
    driver.sell("croissant", "creme", "croissant")
    order = driver.order()
    assert [(line["label"], line["quantity"]) for line in order["lines"]] == [
        ("Croissant", "1.000"),
        ("Café crème", "1.000"),
        ("Croissant", "1.000"),
    ]
    assert order["final_price"] == "5.60"
    driver.tap("sale-pay")
    driver.on("payment")
    driver.type_keys("2")
    driver.tap("mode-card")
    driver.settle()
    driver.tap("quick-1000")  # the rest, 3,60 €, in cash from a 10 € note
    driver.settle()
    assert "6,40" in driver.text("payment-change")
    driver.tap("payment-validate")
    driver.qtbot.waitUntil(lambda: driver.text("done-title").startswith("Ticket T"), timeout=20_000)
    driver.settle()
    paper = driver.last_paper()
    text = "\n".join(paper.text)
    assert "TICKET DE CAISSE" in text
    assert "Carte bancaire" in text and "Espèces" in text
    assert paper.qr_codes and paper.drawer_kicks == 1
    assert site.records(shop_id, "order") == 1


def pay_in_cash(driver: Driver) -> dict[str, Any]:
    driver.tap("sale-pay")
    driver.on("payment")
    driver.tap("mode-cash")
    driver.settle()
    driver.tap("payment-validate")
    driver.qtbot.waitUntil(
        lambda: driver.window.page("payment").validated is not None, timeout=20_000
    )
    driver.settle()
    validated: dict[str, Any] = driver.window.page("payment").validated
    driver.tap("done-next")
    return validated


def test_refund_under_a_managers_pin(driver: Driver, site: Site, shop_id: str) -> None:
    driver.log_in("u-karim")
    driver.sell("eclair")
    sold = pay_in_cash(driver)
    driver.tap("nav-history")
    driver.on("history")
    driver.settle()
    history = driver.window.page("history")
    history.choose([order["id"] for order in history.orders].index(sold["id"]))
    driver.settle()
    driver.tap("history-refund")
    driver.settle()
    driver.tap("manager-u-claire")
    driver.type_keys("1234")
    driver.tap("keypad-enter")
    driver.on("sale")
    driver.settle()
    refund = driver.order()
    assert refund["corrects_order_id"] == sold["id"] and refund["final_price"] == "-3.40"
    sealed = pay_in_cash(driver)
    assert sealed["is_refund"] and sealed["public_number"]
    assert "TICKET DE REMBOURSEMENT" in "\n".join(driver.last_paper().text)
    assert site.records(shop_id, "order") == 2


def test_close_with_a_difference(driver: Driver, site: Site, shop_id: str) -> None:
    driver.log_in("u-karim")
    driver.sell("formule")
    pay_in_cash(driver)
    driver.tap("nav-register")
    driver.on("register")
    driver.settle()
    driver.tap("register-close")
    driver.tap("closing-count-10000")
    driver.type_keys("2")  # 200,00 € counted; 150,00 + 11,50 expected
    driver.tap("register-check")
    driver.settle()
    table = driver.window.page("register").differences
    assert table.item(0, 3).text().replace("\u00a0", " ") == "38,50 €"
    closures = site.records(shop_id, "closure")
    driver.tap("register-confirm")
    driver.settle()
    assert site.records(shop_id, "closure") == closures + 1
    z = driver.last_paper("z").text
    assert any("CLÔTURE Z" in line for line in z)
    assert any("écart" in line and "38,50" in line for line in z)


def chain_counts(site: Site, shop_id: str) -> dict[str, int]:
    return {chain: site.records(shop_id, chain) for chain in ("order", "payment", "closure")}


def test_the_accountant_can_change_nothing(
    driver: Driver, site: Site, shop_id: str, tmp_path: Path
) -> None:
    driver.log_in("u-compta")
    driver.on("history")
    driver.settle()
    driver.context.remember(export_folder=str(tmp_path))  # where the reports screen saves
    before = chain_counts(site, shop_id)
    events = len(site.events(shop_id))
    visited = set()
    for screen in ("history", "closures", "journal", "verification", "reports", "help"):
        driver.tap(f"nav-{screen}")
        driver.on(screen)
        driver.settle()
        for button in driver.buttons():
            name = button.objectName()
            if name.startswith("nav-") or not button.isEnabled():
                continue
            visited.add(name or button.text())
            driver.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            driver.settle()
            driver.close_panels()
    for refused in ("history-refund", "history-reprint", "sale-pay", "register-close"):
        assert refused not in visited
    assert {"history-search", "verification-run", "reports-show", "reports-archives"} <= visited
    assert chain_counts(site, shop_id) == before
    # Saving a report or an export changes no data, but the server journals every file it hands
    # over (seed 000: exports are journaled): one export event per file saved, and nothing else.
    saved = sorted(name.removeprefix("reports-save-") for name in visited if "-save-" in name)
    assert saved == ["csv", "fec", "html", "pdf", "saft", "xlsx"]
    journaled = site.events(shop_id)[events:]
    assert [event["kind"] for event in journaled] == ["export"] * len(saved)
    assert sorted(event["details"]["format"] for event in journaled) == saved
    assert len([path for path in tmp_path.iterdir() if path.is_file()]) == len(saved)
    assert "Toutes les chaînes" in driver.text("verification-result")


def test_training_mode_seals_nothing(driver: Driver, site: Site, shop_id: str) -> None:
    driver.log_in("u-karim")
    driver.on("sale")
    driver.settle()
    before = chain_counts(site, shop_id)
    orders = site.orders(shop_id)
    driver.tap("nav-training")
    driver.sell("croissant", "biere")
    assert driver.order()["final_price"] == "5.00"
    driver.tap("sale-pay")
    driver.on("payment")
    driver.tap("quick-1000")
    driver.tap("payment-validate")
    driver.settle()
    paper = "\n".join(driver.last_paper("training").text)
    assert paper.count("MODE ÉCOLE") >= 3 and "SANS VALEUR" in paper
    assert chain_counts(site, shop_id) == before
    assert site.orders(shop_id) == orders


class WidgetsMade(QObject):
    """Counts the widgets given a parent (made, or moved) anywhere in the application."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ChildAdded:
            assert isinstance(event, QChildEvent)
            self.count += event.child().isWidgetType()
        return False


def sell_paid_in_two_modes(driver: Driver) -> None:
    """A sale of three articles, part by card, the rest in cash with a quick amount, the
    receipt's preview closed, and the next ticket."""
    driver.sell("croissant", "eclair", "creme")
    driver.tap("sale-pay")
    driver.on("payment")
    driver.type_keys("2")
    driver.tap("mode-card")  # a payment row, and quick amounts for the rest
    driver.settle()
    driver.tap("quick-1000")
    driver.settle()
    driver.tap("payment-validate")
    driver.qtbot.waitUntil(lambda: driver.window.page("payment").validated is not None)
    driver.settle()
    assert driver.window.preview_panel is not None
    driver.window.preview_panel.accept()
    driver.tap("done-next")
    driver.on("sale")
    driver.settle()


def test_a_sale_makes_no_widget(driver: Driver, qapp: QApplication) -> None:
    """The screens of a sale show again the widgets they made before: widgets made and thrown
    away at every sale cost work, and memory for good once taken out of their layout."""
    driver.log_in("u-karim")
    sell_paid_in_two_modes(driver)  # every screen, panel and button of such a sale made once
    made = WidgetsMade()
    qapp.installEventFilter(made)
    try:
        sell_paid_in_two_modes(driver)
    finally:
        qapp.removeEventFilter(made)
    assert made.count == 0


def test_the_notice_never_moves_the_pay_button(driver: Driver) -> None:
    driver.log_in("u-karim")
    driver.sell("croissant")
    pay = driver.button("sale-pay")
    window = driver.window

    def where() -> QRect:
        return QRect(pay.mapTo(window, QPoint(0, 0)), pay.size())

    before = where()
    driver.tap("key-quantity")  # nothing typed: the notice says to type a number first
    driver.qtbot.wait(50)
    assert "Tapez" in driver.text("notice")
    assert where() == before
    window.notify("Un message bien plus long que la ligne ne l'est. " * 8)
    driver.qtbot.wait(50)
    assert where() == before
    driver.qtbot.mouseClick(window.notice, Qt.MouseButton.LeftButton)  # a tap clears it
    driver.qtbot.wait(50)
    assert driver.text("notice") == "" and where() == before


def test_empty_orders_do_not_pile_up(driver: Driver, site: Site, shop_id: str) -> None:
    """The server makes an order for each new ticket: one left empty is the next ticket (after
    a log-out, a lock, a parked ticket resumed, training), never one more order."""
    driver.log_in("u-karim")
    driver.sell()
    first = driver.order()["id"]
    driver.tap("nav-logout")
    driver.log_in("u-karim")
    driver.sell()
    assert driver.order()["id"] == first
    driver.tap("nav-lock")
    driver.on("lock")
    driver.type_keys("1111")
    driver.tap("keypad-enter")
    driver.sell("croissant")
    assert driver.order()["id"] == first
    driver.tap("sale-park")
    driver.sell()
    second = driver.order()["id"]
    driver.tap("sale-resume")
    driver.settle()
    assert len([item for item in driver.buttons() if item.objectName().startswith("parked-")]) == 1
    driver.tap("parked-0")  # the croissant's ticket, over the empty one
    driver.settle()
    assert driver.order()["id"] == first
    pay_in_cash(driver)
    driver.sell()
    assert driver.order()["id"] == second
    driver.tap("nav-training")
    driver.sell("croissant")
    driver.tap("nav-training")
    driver.sell()
    assert driver.order()["id"] == second
    assert site.orders(shop_id) == 2  # the sale, and the ticket waiting for the next
    driver.tap("nav-history")
    driver.on("history")
    driver.settle()
    assert [order["id"] for order in driver.window.page("history").orders] == [first]
