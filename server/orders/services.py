"""Open orders and their validation: every change goes through the fiscal core's `Order`, so the
server's totals are the only totals, and validation seals the order and its payments.

Each function runs inside the caller's write transaction and returns the order as it now stands.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import orjson
from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from server.accounts.models import Role, User
from server.accounts.services import MANAGERS, WRITERS, Actor
from server.catalog.models import Article, PaymentModeRow
from server.db import lock_shop
from server.errors import Conflict, Invalid, NotFound
from server.orders.models import OrderLineRow, OrderRow, OrderStatus, PaymentRow
from server.orders.schemas import DraftIn, LineIn, LinePatch, OrderIn, OrderPatch
from server.receipts.services import copies
from server.registers.models import RegisterPeriod
from server.registers.services import (
    business_day,
    get_register,
    require_selling,
    selling_period,
)
from server.sealing import services as sealing
from server.sealing.keys import KeyStore
from server.sealing.models import SealedRecordRow
from server.shops.models import Register, Shop, ShopKey
from till.errors import TillError
from till.fiscal.records import ChainHead, SealedRecord
from till.money import (
    from_json_amount,
    parse_quantity,
    parse_rate,
    to_json_amount,
    to_json_quantity,
    to_json_rate,
)
from till.order import (
    DeliveryMethod,
    Discount,
    Order,
    OrderLine,
    Payment,
    PaymentMode,
    VatRates,
    refund_lines,
    to_record,
)
from till.timestamps import as_utc, to_utc_iso, utc_now
from till.vat import FRENCH_RATES

OFFLINE_WINDOW = timedelta(hours=20)


class OrderNotOpen(Conflict):
    code = "order_not_open"


class NotFullyPaid(Conflict):
    code = "order_not_fully_paid"


class PaymentLocked(Conflict):
    code = "payment_locked"


class RefundTooLarge(Conflict):
    code = "refund_too_large"


class UnknownVatRate(Invalid):
    code = "unknown_vat_rate"

    def __init__(self, text: str) -> None:
        rates = ", ".join(f"{rate.normalize():f}" for rate in FRENCH_RATES)
        super().__init__(f"{text} % is not a VAT rate in use; the rates are {rates}.")


# ---------------------------------------------------------------------------- reading


# The statements of every change, built once: SQLAlchemy then reuses their compiled form as is.
# An order being changed is read and written as plain rows, not ORM objects: a change touches a
# few columns of a few rows, which the ORM's bookkeeping would cost more than the statements.
_ORDERS = cast(Table, OrderRow.__table__)
_LINE_ROWS = cast(Table, OrderLineRow.__table__)
_PAYMENT_ROWS = cast(Table, PaymentRow.__table__)
_ORDER = select(OrderRow).where(
    OrderRow.id == bindparam("order_id"), OrderRow.shop_id == bindparam("shop_id")
)
_ORDER_TO_CHANGE = (
    select(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"), _ORDERS.c.shop_id == bindparam("shop_id"))
    .with_for_update()
)
_LINES = (
    select(_LINE_ROWS)
    .where(_LINE_ROWS.c.order_id == bindparam("order_id"))
    .order_by(_LINE_ROWS.c.position)
)
_PAYMENTS = (
    select(_PAYMENT_ROWS)
    .where(_PAYMENT_ROWS.c.order_id == bindparam("order_id"))
    .order_by(_PAYMENT_ROWS.c.position)
)
# The columns to set are the parameters given besides `order_id` (or `line_id`).
_ORDER_UPDATE = update(_ORDERS).where(_ORDERS.c.id == bindparam("order_id"))
_LINE_INSERT = insert(_LINE_ROWS)
_LINE_UPDATE = update(_LINE_ROWS).where(_LINE_ROWS.c.id == bindparam("line_id"))
_LINE_DELETE = delete(_LINE_ROWS).where(_LINE_ROWS.c.id == bindparam("line_id"))
_PAYMENT_INSERT = insert(_PAYMENT_ROWS)
_PAYMENT_DELETE = delete(_PAYMENT_ROWS).where(_PAYMENT_ROWS.c.id == bindparam("payment_id"))
_PAYMENT_SEALED = (
    update(_PAYMENT_ROWS)
    .where(_PAYMENT_ROWS.c.id == bindparam("payment_id"))
    .values(record_seq=bindparam("seq"))
)
_ARTICLES = cast(Table, Article.__table__)
_ARTICLE = select(_ARTICLES).where(
    _ARTICLES.c.shop_id == bindparam("shop_id"), _ARTICLES.c.id == bindparam("article_id")
)
# Orders to validate, with what sealing each takes: its shop, its register and the register's open
# period, the shop's key. The orders are locked until the commit.
_TO_VALIDATE = (
    select(OrderRow, Shop, Register, RegisterPeriod, ShopKey)
    .join(Shop, Shop.id == OrderRow.shop_id)
    .outerjoin(
        Register, (Register.shop_id == OrderRow.shop_id) & (Register.id == OrderRow.register_id)
    )
    .outerjoin(
        RegisterPeriod,
        (RegisterPeriod.shop_id == OrderRow.shop_id)
        & (RegisterPeriod.register_id == OrderRow.register_id)
        & RegisterPeriod.closed_at.is_(None),
    )
    .outerjoin(ShopKey, (ShopKey.shop_id == OrderRow.shop_id) & ShopKey.retired_at.is_(None))
    .where(OrderRow.id.in_(bindparam("order_ids", expanding=True)))
    .with_for_update(of=OrderRow)
)
_LINES_OF = (
    select(_LINE_ROWS)
    .where(_LINE_ROWS.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(_LINE_ROWS.c.order_id, _LINE_ROWS.c.position)
)
_PAYMENTS_OF = (
    select(_PAYMENT_ROWS)
    .where(_PAYMENT_ROWS.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(_PAYMENT_ROWS.c.order_id, _PAYMENT_ROWS.c.position)
)


def get_row(session: Session, actor: Actor, order_id: str) -> OrderRow:
    """The actor's shop's order."""
    row = session.scalars(_ORDER, {"order_id": order_id, "shop_id": actor.shop_id}).one_or_none()
    if row is None:
        raise NotFound(f"There is no order {order_id}.")
    return row


def _discount(rate: str | None, amount: int | None) -> Discount | None:
    if rate is not None:
        return Discount.rate(rate)
    if amount is not None:
        return Discount.amount(amount)
    return None


def _store_discount(discount: Discount | None) -> tuple[str | None, int | None]:
    if discount is None:
        return None, None
    if discount.percent is not None:
        return to_json_rate(discount.percent), None
    return None, discount.cents


def _rates(eat_in: str, take_away: str | None) -> VatRates:
    return VatRates(parse_rate(eat_in), parse_rate(take_away) if take_away is not None else None)


def _line(row: Row[Any]) -> OrderLine:
    return OrderLine(
        id=row.id,
        article_id=row.article_id,
        label=row.label,
        quantity=Decimal(row.quantity),
        unit_price=row.unit_price,
        vat=_rates(row.vat_eat_in, row.vat_take_away),
        discount=_discount(row.discount_rate, row.discount_amount),
        department=row.department_id,
    )


def _children(session: Session, order_id: str) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """The order's line and payment rows, in order."""
    params = {"order_id": order_id}
    lines = session.execute(_LINES, params).all()
    payments = session.execute(_PAYMENTS, params).all()
    return list(lines), list(payments)


def to_domain(session: Session, row: OrderRow) -> Order:
    return _domain(row, *_children(session, row.id))


def _domain(row: OrderRow | Row[Any], lines: list[Row[Any]], payments: list[Row[Any]]) -> Order:
    return Order(
        id=row.id,
        created_at=as_utc(row.created_at),
        validated_at=as_utc(row.validated_at) if row.validated_at else None,
        value_date=row.value_date,
        shop_id=row.shop_id,
        register_id=row.register_id,
        user_id=row.user_id,
        delivery_method=DeliveryMethod(row.delivery_method),
        table=row.table_name,
        covers=row.covers,
        customer_account=row.customer_account,
        customer_id_document=row.customer_id_document,
        private_note=row.private_note,
        public_note=row.public_note,
        internal_number=row.internal_number,
        public_number=row.public_number,
        seal=row.seal,
        pager_number=row.pager_number,
        corrects_order_id=row.corrects_order_id,
        lines=tuple(_line(line) for line in lines),
        payments=tuple(
            Payment(
                id=payment.id,
                mode=PaymentMode(payment.mode, payment.mode_label, payment.gives_change),
                amount=payment.amount,
                paid_at=as_utc(payment.paid_at),
            )
            for payment in payments
        ),
        order_discount=_discount(row.discount_rate, row.discount_amount),
    )


def order_json(
    session: Session,
    row: OrderRow,
    order: Order | None = None,
    record: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The order as the till shows it: its fiscal fields, its state, and once validated the
    sealed record itself (read back unless given), which is what receipts are printed from."""
    order = order or to_domain(session, row)
    body = _order_body(order, row.status, row.revision, row.updated_at, row.draft_id)
    if record is not None:
        body["record"] = record
    elif row.status == OrderStatus.VALIDATED and row.internal_number is not None:
        body["copies"] = copies(session, row.id)
        stored = session.scalar(
            select(SealedRecordRow.body).where(
                SealedRecordRow.shop_id == row.shop_id,
                SealedRecordRow.chain == "order",
                SealedRecordRow.seq == row.internal_number,
            )
        )
        body["record"] = orjson.loads(stored) if stored else None
    return body


def _order_body(
    order: Order,
    status: str,
    revision: int,
    updated_at: datetime,
    draft_id: str | None,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`fields`: the order's record fields (`to_record`), when the caller has them already."""
    body: dict[str, Any] = dict(to_record(order) if fields is None else fields)
    body.update(
        status=status,
        revision=revision,
        updated_at=to_utc_iso(updated_at),
        amount_due=to_json_amount(order.amount_due),
        is_fully_paid=order.is_fully_paid,
        draft_id=draft_id,
        record=None,
        copies=None,
    )
    return body


def list_orders(
    session: Session,
    actor: Actor,
    *,
    status: str | None,
    register_id: str | None,
    public_number: str | None,
    limit: int,
    before: datetime | None,
    since: datetime | None = None,
    customer: str | None = None,
) -> list[dict[str, Any]]:
    """A page of the shop's orders, newest first, as summaries; made from `since` (included) to
    `before` (excluded), for a customer account holding `customer` (any case) when given."""
    query = select(OrderRow).where(OrderRow.shop_id == actor.shop_id)
    if since is not None:
        query = query.where(OrderRow.created_at >= since)
    if customer:
        query = query.where(
            func.lower(OrderRow.customer_account).contains(customer.lower(), autoescape=True)
        )
    if status is not None:
        query = query.where(OrderRow.status == status)
    if register_id is not None:
        query = query.where(OrderRow.register_id == register_id)
    if public_number is not None:
        query = query.where(OrderRow.public_number == public_number)
    if before is not None:
        query = query.where(OrderRow.created_at < before)
    rows = session.scalars(query.order_by(OrderRow.created_at.desc()).limit(limit))
    return [
        {
            "id": row.id,
            "status": row.status,
            "register_id": row.register_id,
            "user_id": row.user_id,
            "created_at": to_utc_iso(row.created_at),
            "validated_at": (to_utc_iso(row.validated_at) if row.validated_at else None),
            "internal_number": row.internal_number,
            "public_number": row.public_number,
            "table": row.table_name,
            "customer_account": row.customer_account,
            "final_price": to_json_amount(row.final_price) if row.final_price is not None else None,
            "corrects_order_id": row.corrects_order_id,
            "draft_id": row.draft_id,
        }
        for row in rows
    ]


# ---------------------------------------------------------------------------- changing


@dataclass
class Change:
    """An open order being changed, as stored and locked until the commit: its columns, line and
    payment rows, and its domain object. Each change writes its line or payment rows itself and
    notes the order's columns it changes in `columns`, which `done` writes."""

    session: Session
    actor: Actor
    row: Row[Any]
    order: Order
    line_rows: list[Row[Any]]
    payment_rows: list[Row[Any]]
    columns: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, session: Session, actor: Actor, order_id: str) -> Change:
        actor.require(WRITERS, "change orders")
        params = {"order_id": order_id, "shop_id": actor.shop_id}
        row = session.execute(_ORDER_TO_CHANGE, params).first()
        if row is None:
            raise NotFound(f"There is no order {order_id}.")
        _require_open(row.status)
        lines, payments = _children(session, row.id)
        return cls(session, actor, row, _domain(row, lines, payments), lines, payments)

    def next_position(self, rows: list[Row[Any]]) -> int:
        return max((row.position for row in rows), default=0) + 1

    def done(self) -> dict[str, Any]:
        """Write the order's changed columns and its next revision; the order as it now stands."""
        revision, now = self.row.revision + 1, utc_now()
        self.columns.update(revision=revision, updated_at=now)
        self.session.execute(_ORDER_UPDATE, {"order_id": self.row.id, **self.columns})
        status = self.columns.get("status", self.row.status)
        return _order_body(self.order, status, revision, now, self.row.draft_id)


def _require_open(status: str) -> None:
    if status != OrderStatus.OPEN:
        raise OrderNotOpen(
            "This order is validated and can no longer change; make a corrective order instead."
            if status == OrderStatus.VALIDATED
            else "This order was cancelled."
        )


def _delivery(text: str) -> DeliveryMethod:
    try:
        return DeliveryMethod(text)
    except ValueError:
        choices = ", ".join(method.value for method in DeliveryMethod)
        raise Invalid(f"Delivery method {text!r} is not one of {choices}.") from None


def known_rate(text: str) -> str:
    """A VAT rate in use in France, in its JSON form; anything else is refused."""
    rate = parse_rate(text)
    if rate not in FRENCH_RATES:
        raise UnknownVatRate(text)
    return to_json_rate(rate)


def new_row(
    session: Session,
    actor: Actor,
    register_id: str,
    *,
    delivery: DeliveryMethod,
    user_id: str | None = None,
    corrects: OrderRow | None = None,
) -> OrderRow:
    register = get_register(session, actor.shop_id, register_id)
    shop = session.get(Shop, actor.shop_id)
    if shop is None:
        raise NotFound("This shop no longer exists.")
    now = utc_now()
    # Seed `article_add_check.php`: an open register, and the shop's closure obligation met.
    require_selling(session, shop, register, now)
    row = OrderRow(
        id=uuid.uuid4().hex,
        shop_id=actor.shop_id,
        register_id=register_id,
        user_id=user_id or actor.user_id,
        status=OrderStatus.OPEN,
        revision=1,
        created_at=now,
        updated_at=now,
        delivery_method=delivery.value,
        private_note="",
        public_note="",
        corrects_order_id=corrects.id if corrects else None,
    )
    session.add(row)
    # Inserted now: a flush orders rows of unrelated mappers arbitrarily, so lines added next in
    # the same flush could otherwise reach the database before their order.
    session.flush()
    return row


def create_order(session: Session, actor: Actor, body: OrderIn) -> dict[str, Any]:
    actor.require(WRITERS, "create orders")
    shop = session.get(Shop, actor.shop_id)
    if body.delivery_method is None and shop is not None and shop.delivery_choice_required:
        raise Invalid("Choose eat-in, take-away or delivery for this order.")
    row = new_row(
        session, actor, body.register_id, delivery=_delivery(body.delivery_method or "eat_in")
    )
    row.table_name = body.table
    row.covers = body.covers
    row.customer_account = body.customer_account
    row.public_note = body.public_note
    row.private_note = body.private_note
    session.flush()
    return order_json(session, row)


def _article(session: Session, shop_id: str, article_id: str) -> Row[Any]:
    article = session.execute(_ARTICLE, {"shop_id": shop_id, "article_id": article_id}).first()
    if article is None or not article.active:
        raise NotFound(f"There is no article {article_id} in the catalog.")
    return article


def _build_line(session: Session, shop_id: str, body: LineIn) -> OrderLine:
    discount = body.discount.to_domain() if body.discount else None
    quantity = parse_quantity(body.quantity)
    if body.article_id is not None:
        article = _article(session, shop_id, body.article_id)
        return OrderLine(
            id=body.id or uuid.uuid4().hex,
            article_id=article.id,
            label=body.label or article.label,
            quantity=quantity,
            unit_price=(
                from_json_amount(body.unit_price) if body.unit_price is not None else article.price
            ),
            vat=(
                _rates(known_rate(body.vat_rate), _optional_rate(body.vat_take_away))
                if body.vat_rate is not None
                else _rates(article.vat_eat_in, article.vat_take_away)
            ),
            discount=discount,
            department=article.department_id,
        )
    if body.label is None or body.unit_price is None or body.vat_rate is None:
        raise Invalid("A line without an article needs a label, a unit price and a VAT rate.")
    return OrderLine(
        id=body.id or uuid.uuid4().hex,
        label=body.label,
        quantity=quantity,
        unit_price=from_json_amount(body.unit_price),
        vat=_rates(known_rate(body.vat_rate), _optional_rate(body.vat_take_away)),
        discount=discount,
        department=body.department_id,
    )


def _optional_rate(text: str | None) -> str | None:
    return known_rate(text) if text is not None else None


def _line_values(order_id: str, position: int, line: OrderLine) -> dict[str, Any]:
    """The line's row, as column values."""
    rate, amount = _store_discount(line.discount)
    return {
        "id": line.id,
        "order_id": order_id,
        "position": position,
        "article_id": line.article_id,
        "label": line.label,
        "department_id": line.department,
        "quantity": to_json_quantity(line.quantity),
        "unit_price": line.unit_price,
        "vat_eat_in": to_json_rate(line.vat.eat_in),
        "vat_take_away": (
            to_json_rate(line.vat.take_away) if line.vat.take_away is not None else None
        ),
        "discount_rate": rate,
        "discount_amount": amount,
    }


def add_line(session: Session, actor: Actor, order_id: str, body: LineIn) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    line = _build_line(session, actor.shop_id, body)
    # A line id made here is new; one given by the till may be another order's.
    if (
        body.id is not None
        and not any(existing.id == line.id for existing in change.order.lines)
        and session.get(OrderLineRow, line.id) is not None
    ):
        raise Invalid(f"Line id {line.id} is already used by another order.")
    change.order.add_line(line)
    position = change.next_position(change.line_rows)
    session.execute(_LINE_INSERT, _line_values(order_id, position, line))
    return change.done()


def update_line(
    session: Session, actor: Actor, order_id: str, line_id: str, body: LinePatch
) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    row = next((line for line in change.line_rows if line.id == line_id), None)
    if row is None:
        raise NotFound(f"There is no line {line_id} on this order.")
    current = _line(row)
    discount = current.discount
    if body.remove_discount:
        discount = None
    elif body.discount is not None:
        discount = body.discount.to_domain()
    line = OrderLine(
        id=current.id,
        article_id=current.article_id,
        label=body.label or current.label,
        quantity=parse_quantity(body.quantity) if body.quantity is not None else current.quantity,
        unit_price=(
            from_json_amount(body.unit_price) if body.unit_price is not None else current.unit_price
        ),
        vat=current.vat,
        discount=discount,
        department=current.department,
    )
    change.order.replace_line(line)
    updated = _line_values(order_id, row.position, line)
    columns = ("label", "quantity", "unit_price", "discount_rate", "discount_amount")
    session.execute(_LINE_UPDATE, {"line_id": line_id, **{c: updated[c] for c in columns}})
    return change.done()


def remove_line(session: Session, actor: Actor, order_id: str, line_id: str) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    change.order.remove_line(line_id)
    session.execute(_LINE_DELETE, {"line_id": line_id})
    return change.done()


def update_order(
    session: Session, actor: Actor, order_id: str, body: OrderPatch, given: set[str]
) -> dict[str, Any]:
    """Change the fields named in `given` (those present in the request)."""
    change = Change.open(session, actor, order_id)
    order, columns = change.order, change.columns
    if "delivery_method" in given:
        if body.delivery_method is None:
            raise Invalid("An order always has a delivery method.")
        delivery = _delivery(body.delivery_method)
        order.set_delivery_method(delivery)
        columns["delivery_method"] = delivery.value
    if "order_discount" in given:
        discount = body.order_discount.to_domain() if body.order_discount else None
        order.set_order_discount(discount)
        columns["discount_rate"], columns["discount_amount"] = _store_discount(discount)
    simple = {
        "table": "table_name",
        "covers": "covers",
        "customer_account": "customer_account",
        "customer_id_document": "customer_id_document",
        "pager_number": "pager_number",
    }
    for field_name, column in simple.items():
        if field_name in given:
            columns[column] = getattr(body, field_name)
            setattr(order, "table" if field_name == "table" else field_name, columns[column])
    for field_name in ("public_note", "private_note"):
        if field_name in given:
            columns[field_name] = getattr(body, field_name) or ""
            setattr(order, field_name, columns[field_name])
    return change.done()


def add_payment(
    session: Session, actor: Actor, order_id: str, mode: str, amount: str
) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    mode_row = session.get(PaymentModeRow, (actor.shop_id, mode))
    if mode_row is None or not mode_row.active:
        raise NotFound(f"There is no payment mode {mode}.")
    payment = Payment(
        mode=PaymentMode(mode_row.code, mode_row.label, mode_row.gives_change),
        amount=from_json_amount(amount),
    )
    change.order.add_payment(payment)
    session.execute(
        _PAYMENT_INSERT,
        {
            "id": payment.id,
            "order_id": order_id,
            "position": change.next_position(change.payment_rows),
            "mode": mode_row.code,
            "mode_label": mode_row.label,
            "gives_change": mode_row.gives_change,
            "amount": payment.amount,
            "paid_at": payment.paid_at,
        },
    )
    return change.done()


def remove_payment(
    session: Session, actor: Actor, order_id: str, payment_id: str
) -> dict[str, Any]:
    """Take back a payment entered by mistake, while the order is still not fully paid."""
    change = Change.open(session, actor, order_id)
    if change.order.is_fully_paid:
        raise PaymentLocked("This order is fully paid: its payments can no longer change.")
    if not any(row.id == payment_id for row in change.payment_rows):
        raise NotFound(f"There is no payment {payment_id} on this order.")
    session.execute(_PAYMENT_DELETE, {"payment_id": payment_id})
    change.order.payments = tuple(p for p in change.order.payments if p.id != payment_id)
    return change.done()


def cancel_order(session: Session, actor: Actor, order_id: str) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    if change.order.payments:
        raise PaymentLocked("This order has payments: remove them before cancelling it.")
    change.columns["status"] = OrderStatus.CANCELLED.value
    return change.done()


# ---------------------------------------------------------------------------- refunds


def refund_order(session: Session, actor: Actor, order_id: str, register_id: str) -> dict[str, Any]:
    """An open corrective order that cancels a validated one line for line; remove lines from it
    for a partial refund, add lines for a correction, then pay it back and validate it."""
    actor.require(MANAGERS, "refund or correct an order")
    original_row = get_row(session, actor, order_id)
    if original_row.status != OrderStatus.VALIDATED:
        raise OrderNotOpen("Only a validated order can be refunded or corrected.")
    original = to_domain(session, original_row)
    row = new_row(
        session,
        actor,
        register_id,
        delivery=original.delivery_method,
        corrects=original_row,
    )
    row.discount_rate, row.discount_amount = _store_discount(original.order_discount)
    row.customer_account = original.customer_account
    for position, line in enumerate(refund_lines(original), start=1):
        session.add(OrderLineRow(**_line_values(row.id, position, line)))
    session.flush()
    return order_json(session, row)


def _check_refund(session: Session, row: OrderRow, order: Order, unwritten: int = 0) -> None:
    """A correction may not pay back more than the original order and its earlier corrections
    (`unwritten`: the total of those sealed in this transaction and not written yet)."""
    if row.corrects_order_id is None or order.totals.final_price >= 0:
        return
    original = session.get(OrderRow, row.corrects_order_id)
    already = session.scalar(
        select(func.coalesce(func.sum(OrderRow.final_price), 0)).where(
            OrderRow.corrects_order_id == row.corrects_order_id,
            OrderRow.status == OrderStatus.VALIDATED,
        )
    )
    left = (original.final_price or 0 if original else 0) + int(already or 0) + unwritten
    if -order.totals.final_price > left:
        raise RefundTooLarge(
            f"This refund ({to_json_amount(-order.totals.final_price)} €) is more than what is "
            f"left of the original order ({to_json_amount(left)} €)."
        )


# ---------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Validation:
    order: dict[str, Any]
    record: SealedRecord
    payments: list[SealedRecord]
    heads: dict[str, ChainHead]  # of every chain of the shop, these records included
    signed_heads: dict[str, Any]  # the same, signed for the till to keep

    def answer(self) -> dict[str, Any]:
        """The API's answer: the order with its sealed record, and the shop's chain heads, signed,
        which the till keeps to notice a server that goes backwards."""
        return {
            **self.order,
            "chain_heads": self.signed_heads["chain_heads"],
            "chain_heads_signature": self.signed_heads["chain_heads_signature"],
        }


class ValidationGroup:
    """Orders validated together in the caller's transaction, the caller holding the lock of each
    of their shops (`server.db.lock_shop`): read at once and locked until the commit, each checked,
    numbered and sealed in turn; `write` stores the rows of them all."""

    def __init__(self, session: Session, keys: KeyStore, order_ids: Collection[str]) -> None:
        self.session = session
        self.keys = keys
        params = {"order_ids": list(order_ids)}
        self._found = {found[0].id: found for found in session.execute(_TO_VALIDATE, params)}
        self._lines = _by_order(session.execute(_LINES_OF, params))
        self._payments = _by_order(session.execute(_PAYMENTS_OF, params))
        shops = {found[0].shop_id for found in self._found.values()}
        self._tips = sealing.chain_tips_of(session, shops) if shops else {}
        self._sealers: dict[str, sealing.Sealer] = {}
        # One moment for the whole group, committed at once: its orders are validated together.
        self.now = utc_now()
        self._payments_sealed: list[dict[str, Any]] = []
        self._orders_validated: list[dict[str, Any]] = []
        self._corrections: dict[str, int] = {}  # original order: final prices of its corrections

    def seal(self, actor: Actor, order_id: str) -> Validation:
        """Number and seal a fully paid order, then each of its payments on the payment chain.

        Every check comes before the first record is appended: an order refused here leaves the
        group as it was, and the others go on.
        """
        actor.require(WRITERS, "change orders")
        found = self._found.get(order_id)
        if found is None or found[0].shop_id != actor.shop_id:
            raise NotFound(f"There is no order {order_id}.")
        row, shop, register, period, key_row = found
        _require_open(row.status)
        payment_rows = self._payments.get(order_id, [])
        order = _domain(row, self._lines.get(order_id, []), payment_rows)
        if not order.lines:
            raise Invalid("This order has no lines.")
        if not order.is_fully_paid:
            raise NotFullyPaid(f"{to_json_amount(order.amount_due)} € are still due on this order.")
        corrected = row.corrects_order_id
        _check_refund(self.session, row, order, self._corrections.get(corrected or "", 0))
        if register is None:
            raise NotFound(f"There is no register {row.register_id}.")
        now = self.now
        # Read under the lock, as all of the above: a Z committed a moment ago closes the period.
        period = selling_period(shop, register, period, now)
        names = _names(self.session, actor, row, register.name)
        sealer = self._sealer(shop.id, key_row)
        order.internal_number = sealer.tips["order"].head.seq + 1
        order.public_number = f"{shop.public_prefix}{order.internal_number:08d}"
        order.validated_at = now
        order.value_date = business_day(shop, now)
        fields = to_record(order)
        record = sealer.append("order", {**fields, **names}, now)
        payments = []
        change_left = order.change_due
        for index, payment in enumerate(order.payments):
            # Change is given back on the last payment, the only one that may exceed what was due.
            change_given = change_left if index == len(order.payments) - 1 else 0
            sealed = sealer.append(
                "payment",
                {
                    "payment_id": payment.id,
                    "order_id": row.id,
                    "order_seq": record.seq,
                    "order_hash": record.hash,
                    "public_number": order.public_number,
                    "register_id": row.register_id,
                    "user_id": row.user_id,
                    "mode": payment.mode.code,
                    "mode_label": payment.mode.label,
                    "amount": to_json_amount(payment.amount),
                    "change": to_json_amount(change_given),
                    "paid_at": to_utc_iso(payment.paid_at),
                },
                now,
            )
            payments.append(sealed)
        self._payments_sealed += [
            {"payment_id": payment_row.id, "seq": sealed.seq}
            for payment_row, sealed in zip(payment_rows, payments, strict=True)
        ]
        validated = {
            "status": OrderStatus.VALIDATED.value,
            "internal_number": order.internal_number,
            "public_number": order.public_number,
            "validated_at": now,
            "value_date": order.value_date,
            "seal": record.hash,
            "period_id": period.id,
            "final_price": order.totals.final_price,
            "total_vat": order.totals.total_vat,
            "revision": row.revision + 1,
            "updated_at": now,
        }
        self._orders_validated.append({"order_id": row.id, **validated})
        if corrected is not None:
            total = self._corrections.get(corrected, 0) + order.totals.final_price
            self._corrections[corrected] = total
        # The row as it now stands, for the answer and for what follows in this transaction (the
        # same order twice in a group is refused the second time).
        for name, value in validated.items():
            set_committed_value(row, name, value)
        body = _order_body(order, row.status, row.revision, now, row.draft_id, fields)
        body.update(record=record.as_json(), copies=dict.fromkeys(("receipt", "invoice"), 0))
        heads = sealer.heads()
        signed = sealing.signed_heads(sealer.key, shop.id, heads, now)
        return Validation(body, record, payments, heads, signed)

    def _sealer(self, shop_id: str, key_row: ShopKey | None) -> sealing.Sealer:
        """The shop's sealer, made at its first order, on the chains' tips read with the
        orders."""
        sealer = self._sealers.get(shop_id)
        if sealer is None:
            # The key is the one read with the order: keys are only retired by making a new one,
            # and a record signed with the key retired a moment before still verifies.
            key = (
                self.keys.open(key_row)
                if key_row is not None
                else self.keys.signing_key(self.session, shop_id)
            )
            sealer = self._sealers[shop_id] = sealing.Sealer(
                self.session, self.keys, shop_id, key, self._tips[shop_id]
            )
        return sealer

    def write(self) -> None:
        """Store what was sealed: the records, then the payments and the orders, each in one
        statement (payments first: once an order is validated, triggers freeze its payments)."""
        if self._sealers:
            first, *others = self._sealers.values()
            first.write(*others)
        if self._payments_sealed:
            self.session.execute(_PAYMENT_SEALED, self._payments_sealed)
        if self._orders_validated:
            self.session.execute(_ORDER_UPDATE, self._orders_validated)
        self._payments_sealed, self._orders_validated, self._corrections = [], [], {}


def _by_order(rows: Iterable[Row[Any]]) -> dict[str, list[Row[Any]]]:
    grouped: dict[str, list[Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


def validate_order(session: Session, keys: KeyStore, actor: Actor, order_id: str) -> Validation:
    """Number and seal a fully paid order in the caller's transaction, which then holds the
    shop's lock until it ends (requests are sealed in groups: `server.orders.validation`)."""
    lock_shop(session, actor.shop_id)
    group = ValidationGroup(session, keys, [order_id])
    validation = group.seal(actor, order_id)
    group.write()
    return validation


def _names(
    session: Session, actor: Actor, row: OrderRow, register_name: str | None
) -> dict[str, Any]:
    """What the order record says besides the order's own fields: who, where, what it corrects."""
    if row.user_id == actor.user_id:
        user_name: str | None = actor.user_name
    else:
        user = session.get(User, (row.shop_id, row.user_id))
        user_name = user.name if user else None
    corrected = session.get(OrderRow, row.corrects_order_id) if row.corrects_order_id else None
    return {
        "user_name": user_name,
        "register_name": register_name,
        "corrects_public_number": corrected.public_number if corrected else None,
        "draft_id": row.draft_id,
    }


# ---------------------------------------------------------------------------- drafts


def import_drafts(session: Session, actor: Actor, drafts: list[DraftIn]) -> list[dict[str, Any]]:
    """Turn drafts made offline into open orders, each on its own: a draft already imported gives
    back its order, a bad draft is reported and does not stop the others."""
    actor.require(WRITERS, "import drafts")
    results: list[dict[str, Any]] = []
    now = utc_now()
    for draft in drafts:
        existing = session.scalars(
            select(OrderRow).where(OrderRow.shop_id == actor.shop_id, OrderRow.draft_id == draft.id)
        ).one_or_none()
        if existing is not None:
            results.append(
                {"draft_id": draft.id, "status": "already_imported", "order_id": existing.id}
            )
            continue
        try:
            with session.begin_nested():
                row = _import_draft(session, actor, draft)
        except IntegrityError:
            # The same draft, imported at this very moment by another request.
            results.append({"draft_id": draft.id, "status": "already_imported", "order_id": None})
            continue
        except TillError as error:
            results.append(
                {
                    "draft_id": draft.id,
                    "status": "rejected",
                    "error": {"code": error.code, "message": error.message},
                }
            )
            continue
        late = now - as_utc(draft.created_at) > OFFLINE_WINDOW
        results.append(
            {"draft_id": draft.id, "status": "imported", "order_id": row.id, "late": late}
        )
    return results


def _import_draft(session: Session, actor: Actor, draft: DraftIn) -> OrderRow:
    user_id = draft.user_id or actor.user_id
    user = session.get(User, (actor.shop_id, user_id))
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    if Role(user.role) not in WRITERS:
        raise Invalid(f"User {user_id} may not make orders.")
    row = new_row(
        session,
        actor,
        draft.register_id,
        delivery=_delivery(draft.delivery_method),
        user_id=user_id,
    )
    row.draft_id = draft.id
    row.draft_created_at = as_utc(draft.created_at)
    row.table_name = draft.table
    row.covers = draft.covers
    row.customer_account = draft.customer_account
    row.public_note = draft.public_note
    row.private_note = draft.private_note
    discount = draft.order_discount.to_domain() if draft.order_discount else None
    row.discount_rate, row.discount_amount = _store_discount(discount)
    order = Order(delivery_method=DeliveryMethod(row.delivery_method), order_discount=discount)
    for position, body in enumerate(draft.lines, start=1):
        # Fresh line ids: a till's ids are only unique on that till.
        line = _build_line(session, actor.shop_id, body.model_copy(update={"id": None}))
        order.add_line(line)
        session.add(OrderLineRow(**_line_values(row.id, position, line)))
    session.flush()
    return row
