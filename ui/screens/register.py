"""The register: chosen once for this till, opened with its float counted coin by coin and note by
note, an X report at any time, and closed (Z) with what was counted per payment mode, the
differences shown before the cashier confirms; the X and the Z are printed."""

from __future__ import annotations

from functools import partial
from typing import Any

from till.errors import TillError
from till.money import Cents, format_amount, from_json_amount, parse_amount, to_json_amount
from ui import documents
from ui.i18n import tr
from ui.qt import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.screens.base import Screen
from ui.widgets import ButtonPool, Keypad, button, label, restyle

# French euro notes and coins, in cents (the 500 € note is no longer issued).
NOTES = (20_000, 10_000, 5_000, 2_000, 1_000, 500)
COINS = (200, 100, 50, 20, 10, 5, 2, 1)
MINUS = "\u2212"


class CashCount(QWidget):
    """Counts cash by denomination: plus and minus per note or coin, or the count typed on the
    keypad for the one selected; `total` in cents."""

    changed = Signal(int)
    selected_now = Signal()

    def __init__(self, prefix: str, keypad: Keypad | None = None) -> None:
        super().__init__()
        self.counts = dict.fromkeys((*NOTES, *COINS), 0)
        self.count_buttons: dict[int, QPushButton] = {}
        self.selected = NOTES[0]
        self.total_label = label("", kind="big", name=f"{prefix}-total")
        grid = QGridLayout()
        grid.setSpacing(4)
        for column, values in enumerate((NOTES, COINS)):
            for row, value in enumerate(values):
                base = column * 4
                grid.addWidget(label(format_amount(value)), row, base)
                minus = button(MINUS, partial(self.add, value, -1), kind="key", height=48)
                grid.addWidget(minus, row, base + 1)
                count = button("0", partial(self.select, value), kind="count", height=48)
                count.setObjectName(f"{prefix}-count-{value}")
                self.count_buttons[value] = count
                grid.addWidget(count, row, base + 2)
                grid.addWidget(
                    button("+", partial(self.add, value, 1), kind="key", height=48),
                    row,
                    base + 3,
                )
        self.active = True
        self.keypad = keypad or Keypad(decimals=False, key_height=48)
        self.keypad.changed.connect(self._typed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addLayout(grid)
        left.addWidget(self.total_label)
        left.addStretch(1)
        layout.addLayout(left, 3)
        if keypad is None:
            layout.addWidget(self.keypad, 1)
        self.select(self.selected)

    @property
    def total(self) -> Cents:
        return sum(value * count for value, count in self.counts.items())

    def reset(self) -> None:
        for value in self.counts:
            self.counts[value] = 0
        self._show()

    def select(self, value: int) -> None:
        self.selected = value
        self.active = True
        for other, count in self.count_buttons.items():
            restyle(count, "count-selected" if other == value else "count")
        self.keypad.display.setText("")
        self.selected_now.emit()

    def deselect(self) -> None:
        self.active = False
        for count in self.count_buttons.values():
            restyle(count, "count")

    def add(self, value: int, step: int) -> None:
        self.counts[value] = max(0, self.counts[value] + step)
        self._show()

    def set_count(self, value: int, count: int) -> None:
        self.counts[value] = count
        self._show()

    def _typed(self, text: str) -> None:
        if self.active:
            self.counts[self.selected] = int(text) if text.isdigit() else 0
            self._show()

    def _show(self) -> None:
        for value, count in self.counts.items():
            self.count_buttons[value].setText(str(count))
        self.total_label.setText(tr("Counted: {amount}").format(amount=format_amount(self.total)))
        self.changed.emit(self.total)


class AmountList(QWidget):
    """Amounts typed on a keypad for a few named rows (payment modes other than cash, the float
    left in the drawer)."""

    selected_now = Signal()

    def __init__(self, prefix: str, keypad: Keypad) -> None:
        super().__init__()
        self.prefix = prefix
        self.amounts: dict[str, Cents] = {}
        self.names: dict[str, str] = {}
        self.row_buttons: dict[str, QPushButton] = {}
        self.selected: str | None = None
        self.keypad = keypad
        self.keypad.changed.connect(self._typed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        rows = QVBoxLayout()
        self.rows = ButtonPool(lambda row, _index: rows.addWidget(row), kind="count", height=48)
        layout.addLayout(rows)
        layout.addStretch(1)

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        self.amounts = {key: 0 for key, _ in rows}
        self.names = dict(rows)
        shown = self.rows.show(
            [("", f"{self.prefix}-{key}", partial(self.select, key)) for key, _ in rows]
        )
        self.row_buttons = {key: row for (key, _name), row in zip(rows, shown, strict=True)}
        self.deselect()
        self._show()

    def select(self, key: str) -> None:
        self.selected = key
        for other, row in self.row_buttons.items():
            restyle(row, "count-selected" if other == key else "count")
        self.keypad.display.setText("")
        self.selected_now.emit()

    def deselect(self) -> None:
        self.selected = None
        for row in self.row_buttons.values():
            restyle(row, "count")

    def set_amount(self, key: str, cents: Cents) -> None:
        self.amounts[key] = cents
        self._show()

    def _typed(self, text: str) -> None:
        if self.selected is None:
            return
        try:
            self.amounts[self.selected] = parse_amount(text) if text else 0
        except TillError:
            return
        self._show()

    def _show(self) -> None:
        for key, row in self.row_buttons.items():
            row.setText(f"{self.names[key]} : {format_amount(self.amounts[key])}")


class RegisterScreen(Screen):
    name = "register"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.state: dict[str, Any] | None = None
        self.then_sell = False
        self.cash_mode = "cash"
        self.title = label("", kind="title", name="register-title")
        self.info = label("", wrap=True, name="register-info")
        self.pages = QStackedWidget()

        self.choose_page = QWidget()
        choose_rows = QVBoxLayout(self.choose_page)
        self.register_choices = ButtonPool(
            lambda choice, index: choose_rows.insertWidget(index, choice), kind="user", height=72
        )
        choose_rows.addStretch(1)

        self.open_page = QWidget()
        self.float_count = CashCount("float")
        open_layout = QVBoxLayout(self.open_page)
        open_layout.setContentsMargins(0, 0, 0, 0)
        open_layout.addWidget(label(tr("Count the float in the drawer")))
        open_layout.addWidget(self.float_count, 1)
        open_layout.addWidget(
            button(
                tr("Open the register"), self.open_register, kind="primary", name="register-open"
            )
        )

        self.state_page = QWidget()
        state_layout = QVBoxLayout(self.state_page)
        actions = QHBoxLayout()
        actions.addWidget(button(tr("X report"), self.x_report, name="register-x"))
        actions.addWidget(
            button(
                tr("Close the register (Z)"),
                self.start_closing,
                kind="danger",
                name="register-close",
            )
        )
        actions.addWidget(
            button(
                tr("Go to the sale"),
                lambda: self.shell.show_screen("sale"),
                kind="primary",
                name="register-sell",
            )
        )
        state_layout.addStretch(1)
        state_layout.addLayout(actions)

        self.close_page = QWidget()
        self.closing_keypad = Keypad(key_height=48)
        self.cash_count = CashCount("closing", self.closing_keypad)
        self.other_amounts = AmountList("closing", self.closing_keypad)
        self.cash_count.selected_now.connect(self.other_amounts.deselect)
        self.other_amounts.selected_now.connect(self.cash_count.deselect)
        self.differences = QTableWidget(0, 4)
        self.differences.setObjectName("register-differences")
        self.differences.setHorizontalHeaderLabels(
            [tr("Payment mode"), tr("Expected"), tr("Counted"), tr("Difference")]
        )
        self.differences.verticalHeader().hide()
        self.differences.horizontalHeader().setStretchLastSection(True)
        self.differences.hide()
        self.check_button = button(tr("Check the count"), self.check_count, name="register-check")
        self.confirm_button = button(
            tr("Confirm the closure (Z)"),
            self.close_register,
            kind="danger",
            name="register-confirm",
        )
        self.confirm_button.hide()
        close_layout = QVBoxLayout(self.close_page)
        close_layout.setContentsMargins(0, 0, 0, 0)
        counting = QHBoxLayout()
        counting.addWidget(self.cash_count, 5)
        counting.addWidget(self.other_amounts, 3)
        counting.addWidget(self.closing_keypad, 2)
        close_layout.addWidget(
            label(tr("Count the cash, then type what the other modes add up to"))
        )
        close_layout.addLayout(counting, 1)
        close_layout.addWidget(self.differences)
        buttons = QHBoxLayout()
        buttons.addWidget(button(tr("Back"), self.show_state, kind="quiet"))
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.confirm_button)
        close_layout.addLayout(buttons)
        self.cash_count.changed.connect(lambda _total: self._counts_changed())

        for page in (self.choose_page, self.open_page, self.state_page, self.close_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        layout.addWidget(self.pages, 1)

    # ------------------------------------------------------------------------ state

    def entered(self, **options: Any) -> None:
        self.then_sell = bool(options.get("then_sell"))
        if not self.context.online:
            self.title.setText(tr("Register"))
            self.info.setText(tr("The register is opened and closed with the server only."))
            self.pages.setCurrentWidget(self.state_page)
            if self.then_sell:
                self.shell.show_screen("sale")
            return
        sync = self.context.core
        self.run(lambda: sync.client.get("/registers"), self.show_registers)

    def show_registers(self, registers: list[dict[str, Any]]) -> None:
        mine = [item for item in registers if item["id"] == self.context.register_id]
        if not mine:
            self.title.setText(tr("Which register is this till?"))
            self.info.setText("")
            self.register_choices.show(
                [
                    (item["name"], f"register-{item['id']}", partial(self.choose, item))
                    for item in registers
                ]
            )
            self.pages.setCurrentWidget(self.choose_page)
            return
        self.state = mine[0]
        self.show_state()

    def choose(self, register: dict[str, Any]) -> None:
        self.context.use_register(str(register["id"]))
        self.show_registers([register])

    def show_state(self) -> None:
        state = self.state
        if state is None:
            return
        if state.get("closure_due"):
            self.info.setText(str(state["closure_due"]))
        if not state["open"]:
            self.title.setText(tr("Register {name} is closed").format(name=state["name"]))
            if not state.get("closure_due"):
                self.info.setText("")
            self.float_count.reset()
            self.pages.setCurrentWidget(self.open_page)
            return
        self.title.setText(tr("Register {name} is open").format(name=state["name"]))
        self.info.setText(
            tr("Float at opening: {amount}").format(
                amount=format_amount(from_json_amount(state["float"]))
            )
            + ("\n" + str(state["closure_due"]) if state.get("closure_due") else "")
        )
        self.pages.setCurrentWidget(self.state_page)
        if self.then_sell and not state.get("closure_due"):
            self.then_sell = False
            self.shell.show_screen("sale")

    # ------------------------------------------------------------------------ open, X, Z

    def open_register(self) -> None:
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        amount = to_json_amount(self.float_count.total)

        def opened(_answer: Any) -> None:
            self.shell.notify(tr("The register is open."), error=False)
            self.then_sell = True
            self.entered(then_sell=True)

        self.run(lambda: sync.client.open_register(register, amount), opened)

    def x_report(self) -> None:
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        self.run(lambda: sync.client.x_report(register), self.print_closing)

    def print_closing(self, closure: dict[str, Any]) -> None:
        shop = self.context.shop or {}
        printer = self.context.printer
        document = documents.closing_document(closure, shop)
        self.context.printing.run(lambda: printer.print(document), self.shell.show_printout)

    def start_closing(self) -> None:
        self.cash_count.reset()
        modes = [mode for mode in self.context.payment_modes() if not mode["gives_change"]]
        self.cash_mode = next(
            (mode["code"] for mode in self.context.payment_modes() if mode["gives_change"]), "cash"
        )
        self.other_amounts.set_rows(
            [(mode["code"], mode["label"]) for mode in modes] + [("float_left", tr("Float left"))]
        )
        self.differences.hide()
        self.confirm_button.hide()
        self.title.setText(tr("Closing the register"))
        self.pages.setCurrentWidget(self.close_page)

    def _counts_changed(self) -> None:
        """A count changed after the check: check again before confirming."""
        self.confirm_button.hide()

    def counted(self) -> dict[str, str]:
        counted = {self.cash_mode: to_json_amount(self.cash_count.total)}
        for code, cents in self.other_amounts.amounts.items():
            if code != "float_left":
                counted[code] = to_json_amount(cents)
        return counted

    def check_count(self) -> None:
        """The X gives what each mode should hold; the differences are shown before the Z."""
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        self.run(lambda: sync.client.x_report(register), self.show_differences)

    def show_differences(self, x: dict[str, Any]) -> None:
        counted = self.counted()
        expected = {mode["mode"]: (mode["label"], mode["expected"]) for mode in x["modes"]}
        for code in counted:
            if code not in expected:
                name = next(
                    (
                        mode["label"]
                        for mode in self.context.payment_modes()
                        if mode["code"] == code
                    ),
                    code,
                )
                expected[code] = (name, "0.00")
        self.differences.setRowCount(len(expected))
        for row, (code, (name, amount)) in enumerate(expected.items()):
            due = from_json_amount(amount)
            have = from_json_amount(counted.get(code, "0.00"))
            cells = [name, format_amount(due), format_amount(have), format_amount(have - due)]
            for column, text in enumerate(cells):
                self.differences.setItem(row, column, QTableWidgetItem(text))
        self.differences.resizeColumnsToContents()
        self.differences.show()
        self.confirm_button.show()

    def close_register(self) -> None:
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        counted = self.counted()
        float_left = to_json_amount(self.other_amounts.amounts.get("float_left", 0))

        def closed(answer: dict[str, Any]) -> None:
            self.state = answer["register"]
            self.print_closing(answer["closure"])
            self.shell.notify(
                tr("Register closed: Z n°{number}.").format(number=answer["closure"]["z_number"]),
                error=False,
            )
            self.show_state()

        self.run(lambda: sync.client.close_register(register, counted, float_left), closed)
