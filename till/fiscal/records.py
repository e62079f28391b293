"""Sealed records: fiscal fields plus an envelope, hashed (SHA-256) and signed (Ed25519) in a chain.

The exact rules are written for auditors in docs/sealing.md; this module is their one implementation
on the sealing side (the server's sealing module calls it under its per-shop lock).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from till.errors import TillError
from till.fiscal.canonical import NotCanonicalizable, canonical_json, encode
from till.fiscal.keys import ShopKey
from till.timestamps import to_utc_iso

ALG = "sha256-ed25519"
GENESIS_HASH = "0" * 64
CHAINS = ("order", "payment", "closure", "event")

# The envelope every record carries besides its fiscal fields, and the seal computed over the rest.
ENVELOPE_FIELDS = ("chain", "shop", "seq", "prev_hash", "sealed_at", "alg", "key_id")
SEAL_FIELDS = ("hash", "signature")
RESERVED_FIELDS = frozenset(ENVELOPE_FIELDS + SEAL_FIELDS)


class SealingError(TillError):
    code = "sealing_error"


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last record of a chain: what a closure records and a till remembers against rollback."""

    seq: int
    hash: str

    @classmethod
    def genesis(cls) -> ChainHead:
        return cls(0, GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class SealedRecord:
    """A record as sealed: `body` is everything that is hashed (fields and envelope)."""

    body: dict[str, Any]
    hash: str
    signature: str

    @property
    def chain(self) -> str:
        return str(self.body["chain"])

    @property
    def seq(self) -> int:
        return int(self.body["seq"])

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)

    def as_json(self) -> dict[str, Any]:
        return {**self.body, "hash": self.hash, "signature": self.signature}


def record_digest(record: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of a record without its `hash` and `signature`."""
    body = dict(record)
    body.pop("hash", None)
    body.pop("signature", None)
    return hashlib.sha256(encode(body)).digest()


def seal(
    fields: Mapping[str, Any],
    *,
    chain: str,
    shop: str,
    after: ChainHead,
    sealed_at: datetime,
    key: ShopKey,
) -> SealedRecord:
    """Seal `fields` as the record that follows `after` on `chain` of `shop`."""
    if chain not in CHAINS:
        raise SealingError(f"unknown chain {chain!r}; chains are {', '.join(CHAINS)}")
    clash = RESERVED_FIELDS.intersection(fields)
    if clash:
        raise SealingError(f"fields {sorted(clash)} are reserved for the seal's envelope")
    body: dict[str, Any] = {
        **fields,
        "chain": chain,
        "shop": shop,
        "seq": after.seq + 1,
        "prev_hash": after.hash,
        "sealed_at": to_utc_iso(sealed_at),
        "alg": ALG,
        "key_id": key.key_id,
    }
    try:
        canonical = canonical_json(body)
    except NotCanonicalizable as error:
        raise SealingError(f"cannot seal this record: {error.message}") from error
    digest = hashlib.sha256(canonical).digest()
    return SealedRecord(body, digest.hex(), key.sign(digest).hex())


class Chain:
    """One chain of one shop, appended in order; the caller holds the lock that orders appends."""

    def __init__(self, name: str, shop: str, key: ShopKey, head: ChainHead | None = None) -> None:
        self.name = name
        self.shop = shop
        self.key = key
        self.head = head or ChainHead.genesis()

    def append(self, fields: Mapping[str, Any], sealed_at: datetime) -> SealedRecord:
        record = seal(
            fields,
            chain=self.name,
            shop=self.shop,
            after=self.head,
            sealed_at=sealed_at,
            key=self.key,
        )
        self.head = record.head
        return record
