"""The register: chosen once for this till, opened with its float counted coin by coin and note by
note; once open, since when, by whom and with what float, the cash put in and taken out of its
drawer outside sales (recorded by the server, the drawer opened and a slip printed), the period's
figures from an X report at any time; and closed (Z) with what was counted per payment mode, the
differences shown before the cashier confirms. The X, the Z and the slips are printed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from sync.service import TillSync
from till.errors import TillError
from till.money import Cents, format_amount, from_json_amount, parse_amount, to_json_amount
from till.timestamps import from_utc_iso
from ui import documents
from ui.i18n import tr
from ui.qt import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.screens.base import Screen, Underway
from ui.widgets import (
    TOUCH,
    ButtonPool,
    Keypad,
    button,
    figures,
    fill,
    label,
    restyle,
    table,
)

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

    changed = Signal()
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
        self.changed.emit()


# Why cash goes in or out most often, with the way it goes; any other reason is typed.
COMMON_REASONS = (
    ("goods", "Goods bought", "out"),
    ("change", "Change brought in", "in"),
    ("bank", "Bank deposit", "out"),
)
MOVEMENT_NAMES = {"in": "Cash in", "out": "Cash out"}
X_FIGURES = (
    ("sales", "Sales"),
    ("refunds", "Refunds"),
    ("total", "Period total"),
    ("cash-in", "Cash in"),
    ("cash-out", "Cash out"),
    ("at", "As of"),
)


class InvalidMovement(TillError):
    code = "invalid_movement"


@dataclass(frozen=True)
class RegisterView:
    """What the register screen shows, read on a worker: the shop's registers, the names of its
    users (who opened the register, who moved cash), and this register's period's cash
    movements, from every till."""

    registers: list[dict[str, Any]]
    names: dict[str, str]
    movements: list[dict[str, Any]]


def read_register(sync: TillSync, register_id: str | None) -> RegisterView:
    registers: list[dict[str, Any]] = sync.client.get("/registers")
    names = {str(user["id"]): str(user["name"]) for user in sync.client.get("/users")}
    is_open = any(item["id"] == register_id and item["open"] for item in registers)
    movements = sync.cash_movements(register_id) if register_id and is_open else []
    return RegisterView(registers, names, movements)


class CashForm(QWidget):
    """Cash put into or taken out of the drawer outside a sale: which way, the amount on the
    keypad, and the reason, one of the common ones or typed."""

    def __init__(self) -> None:
        super().__init__()
        self.ways = QButtonGroup(self)
        ways = QHBoxLayout()
        for kind, text in MOVEMENT_NAMES.items():
            way = button(tr(text), kind="choice", name=f"cash-{kind}", height=64)
            way.setCheckable(True)
            way.setProperty("movement", kind)
            self.ways.addButton(way)
            ways.addWidget(way)
        reasons = QGridLayout()
        reasons.setSpacing(8)
        for index, (key, text, kind) in enumerate(COMMON_REASONS):
            reasons.addWidget(
                button(tr(text), partial(self.common, tr(text), kind), name=f"cash-reason-{key}"),
                index // 2,
                index % 2,
            )
        self.reason = QLineEdit()
        self.reason.setObjectName("cash-reason")
        self.reason.setPlaceholderText(tr("Or type the reason"))
        self.reason.setMinimumHeight(TOUCH)
        self.reason.setMaxLength(200)  # the server's limit
        self.keypad = Keypad(key_height=56)
        left = QVBoxLayout()
        left.addWidget(label(tr("Which way?"), kind="section"))
        left.addLayout(ways)
        left.addWidget(label(tr("Why?"), kind="section"))
        left.addLayout(reasons)
        left.addWidget(self.reason)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(label(tr("Amount"), kind="section"))
        right.addWidget(self.keypad, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(24)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    def common(self, reason: str, kind: str) -> None:
        self.reason.setText(reason)
        for way in self.ways.buttons():
            way.setChecked(way.property("movement") == kind)

    def reset(self) -> None:
        self.ways.setExclusive(False)
        for way in self.ways.buttons():
            way.setChecked(False)
        self.ways.setExclusive(True)
        self.reason.clear()
        self.keypad.reset()

    def movement(self) -> tuple[Literal["in", "out"], Cents, str]:
        """Which way, how much and why; InvalidMovement says what is missing."""
        chosen = self.ways.checkedButton()
        if chosen is None:
            raise InvalidMovement(tr("Choose whether the cash goes in or out."))
        try:
            cents = parse_amount(self.keypad.text) if self.keypad.text else 0
        except TillError as error:
            raise InvalidMovement(error.message) from None
        if cents <= 0:
            raise InvalidMovement(tr("Type the amount on the keypad."))
        reason = self.reason.text().strip()
        if not reason:
            raise InvalidMovement(tr("Choose a reason, or type it."))
        return ("in" if chosen.property("movement") == "in" else "out"), cents, reason


class RegisterScreen(Screen):
    name = "register"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.state: dict[str, Any] | None = None
        self.names: dict[str, str] = {}
        self.then_sell = False
        self.recording = Underway(self.context)
        self.opening = Underway(self.context)
        self.closing = Underway(self.context)
        self.cash_mode = "cash"
        self.title = label("", kind="title", name="register-title")
        self.info = label("", kind="warning", wrap=True, name="register-info")
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
        self.open_button = button(
            tr("Open the register"), self.open_register, kind="primary", name="register-open"
        )
        open_layout.addWidget(self.open_button)

        self.state_page = self._state_page()
        self.cash_page = QWidget()
        self.cash_form = CashForm()
        self.record_button = button(
            tr("Record it, and open the drawer"),
            self.record_cash,
            kind="primary",
            name="cash-record",
        )
        cash_buttons = QHBoxLayout()
        cash_buttons.addWidget(button(tr("Back"), self.show_state, kind="quiet", name="cash-back"))
        cash_buttons.addWidget(self.record_button)
        cash_layout = QVBoxLayout(self.cash_page)
        cash_layout.setContentsMargins(0, 0, 0, 0)
        cash_layout.addWidget(self.cash_form, 1)
        cash_layout.addLayout(cash_buttons)

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
        self.other_amounts.changed.connect(self._counts_changed)

        self.offline_page = QWidget()
        offline_layout = QVBoxLayout(self.offline_page)
        offline_layout.addStretch(1)
        offline_layout.addWidget(self._to_sale())

        for page in (
            self.choose_page,
            self.open_page,
            self.state_page,
            self.cash_page,
            self.close_page,
            self.offline_page,
        ):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.info)
        layout.addWidget(self.pages, 1)

    def _to_sale(self) -> QPushButton:
        return button(
            tr("Go to the sale"),
            lambda: self.shell.show_screen("sale"),
            kind="primary",
            name="register-sell",
        )

    def _state_page(self) -> QWidget:
        """The open register: since when, who opened it, its float, the period's cash put in and
        taken out; the period's figures so far once an X is asked."""
        facts_grid, self.facts = figures(
            [
                ("since", tr("Open since")),
                ("opened-by", tr("Opened by")),
                ("float", tr("Float at opening")),
            ],
            "register",
        )
        self.movements = table(
            "register-movements",
            [tr("Time"), tr("Movement"), tr("Amount"), tr("Reason"), tr("By")],
            stretch=3,
        )
        left = QVBoxLayout()
        left.addLayout(facts_grid)
        left.addWidget(label(tr("Cash put in and taken out in this period"), kind="section"))
        left.addWidget(self.movements, 1)
        x_grid, self.x_figures = figures(
            [(key, tr(caption)) for key, caption in X_FIGURES], "register-x", columns=2
        )
        self.x_hint = label("", kind="small", name="register-x-hint", wrap=True)
        self.x_modes = table("register-x-modes", [tr("Payment mode"), tr("Expected")], stretch=0)
        right = QVBoxLayout()
        right.addWidget(label(tr("The period so far"), kind="section"))
        right.addWidget(self.x_hint)
        right.addLayout(x_grid)
        right.addWidget(self.x_modes, 1)
        columns = QHBoxLayout()
        columns.setSpacing(24)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        actions = QHBoxLayout()
        actions.addWidget(button(tr("X report"), self.x_report, name="register-x"))
        actions.addWidget(
            button(tr("Cash in / out"), self.start_cash_movement, name="register-cash")
        )
        actions.addWidget(
            button(
                tr("Close the register (Z)"),
                self.start_closing,
                kind="danger",
                name="register-close",
            )
        )
        actions.addWidget(self._to_sale())
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(columns, 1)
        layout.addLayout(actions)
        return page

    # ------------------------------------------------------------------------ state

    def entered(self, **options: Any) -> None:
        self.then_sell = bool(options.get("then_sell"))
        if not self.context.online:
            self.title.setText(tr("Register"))
            self.info.setText(tr("The register is opened and closed with the server only."))
            self.info.show()
            self.pages.setCurrentWidget(self.offline_page)
            if self.then_sell:
                self.shell.show_screen("sale")
            return
        sync, register = self.context.core, self.context.register_id
        self.run(lambda: read_register(sync, register), self.show_registers)

    def show_registers(self, view: RegisterView) -> None:
        self.names = view.names
        mine = [item for item in view.registers if item["id"] == self.context.register_id]
        if not mine:
            self.title.setText(tr("Which register is this till?"))
            self.info.hide()
            self.register_choices.show(
                [
                    (item["name"], f"register-{item['id']}", partial(self.choose, item))
                    for item in view.registers
                ]
            )
            self.pages.setCurrentWidget(self.choose_page)
            return
        self.state = mine[0]
        self.show_movements(view.movements)
        self.show_x(None)
        self.show_state()

    def choose(self, register: dict[str, Any]) -> None:
        self.context.use_register(str(register["id"]))
        self.entered(then_sell=self.then_sell)

    def show_state(self) -> None:
        state = self.state
        if state is None:
            return
        self.info.setText(str(state.get("closure_due") or ""))
        self.info.setVisible(bool(state.get("closure_due")))
        if not state["open"]:
            self.title.setText(tr("Register {name} is closed").format(name=state["name"]))
            self.float_count.reset()
            self.open_button.setEnabled(not self.opening.busy)
            self.pages.setCurrentWidget(self.open_page)
            return
        self.title.setText(tr("Register {name} is open").format(name=state["name"]))
        opened_by = str(state["opened_by"])
        self.facts["since"].setText(self.moment(state["opened_at"]))
        self.facts["opened-by"].setText(self.names.get(opened_by, opened_by))
        self.facts["float"].setText(format_amount(from_json_amount(state["float"])))
        self.pages.setCurrentWidget(self.state_page)
        if self.then_sell and not state.get("closure_due"):
            self.then_sell = False
            if self.shell.current == self.name:  # not if the user went elsewhere meanwhile
                self.shell.show_screen("sale")

    def show_movements(self, movements: list[dict[str, Any]]) -> None:
        rows = []
        for movement in movements:
            user = str(movement["user_id"])
            rows.append(
                [
                    f"{from_utc_iso(movement['at']).astimezone(self.zone):%H:%M}",
                    tr(MOVEMENT_NAMES[movement["kind"]]),
                    format_amount(from_json_amount(movement["amount"])),
                    str(movement["reason"]),
                    self.names.get(user, user),
                ]
            )
        fill(self.movements, rows, right=(2,))

    def show_x(self, x: dict[str, Any] | None) -> None:
        """The period's figures as the X gives them; before any X, how to get them."""
        self.x_hint.setVisible(x is None)
        if x is None:
            self.x_hint.setText(tr("Tap « X report » to see the figures of the period so far."))
            for value in self.x_figures.values():
                value.setText("—")
            fill(self.x_modes, [])
            return

        def amount(key: str) -> str:
            return format_amount(from_json_amount(x[key]))

        shown = {
            "sales": f"{x['sales_count']} · {amount('sales_total')}",
            "refunds": f"{x['refunds_count']} · {amount('refunds_total')}",
            "total": amount("period_total"),
            "cash-in": amount("cash_in"),
            "cash-out": amount("cash_out"),
            "at": self.moment(x["closed_at"]),
        }
        for key, text in shown.items():
            self.x_figures[key].setText(text)
        fill(
            self.x_modes,
            [
                [str(mode["label"]), format_amount(from_json_amount(mode["expected"]))]
                for mode in x["modes"]
            ],
            right=(1,),
        )

    # ------------------------------------------------------------------------ open, X, cash

    def open_register(self) -> None:
        if self.opening.busy:
            return
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        amount = to_json_amount(self.float_count.total)
        self.opening.start()
        self.open_button.setEnabled(False)

        def done() -> None:
            self.opening.done()
            self.open_button.setEnabled(True)

        def opened(_answer: Any) -> None:
            done()
            self.shell.notify(tr("The register is open."), error=False)
            self.then_sell = True
            self.entered(then_sell=True)

        def failed(error: BaseException) -> None:
            done()
            self.shell.fail(error)

        self.run(lambda: sync.client.open_register(register, amount), opened, failed)

    def x_report(self) -> None:
        sync, register = self.context.core, self.context.register_id
        assert register is not None

        def reported(x: dict[str, Any]) -> None:
            self.show_x(x)
            self.show_movements(x["cash_movements"])
            self.print_closing(x)

        self.run(lambda: sync.client.x_report(register), reported)

    def print_closing(self, closure: dict[str, Any]) -> None:
        shop = self.context.shop or {}
        printer = self.context.printer
        document = documents.closing_document(closure, shop)
        self.context.printing.run(lambda: printer.print(document), self.shell.show_printout)

    def start_cash_movement(self) -> None:
        self.cash_form.reset()
        self.record_button.setEnabled(not self.recording.busy)
        self.title.setText(tr("Cash in or out of the drawer"))
        self.pages.setCurrentWidget(self.cash_page)

    def record_cash(self) -> None:
        """The movement recorded by the server first (journaled), then the drawer opened with its
        slip printed; no answer, no drawer."""
        if self.recording.busy:
            return
        try:
            kind, cents, reason = self.cash_form.movement()
        except InvalidMovement as error:
            self.shell.fail(error)
            return
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        self.recording.start()
        self.record_button.setEnabled(False)

        def done() -> None:
            self.recording.done()
            self.record_button.setEnabled(True)

        def failed(error: BaseException) -> None:
            done()
            self.shell.fail(error)

        def recorded(movement: dict[str, Any]) -> None:
            done()
            self.print_slip(movement)
            self.shell.notify(
                tr("{movement} recorded: {amount}.").format(
                    movement=tr(MOVEMENT_NAMES[kind]), amount=format_amount(cents)
                ),
                error=False,
            )
            self.entered()

        amount = to_json_amount(cents)
        self.run(lambda: sync.client.move_cash(register, kind, amount, reason), recorded, failed)

    def print_slip(self, movement: dict[str, Any]) -> None:
        context = self.context
        register = str((self.state or {}).get("name") or context.register_id)
        cashier = context.user.name if context.user else ""
        document = documents.cash_slip(movement, context.shop or {}, register, cashier)
        printer = context.printer
        context.printing.run(lambda: printer.print(document), self.shell.show_printout)

    # ------------------------------------------------------------------------ Z

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
        self.confirm_button.setEnabled(not self.closing.busy)
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
        if self.closing.busy:
            return
        sync, register = self.context.core, self.context.register_id
        assert register is not None
        counted = self.counted()
        float_left = to_json_amount(self.other_amounts.amounts.get("float_left", 0))
        self.closing.start()
        self.confirm_button.setEnabled(False)

        def done() -> None:
            self.closing.done()
            self.confirm_button.setEnabled(True)

        def failed(error: BaseException) -> None:
            done()
            self.shell.fail(error)

        def closed(answer: dict[str, Any]) -> None:
            done()
            self.state = answer["register"]
            self.print_closing(answer["closure"])
            self.shell.notify(
                tr("Register closed: Z n°{number}.").format(number=answer["closure"]["z_number"]),
                error=False,
            )
            self.show_state()

        self.run(lambda: sync.client.close_register(register, counted, float_left), closed, failed)
