"""What a shop sells and how it is paid: departments and their groups, articles, payment modes."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class DepartmentGroup(Base):
    __tablename__ = "department_groups"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Department(Base):
    __tablename__ = "departments"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    group_id: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_shop_plu", "shop_id", "plu"),
        Index("ix_articles_shop_barcode", "shop_id", "barcode"),
    )

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    plu: Mapped[str | None] = mapped_column(String(20))
    barcode: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[str | None] = mapped_column(String(40))
    price: Mapped[int]  # cents, VAT included
    vat_eat_in: Mapped[str] = mapped_column(String(8))  # JSON rate, "5.5"
    vat_take_away: Mapped[str | None] = mapped_column(String(8))
    sold_by_weight: Mapped[bool] = mapped_column(default=False)
    image: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class PaymentModeRow(Base):
    __tablename__ = "payment_modes"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    gives_change: Mapped[bool] = mapped_column(default=False)
    opens_drawer: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
