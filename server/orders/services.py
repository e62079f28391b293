"""Open orders and their validation: every change goes through the fiscal core's `Order`, so the
server's totals are the only totals, and validation seals the order and its payments.

Each function runs inside the caller's write transaction and returns the order as it now stands.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, select, update
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
from server.registers.services import business_day, get_register, require_selling
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
_ORDER = select(OrderRow).where(
    OrderRow.id == bindparam("order_id"), OrderRow.shop_id == bindparam("shop_id")
)
_ORDER_LOCKED = _ORDER.with_for_update()
_LINES = (
    select(OrderLineRow)
    .where(OrderLineRow.order_id == bindparam("order_id"))
    .order_by(OrderLineRow.position)
)
_PAYMENTS = (
    select(PaymentRow)
    .where(PaymentRow.order_id == bindparam("order_id"))
    .order_by(PaymentRow.position)
)
_PAYMENT_SEALED = (
    update(cast(Table, PaymentRow.__table__))
    .where(PaymentRow.__table__.c.id == bindparam("payment_id"))
    .values(record_seq=bindparam("seq"))
)
# The columns to set are the parameters given besides `order_id`.
_ORDER_VALIDATED = update(cast(Table, OrderRow.__table__)).where(
    OrderRow.__table__.c.id == bindparam("order_id")
)
_ARTICLE = select(Article).where(
    Article.shop_id == bindparam("shop_id"), Article.id == bindparam("article_id")
)
# What sealing an order takes besides the order: its shop, its register, the shop's key.
_SEALING = (
    select(Shop, Register, ShopKey)
    .outerjoin(Register, (Register.shop_id == Shop.id) & (Register.id == bindparam("register_id")))
    .outerjoin(ShopKey, (ShopKey.shop_id == Shop.id) & ShopKey.retired_at.is_(None))
    .where(Shop.id == bindparam("shop_id"))
)


def get_row(session: Session, actor: Actor, order_id: str, *, lock: bool = False) -> OrderRow:
    """The actor's shop's order; locked for this transaction when it is going to change."""
    row = session.scalars(
        _ORDER_LOCKED if lock else _ORDER, {"order_id": order_id, "shop_id": actor.shop_id}
    ).one_or_none()
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


def _line(row: OrderLineRow) -> OrderLine:
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


def _children(session: Session, order_id: str) -> tuple[list[OrderLineRow], list[PaymentRow]]:
    """The order's line and payment rows, in order."""
    lines = session.scalars(_LINES, {"order_id": order_id}).all()
    payments = session.scalars(_PAYMENTS, {"order_id": order_id}).all()
    return list(lines), list(payments)


def to_domain(session: Session, row: OrderRow) -> Order:
    return _domain(row, *_children(session, row.id))


def _domain(row: OrderRow, lines: list[OrderLineRow], payments: list[PaymentRow]) -> Order:
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
    body: dict[str, Any] = dict(to_record(order))
    body.update(
        status=row.status,
        revision=row.revision,
        updated_at=to_utc_iso(row.updated_at),
        amount_due=to_json_amount(order.amount_due),
        is_fully_paid=order.is_fully_paid,
        draft_id=row.draft_id,
        record=None,
        copies=None,
    )
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


def list_orders(
    session: Session,
    actor: Actor,
    *,
    status: str | None,
    register_id: str | None,
    public_number: str | None,
    limit: int,
    before: datetime | None,
) -> list[dict[str, Any]]:
    """A page of the shop's orders, newest first, as summaries."""
    query = select(OrderRow).where(OrderRow.shop_id == actor.shop_id)
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
            "final_price": to_json_amount(row.final_price) if row.final_price is not None else None,
            "corrects_order_id": row.corrects_order_id,
            "draft_id": row.draft_id,
        }
        for row in rows
    ]


# ---------------------------------------------------------------------------- changing


@dataclass
class Change:
    """An open order being changed: its rows and its domain object, kept in step."""

    session: Session
    actor: Actor
    row: OrderRow
    order: Order
    line_rows: list[OrderLineRow]
    payment_rows: list[PaymentRow]

    @classmethod
    def open(cls, session: Session, actor: Actor, order_id: str) -> Change:
        actor.require(WRITERS, "change orders")
        row = get_row(session, actor, order_id, lock=True)
        if row.status != OrderStatus.OPEN:
            raise OrderNotOpen(
                "This order is validated and can no longer change; make a corrective order instead."
                if row.status == OrderStatus.VALIDATED
                else "This order was cancelled."
            )
        lines, payments = _children(session, row.id)
        return cls(session, actor, row, _domain(row, lines, payments), lines, payments)

    def next_position(self, rows: list[OrderLineRow] | list[PaymentRow]) -> int:
        return max((row.position for row in rows), default=0) + 1

    def done(self, record: dict[str, Any] | None = None) -> dict[str, Any]:
        """The order as it now stands; the rows reach the database with the commit's flush."""
        self.row.revision += 1
        self.row.updated_at = utc_now()
        return order_json(self.session, self.row, self.order, record)


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


def _article(session: Session, shop_id: str, article_id: str) -> Article:
    article = session.scalars(_ARTICLE, {"shop_id": shop_id, "article_id": article_id}).first()
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


def _line_row(order_id: str, position: int, line: OrderLine) -> OrderLineRow:
    rate, amount = _store_discount(line.discount)
    return OrderLineRow(
        id=line.id,
        order_id=order_id,
        position=position,
        article_id=line.article_id,
        label=line.label,
        department_id=line.department,
        quantity=to_json_quantity(line.quantity),
        unit_price=line.unit_price,
        vat_eat_in=to_json_rate(line.vat.eat_in),
        vat_take_away=to_json_rate(line.vat.take_away) if line.vat.take_away is not None else None,
        discount_rate=rate,
        discount_amount=amount,
    )


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
    row = _line_row(order_id, change.next_position(change.line_rows), line)
    session.add(row)
    change.line_rows.append(row)
    return change.done()


def update_line(
    session: Session, actor: Actor, order_id: str, line_id: str, body: LinePatch
) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    row = session.get(OrderLineRow, line_id)
    if row is None or row.order_id != order_id:
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
    updated = _line_row(order_id, row.position, line)
    for column in ("label", "quantity", "unit_price", "discount_rate", "discount_amount"):
        setattr(row, column, getattr(updated, column))
    return change.done()


def remove_line(session: Session, actor: Actor, order_id: str, line_id: str) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    change.order.remove_line(line_id)
    row = session.get(OrderLineRow, line_id)
    session.delete(row)
    change.line_rows = [line for line in change.line_rows if line.id != line_id]
    return change.done()


def update_order(
    session: Session, actor: Actor, order_id: str, body: OrderPatch, given: set[str]
) -> dict[str, Any]:
    """Change the fields named in `given` (those present in the request)."""
    change = Change.open(session, actor, order_id)
    row, order = change.row, change.order
    if "delivery_method" in given:
        if body.delivery_method is None:
            raise Invalid("An order always has a delivery method.")
        delivery = _delivery(body.delivery_method)
        order.set_delivery_method(delivery)
        row.delivery_method = delivery.value
    if "order_discount" in given:
        discount = body.order_discount.to_domain() if body.order_discount else None
        order.set_order_discount(discount)
        row.discount_rate, row.discount_amount = _store_discount(discount)
    simple = {
        "table": "table_name",
        "covers": "covers",
        "customer_account": "customer_account",
        "customer_id_document": "customer_id_document",
        "pager_number": "pager_number",
    }
    for field, column in simple.items():
        if field in given:
            setattr(row, column, getattr(body, field))
            setattr(order, "table" if field == "table" else field, getattr(body, field))
    for field in ("public_note", "private_note"):
        if field in given:
            text = getattr(body, field) or ""
            setattr(row, field, text)
            setattr(order, field, text)
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
    row = PaymentRow(
        id=payment.id,
        order_id=order_id,
        position=change.next_position(change.payment_rows),
        mode=mode_row.code,
        mode_label=mode_row.label,
        gives_change=mode_row.gives_change,
        amount=payment.amount,
        paid_at=payment.paid_at,
    )
    session.add(row)
    change.payment_rows.append(row)
    return change.done()


def remove_payment(
    session: Session, actor: Actor, order_id: str, payment_id: str
) -> dict[str, Any]:
    """Take back a payment entered by mistake, while the order is still not fully paid."""
    change = Change.open(session, actor, order_id)
    if change.order.is_fully_paid:
        raise PaymentLocked("This order is fully paid: its payments can no longer change.")
    row = session.get(PaymentRow, payment_id)
    if row is None or row.order_id != order_id:
        raise NotFound(f"There is no payment {payment_id} on this order.")
    session.delete(row)
    change.order.payments = tuple(p for p in change.order.payments if p.id != payment_id)
    change.payment_rows = [payment for payment in change.payment_rows if payment.id != payment_id]
    return change.done()


def cancel_order(session: Session, actor: Actor, order_id: str) -> dict[str, Any]:
    change = Change.open(session, actor, order_id)
    if change.order.payments:
        raise PaymentLocked("This order has payments: remove them before cancelling it.")
    change.row.status = OrderStatus.CANCELLED
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
        session.add(_line_row(row.id, position, line))
    session.flush()
    return order_json(session, row)


def _check_refund(session: Session, row: OrderRow, order: Order) -> None:
    """A correction may not pay back more than the original order and its earlier corrections."""
    if row.corrects_order_id is None or order.totals.final_price >= 0:
        return
    original = session.get(OrderRow, row.corrects_order_id)
    already = session.scalar(
        select(func.coalesce(func.sum(OrderRow.final_price), 0)).where(
            OrderRow.corrects_order_id == row.corrects_order_id,
            OrderRow.status == OrderStatus.VALIDATED,
        )
    )
    left = (original.final_price or 0 if original else 0) + int(already or 0)
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


def validate_order(session: Session, keys: KeyStore, actor: Actor, order_id: str) -> Validation:
    """Number and seal a fully paid order, then seal each of its payments on the payment chain.

    The order row is locked first, then the shop: the shop lock is held from reading the chain
    heads to the commit, so numbers and links stay gapless across processes.
    """
    change = Change.open(session, actor, order_id)
    row, order = change.row, change.order
    if not order.lines:
        raise Invalid("This order has no lines.")
    if not order.is_fully_paid:
        raise NotFullyPaid(f"{to_json_amount(order.amount_due)} € are still due on this order.")
    _check_refund(session, row, order)
    shop, register, key_row = session.execute(
        _SEALING, {"shop_id": actor.shop_id, "register_id": row.register_id}
    ).one()
    # The key is read before the lock: keys are only retired by making a new one, and a record
    # signed with the key retired a moment before still verifies (retired keys are kept).
    key = keys.open(key_row) if key_row is not None else keys.signing_key(session, shop.id)
    if register is None:
        raise NotFound(f"There is no register {row.register_id}.")
    names = _names(session, actor, row, register.name)
    # From here to the commit, as little as possible: the shop waits.
    lock_shop(session, shop.id)
    now = utc_now()
    # Checked under the lock: a Z committed a moment ago has closed the period.
    period = require_selling(session, shop, register, now)
    payments = []
    with sealing.Sealer(session, keys, shop.id, key) as sealer:
        order.internal_number = sealer.tips["order"].head.seq + 1
        order.public_number = f"{shop.public_prefix}{order.internal_number:08d}"
        order.validated_at = now
        order.value_date = business_day(shop, now)
        record = sealer.append("order", {**to_record(order), **names}, now)
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
    # Payments first: once the order is validated, triggers freeze its payments too.
    sealed_payments = []
    for payment_row, sealed in zip(change.payment_rows, payments, strict=True):
        sealed_payments.append({"payment_id": payment_row.id, "seq": sealed.seq})
        set_committed_value(payment_row, "record_seq", sealed.seq)
    if sealed_payments:
        session.execute(_PAYMENT_SEALED, sealed_payments)
    # The order's row is written here, not flushed from the ORM: one plain statement.
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
    session.execute(_ORDER_VALIDATED, {"order_id": row.id, **validated})
    for name, value in validated.items():
        set_committed_value(row, name, value)
    body = order_json(session, row, order, record.as_json())
    body["copies"] = dict.fromkeys(("receipt", "invoice"), 0)
    heads = sealer.heads()
    signed = sealing.signed_heads(key, shop.id, heads, now)
    return Validation(body, record, payments, heads, signed)


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
        session.add(_line_row(row.id, position, line))
    session.flush()
    return row
