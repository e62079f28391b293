"""First run: the server's address and a manager's enrollment code, the printer (none: receipts
are previewed on screen; network; USB; serial) with a test page, the language, and whether the
screen shows its own keyboard (not on a till with a real one)."""

from __future__ import annotations

from functools import partial
from typing import Any

from till.errors import TillError
from ui import documents
from ui.i18n import tr
from ui.printer import PRINTER_KINDS, PrinterService, Printout, profile_for
from ui.qt import QButtonGroup, QGridLayout, QHBoxLayout, QLineEdit, Qt, QVBoxLayout
from ui.screens.base import Screen
from ui.settings import LANGUAGES, PrinterChoice
from ui.widgets import TOUCH, button, enter_moves_on, label

PRINTER_NAMES = {
    "none": "No printer (preview)",
    "network": "Network",
    "usb": "USB",
    "serial": "Serial",
    "file": "Device file",
}
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


class InvalidPrinter(TillError):
    code = "invalid_printer"


def _edit(text: str, name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    edit.setMinimumHeight(TOUCH)
    edit.setPlaceholderText(placeholder)
    return edit


class SetupScreen(Screen):
    name = "setup"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        settings = self.context.settings
        printer = settings.printer
        self.server = _edit(settings.server or "https://", "setup-server")
        self.code = _edit("", "setup-code", "XXXXX-XXXXX")
        self.address = _edit(
            f"{printer.host}:{printer.port}" if printer.host else "", "setup-printer-address"
        )
        self.address.setPlaceholderText(tr("host:port, or USB vendor:product (04b8:0202)"))
        self.address.setInputMethodHints(Qt.InputMethodHint.ImhPreferNumbers)  # mostly digits
        self.device = _edit(printer.device, "setup-printer-device", "/dev/ttyUSB0")
        enter_moves_on([self.server, self.code])
        self.kinds = QButtonGroup(self)
        kinds_row = QHBoxLayout()
        for kind in PRINTER_KINDS:
            choice = button(tr(PRINTER_NAMES[kind]), kind="choice", name=f"printer-{kind}")
            choice.setCheckable(True)
            choice.setChecked(kind == printer.kind)
            choice.setProperty("printer_kind", kind)
            self.kinds.addButton(choice)
            kinds_row.addWidget(choice)
        self.languages = QButtonGroup(self)
        languages_row = QHBoxLayout()
        for language in LANGUAGES:
            choice = button(
                LANGUAGE_NAMES[language],
                partial(self.shell.change_language, language),
                kind="choice",
                name=f"language-{language}",
            )
            choice.setCheckable(True)
            choice.setChecked(language == settings.language)
            self.languages.addButton(choice)
            languages_row.addWidget(choice)

        self.keyboards = QButtonGroup(self)
        keyboard_row = QHBoxLayout()
        for shown, text in ((True, tr("On")), (False, tr("Off: this till has a keyboard"))):
            choice = button(
                text,
                partial(self.use_keyboard, shown),
                kind="choice",
                name=f"keyboard-{'on' if shown else 'off'}",
            )
            choice.setCheckable(True)
            choice.setChecked(shown == settings.on_screen_keyboard)
            self.keyboards.addButton(choice)
            keyboard_row.addWidget(choice)

        form = QGridLayout()
        form.setVerticalSpacing(10)
        rows = [
            (tr("Server address"), self.server),
            (tr("Enrollment code (from a manager)"), self.code),
            (tr("Printer address"), self.address),
            (tr("Serial port or device file"), self.device),
        ]
        for row, (caption, edit) in enumerate(rows):
            form.addWidget(label(caption), row, 0)
            form.addWidget(edit, row, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addWidget(label(tr("Setting up this till"), kind="title"))
        layout.addWidget(label(tr("Language")))
        layout.addLayout(languages_row)
        layout.addWidget(label(tr("On-screen keyboard")))
        layout.addLayout(keyboard_row)
        layout.addLayout(form)
        layout.addWidget(label(tr("Printer")))
        layout.addLayout(kinds_row)
        layout.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(button(tr("Print a test page"), self.test_page, name="setup-test-page"))
        actions.addWidget(
            button(tr("Enroll this till"), self.enroll, kind="primary", name="setup-enroll")
        )
        layout.addLayout(actions)

    def use_keyboard(self, shown: bool) -> None:
        self.context.remember(on_screen_keyboard=shown)
        if not shown:
            self.shell.keyboard.hide()

    def printer_choice(self) -> PrinterChoice:
        checked = self.kinds.checkedButton()
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

    def test_page(self) -> None:
        try:
            choice = self.printer_choice()
        except InvalidPrinter as error:
            self.shell.fail(error)
            return
        self.context.use_printer(choice)
        printer = self.context.printer
        self.context.printing.run(
            lambda: _print_test(printer, self.context.shop),
            self.shell.show_printout,
        )

    def enroll(self) -> None:
        try:
            choice = self.printer_choice()
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


def _print_test(printer: PrinterService, shop: dict[str, Any] | None) -> Printout:
    return printer.print(documents.printer_test(profile_for(printer.choice), shop))
