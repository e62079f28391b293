"""An index of the shop's journal: one row per sealed event, to list and filter them quickly.
The sealed record on the `event` chain is the reference; this row is never changed either."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_shop_kind", "shop_id", "kind"),)

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)  # on the shop's `event` chain
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime]
    user_id: Mapped[str | None] = mapped_column(String(40))
    register_id: Mapped[str | None] = mapped_column(String(40))
