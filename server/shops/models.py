"""A shop, its registers and its signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base
from server.errors import NotFound


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")  # lines joined by "\n"
    siret: Mapped[str] = mapped_column(String(14))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    opening_hour: Mapped[int] = mapped_column(default=0)
    closure_obligation: Mapped[str] = mapped_column(String(10), default="daily")
    legal_footer: Mapped[str | None] = mapped_column(Text)
    public_prefix: Mapped[str] = mapped_column(String(10), default="T")
    # Seed `choixlivraisonobligatoire`: every order states eat-in, take-away or delivery.
    delivery_choice_required: Mapped[bool] = mapped_column(default=False)
    catalog_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]


class Register(Base):
    __tablename__ = "registers"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class ShopKey(Base):
    """A shop's Ed25519 key: the public half in clear, the seed sealed with the master key, which
    is not in the database, so a dump alone cannot forge a record."""

    __tablename__ = "shop_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    encrypted_seed: Mapped[str] = mapped_column(Text)  # hex: 24-byte nonce + ciphertext
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


def get_shop(session: Session, shop_id: str) -> Shop:
    """The shop, which every caller expects to exist (a session or device of it is at hand)."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"There is no shop {shop_id}.")
    return shop
