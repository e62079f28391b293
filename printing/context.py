"""What a printed document says beyond the sealed record: the shop, the software, the issuance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from till.errors import TillError
from till.money import format_amount, from_json_amount


class NotPrintable(TillError):
    code = "not_printable"


# Hex digits of a seal or fingerprint shown on paper: enough to find the record, short to read.
EXCERPT = 16

DELIVERY_LABELS = {"eat_in": "sur place", "take_away": "à emporter", "delivery": "livraison"}


def require_sealed(record: Mapping[str, Any]) -> None:
    """Receipts and invoices exist only for orders validated and sealed by the server."""
    hash_, signature, seq = record.get("hash"), record.get("signature"), record.get("seq")
    sealed = (
        isinstance(hash_, str)
        and len(hash_) == 64
        and isinstance(signature, str)
        and len(signature) == 128
        and type(seq) is int
        and seq > 0
    )
    if not sealed or not record.get("validated_at") or not record.get("public_number"):
        raise NotPrintable(
            "a receipt or invoice is printed only from an order validated and sealed by the "
            "server (never offline)"
        )


def amount_text(json_amount: str, *, symbol: bool = True) -> str:
    """A record's amount ("12.50") as people read it ("12,50 €")."""
    return format_amount(from_json_amount(json_amount), symbol=symbol)


@dataclass(frozen=True, slots=True)
class ShopHeader:
    name: str
    address: tuple[str, ...]
    siret: str
    vat_number: str
    timezone: str = "Europe/Paris"
    # The shop's legal mention (seed 000 §3.3: a certification mention), printed only when set.
    legal_footer: str | None = None
    phone: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShopHeader:
        return cls(
            name=data["name"],
            address=tuple(data["address"]),
            siret=data["siret"],
            vat_number=data["vat_number"],
            timezone=data.get("timezone", "Europe/Paris"),
            legal_footer=data.get("legal_footer"),
            phone=data.get("phone"),
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True, slots=True)
class SoftwareInfo:
    name: str
    version: str
    fingerprint: str

    @classmethod
    def current(cls) -> SoftwareInfo:
        from till.fiscal.perimeter import current_fingerprint
        from till.version import SOFTWARE_NAME, __version__

        return cls(SOFTWARE_NAME, __version__, current_fingerprint())


@dataclass(frozen=True, slots=True)
class Issuance:
    """The server's answer before a receipt or invoice is printed, sent or downloaded.

    `copy` 1 is the original; every later copy is a duplicata, numbered from 1 (seed 000 §3.3):
    copy 2 is duplicata n°1.
    `proof` is the signed text of the receipt's QR code (till.fiscal.proof).
    """

    copy: int
    issued_at: datetime
    proof: str

    def __post_init__(self) -> None:
        if self.copy < 1:
            raise NotPrintable("a copy number starts at 1 (the original)")

    @property
    def is_duplicata(self) -> bool:
        return self.copy > 1

    @property
    def duplicata_number(self) -> int:
        """0 for the original."""
        return self.copy - 1


@dataclass(frozen=True, slots=True)
class People:
    """Names the sealed record refers to by id."""

    register: str
    cashier: str
    customer: str | None = None
    customer_address: tuple[str, ...] = field(default_factory=tuple)
