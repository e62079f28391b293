"""Each print, download, e-mail or text message of a validated order's receipt or invoice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class IssuanceRow(Base):
    __tablename__ = "issuances"
    # Two tills reprinting at once still get two copy numbers.
    __table_args__ = (UniqueConstraint("order_id", "document", "copy"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    document: Mapped[str] = mapped_column(String(10))  # receipt, invoice
    channel: Mapped[str] = mapped_column(String(10))  # print, download, email, sms
    copy: Mapped[int]  # 1: the original; copy 2 is duplicata n°1, and so on
    recipient: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime]
    event_seq: Mapped[int]
