"""Drives the window as a cashier would: taps on buttons found by name among those visible,
digits on keypads, text fields touched and typed into on the on-screen keyboard, and waits for
the work under way (operations, the ticket's changes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from tests.printing.escpos_decoder import Paper, decode
from ui.i18n import current_translator
from ui.keyboard import Keyboard
from ui.qt import (
    QCalendarWidget,
    QDate,
    QLabel,
    QLineEdit,
    QListWidget,
    QPainter,
    QPushButton,
    Qt,
    QWidget,
)
from ui.widgets import ElidedLabel, Panel
from ui.window import MainWindow

PINS = {"u-claire": "1234", "u-karim": "1111", "u-lea": "2222", "u-compta": "0000"}


class Driver:
    def __init__(self, qtbot: QtBot, window: MainWindow) -> None:
        self.qtbot = qtbot
        self.window = window
        self.context = window.context

    # ------------------------------------------------------------------------ finding

    def buttons(self, name: str | None = None) -> list[QPushButton]:
        found = self.window.findChildren(QPushButton)
        return [
            item
            for item in found
            if item.isVisible() and (name is None or item.objectName() == name)
        ]

    def button(self, name: str) -> QPushButton:
        self.qtbot.waitUntil(lambda: bool(self.buttons(name)), timeout=15_000)
        return self.buttons(name)[0]

    def tap(self, name: str) -> None:
        target = self.button(name)
        self.qtbot.waitUntil(target.isEnabled, timeout=15_000)
        self.qtbot.mouseClick(target, Qt.MouseButton.LeftButton)

    def tap_item(self, name: str, text: str) -> None:
        """Tap the row that reads `text` in the list called `name`."""
        found = self.window.findChild(QListWidget, name)
        assert found is not None, name
        [item] = found.findItems(text, Qt.MatchFlag.MatchExactly)
        where = found.visualItemRect(item).center()
        self.qtbot.mouseClick(found.viewport(), Qt.MouseButton.LeftButton, pos=where)

    def type_keys(self, digits: str) -> None:
        """Digits on the visible keypad that was shown last (a panel's, or the screen's)."""
        for digit in digits:
            keys = [item for item in self.buttons() if item.text() == digit]
            self.qtbot.mouseClick(keys[-1], Qt.MouseButton.LeftButton)

    def touch(self, name: str) -> QLineEdit:
        """Touch the visible text field called `name` (the last opened, if a panel has one too).
        A till's window is the active one; the offscreen platform activates none by itself."""
        [*_, field] = [
            item for item in self.window.findChildren(QLineEdit, name) if item.isVisible()
        ]
        window = field.window()
        window.activateWindow()
        self.qtbot.waitUntil(window.isActiveWindow)
        self.qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
        return field

    def keyboard(self) -> Keyboard | None:
        """The on-screen keyboard shown, if any."""
        shown = [item for item in self.window.findChildren(Keyboard) if item.isVisible()]
        return shown[0] if shown else None

    def type_on_screen(self, text: str) -> None:
        """`text` typed key by key on the on-screen keyboard: a key not on the page shown is looked
        for on the two others (each page has a key to each other page), shift is tapped for a
        capital (and again, if locked, for a small letter)."""
        for char in text:
            name = "kb-space" if char == " " else f"kb-{char.lower()}"
            if not self.buttons(name):
                for page in [
                    key.objectName() for key in self.buttons() if "kb-page-" in key.objectName()
                ]:
                    self.tap(page)
                    if self.buttons(name):
                        break
            if char.lower() != char.upper():
                while self.button("kb-shift").isChecked() != char.isupper():
                    self.tap("kb-shift")
            self.tap(name)

    def text(self, name: str) -> str:
        widget = self.window.findChild(QWidget, name)
        if isinstance(widget, ElidedLabel):
            return widget.full_text
        assert isinstance(widget, QLabel | QLineEdit), name
        return widget.text()

    def pick_day(self, day: date) -> None:
        """Tap `day` on the calendar panel that is open."""
        calendar = self.window.findChild(QCalendarWidget, "calendar")
        assert calendar is not None and calendar.isVisible()
        chosen = QDate(day.year, day.month, day.day)
        calendar.setSelectedDate(chosen)
        calendar.clicked.emit(chosen)

    def close_panels(self) -> None:
        """Close the panels left open (by a test that taps every button it sees)."""
        for panel in self.window.findChildren(Panel):
            if panel.isVisible():
                panel.reject()

    def fill(self, name: str, text: str) -> None:
        widget = self.window.findChild(QLineEdit, name)
        assert widget is not None, name
        widget.setText(text)

    # ------------------------------------------------------------------------ waiting

    def idle(self) -> bool:
        sale = self.window.page("sale")
        ticket = sale.ticket
        pending = ticket is not None and bool(ticket.view().pending)
        return (
            self.context.ops.idle
            and self.context.printing.idle
            and sale.drafts.idle
            and not pending
        )

    def settle(self, timeout: int = 20_000) -> None:
        """Until nothing is under way and the signals already emitted have landed."""
        self.qtbot.waitUntil(self.idle, timeout=timeout)
        self.qtbot.wait(30)
        self.qtbot.waitUntil(self.idle, timeout=timeout)

    def on(self, screen: str) -> None:
        self.qtbot.waitUntil(lambda: self.window.current == screen, timeout=20_000)

    # ------------------------------------------------------------------------ flows

    def log_in(self, user_id: str) -> None:
        self.on("login")
        self.tap(f"user-{user_id}")
        self.type_keys(PINS[user_id])
        self.tap("keypad-enter")
        self.qtbot.waitUntil(lambda: self.context.user is not None, timeout=20_000)

    def sell(self, *articles: str) -> None:
        self.on("sale")
        self.qtbot.waitUntil(lambda: self.window.page("sale").ticket is not None, timeout=20_000)
        for article in articles:
            self.tap(f"product-{article}")
        self.settle()

    def order(self) -> dict[str, Any]:
        ticket = self.window.page("sale").ticket
        assert ticket is not None
        order: dict[str, Any] = ticket.view().order
        return order

    def ticket_kind(self) -> str | None:
        """The kind of the ticket on the sale screen (online, draft, training); None while a new
        one is being made."""
        ticket = self.window.page("sale").ticket
        return None if ticket is None else ticket.kind

    def last_paper(self, kind: str = "receipt") -> Paper:
        printouts = [item for item in self.context.printer.printouts if item.kind == kind]
        assert printouts, f"no {kind} printed"
        return decode(printouts[-1].data)

    def shot(self, folder: Path, name: str) -> Path:
        """The window as seen, with the panel open over it, if any."""
        self.qtbot.wait(50)
        path = folder / f"{name}.png"
        picture = self.window.grab()
        painter = QPainter(picture)
        for panel in self.window.findChildren(Panel):
            if panel.isVisible():
                painter.drawPixmap(panel.pos() - self.window.pos(), panel.grab())
        painter.end()
        picture.save(str(path))
        return path

    def missing_translations(self) -> set[str]:
        translator = current_translator()
        return set(translator.missing) if translator else set()

    def close(self) -> None:
        self.context.ops.wait()
        self.context.printing.wait()
        self.window.page("sale").drafts.wait()
        self.context.close()
        self.window.close()
