"""The till's own settings: the first run's set-up (the server's address and a manager's
enrollment code, then the settings below), and the managers' settings screen once enrolled. Both
lay out the same widgets: the language, whether the screen shows its own keyboard (not on a till
with a real one), full screen or a window, and the printer (none: receipts are previewed on
screen; network; USB; serial; a device file) with a test page."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from till.errors import TillError
from ui import documents
from ui.i18n import tr
from ui.printer import PRINTER_KINDS, PrinterService, Printout, profile_for
from ui.qt import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
)
from ui.screens.base import Screen
from ui.settings import LANGUAGES, PrinterChoice
from ui.widgets import button, enter_moves_on, label

PRINTER_NAMES = {
    "none": "No printer (preview)",
    "network": "Network",
    "usb": "USB",
    "serial": "Serial",
    "file": "Device file",
}
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
ROW = 52  # the height of a setting's choices and fields: the set-up's eight fit at 1024 x 768


def form(rows: list[tuple[str, QHBoxLayout | QLineEdit]]) -> QGridLayout:
    """Settings one under the other, each caption on the left of its field or choices."""
    grid = QGridLayout()
    grid.setVerticalSpacing(8)
    grid.setHorizontalSpacing(16)
    for row, (caption, field) in enumerate(rows):
        grid.addWidget(label(caption), row, 0)
        if isinstance(field, QLineEdit):
            grid.addWidget(field, row, 1)
        else:
            grid.addLayout(field, row, 1)
    grid.setColumnStretch(1, 1)
    return grid


class InvalidPrinter(TillError):
    code = "invalid_printer"


def _edit(text: str, name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    edit.setMinimumHeight(ROW)
    edit.setPlaceholderText(placeholder)
    return edit


def _choices(
    group: QButtonGroup, choices: list[tuple[str, str, Callable[[], None] | None, bool]]
) -> QHBoxLayout:
    """A row of big exclusive choices: (text, object name, action, chosen now)."""
    row = QHBoxLayout()
    for text, name, action, chosen in choices:
        choice = button(text, action, kind="choice", name=name, height=ROW)
        choice.setCheckable(True)
        choice.setChecked(chosen)
        group.addButton(choice)
        row.addWidget(choice)
    return row


class TillSettings:
    """The widgets of the till's own settings, for a screen to lay out; `prefix` names its
    fields and its test page button. Each choice is applied and kept when tapped, but the
    printer's, kept by its test page or by whoever uses `printer_choice`."""

    def __init__(self, screen: Screen, prefix: str) -> None:
        self.screen = screen
        self.context = screen.context
        settings = self.context.settings
        shell = screen.shell
        printer = settings.printer
        self.languages = _choices(
            QButtonGroup(screen),
            [
                (
                    LANGUAGE_NAMES[language],
                    f"language-{language}",
                    partial(shell.change_language, language),
                    language == settings.language,
                )
                for language in LANGUAGES
            ],
        )
        self.keyboard = _choices(
            QButtonGroup(screen),
            [
                (
                    text,
                    f"keyboard-{'on' if shown else 'off'}",
                    partial(self.use_keyboard, shown),
                    shown == settings.on_screen_keyboard,
                )
                for shown, text in ((True, tr("On")), (False, tr("Off: this till has a keyboard")))
            ],
        )
        self.window = _choices(
            QButtonGroup(screen),
            [
                (
                    text,
                    f"window-{'full' if full else 'framed'}",
                    partial(shell.use_full_screen, full),
                    full == settings.full_screen,
                )
                for full, text in ((True, tr("Full screen")), (False, tr("In a window")))
            ],
        )
        self.printer_kinds = QButtonGroup(screen)
        self.printers = _choices(
            self.printer_kinds,
            [
                (tr(PRINTER_NAMES[kind]), f"printer-{kind}", None, kind == printer.kind)
                for kind in PRINTER_KINDS
            ],
        )
        for choice, kind in zip(self.printer_kinds.buttons(), PRINTER_KINDS, strict=True):
            choice.setProperty("printer_kind", kind)
        self.address = _edit(
            f"{printer.host}:{printer.port}" if printer.host else "", f"{prefix}-printer-address"
        )
        self.address.setPlaceholderText(tr("host:port, or USB vendor:product (04b8:0202)"))
        self.address.setInputMethodHints(Qt.InputMethodHint.ImhPreferNumbers)  # mostly digits
        self.device = _edit(printer.device, f"{prefix}-printer-device", "/dev/ttyUSB0")
        self.test_button: QPushButton = button(
            tr("Print a test page"), self.test_page, name=f"{prefix}-test-page"
        )

    def screen_rows(self) -> list[tuple[str, QHBoxLayout | QLineEdit]]:
        """The language, the keyboard and the window, each with its caption."""
        return [
            (tr("Language"), self.languages),
            (tr("On-screen keyboard"), self.keyboard),
            (tr("Window"), self.window),
        ]

    def printer_rows(self) -> list[tuple[str, QHBoxLayout | QLineEdit]]:
        return [
            (tr("Printer"), self.printers),
            (tr("Printer address"), self.address),
            (tr("Serial port or device file"), self.device),
        ]

    def use_keyboard(self, shown: bool) -> None:
        self.context.remember(on_screen_keyboard=shown)
        if not shown:
            self.screen.shell.keyboard.hide()

    def printer_choice(self) -> PrinterChoice:
        checked = self.printer_kinds.checkedButton()
        kind = str(checked.property("printer_kind")) if checked else "none"
        address = self.address.text().strip()
        device = self.device.text().strip()
        try:
            if kind == "network":
                host, _, port = address.partition(":")
                return PrinterChoice(kind, host=host, port=int(port or 9100))
            if kind == "usb":
                vendor, _, product = address.partition(":")
                return PrinterChoice(kind, vendor_id=int(vendor, 16), product_id=int(product, 16))
        except ValueError:
            raise InvalidPrinter(
                tr("The printer address is not valid: host:port, or vendor:product in hex.")
            ) from None
        if kind in ("serial", "file") and not device:
            raise InvalidPrinter(tr("Give the serial port or the device file of the printer."))
        return PrinterChoice(kind, device=device)

    def use_printer(self) -> bool:
        """The printer chosen, kept for this till; False (and said why) when it is not valid."""
        try:
            choice = self.printer_choice()
        except InvalidPrinter as error:
            self.screen.shell.fail(error)
            return False
        self.context.use_printer(choice)
        return True

    def test_page(self) -> None:
        if not self.use_printer():
            return
        context = self.context
        printer, shop = context.printer, context.shop
        context.printing.run(lambda: _print_test(printer, shop), self.screen.shell.show_printout)


class SetupScreen(Screen):
    name = "setup"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.settings = TillSettings(self, "setup")
        self.server = _edit(self.context.settings.server or "https://", "setup-server")
        self.code = _edit("", "setup-code", "XXXXX-XXXXX")
        enter_moves_on([self.server, self.code])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 12, 32, 12)
        layout.addWidget(label(tr("Setting up this till"), kind="title"))
        layout.addLayout(
            form(
                [
                    *self.settings.screen_rows(),
                    (tr("Server address"), self.server),
                    (tr("Enrollment code (from a manager)"), self.code),
                    *self.settings.printer_rows(),
                ]
            )
        )
        layout.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.settings.test_button)
        actions.addWidget(
            button(tr("Enroll this till"), self.enroll, kind="primary", name="setup-enroll")
        )
        layout.addLayout(actions)

    def enroll(self) -> None:
        try:
            choice = self.settings.printer_choice()
        except InvalidPrinter as error:
            self.shell.fail(error)
            return
        server, code = self.server.text().strip().rstrip("/"), self.code.text().strip()
        context = self.context

        def enroll() -> dict[str, Any]:
            sync = context.connect(server)
            return sync.enroll(code)["shop"]  # type: ignore[no-any-return]

        def enrolled(shop: dict[str, Any]) -> None:
            context.shop = shop
            context.use_printer(choice)
            context.remember(server=server)
            self.shell.refresh_status()
            self.shell.show_screen("login")

        self.run(enroll, enrolled)


class SettingsScreen(Screen):
    """The till's own settings once it is enrolled, for managers and administrators."""

    name = "settings"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.settings = TillSettings(self, "settings")
        self.about = label("", kind="small", name="settings-about", wrap=True)
        actions = QHBoxLayout()
        actions.addWidget(self.settings.test_button)
        actions.addWidget(
            button(
                tr("Use this printer"), self.use_printer, kind="primary", name="settings-printer"
            )
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 12, 32, 12)
        layout.addWidget(label(tr("Settings of this till"), kind="title"))
        layout.addWidget(self.about)
        layout.addLayout(form(self.settings.screen_rows() + self.settings.printer_rows()))
        layout.addStretch(1)
        layout.addLayout(actions)

    def entered(self, **options: Any) -> None:
        settings = self.context.settings
        self.about.setText(
            tr("Enrolled with {server}, register {register}.").format(
                server=settings.server, register=settings.register_id or "—"
            )
        )

    def use_printer(self) -> None:
        if self.settings.use_printer():
            self.shell.notify(tr("This printer is used from now on."), error=False)


def _print_test(printer: PrinterService, shop: dict[str, Any] | None) -> Printout:
    return printer.print(documents.printer_test(profile_for(printer.choice), shop))
