"""The sale: a row of departments and big product buttons, a search, the barcode scanner (a keyboard
that types fast and ends with Enter, anywhere on this screen), and the ticket as the server has
it, with the changes still on their way shown as pending. A number typed on the keypad, then a
function key, changes the selected line (quantity, price, discount) or the ticket (table,
covers); tickets are parked and resumed. Offline, the ticket is a draft kept on the till.
"""

from __future__ import annotations

import textwrap
import time
import unicodedata
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sync.drafts import Draft, order_fields
from sync.events import ChangeRolledBack, TicketChanged
from sync.ticket import is_empty
from till.errors import TillError
from till.money import (
    format_amount,
    format_quantity,
    from_json_amount,
    from_json_quantity,
    parse_amount,
    parse_quantity,
)
from till.order import MULTIPLICATION_SIGN, DeliveryMethod, Discount
from till.timestamps import from_utc_iso
from ui.i18n import tr
from ui.keyboard import is_text_field
from ui.operations import Operations
from ui.qt import (
    QApplication,
    QEvent,
    QGridLayout,
    QHBoxLayout,
    QIcon,
    QKeyEvent,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QObject,
    QPushButton,
    QScrollArea,
    QSize,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.screens.base import Screen, Underway
from ui.tickets import (
    DRAFT,
    ONLINE,
    TRAINING,
    DraftTicket,
    OnlineTicket,
    SaleTicket,
    TicketView,
    TrainingTicket,
)
from ui.widgets import ButtonPool, ChoiceRow, Keypad, Panel, button, fields_panel, label

COLUMNS = 3
PRODUCT_WRAP = 11  # characters per line of a product button
# A scanner types a whole code within a few milliseconds per key; people are slower.
SCANNER_GAP_S = 0.08
MIN_CODE = 3
PARKED_SHOWN = 12  # parked tickets offered at once, each a big button
DELIVERY_NAMES = {"eat_in": "Eat in", "take_away": "Take away", "delivery": "Delivery"}


def folded(text: str) -> str:
    """Lower case without accents, so that "eclair" finds "Éclair"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class ScannerFilter(QObject):
    """Reads what a barcode scanner types anywhere on the sale screen (unless a text field has
    the focus: the search field takes codes itself)."""

    def __init__(self, screen: SaleScreen) -> None:
        super().__init__(screen)
        self.screen = screen
        self.buffer = ""
        self.last = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not self.screen.isVisible():
            return False
        if is_text_field(QApplication.focusWidget()):
            return False
        assert isinstance(event, QKeyEvent)
        now = time.monotonic()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            code, self.buffer = self.buffer, ""
            if len(code) >= MIN_CODE:
                self.screen.scanned(code)
            return True
        text = event.text()
        if text and text.isprintable():
            if now - self.last > SCANNER_GAP_S * 10:
                self.buffer = ""
            self.buffer += text
            self.last = now
            return True
        return False


class SaleScreen(Screen):
    name = "sale"

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.ticket: SaleTicket | None = None
        self.opening = Underway(self.context)
        self.abandoned: list[OnlineTicket] = []  # server orders left when the link went down
        # An empty order of the server the screen let go of (a parked ticket resumed over it, a
        # refund, training): the next new ticket, rather than one more empty order.
        self.spare: OnlineTicket | None = None
        self.starting = True  # the first ticket of a session: the user's empty order, if any
        self.training_parked: list[TrainingTicket] = []
        self.next_quantity: str | None = None
        self.department: str | None = None
        self.shown_catalog: dict[str, Any] | None = None
        self.drafts = Operations(self.shell.fail, threads=1)  # draft changes, one at a time

        # The ticket.
        self.ticket_title = label("", kind="ticket-title", name="ticket-title")
        self.ticket_info = label("", kind="small", name="ticket-info", wrap=True)
        self.lines = QListWidget()
        self.lines.setObjectName("ticket-lines")
        self.lines.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.total = label("", kind="total", name="ticket-total")
        self.vat = label("", kind="small", name="ticket-vat")
        self.delivery: dict[str, Any] = {}
        delivery_row = QHBoxLayout()
        for method in DeliveryMethod:
            choice = button(
                tr(DELIVERY_NAMES[method.value]),
                partial(self.set_delivery, method.value),
                kind="choice",
                name=f"delivery-{method.value}",
                height=48,
            )
            choice.setCheckable(True)
            self.delivery[method.value] = choice
            delivery_row.addWidget(choice)
        park_row = QHBoxLayout()
        park_row.addWidget(button(tr("Park"), self.park, kind="quiet", name="sale-park", height=48))
        park_row.addWidget(
            button(tr("Resume"), self.show_parked, kind="quiet", name="sale-resume", height=48)
        )
        self.pay_button = button("", self.pay, kind="primary", name="sale-pay", height=64)
        ticket_panel = QVBoxLayout()
        ticket_panel.addWidget(self.ticket_title)
        ticket_panel.addWidget(self.ticket_info)
        ticket_panel.addWidget(self.lines, 1)
        ticket_panel.addWidget(self.total)
        ticket_panel.addWidget(self.vat)
        ticket_panel.addLayout(delivery_row)
        ticket_panel.addLayout(park_row)
        ticket_panel.addWidget(self.pay_button)

        # The products.
        self.search = QLineEdit()
        self.search.setObjectName("sale-search")
        self.search.setPlaceholderText(tr("Search an article, or scan it"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(48)
        self.search.textChanged.connect(lambda _text: self.show_products())
        self.search.returnPressed.connect(self.search_entered)
        self.departments = ChoiceRow("department")
        self.departments.chosen.connect(self._department_chosen)
        grid = QGridLayout()
        grid.setSpacing(8)
        self.products = ButtonPool(
            lambda product, index: grid.addWidget(product, index // COLUMNS, index % COLUMNS),
            kind="product",
            height=88,
            setup=_product_button,
        )
        grid_widget = QWidget()
        grid_column = QVBoxLayout(grid_widget)
        grid_column.setContentsMargins(0, 0, 0, 0)
        grid_column.addLayout(grid)
        grid_column.addStretch(1)  # the products at the top, however few
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(grid_widget)
        products = QVBoxLayout()
        products.addWidget(self.search)
        products.addWidget(self.departments)
        products.addWidget(scroll, 1)

        # The keypad and its function keys.
        self.keypad = Keypad(key_height=48)
        functions = QGridLayout()
        functions.setSpacing(6)
        keys = [
            (tr("Qty"), self.key_quantity, "key-quantity"),
            (tr("Price"), self.key_price, "key-price"),
            (tr("Disc. %"), self.key_discount_rate, "key-discount-rate"),
            (tr("Disc. €"), self.key_discount_amount, "key-discount-amount"),
            (tr("Table"), self.key_table, "key-table"),
            (tr("Covers"), self.key_covers, "key-covers"),
            (tr("Customer, notes"), self.key_details, "key-details"),
            (tr("Delete line"), self.key_delete, "key-delete"),
        ]
        for index, (text, action, name) in enumerate(keys):
            functions.addWidget(
                button(text, action, kind="function", name=name, height=48), index // 2, index % 2
            )
        keypad_column = QVBoxLayout()
        keypad_column.addWidget(self.keypad)
        keypad_column.addLayout(functions)
        keypad_column.addStretch(1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(10)
        layout.addLayout(ticket_panel, 34)
        layout.addLayout(products, 44)
        layout.addLayout(keypad_column, 22)

        self.scanner = ScannerFilter(self)
        application = QApplication.instance()
        assert application is not None
        application.installEventFilter(self.scanner)
        signals = self.context.signals
        signals.ticket_changed.connect(self._ticket_changed)
        signals.change_rolled_back.connect(self._rolled_back)
        self.show_ticket(None)

    # ------------------------------------------------------------------------ life

    def entered(self, **options: Any) -> None:
        # The buttons are shown again for another catalog only: the till comes back to this
        # screen after every sale.
        if self.shown_catalog is not self.context.catalog:
            self.shown_catalog = self.context.catalog
            self.show_departments()
        if self.ticket is None or (self.ticket.kind == ONLINE and not self.context.online):
            self.new_ticket()
        else:
            self.show_ticket(self.ticket.view())

    def leave(self) -> None:
        """Log-out: the ticket on screen stays where it is kept (server, draft store); an empty
        order of the server is where this user's next session starts."""
        for ticket in (self.ticket, self.spare):
            if ticket is not None:
                self.let_go(ticket, keep=False)
        self.ticket = self.spare = None
        self.starting = True
        self.training_parked.clear()

    def let_go(self, ticket: SaleTicket, *, keep: bool = True) -> None:
        """The screen is done with `ticket`. One with nothing on it is not left behind: an empty
        order of the server is kept as the next ticket (`keep`; a second one is cancelled), an
        empty draft is dropped. A ticket with lines stays where it is kept, parked."""
        empty = ticket.view().empty
        if isinstance(ticket, OnlineTicket):
            if empty and keep and self.spare is None:
                self.spare = ticket
                return
            ticket.close()
            if empty and keep:
                self.run(ticket.ticket.cancel, None, lambda _error: None)
        elif isinstance(ticket, DraftTicket) and empty:
            offline, draft_id = ticket.offline, ticket.id
            self.run(lambda: offline.discard(draft_id), on=self.drafts)

    def new_ticket(self) -> None:
        """A new ticket of the right kind: training, online, or a draft offline."""
        if self.ticket is not None:
            self.let_go(self.ticket)
        self.ticket = None
        self.show_ticket(None)
        context = self.context
        register = context.register_id
        user = context.user
        if context.training:
            self.use(TrainingTicket(register, user.id if user else None))
            return
        if register is None or self.opening.busy:
            return
        sync = context.core
        self.opening.start()

        def opened(ticket: SaleTicket) -> None:
            self.opening.done()
            if ticket.kind == ONLINE:
                self.starting = False
            self.use(ticket)

        def failed(error: BaseException) -> None:
            self.opening.done()
            self.shell.fail(error)

        user_id = user.id if user else None
        if context.online:
            spare, self.spare = self.spare, None
            if spare is not None:
                opened(spare)
            elif self.starting and user_id is not None:
                starter = user_id
                self.run(
                    lambda: OnlineTicket(sync.first_ticket(starter, register)),
                    opened,
                    failed,
                    stale=self.opened_too_late,
                )
            else:
                self.run(
                    lambda: OnlineTicket(sync.new_ticket(register)),
                    opened,
                    failed,
                    stale=self.opened_too_late,
                )
        else:
            self.run(
                lambda: DraftTicket(sync.offline, sync.offline.new_draft(register, user_id)),
                opened,
                failed,
                on=self.drafts,
                stale=self.opened_too_late,
            )

    def opened_too_late(self, ticket: SaleTicket) -> None:
        """A ticket opened for a screen that changed since (a log-out, a lock, training, another
        language) is not shown: an empty draft is dropped, and an empty order of the server is
        left there for the user it was opened for, whose next ticket starts on it (as a session
        does: `first_ticket`), rather than on one more empty order."""
        self.let_go(ticket, keep=False)
        self.starting = True

    def use(self, ticket: SaleTicket) -> None:
        previous = self.ticket
        if previous is not None and previous is not ticket:
            self.let_go(previous)
        self.ticket = ticket
        self.next_quantity = None
        self.show_ticket(ticket.view())

    def training_changed(self) -> None:
        if self.ticket is not None:
            self.let_go(self.ticket)
        self.ticket = None
        self.training_parked.clear()
        self.new_ticket()

    def connectivity_changed(self, online: bool) -> None:
        ticket = self.ticket
        if self.context.training or self.context.user is None:
            return
        if not online and isinstance(ticket, OnlineTicket):
            self.to_draft(ticket)
        elif online:
            self.cancel_abandoned()
            if isinstance(ticket, DraftTicket):
                self.shell.notify(
                    tr("The server is back: drafts are being sent to it (see Drafts)."),
                    error=False,
                )
                self.new_ticket()

    def to_draft(self, ticket: OnlineTicket) -> None:
        """The server went away mid-ticket: the ticket goes on as a draft with the lines the
        server had confirmed; the server's order is cancelled once it is back (an empty one is
        kept for the first ticket then)."""
        if ticket.view().empty:
            self.new_ticket()
            return
        ticket.close()
        order = ticket.view().order
        self.ticket = None
        context, sync = self.context, self.context.core
        user_id = context.user.id if context.user else None
        register = context.register_id
        assert register is not None
        articles = {article["id"]: article for article in context.articles()}

        def draft() -> DraftTicket:
            fields = order_fields(order, articles)
            return DraftTicket(sync.offline, sync.offline.new_draft(register, user_id, **fields))

        def made(drafted: DraftTicket) -> None:
            # Only now that the draft holds the lines is the server's order done with.
            self.abandoned.append(ticket)
            self.use(drafted)
            if self.context.online:  # back already, while the draft was being kept
                self.connectivity_changed(True)

        def kept_aside(_draft: DraftTicket) -> None:
            self.abandoned.append(ticket)  # the draft stays on the till, parked

        def not_made(error: BaseException) -> None:
            # The server's order still holds the lines: it stays open there, to be resumed.
            self.shell.fail(error)
            if self.context.online:
                self.resume_order(str(order["id"]))
            else:
                self.new_ticket()

        self.shell.notify(tr("The server cannot be reached: this ticket goes on as a draft."))
        self.run(draft, made, not_made, on=self.drafts, stale=kept_aside)

    def cancel_abandoned(self) -> None:
        abandoned, self.abandoned = self.abandoned, []
        for ticket in abandoned:
            self.run(ticket.ticket.cancel, None, lambda _error: None)

    # ------------------------------------------------------------------------ products

    def show_departments(self) -> None:
        departments = sorted(
            self.context.catalog.get("departments", []), key=lambda item: item["position"]
        )
        known = {department["id"] for department in departments}
        if self.department not in known:
            self.department = None
        self.departments.set_choices(
            [(None, tr("All")), *((item["id"], item["label"]) for item in departments)],
            self.department,
        )
        self.show_products()

    def _department_chosen(self, department: str | None) -> None:
        self.department = department
        self.show_products()

    def show_products(self) -> None:
        wanted = folded(self.search.text().strip())
        shown = [
            article
            for article in self.context.articles()
            if (wanted and wanted in folded(article["label"]))
            or (not wanted and self.department in (None, article.get("department_id")))
        ]
        products = self.products.show(
            [
                (
                    textwrap.fill(article["label"], PRODUCT_WRAP)
                    + f"\n{format_amount(from_json_amount(article['price']))}",
                    f"product-{article['id']}",
                    partial(self.tapped, article),
                )
                for article in shown
            ]
        )
        for product, article in zip(products, shown, strict=True):
            image = article.get("image")
            product.setIcon(QIcon(image) if image and Path(image).is_file() else QIcon())

    def find_code(self, code: str) -> dict[str, Any] | None:
        for field in ("barcode", "plu", "id"):
            for article in self.context.articles():
                if article.get(field) == code:
                    return article
        return None

    def scanned(self, code: str) -> None:
        article = self.find_code(code)
        if article is None:
            self.shell.notify(tr("No article has the code {code}.").format(code=code))
        else:
            self.tapped(article)

    def search_entered(self) -> None:
        text = self.search.text().strip()
        article = self.find_code(text)
        if article is None:
            matches = [
                item for item in self.context.articles() if folded(text) in folded(item["label"])
            ]
            article = matches[0] if len(matches) == 1 else None
        if article is not None:
            self.tapped(article)
            self.search.clear()

    # ------------------------------------------------------------------------ changes

    def change(self, apply: Any) -> None:
        """Apply a change to the ticket: at once online (it is queued and sent) and in training,
        on the draft worker offline (it waits on the disk)."""
        ticket = self.ticket
        if ticket is None:
            self.shell.notify(tr("The ticket is not ready yet."))
            return
        if ticket.blocking:
            self.run(lambda: apply(ticket), lambda _result: self.refresh(), on=self.drafts)
            return
        try:
            apply(ticket)
        except TillError as error:
            self.shell.fail(error)
        if ticket.kind == TRAINING:
            self.refresh()

    def tapped(self, article: dict[str, Any]) -> None:
        quantity = self.next_quantity or "1"
        self.next_quantity = None
        self.change(lambda ticket: ticket.add_article(article, quantity))

    def selected_line(self) -> str | None:
        item = self.lines.currentItem()
        line_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(line_id) if line_id else None

    def typed(self) -> str | None:
        text = self.keypad.text.strip()
        self.keypad.reset()
        if not text:
            self.shell.notify(tr("Type the number on the keypad first, then the key."))
            return None
        return text

    def _line_change(self, convert: Any, apply: Any) -> None:
        text = self.typed()
        line_id = self.selected_line()
        if text is None:
            return
        if line_id is None:
            self.shell.notify(tr("Choose a line of the ticket first."))
            return
        try:
            value = convert(text)
        except (TillError, ValueError) as error:
            self.shell.fail(error)
            return
        self.change(lambda ticket: apply(ticket, line_id, value))

    def key_quantity(self) -> None:
        if self.selected_line() is None and self.keypad.text:
            text = self.typed()
            try:
                self.next_quantity = format(parse_quantity(text or ""), "f")
            except TillError as error:
                self.shell.fail(error)
                return
            self.shell.notify(
                tr("Next article: quantity {quantity}.").format(quantity=text), error=False
            )
            return
        self._line_change(
            parse_quantity, lambda ticket, line, value: ticket.set_quantity(line, value)
        )

    def key_price(self) -> None:
        self._line_change(
            parse_amount, lambda ticket, line, value: ticket.set_unit_price(line, value)
        )

    def key_discount_rate(self) -> None:
        self._discount(lambda text: Discount.rate(text.replace(",", ".")))

    def key_discount_amount(self) -> None:
        self._discount(lambda text: Discount.amount(parse_amount(text)))

    def _discount(self, convert: Any) -> None:
        """On the selected line, or on the whole ticket when no line is selected."""
        if self.selected_line() is not None:
            self._line_change(convert, lambda ticket, line, value: ticket.set_discount(line, value))
            return
        text = self.typed()
        if text is None:
            return
        try:
            discount = convert(text)
        except (TillError, ValueError) as error:
            self.shell.fail(error)
            return
        self.change(lambda ticket: ticket.set_fields(order_discount=discount))

    def key_delete(self) -> None:
        line_id = self.selected_line()
        if line_id is None:
            self.shell.notify(tr("Choose a line of the ticket first."))
            return
        self.change(lambda ticket: ticket.remove_line(line_id))

    def key_table(self) -> None:
        text = self.typed()
        if text is not None:
            self.change(lambda ticket: ticket.set_fields(table=text))

    def key_covers(self) -> None:
        text = self.typed()
        if text is not None and text.isdigit():
            self.change(lambda ticket: ticket.set_fields(covers=int(text)))

    def key_details(self) -> None:
        order = self.ticket.view().order if self.ticket else {}

        def done(values: list[str]) -> None:
            customer, public, private = values
            self.change(
                lambda ticket: ticket.set_fields(
                    customer_account=customer or None, public_note=public, private_note=private
                )
            )

        fields_panel(
            self,
            tr("Customer and notes"),
            [
                (tr("Customer account"), order.get("customer_account") or ""),
                (tr("Note printed on the receipt"), order.get("public_note") or ""),
                (tr("Private note"), order.get("private_note") or ""),
            ],
            done,
        )

    def set_delivery(self, method: str) -> None:
        self.change(lambda ticket: ticket.set_fields(delivery_method=method))

    # ------------------------------------------------------------------------ park, pay

    def park(self) -> None:
        ticket = self.ticket
        if ticket is None or not ticket.view().order["lines"]:
            return
        if isinstance(ticket, TrainingTicket):
            self.training_parked.append(ticket)
        self.shell.notify(tr("Ticket parked."), error=False)
        self.new_ticket()

    def show_parked(self) -> None:
        context = self.context
        if context.training:
            self._parked_panel(
                [
                    (_summary(ticket.view().order, self.zone), ticket)
                    for ticket in self.training_parked
                ]
            )
            return
        sync = context.core
        current = self.ticket.id if self.ticket else None
        if context.online:
            register, zone = context.register_id, self.zone

            def parked() -> list[tuple[str, Any]]:
                """The register's open orders with something on them, read whole for their
                totals (the list has none until they are validated)."""
                entries: list[tuple[str, Any]] = []
                for found in sync.client.orders(status="open", register_id=register, limit=100):
                    if found["id"] == current:
                        continue
                    order = sync.client.get(f"/orders/{found['id']}")
                    if not is_empty(order):
                        entries.append((_summary(order, zone), order["id"]))
                    if len(entries) == PARKED_SHOWN:
                        break
                return entries

            self.run(parked, self._parked_panel)
        else:

            def parked_drafts(drafts: list[Draft]) -> None:
                self._parked_panel(
                    [(_draft_summary(draft), draft) for draft in drafts if draft.id != current]
                )

            self.run(sync.drafts.all, parked_drafts, on=self.drafts)  # read on the disk

    def _parked_panel(self, entries: list[tuple[str, Any]]) -> None:
        panel = Panel(self, tr("Parked tickets"))
        if not entries:
            panel.body.addWidget(label(tr("No parked ticket.")))
        for index, (text, key) in enumerate(entries[:PARKED_SHOWN]):

            def resume(key: Any = key) -> None:
                panel.accept()
                self.resume(key)

            panel.body.addWidget(button(text, resume, name=f"parked-{index}"))
        panel.buttons_row(button(tr("Close"), panel.reject, kind="quiet", name="panel-no"))
        panel.open()

    def resume(self, key: Any) -> None:
        if isinstance(key, TrainingTicket):
            self.training_parked.remove(key)
            self.use(key)
        elif isinstance(key, Draft):
            self.use(DraftTicket(self.context.core.offline, key))
        else:
            self.resume_order(str(key))

    def resume_order(self, order_id: str) -> None:
        sync = self.context.core
        self.run(
            lambda: OnlineTicket(sync.resume_ticket(order_id)),
            self.use,
            stale=lambda ticket: self.let_go(ticket, keep=False),  # it stays open, parked
        )

    def pay(self) -> None:
        ticket = self.ticket
        if ticket is None:
            return
        if ticket.kind == DRAFT:
            self.shell.notify(
                tr("Offline, a ticket is a draft: it is paid once the server is back.")
            )
            return
        if not ticket.view().order["lines"]:
            self.shell.notify(tr("The ticket is empty."))
            return
        self.shell.show_screen("payment", ticket=ticket)

    # ------------------------------------------------------------------------ showing

    def _ticket_changed(self, event: TicketChanged) -> None:
        if self.ticket is not None and event.ticket_id == self.ticket.id:
            self.refresh()

    def _rolled_back(self, event: ChangeRolledBack) -> None:
        if self.ticket is not None and event.ticket_id == self.ticket.id:
            self.shell.notify(event.message)

    def refresh(self) -> None:
        self.show_ticket(self.ticket.view() if self.ticket else None)

    def show_ticket(self, view: TicketView | None) -> None:
        selected = self.selected_line()
        self.lines.clear()
        if view is None:
            self.ticket_title.setText(tr("Opening a ticket…"))
            self.ticket_info.setText("")
            self.total.setText("")
            self.vat.setText("")
            self.pay_button.setText(tr("Pay"))
            return
        order = view.order
        kind = self.ticket.kind if self.ticket else ONLINE
        titles = {
            ONLINE: tr("Ticket"),
            DRAFT: tr("DRAFT (offline)"),
            TRAINING: tr("TRAINING ticket"),
        }
        self.ticket_title.setText(titles[kind])
        info = [tr(DELIVERY_NAMES.get(order["delivery_method"], order["delivery_method"]))]
        if order.get("table"):
            info.append(tr("Table {table}").format(table=order["table"]))
        if order.get("covers"):
            info.append(tr("{covers} covers").format(covers=order["covers"]))
        if order.get("customer_account"):
            info.append(tr("Customer {name}").format(name=order["customer_account"]))
        if view.out_of_step:
            info.append(tr("reading the ticket again…"))
        self.ticket_info.setText(" · ".join(info))
        for method, choice in self.delivery.items():
            choice.setChecked(method == order["delivery_method"])
        for line in order["lines"]:
            quantity = from_json_quantity(line["quantity"])
            text = f"{format_quantity(quantity)} {MULTIPLICATION_SIGN} {line['label']}"
            if line.get("discount"):
                text += "  " + tr("(discount {amount})").format(
                    amount=format_amount(from_json_amount(line["line_discount"]))
                )
            item = QListWidgetItem(f"{text}\n{format_amount(from_json_amount(line['final']))}")
            item.setData(Qt.ItemDataRole.UserRole, line["id"])
            self.lines.addItem(item)
            if line["id"] == selected:
                self.lines.setCurrentItem(item)
        articles = {article["id"]: article["label"] for article in self.context.articles()}
        for pending in view.pending:
            sign, _, what = pending.partition(" ")
            shown = articles.get(what, what) if sign == "+" else pending
            item = QListWidgetItem(tr("{change} — pending").format(change=f"{sign} {shown}"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
            item.setData(Qt.ItemDataRole.UserRole, None)
            item.setToolTip(tr("Sent to the server, not confirmed yet"))
            self.lines.addItem(item)
        self.lines.scrollToBottom()
        total = format_amount(from_json_amount(order["final_price"]))
        self.total.setText(tr("Total {amount}").format(amount=total))
        self.vat.setText(
            tr("of which VAT {amount}").format(
                amount=format_amount(from_json_amount(order["total_vat"]))
            )
            + (
                "  ·  " + tr("{count} pending").format(count=len(view.pending))
                if view.pending
                else ""
            )
        )
        self.pay_button.setText(tr("Pay {amount}").format(amount=total))


def _product_button(product: QPushButton) -> None:
    product.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    product.setIconSize(QSize(40, 40))


def _summary(order: dict[str, Any], zone: ZoneInfo) -> str:
    when = f"{from_utc_iso(order['created_at']).astimezone(zone):%H:%M}"
    parts = [when, tr("table {table}").format(table=order["table"]) if order.get("table") else ""]
    if order.get("final_price"):
        parts.append(format_amount(from_json_amount(order["final_price"])))
    return " · ".join(part for part in parts if part)


def _draft_summary(draft: Draft) -> str:
    return " · ".join(
        [
            f"{draft.created_at:%H:%M}",
            tr("{count} lines").format(count=len(draft.lines)),
            format_amount(draft.totals.final_price),
        ]
    )
