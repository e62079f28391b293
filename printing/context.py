"""What a printed document says beyond the sealed record: the shop, the software, the issuance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from till.errors import TillError


class NotPrintable(TillError):
    code = "not_printable"


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

    `copy` 1 is the original; every later copy is a duplicata with its number (seed 000 §3.3).
    `proof` is the signed text of the receipt's QR code (till.fiscal.proof).
    """

    copy: int
    issued_at: datetime
    proof: str
    channel: str = "print"

    def __post_init__(self) -> None:
        if self.copy < 1:
            raise NotPrintable("a copy number starts at 1 (the original)")

    @property
    def is_duplicata(self) -> bool:
        return self.copy > 1


@dataclass(frozen=True, slots=True)
class People:
    """Names the sealed record refers to by id."""

    register: str
    cashier: str
    customer: str | None = None
    customer_address: tuple[str, ...] = field(default_factory=tuple)
