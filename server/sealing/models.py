"""Sealed records of every chain, as sealed: never updated, never deleted (triggers see to it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class SealedRecordRow(Base):
    __tablename__ = "sealed_records"
    __table_args__ = (UniqueConstraint("shop_id", "chain", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    chain: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    sealed_at: Mapped[datetime]
    # The whole record, seal included, in canonical JSON: what archives and verifiers read.
    body: Mapped[str] = mapped_column(Text)
