"""An index of the sealed closures, to find a register's last Z or the last closed day quickly.
The record on the `closure` chain is the reference; this row is never changed (triggers)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class ClosureKind(StrEnum):
    REGISTER = "register"  # a register's Z
    DAILY = "daily"
    MONTHLY = "monthly"
    YEARLY = "yearly"


class ClosureRow(Base):
    __tablename__ = "closures"
    # One closing per period: a day, month or year closed twice by two processes fails here.
    __table_args__ = (UniqueConstraint("shop_id", "kind", "period"),)

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)  # on the shop's `closure` chain
    kind: Mapped[str] = mapped_column(String(10))
    # "2026-11-20", "2026-11" or "2026" for the shop's closings; the period's id for a Z.
    period: Mapped[str] = mapped_column(String(32))
    register_id: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime]
    period_total: Mapped[int]
    grand_total: Mapped[int]
