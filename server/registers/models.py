"""A register's periods (from its opening to its Z) and the cash put in or taken out meanwhile."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class RegisterPeriod(Base):
    """One opening of a register; closed by its Z, after which it never changes (triggers)."""

    __tablename__ = "register_periods"
    __table_args__ = (
        # At most one open period per register, even with several server processes.
        Index(
            "ux_register_periods_open",
            "shop_id",
            "register_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_register_periods_register", "shop_id", "register_id", "opened_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    register_id: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(40))
    float_at_opening: Mapped[int]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(40))
    float_left: Mapped[int | None]
    closure_seq: Mapped[int | None]  # the Z on the shop's `closure` chain


class CashMovement(Base):
    """Cash put into (`in`) or taken out of (`out`) a register's drawer, with its reason."""

    __tablename__ = "cash_movements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    register_id: Mapped[str] = mapped_column(String(40))
    period_id: Mapped[str] = mapped_column(ForeignKey("register_periods.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int]  # positive, in cents
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    event_seq: Mapped[int]  # its record on the `event` chain
