"""Archives as kept: each archive's ZIP in the database, in parts, never changed nor deleted.

The ZIP is kept in the database rather than in a folder beside it because the database is what is
replicated, backed up and restored (seed 000 §4.1: archives are recorded in the database), so an
archive can never outlive or be lost apart from the records it was built from; triggers refuse any
change to these rows, as for sealed records.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class ArchiveRow(Base):
    __tablename__ = "archives"
    __table_args__ = (UniqueConstraint("shop_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    # 1, 2, 3 ... per shop: each archive's manifest names the previous one's digest and signature.
    number: Mapped[int]
    period_start: Mapped[date]
    period_end: Mapped[date]
    file_name: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))
    records: Mapped[int]
    manifest: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(40))


class ArchivePart(Base):
    """One consecutive slice of an archive's ZIP bytes, so that none is read whole into memory."""

    __tablename__ = "archive_parts"

    archive_id: Mapped[int] = mapped_column(ForeignKey("archives.id"), primary_key=True)
    part: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
