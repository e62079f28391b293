"""The receipt proof: a short signed text, printed as a QR code, that anyone can check offline.

The sealed record is too long for a QR code, so the server also signs, with the same shop key, a
line that repeats what the paper shows (shop, number, date, total) and binds it to the sealed record
through its chain, seq and hash:

    TILL1;<shop>;<chain>;<seq>;<public number>;<validated_at>;<final_price>;<hash>;<key_id>;<sig>

`sig` is the hex Ed25519 signature of the UTF-8 bytes of everything before ";<sig>". Fields may not
hold ";". Changing one character of the printed total breaks the signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from till.errors import TillError
from till.fiscal.keys import KeyRing, ShopKey, exact_hex
from till.money import from_json_amount
from till.timestamps import from_utc_iso

PREFIX = "TILL1"
SEPARATOR = ";"


class InvalidProof(TillError):
    code = "invalid_proof"


@dataclass(frozen=True, slots=True)
class ReceiptProof:
    shop: str
    chain: str
    seq: int
    number: str
    validated_at: str
    total: str
    hash: str
    key_id: str

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> ReceiptProof:
        """The proof fields of a sealed order record."""
        try:
            proof = cls(
                shop=record["shop"],
                chain=record["chain"],
                seq=record["seq"],
                number=record["public_number"],
                validated_at=record["validated_at"],
                total=record["final_price"],
                hash=record["hash"],
                key_id=record["key_id"],
            )
        except KeyError as missing:
            raise InvalidProof(f"not a sealed order: {missing} is missing") from None
        proof.check()
        return proof

    def check(self) -> None:
        """Each field in its one spelling, so that a proof has a single valid text."""
        if type(self.seq) is not int or self.seq < 1:
            raise InvalidProof(f"seq {self.seq!r} is not a record number")
        texts = (self.shop, self.chain, self.number, self.validated_at, self.total, self.key_id)
        if not all(isinstance(text, str) and text and SEPARATOR not in text for text in texts):
            raise InvalidProof("a receipt proof holds non-empty text without ';'")
        if exact_hex(self.hash, 32) is None:
            raise InvalidProof("the hash must be 64 lower-case hex digits")
        try:
            from_json_amount(self.total)
            from_utc_iso(self.validated_at)
        except TillError as error:
            raise InvalidProof(error.message) from None

    def _fields(self) -> list[str]:
        return [
            self.shop,
            self.chain,
            str(self.seq),
            self.number,
            self.validated_at,
            self.total,
            self.hash,
            self.key_id,
        ]

    def payload(self) -> str:
        return SEPARATOR.join([PREFIX, *self._fields()])

    def sign(self, key: ShopKey) -> str:
        """The QR code's text: the payload and its signature."""
        if key.key_id != self.key_id:
            raise InvalidProof("the proof must be signed with the key that sealed the record")
        signature = key.sign(self.payload().encode("utf-8")).hex()
        return self.payload() + SEPARATOR + signature


def sign_receipt(record: Mapping[str, Any], key: ShopKey) -> str:
    return ReceiptProof.of(record).sign(key)


def verify_receipt(text: str, keys: KeyRing) -> ReceiptProof:
    """The proof a QR code's text carries, once its signature checks with a key of the shop.

    `keys` must hold only the audited shop's keys: the proof names its shop, but only the key
    vouches for it.
    """
    parts = text.split(SEPARATOR)
    if len(parts) != 10 or parts[0] != PREFIX:
        raise InvalidProof("this is not a receipt proof of this till")
    *signed, signature = parts
    seq = parts[3]
    if not (seq.isascii() and seq.isdigit()) or seq.startswith("0"):
        raise InvalidProof(f"seq {seq!r} is not a record number")
    proof = ReceiptProof(
        shop=parts[1],
        chain=parts[2],
        seq=int(seq),
        number=parts[4],
        validated_at=parts[5],
        total=parts[6],
        hash=parts[7],
        key_id=parts[8],
    )
    proof.check()
    key = keys.get(proof.key_id)
    if key is None:
        raise InvalidProof(f"signed with key {proof.key_id!r}, which is not a key of the shop")
    raw = exact_hex(signature, 64)
    if raw is None or not key.verify(SEPARATOR.join(signed).encode("utf-8"), raw):
        raise InvalidProof("the signature does not match: this receipt was altered or forged")
    return proof
