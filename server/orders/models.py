"""Orders as stored: open ones change line by line; validated ones are frozen by triggers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class OrderStatus(StrEnum):
    OPEN = "open"
    VALIDATED = "validated"
    CANCELLED = "cancelled"


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "internal_number"),
        UniqueConstraint("shop_id", "draft_id"),
        Index("ix_orders_shop_status", "shop_id", "status"),
        Index("ix_orders_period", "period_id"),
        Index("ix_orders_shop_value_date", "shop_id", "value_date"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    register_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default=OrderStatus.OPEN)
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    validated_at: Mapped[datetime | None]
    value_date: Mapped[date | None]
    delivery_method: Mapped[str] = mapped_column(String(10), default="eat_in")
    table_name: Mapped[str | None] = mapped_column(String(20))
    covers: Mapped[int | None]
    customer_account: Mapped[str | None] = mapped_column(String(100))
    customer_id_document: Mapped[str | None] = mapped_column(String(100))
    private_note: Mapped[str] = mapped_column(Text, default="")
    public_note: Mapped[str] = mapped_column(Text, default="")
    pager_number: Mapped[int | None]
    discount_rate: Mapped[str | None] = mapped_column(String(8))
    discount_amount: Mapped[int | None]
    corrects_order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"))
    # The register's period the order was validated in: what its Z counts.
    period_id: Mapped[str | None] = mapped_column(String(32))
    draft_id: Mapped[str | None] = mapped_column(String(36))
    draft_created_at: Mapped[datetime | None]
    internal_number: Mapped[int | None]
    public_number: Mapped[str | None] = mapped_column(String(30))
    seal: Mapped[str | None] = mapped_column(String(64))
    # Totals are kept in columns once sealed, for lists and reports; the record is the reference.
    final_price: Mapped[int | None]
    total_vat: Mapped[int | None]


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    article_id: Mapped[str | None] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[str] = mapped_column(String(12))  # JSON quantity, "0.250"
    unit_price: Mapped[int]
    vat_eat_in: Mapped[str] = mapped_column(String(8))
    vat_take_away: Mapped[str | None] = mapped_column(String(8))
    discount_rate: Mapped[str | None] = mapped_column(String(8))
    discount_amount: Mapped[int | None]


class PaymentRow(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int]
    mode: Mapped[str] = mapped_column(String(40))
    mode_label: Mapped[str] = mapped_column(String(100))
    gives_change: Mapped[bool]
    amount: Mapped[int]
    paid_at: Mapped[datetime]
    record_seq: Mapped[int | None]
