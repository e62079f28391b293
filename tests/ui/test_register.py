"""The open register on the screen, against the real server: since when, by whom and with what
float it is open; cash put in and taken out of the drawer (the amount on the keypad, a common
reason or one typed on the on-screen keyboard), recorded by the server, the drawer opened with a
slip printed, and listed; the period's figures from an X; and the movements in the next Z."""

from __future__ import annotations

from tests.sync.faultproxy import FaultProxy, Hold
from tests.sync.servers import Site
from tests.ui.driver import Driver
from tests.ui.test_sale import pay_in_cash
from ui.qt import Qt


def cells(driver: Driver, name: str) -> list[list[str]]:
    widget = getattr(driver.window.page("register"), name)
    return [
        [
            widget.item(row, column).text().replace("\u00a0", " ")
            for column in range(widget.columnCount())
        ]
        for row in range(widget.rowCount())
    ]


def test_cash_in_and_out_then_the_x_and_the_z(driver: Driver, site: Site, shop_id: str) -> None:
    driver.log_in("u-karim")
    driver.sell("croissant")
    pay_in_cash(driver)  # 1,20 € in cash
    driver.tap("nav-register")
    driver.on("register")
    driver.settle()
    assert driver.text("register-float").replace("\u00a0", " ") == "150,00 €"
    assert driver.text("register-opened-by") == "Claire"
    assert driver.text("register-since")  # on the shop's clock
    assert cells(driver, "movements") == []

    driver.tap("register-cash")
    driver.type_keys("20")
    driver.tap("cash-reason-bank")  # a common reason: a bank deposit takes cash out
    assert driver.button("cash-out").isChecked()
    driver.tap("cash-record")
    driver.on("register")
    driver.settle()
    slip = driver.last_paper("cash")
    text = "\n".join(slip.text)
    assert "SORTIE D'ESPÈCES" in text and "20,00 €" in text and "Dépôt en banque" in text
    assert "Karim" in text and slip.drawer_kicks == 1

    driver.tap("register-cash")
    driver.tap("cash-in")
    driver.type_keys("5")
    driver.touch("cash-reason")
    driver.type_on_screen("Monnaie du voisin")
    driver.tap("kb-hide")
    driver.tap("cash-record")
    driver.settle()
    movements = cells(driver, "movements")
    assert [row[1:] for row in movements] == [
        ["Sortie d'espèces", "20,00 €", "Dépôt en banque", "Karim"],
        ["Entrée d'espèces", "5,00 €", "Monnaie du voisin", "Karim"],
    ]

    driver.tap("register-x")
    driver.settle()
    assert driver.text("register-x-cash-in").replace("\u00a0", " ") == "5,00 €"
    assert driver.text("register-x-cash-out").replace("\u00a0", " ") == "20,00 €"
    assert driver.text("register-x-sales").replace("\u00a0", " ") == "1 · 1,20 €"
    # In the drawer: the float, the sale's cash, less 20, plus 5.
    assert ["Espèces", "136,20 €"] in cells(driver, "x_modes")
    x = "\n".join(driver.last_paper("x").text)
    assert "Dépôt en banque" in x and "Monnaie du voisin" in x

    closures = site.records(shop_id, "closure")
    driver.tap("register-close")
    driver.tap("closing-count-10000")
    driver.type_keys("1")
    driver.tap("register-check")
    driver.settle()
    driver.tap("register-confirm")
    driver.settle()
    assert site.records(shop_id, "closure") == closures + 1
    z = "\n".join(driver.last_paper("z").text)
    assert "Entrées et sorties d'espèces" in z
    assert "Dépôt en banque" in z and "Monnaie du voisin" in z
    manager = site.client(shop_id, "u-claire")
    try:
        (closure,) = manager.get("/closures?kind=register&register_id=R1")
    finally:
        manager.close()
    assert (closure["cash_in"], closure["cash_out"]) == ("5.00", "20.00")


def test_a_movement_needs_a_way_an_amount_and_a_reason(driver: Driver) -> None:
    driver.log_in("u-karim")
    driver.on("sale")
    driver.settle()
    driver.tap("nav-register")
    driver.on("register")
    driver.settle()
    driver.tap("register-cash")
    for step, said in (
        (lambda: None, "entrent ou sortent"),
        (lambda: driver.tap("cash-in"), "montant"),
        (lambda: driver.type_keys("5"), "motif"),
    ):
        step()
        driver.tap("cash-record")
        assert said in driver.text("notice")
    driver.tap("cash-back")
    assert driver.window.page("register").movements.rowCount() == 0


def test_a_count_changed_after_the_check_is_checked_again_before_the_z(
    driver: Driver, site: Site, shop_id: str
) -> None:
    """A card amount typed after « Check the count » hides the confirmation until the count is
    checked again; the Z and the opening that follows are sent once, however fast the taps."""
    driver.log_in("u-karim")
    driver.on("sale")
    driver.settle()
    driver.tap("nav-register")
    driver.on("register")
    driver.settle()
    driver.tap("register-close")
    driver.tap("closing-count-10000")
    driver.type_keys("1")
    driver.tap("register-check")
    driver.settle()
    assert driver.buttons("register-confirm")
    driver.tap("closing-card")
    driver.type_keys("12")
    assert not driver.buttons("register-confirm")  # 12,00 € by card: not checked yet
    driver.tap("register-check")
    driver.settle()
    table = driver.window.page("register").differences
    rows = [table.item(row, 2).text().replace("\u00a0", " ") for row in range(table.rowCount())]
    assert "12,00 €" in rows
    closures = site.records(shop_id, "closure")
    confirm = driver.button("register-confirm")
    driver.qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    driver.qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    driver.settle()
    assert site.records(shop_id, "closure") == closures + 1
    assert "Z n°" in driver.text("notice")  # not the refusal of a second Z
    driver.tap("float-count-2000")
    driver.type_keys("5")
    opening = driver.button("register-open")
    driver.qtbot.mouseClick(opening, Qt.MouseButton.LeftButton)
    driver.qtbot.mouseClick(opening, Qt.MouseButton.LeftButton)
    driver.settle()
    assert "ouverte" in driver.text("notice")  # not the refusal of a second opening


def test_the_register_does_not_jump_to_the_sale_once_the_user_went_elsewhere(
    driver: Driver, proxy: FaultProxy
) -> None:
    hold = Hold("GET", "/registers")
    proxy.hold = hold
    driver.log_in("u-karim")
    driver.on("register")
    driver.qtbot.waitUntil(hold.held.is_set, timeout=20_000)
    driver.tap("nav-history")
    driver.on("history")
    hold.released.set()  # the register is open: it would go on to the sale
    driver.settle()
    assert driver.window.current == "history"
