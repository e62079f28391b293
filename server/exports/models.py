"""A shop's chart of accounts for the accounting exports, as its manager changed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class AccountingChartRow(Base):
    """Only what the manager set: every account left out takes its default when read, so a new
    payment mode or a default changed later needs no migration of the stored charts."""

    __tablename__ = "accounting_charts"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    chart: Mapped[str] = mapped_column(Text)  # JSON, as `server.exports.chart` writes it
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(40))
