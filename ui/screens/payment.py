"""Payment: the modes the server knows, a ticket split across several of them, quick cash
amounts, the change due shown big, the drawer opened on cash; validation by the server, then the
receipt printed (the issuance recorded by the server first: no answer, no print) or offered."""

from __future__ import annotations

from functools import partial
from typing import Any

from till.errors import TillError
from till.money import Cents, format_amount, from_json_amount, parse_amount
from ui import documents
from ui.i18n import tr
from ui.printer import PrinterService, Printout
from ui.qt import QGridLayout, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget
from ui.screens.base import Screen, Underway
from ui.tickets import TRAINING, SaleTicket
from ui.widgets import ButtonPool, Keypad, button, label

# Notes a customer hands over, for the quick cash amounts above what is due.
QUICK_NOTES = (500, 1_000, 2_000, 5_000, 10_000)


def quick_amounts(due: Cents) -> list[Cents]:
    """The exact amount, then the next round amounts a customer is likely to give."""
    amounts = [due]
    for note in QUICK_NOTES:
        rounded = -(-due // note) * note
        if rounded > due and rounded not in amounts:
            amounts.append(rounded)
    return amounts[:4]


class PaymentScreen(Screen):
    name = "payment"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.ticket: SaleTicket | None = None
        self.validated: dict[str, Any] | None = None
        self.validating = Underway(self.context)
        self.pages = QStackedWidget()

        # Taking payments.
        paying = QWidget()
        self.due = label("", kind="due", name="payment-due")
        self.paid = label("", kind="small", name="payment-paid")
        self.change_label = label("", kind="change", name="payment-change")
        payments = QVBoxLayout()
        modes = QGridLayout()
        modes.setSpacing(8)
        quick = QHBoxLayout()
        # Made once and shown again at each refresh: this screen is shown at every sale.
        self.payment_rows = ButtonPool(
            lambda row, _index: payments.addWidget(row), kind="quiet", height=48
        )
        self.mode_buttons = ButtonPool(
            lambda mode, index: modes.addWidget(mode, index // 2, index % 2), kind="mode", height=64
        )
        self.quick_buttons = ButtonPool(
            lambda amount, _index: quick.addWidget(amount), kind="quick"
        )
        self.keypad = Keypad(key_height=56)
        self.validate_button = button(
            tr("Validate"), self.validate, kind="primary", name="payment-validate", height=72
        )
        left = QVBoxLayout()
        left.addWidget(self.due)
        left.addWidget(self.paid)
        left.addWidget(self.change_label)
        left.addLayout(payments)
        left.addStretch(1)
        left.addWidget(
            button(tr("Back to the ticket"), self.back, kind="quiet", name="payment-back")
        )
        middle = QVBoxLayout()
        middle.addWidget(label(tr("Payment mode (the amount typed, or all that is due)")))
        middle.addLayout(modes)
        middle.addWidget(label(tr("Cash given")))
        middle.addLayout(quick)
        middle.addStretch(1)
        middle.addWidget(self.validate_button)
        columns = QHBoxLayout(paying)
        columns.setSpacing(16)
        columns.addLayout(left, 3)
        columns.addLayout(middle, 4)
        columns.addWidget(self.keypad, 3)

        # Done.
        done = QWidget()
        self.done_title = label("", kind="title", name="done-title")
        self.done_change = label("", kind="change", name="done-change")
        self.print_button = button(
            tr("Print the receipt"), self.print_receipt, name="done-print", height=72
        )
        done_layout = QVBoxLayout(done)
        done_layout.setContentsMargins(120, 40, 120, 40)
        done_layout.addWidget(self.done_title)
        done_layout.addWidget(self.done_change)
        done_layout.addStretch(1)
        done_layout.addWidget(self.print_button)
        done_layout.addWidget(
            button(tr("New ticket"), self.next_ticket, kind="primary", name="done-next", height=72)
        )
        self.pages.addWidget(paying)
        self.pages.addWidget(done)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.addWidget(self.pages)
        self.context.signals.ticket_changed.connect(self._ticket_changed)

    def entered(self, **options: Any) -> None:
        if "ticket" in options:
            self.ticket = options["ticket"]
            self.validated = None
            self.keypad.reset()
            self.pages.setCurrentIndex(0)
            self.show_modes()
        self.refresh()

    def _ticket_changed(self, event: Any) -> None:
        if self.ticket is not None and event.ticket_id == self.ticket.id and self.isVisible():
            self.refresh()

    def show_modes(self) -> None:
        self.mode_buttons.show(
            [
                (mode["label"], f"mode-{mode['code']}", partial(self.pay_with, mode))
                for mode in self.context.payment_modes()
            ]
        )

    @property
    def order(self) -> dict[str, Any]:
        return self.ticket.view().order if self.ticket else {}

    def refresh(self) -> None:
        if self.ticket is None or self.validated is not None:
            return
        view = self.ticket.view()
        order = view.order
        due = from_json_amount(order["amount_due"])
        refund = from_json_amount(order["final_price"]) < 0
        if refund:
            self.due.setText(tr("To pay back: {amount}").format(amount=format_amount(-due)))
        else:
            self.due.setText(tr("Due: {amount}").format(amount=format_amount(due)))
        self.paid.setText(
            tr("Total {total} · paid {paid}").format(
                total=format_amount(from_json_amount(order["final_price"])),
                paid=format_amount(from_json_amount(order["amount_paid"])),
            )
        )
        change = from_json_amount(order["change_due"])
        self.change_label.setText(
            tr("Change: {amount}").format(amount=format_amount(change)) if change else ""
        )
        self.payment_rows.show(
            [
                (
                    f"{payment.get('mode_label') or payment['mode']}  "
                    f"{format_amount(from_json_amount(payment['amount']))}   ✕",
                    f"payment-{index}",
                    partial(self.remove_payment, str(payment["id"])),
                )
                for index, payment in enumerate(order["payments"])
            ]
        )
        cash = next((mode for mode in self.context.payment_modes() if mode["gives_change"]), None)
        amounts = quick_amounts(due) if cash is not None and due > 0 else []
        self.quick_buttons.show(
            [
                (format_amount(amount), f"quick-{amount}", partial(self.add_payment, cash, amount))
                for amount in amounts
            ]
        )
        ready = bool(order["is_fully_paid"]) and not view.pending and not self.validating.busy
        self.validate_button.setEnabled(ready)

    # ------------------------------------------------------------------------ payments

    def pay_with(self, mode: dict[str, Any]) -> None:
        due = from_json_amount(self.order.get("amount_due", "0.00"))
        text = self.keypad.text
        self.keypad.reset()
        try:
            amount = parse_amount(text) if text else abs(due)
        except TillError as error:
            self.shell.fail(error)
            return
        self.add_payment(mode, -amount if due < 0 else amount)

    def add_payment(self, mode: dict[str, Any] | None, cents: Cents) -> None:
        if self.ticket is None or mode is None or cents == 0:
            return
        try:
            self.ticket.add_payment(mode, cents)
        except TillError as error:
            self.shell.fail(error)
        self.refresh()

    def remove_payment(self, payment_id: str) -> None:
        if self.ticket is None:
            return
        try:
            self.ticket.remove_payment(payment_id)
        except TillError as error:
            self.shell.fail(error)
        self.refresh()

    def back(self) -> None:
        self.shell.show_screen("sale")

    # ------------------------------------------------------------------------ validation

    def validate(self) -> None:
        ticket = self.ticket
        if ticket is None or self.validating.busy:
            return
        self.validating.start()
        self.validate_button.setEnabled(False)

        def failed(error: BaseException) -> None:
            self.validating.done()
            self.shell.fail(error)
            self.refresh()

        self.run(ticket.validate, self.validated_order, failed)

    def validated_order(self, order: dict[str, Any]) -> None:
        self.validating.done()
        self.validated = order
        training = self.ticket is not None and self.ticket.kind == TRAINING
        number = order.get("public_number") or tr("(training, no number)")
        self.done_title.setText(tr("Ticket {number} validated").format(number=number))
        change = from_json_amount(order["change_due"])
        self.done_change.setText(
            tr("Change: {amount}").format(amount=format_amount(change))
            if change
            else tr("No change due")
        )
        self.pages.setCurrentIndex(1)
        self.shell.page("sale").new_ticket()
        drawer = self.opens_drawer(order)
        if self.context.settings.auto_print or training:
            self.print_receipt()
        elif drawer:
            printer = self.context.printer
            self.context.printing.run(lambda: printer.print(documents.drawer_kick()))

    def opens_drawer(self, order: dict[str, Any]) -> bool:
        modes = {mode["code"]: mode for mode in self.context.payment_modes()}
        return any(
            modes.get(payment["mode"], {}).get("opens_drawer", False)
            for payment in order["payments"]
        )

    def print_receipt(self) -> None:
        order = self.validated
        if order is None:
            return
        self.print_button.setEnabled(False)
        context = self.context
        printer, shop = context.printer, context.shop or {}
        drawer = self.opens_drawer(order)
        if self.ticket is not None and self.ticket.kind == TRAINING:
            cashier = context.user.name if context.user else ""
            document = documents.training_receipt(order, shop, cashier, open_drawer=drawer)
            context.printing.run(lambda: printer.print(document), self.printed)
            return
        people = context.people(order)
        sync = context.core
        context.printing.run(
            lambda: print_receipt(sync.client.issue, printer, order, shop, people, drawer),
            self.printed,
            self.print_failed,
        )

    def printed(self, printout: Printout) -> None:
        self.shell.show_printout(printout)

    def print_failed(self, error: BaseException) -> None:
        self.print_button.setEnabled(True)
        self.shell.fail(error)

    def next_ticket(self) -> None:
        self.ticket = None
        self.validated = None
        self.shell.show_screen("sale")


def print_receipt(
    issue: Any,
    printer: PrinterService,
    order: dict[str, Any],
    shop: dict[str, Any],
    people: Any,
    open_drawer: bool = False,
) -> Printout:
    """On the printer's worker: the issuance first (the server's answer gives the copy number
    and the QR proof), then the paper. No answer, no print."""
    issuance = issue(str(order["id"]))
    document = documents.receipt_document(order, issuance, shop, people, open_drawer=open_drawer)
    return printer.print(document)
