"""History: the shop's orders found by number, day, register or customer; an order's detail; a
reprint (the server records it first and numbers it DUPLICATA); a refund, opened as a corrective
order under a manager's PIN. Read-only for the accountant: no reprint, no refund."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.service import TillSync
from sync.ticket import is_empty
from till.errors import TillError
from till.money import format_amount, format_quantity, from_json_amount, from_json_quantity
from till.order import MULTIPLICATION_SIGN
from till.timestamps import to_utc_iso
from ui.context import MANAGERS
from ui.i18n import tr
from ui.qt import QGridLayout, QHBoxLayout, QLineEdit, Qt, QVBoxLayout
from ui.screens.base import Screen
from ui.screens.payment import print_receipt
from ui.tickets import OnlineTicket
from ui.widgets import Keypad, Panel, button, choice_panel, fill, label, table

STATUS_NAMES = {"open": "Open", "validated": "Validated", "cancelled": "Cancelled"}
PAGE = 100


class InvalidDay(TillError):
    code = "invalid_day"


def parse_day(text: str) -> datetime:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise InvalidDay(tr("Write the day like 21/11/2026."))


def search_orders(
    sync: TillSync, number: str, day: str, register: str | None, customer: str, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """On a worker: the server finds the orders by number, register, day and customer; an open
    order's total, which the list leaves out until it is validated, is read from the order. An
    order nothing was ever put on is no sale: it is not listed."""
    filters: dict[str, Any] = {
        "limit": PAGE,
        "register_id": register,
        "public_number": number or None,
        "customer": customer or None,
    }
    if day:
        start = parse_day(day).replace(tzinfo=zone)
        filters["since"] = to_utc_iso(start)
        filters["before"] = to_utc_iso(start + timedelta(days=1))
    found = []
    for order in sync.client.orders(**filters):
        if order["final_price"] is None:
            whole = sync.client.get(f"/orders/{order['id']}")
            if is_empty(whole):
                continue
            order["final_price"] = whole["final_price"]
        found.append(order)
    return found


class HistoryScreen(Screen):
    name = "history"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.read_only = False
        self.orders: list[dict[str, Any]] = []
        self.chosen: dict[str, Any] | None = None
        self.number = self._edit("history-number", tr("Number (T00000012)"))
        self.day = self._edit("history-day", tr("Day (21/11/2026)"))
        self.day.setInputMethodHints(Qt.InputMethodHint.ImhPreferNumbers)  # keys open on digits
        self.customer = self._edit("history-customer", tr("Customer"))
        self.registers: dict[str, str] = {}
        self.register: str | None = None
        self.register_button = button(
            tr("All registers"), self.pick_register, name="history-register", height=48
        )
        filters = QHBoxLayout()
        for widget in (self.number, self.day, self.customer, self.register_button):
            filters.addWidget(widget, 1)
        filters.addWidget(button(tr("Search"), self.search, kind="primary", name="history-search"))
        self.table = table(
            "history-table",
            [tr("Number"), tr("Date"), tr("Register"), tr("Total"), tr("State")],
            stretch=2,
        )
        self.table.cellClicked.connect(lambda row, _column: self.choose(row))
        self.detail = label("", name="history-detail", wrap=True)
        self.detail.setProperty("kind", "detail")
        self.reprint_button = button(
            tr("Reprint (duplicata)"), self.reprint, name="history-reprint"
        )
        self.refund_button = button(
            tr("Refund (manager)"), self.ask_manager, kind="danger", name="history-refund"
        )
        right = QVBoxLayout()
        right.addWidget(self.detail, 1)
        right.addWidget(self.reprint_button)
        right.addWidget(self.refund_button)
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(filters)
        layout.addLayout(body, 1)

    def _edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setMinimumHeight(48)
        edit.returnPressed.connect(self.search)
        return edit

    def entered(self, **options: Any) -> None:
        self.read_only = bool(options.get("read_only"))
        self.reprint_button.setVisible(not self.read_only)
        self.refund_button.setVisible(not self.read_only)
        self.show_detail(None)
        sync = self.context.core
        self.run(lambda: sync.client.get("/registers"), self.show_registers)

    def show_registers(self, registers: list[dict[str, Any]]) -> None:
        """The registers' names, then the orders (which show them)."""
        self.registers = {str(item["id"]): str(item["name"]) for item in registers}
        self.search()

    def pick_register(self) -> None:
        def chosen(register: str | None) -> None:
            self.register = register
            self.register_button.setText(
                self.registers.get(register, register) if register else tr("All registers")
            )
            self.search()

        choice_panel(
            self,
            tr("Which register?"),
            list(self.registers.items()),
            chosen,
            every=tr("All registers"),
        )

    def search(self) -> None:
        sync = self.context.core
        number, day, customer = (
            self.number.text().strip(),
            self.day.text().strip(),
            self.customer.text().strip(),
        )
        register = self.register
        zone = self.zone
        self.run(
            lambda: search_orders(sync, number, day, register, customer, zone), self.show_orders
        )

    def show_orders(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        rows = []
        for order in orders:
            register = str(order["register_id"])
            rows.append(
                [
                    order.get("public_number") or "—",
                    self.moment(order["validated_at"] or order["created_at"]),
                    self.registers.get(register, register),
                    format_amount(from_json_amount(order["final_price"])),
                    tr(STATUS_NAMES.get(order["status"], order["status"])),
                ]
            )
        fill(self.table, rows, right=(3,))
        self.show_detail(None)

    def choose(self, row: int) -> None:
        sync, order_id = self.context.core, self.orders[row]["id"]
        self.run(lambda: sync.client.get(f"/orders/{order_id}"), self.show_detail)

    def show_detail(self, order: dict[str, Any] | None) -> None:
        self.chosen = order
        sealed = bool(order and order["status"] == "validated")
        self.reprint_button.setEnabled(sealed)
        self.refund_button.setEnabled(sealed and not (order or {}).get("is_refund"))
        if order is None:
            self.detail.setText(tr("Choose an order in the list."))
            return
        lines = [
            f"{format_quantity(from_json_quantity(line['quantity']))} {MULTIPLICATION_SIGN} "
            f"{line['label']}  "
            f"{format_amount(from_json_amount(line['final']))}"
            for line in order["lines"]
        ]
        payments = [
            f"{payment.get('mode_label') or payment['mode']}  "
            f"{format_amount(from_json_amount(payment['amount']))}"
            for payment in order["payments"]
        ]
        head = order.get("public_number") or tr("open order")
        text = [
            f"<b>{head}</b>",
            *lines,
            "<b>"
            + tr("Total {amount}").format(
                amount=format_amount(from_json_amount(order["final_price"]))
            )
            + "</b>",
            *payments,
        ]
        if order.get("customer_account"):
            text.append(tr("Customer {name}").format(name=order["customer_account"]))
        if order.get("corrects_order_id"):
            text.append(tr("Corrects another order"))
        if order.get("copies"):
            text.append(tr("Printed {count} time(s)").format(count=len(order["copies"])))
        self.detail.setText("<br>".join(text))

    # ------------------------------------------------------------------------ actions

    def reprint(self) -> None:
        order = self.chosen
        if order is None or self.read_only:
            return
        context = self.context
        sync, printer, shop = context.core, context.printer, context.shop or {}
        people = context.people(order)
        context.printing.run(
            lambda: print_receipt(sync.client.issue, printer, order, shop, people),
            self.shell.show_printout,
        )

    def ask_manager(self) -> None:
        order = self.chosen
        if order is None or self.read_only:
            return
        sync = self.context.core
        self.run(
            lambda: sync.client.get("/users"),
            lambda users: self.manager_panel(
                order, [user for user in users if user["role"] in MANAGERS]
            ),
        )

    def manager_panel(self, order: dict[str, Any], managers: list[dict[str, Any]]) -> None:
        panel = Panel(self, tr("Refund: a manager's PIN"))
        chosen: dict[str, str] = {}
        names = QGridLayout()
        for index, manager in enumerate(managers):

            def choose(manager: dict[str, Any] = manager) -> None:
                chosen["id"] = str(manager["id"])
                prompt.setText(tr("{name}, type your PIN").format(name=manager["name"]))

            names.addWidget(
                button(manager["name"], choose, kind="user", name=f"manager-{manager['id']}"),
                0,
                index,
            )
        prompt = label(tr("Which manager?"))
        keypad = Keypad(masked=True, decimals=False, enter_text=tr("Refund"), key_height=52)

        def entered(pin: str) -> None:
            if "id" not in chosen:
                self.shell.notify(tr("Choose your name first."))
                return
            panel.accept()
            self.refund(order, chosen["id"], pin)

        keypad.entered.connect(entered)
        panel.body.addLayout(names)
        panel.body.addWidget(prompt)
        panel.body.addWidget(keypad)
        panel.buttons_row(button(tr("Cancel"), panel.reject, kind="quiet", name="panel-no"))
        panel.open()

    def refund(self, order: dict[str, Any], manager_id: str, pin: str) -> None:
        context = self.context
        sync, register = context.core, context.register_id or str(order["register_id"])

        def opened(ticket: OnlineTicket) -> None:
            sale = self.shell.page("sale")
            sale.use(ticket)
            self.shell.show_screen("sale")
            self.shell.notify(tr("Refund opened: pay it back, then validate it."), error=False)

        self.run(
            lambda: OnlineTicket(sync.open_refund(str(order["id"]), register, manager_id, pin)),
            opened,
        )
