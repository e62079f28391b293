"""The on-screen keyboard, tapped like a finger would, against the real server on loopback: the
customer of a ticket typed in its panel (a capital, accents, a symbol, a back-space) and found
again by history's search on Enter; the first run's server address and enrollment code typed on
it; the layout of the screen's language; the keys never over the field typed into; a field's own
checks (an input mask) and signals as with a real keyboard; a scanner that keeps reading; and a
till with a real keyboard that turns it off."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.sync.faultproxy import FaultProxy
from tests.sync.servers import Site
from tests.ui.conftest import make_driver
from tests.ui.driver import Driver
from tests.ui.test_sale import pay_in_cash
from ui.keyboard import Keyboard, OnScreenKeyboard, WindowDock
from ui.qt import (
    QApplication,
    QLineEdit,
    QMainWindow,
    QPoint,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.settings import ScreenSettings, load

DEAD_SERVER = "http://127.0.0.1:9"


def below(field: QLineEdit, keyboard: Keyboard) -> bool:
    """Whether the keys are all under the field (in screen coordinates)."""
    bottom = field.mapToGlobal(QPoint(0, field.height())).y()
    return bottom <= keyboard.mapToGlobal(QPoint(0, 0)).y()


def test_a_customer_typed_in_a_panel_then_found_by_history(driver: Driver) -> None:
    driver.log_in("u-karim")
    driver.sell("croissant")
    driver.tap("key-details")
    customer = driver.touch("field-0")
    keyboard = driver.keyboard()
    assert keyboard is not None and keyboard.window() is customer.window()  # inside the panel
    assert below(customer, keyboard)
    driver.type_on_screen("Zoé Lefèvrz")
    driver.tap("kb-backspace")
    driver.type_on_screen("e")
    assert customer.text() == "Zoé Lefèvre"
    driver.tap("kb-enter")  # on to the receipt's note, the keys still shown
    assert QApplication.focusWidget() is not customer and driver.keyboard() is keyboard
    driver.type_on_screen("Sans sel : 2 @ 12h")
    driver.tap("kb-enter")
    driver.tap("kb-enter")  # the last field answers the panel
    driver.settle()
    assert driver.keyboard() is None
    assert keyboard.parentWidget() is driver.window.centralWidget()  # lent, given back
    assert driver.order()["customer_account"] == "Zoé Lefèvre"
    assert driver.order()["public_note"] == "Sans sel : 2 @ 12h"
    sold = pay_in_cash(driver)
    driver.sell("eclair")
    pay_in_cash(driver)  # another order, of nobody

    driver.tap("nav-history")
    driver.on("history")
    driver.settle()
    search = driver.touch("history-customer")
    keyboard = driver.keyboard()
    assert keyboard is not None and keyboard.window() is driver.window
    assert below(search, keyboard)
    driver.type_on_screen("lefèvre")
    driver.tap("kb-enter")  # the field's own action: the server searches
    driver.settle()
    assert [order["id"] for order in driver.window.page("history").orders] == [sold["id"]]
    assert driver.keyboard() is None  # Enter ended the typing; the focus stayed
    assert QApplication.focusWidget() is search

    driver.touch("history-customer")
    assert driver.keyboard() is not None
    table = driver.window.page("history").table
    driver.qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert table.hasFocus() and driver.keyboard() is None  # the focus left the text fields
    driver.touch("history-day")
    assert driver.buttons("kb-1")  # a day opens the keys on their digits


def test_a_scanner_reads_with_the_keys_shown_or_hidden(driver: Driver) -> None:
    def scan() -> None:
        target = QApplication.focusWidget()
        assert target is not None
        driver.qtbot.keyClicks(target, "3274080005003")
        driver.qtbot.keyClick(target, Qt.Key.Key_Return)
        driver.settle()

    driver.log_in("u-karim")
    driver.sell()
    driver.touch("sale-search")
    assert driver.keyboard() is not None
    scan()  # into the search field, which finds the code on Enter
    driver.touch("sale-search")
    driver.tap("kb-hide")
    assert driver.keyboard() is None
    scan()
    lines = driver.window.page("sale").lines
    driver.qtbot.mouseClick(lines.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert lines.hasFocus()
    scan()  # no text field has the focus: the screen reads the scanner itself
    assert [line["label"] for line in driver.order()["lines"]] == ["Eau minérale 50 cl"] * 3


def test_the_layout_follows_the_language(qtbot: QtBot, tmp_path: Path) -> None:
    driver = make_driver(qtbot, DEAD_SERVER, tmp_path / "till", enrolled_with=None)
    try:
        driver.on("setup")
        driver.touch("setup-server")
        row = driver.button("kb-a").y()
        assert driver.button("kb-z").y() == row and driver.button("kb-q").y() > row  # AZERTY
        assert driver.button("kb-enter").text() == "Entrée"
        driver.tap("language-en")
        driver.qtbot.waitUntil(lambda: driver.keyboard() is None)  # gone with the French screens
        driver.touch("setup-server")
        row = driver.button("kb-q").y()
        assert driver.button("kb-w").y() == row and driver.button("kb-a").y() > row  # QWERTY
        assert driver.button("kb-enter").text() == "Enter"
    finally:
        driver.close()


def test_the_keys_never_cover_the_field(qtbot: QtBot, tmp_path: Path) -> None:
    driver = make_driver(qtbot, DEAD_SERVER, tmp_path / "till", enrolled_with=None)
    try:
        driver.on("setup")
        for name in ("setup-server", "setup-code", "setup-printer-address", "setup-printer-device"):
            field = driver.touch(name)
            keyboard = driver.keyboard()
            assert keyboard is not None and below(field, keyboard), name
    finally:
        driver.close()


def bare_window(qtbot: QtBot, content: QWidget) -> tuple[QMainWindow, WindowDock]:
    """`content` in a window of its own with the on-screen keyboard, active as a till's is (the
    window is the caller's to keep)."""
    dock = WindowDock(content)
    window = QMainWindow()
    window.setCentralWidget(dock)
    OnScreenKeyboard(dock, lambda: ScreenSettings())
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window, dock


def tap_key(qtbot: QtBot, dock: WindowDock, name: str) -> None:
    [key] = [key for key in dock.keyboard.findChildren(QPushButton, name) if key.isVisible()]
    qtbot.mouseClick(key, Qt.MouseButton.LeftButton)


def test_a_field_low_in_the_window_slides_up_above_the_keys(qtbot: QtBot) -> None:
    """A content that cannot give up enough height for the keys slides up instead."""
    content = QWidget()
    column = QVBoxLayout(content)
    tall = QWidget()
    tall.setMinimumHeight(640)
    column.addWidget(tall)
    low = QLineEdit()
    column.addWidget(low)
    _window, dock = bare_window(qtbot, content)
    qtbot.mouseClick(low, Qt.MouseButton.LeftButton)
    assert not dock.keyboard.isHidden() and below(low, dock.keyboard)
    assert content.y() < 0
    tap_key(qtbot, dock, "kb-hide")
    assert dock.keyboard.isHidden() and content.y() == 0 and low.hasFocus()


def test_keys_go_through_the_fields_own_checks(qtbot: QtBot) -> None:
    """What a field refuses from a keyboard it refuses from the keys; what it says it says."""
    content = QWidget()
    day = QLineEdit()
    day.setInputMask("99/99/9999")
    QVBoxLayout(content).addWidget(day)
    _window, dock = bare_window(qtbot, content)
    edited: list[str] = []
    day.textEdited.connect(edited.append)
    qtbot.mouseClick(day, Qt.MouseButton.LeftButton)
    day.home(False)
    for key in ("kb-page-symbols", "kb-2", "kb-@", "kb-1", "kb-1", "kb-2"):
        tap_key(qtbot, dock, key)
    assert day.text() == "21/12/" and edited[-1] == "21/12/"


def test_enrolled_from_the_on_screen_keyboard(
    qtbot: QtBot, site: Site, proxy: FaultProxy, tmp_path: Path
) -> None:
    shop_id = site.new_shop()
    code = site.enrollment_code(shop_id)
    driver = make_driver(qtbot, DEAD_SERVER, tmp_path / "till", enrolled_with=None)
    try:
        driver.on("setup")
        server = driver.touch("setup-server")
        for _ in server.text():
            driver.tap("kb-backspace")
        driver.type_on_screen(proxy.url)
        driver.tap("kb-enter")  # on to the code, the keys back on their letters
        driver.tap("kb-shift")
        driver.tap("kb-shift")  # capitals, locked
        driver.type_on_screen(code)
        assert driver.text("setup-server") == proxy.url and driver.text("setup-code") == code
        driver.tap("kb-enter")  # the last field of the enrollment: the keys go
        assert driver.keyboard() is None
        driver.tap("setup-enroll")
        driver.on("login")
        assert driver.context.settings.server == proxy.url
        assert driver.context.core.enrolled
    finally:
        driver.close()


def test_a_till_with_a_real_keyboard_turns_it_off(qtbot: QtBot, tmp_path: Path) -> None:
    driver = make_driver(qtbot, DEAD_SERVER, tmp_path / "till", enrolled_with=None)
    try:
        driver.on("setup")
        driver.touch("setup-code")
        assert driver.keyboard() is not None
        driver.tap("keyboard-off")
        assert driver.keyboard() is None
        code = driver.touch("setup-code")
        assert driver.keyboard() is None
        driver.qtbot.keyClicks(code, "ABCDE-FGHJK")  # the real one
        assert code.text() == "ABCDE-FGHJK"
        assert load(tmp_path / "till").on_screen_keyboard is False
    finally:
        driver.close()
