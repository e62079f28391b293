"""The server's sealing: appending records to a shop's chains, and verifying them in place.

Appends happen only under the shop's lock (`server.db.lock_shop`), taken by the caller for the
whole transaction, so that seq numbers are gapless and every record links to the one before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, bindparam, func, insert, select, text, union_all
from sqlalchemy.orm import Session

from server.errors import Invalid
from server.orders.models import OrderRow, OrderStatus, PaymentRow
from server.sealing.keys import KeyStore, key_ring
from server.sealing.models import SealedRecordRow
from till.fiscal.canonical import canonical_json, encode
from till.fiscal.keys import ShopKey as SigningKey
from till.fiscal.keys import exact_hex
from till.fiscal.records import CHAINS, ChainHead, SealedRecord, record_digest, seal
from till.fiscal.verify import ChainVerifier, Defect
from till.timestamps import as_utc, to_utc_iso

VERIFY_BATCH = 2_000
MAX_SEQ = 2**31 - 1  # the seq column is a 32-bit integer


def chain_head(session: Session, shop_id: str, chain: str) -> tuple[ChainHead, datetime | None]:
    """The chain's last record (seq, hash) and when it was sealed; genesis for an empty chain."""
    row = session.execute(
        select(SealedRecordRow.seq, SealedRecordRow.hash, SealedRecordRow.sealed_at)
        .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == chain)
        .order_by(SealedRecordRow.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return ChainHead.genesis(), None
    return ChainHead(row.seq, row.hash), as_utc(row.sealed_at)


@dataclass(frozen=True)
class Tip:
    """A chain's last record (seq, hash) and when it was sealed; genesis and None when empty."""

    head: ChainHead
    sealed_at: datetime | None


def _tips_query() -> Any:
    """The last record of every chain of a shop (`:shop_id`), in one statement."""
    columns = (SealedRecordRow.chain, SealedRecordRow.seq, SealedRecordRow.hash)
    parts = [
        select(*columns, SealedRecordRow.sealed_at)
        .where(SealedRecordRow.shop_id == bindparam("shop_id"), SealedRecordRow.chain == chain)
        .order_by(SealedRecordRow.seq.desc())
        .limit(1)
        .subquery()
        .select()
        for chain in CHAINS
    ]
    return union_all(*parts)


_TIPS = _tips_query()


# The same for several shops at once (PostgreSQL): the last record of each (shop, chain) pair,
# each found by the index on (shop_id, chain, seq) as the statement above does.
_TIPS_OF_SHOPS = text(
    "SELECT s.shop_id, c.chain, t.seq, t.hash, t.sealed_at"
    " FROM unnest(CAST(:shop_ids AS text[])) AS s(shop_id)"
    " CROSS JOIN unnest(CAST(:chains AS text[])) AS c(chain)"
    " CROSS JOIN LATERAL (SELECT r.seq, r.hash, r.sealed_at FROM sealed_records AS r"
    " WHERE r.shop_id = s.shop_id AND r.chain = c.chain ORDER BY r.seq DESC LIMIT 1) AS t"
)


def chain_tips(session: Session, shop_id: str) -> dict[str, Tip]:
    """The tip of each chain of the shop, read in one query."""
    return chain_tips_of(session, [shop_id])[shop_id]


def chain_tips_of(session: Session, shop_ids: Collection[str]) -> dict[str, dict[str, Tip]]:
    """The tip of each chain of each shop: in one query on PostgreSQL, where a group of
    validations waits for each round trip; shop after shop on SQLite, which has none."""
    tips = {shop_id: dict.fromkeys(CHAINS, Tip(ChainHead.genesis(), None)) for shop_id in shop_ids}
    if session.get_bind().dialect.name == "postgresql":
        params = {"shop_ids": list(shop_ids), "chains": list(CHAINS)}
        found = [dict(row) for row in session.execute(_TIPS_OF_SHOPS, params).mappings()]
    else:
        found = [
            {"shop_id": shop_id, **row}
            for shop_id in shop_ids
            for row in session.execute(_TIPS, {"shop_id": shop_id}).mappings()
        ]
    for row in found:
        head = ChainHead(row["seq"], row["hash"])
        tips[row["shop_id"]][row["chain"]] = Tip(head, as_utc(row["sealed_at"]))
    return tips


def chain_heads(session: Session, shop_id: str) -> dict[str, ChainHead]:
    return {chain: tip.head for chain, tip in chain_tips(session, shop_id).items()}


def signed_heads(
    key: SigningKey, shop_id: str, heads: Mapping[str, ChainHead], now: datetime
) -> dict[str, Any]:
    """The shop's chain heads, signed: a till keeps the last it was shown, and a server that
    later shows fewer records (restored from an old backup, truncated) cannot hide it.

    The signature is Ed25519 over the canonical JSON of `{shop_id, chain_heads, signed_at}`.
    """
    chain_heads = {chain: {"seq": head.seq, "hash": head.hash} for chain, head in heads.items()}
    signed_at = to_utc_iso(now)
    message = canonical_json(
        {"shop_id": shop_id, "chain_heads": chain_heads, "signed_at": signed_at}
    )
    return {
        "shop_id": shop_id,
        "chain_heads": chain_heads,
        "chain_heads_signature": {
            "key_id": key.key_id,
            "signed_at": signed_at,
            "signature": key.sign(message).hex(),
        },
    }


class Sealer:
    """Appends records to a shop's chains in the caller's transaction, the caller holding the
    shop's lock: the tips of the chains and the signing key are read once, when it is made, and
    kept up to date as records are appended. The records are written together, in one statement,
    when the `with` block it is used in ends (or by `write`)."""

    def __init__(
        self,
        session: Session,
        keys: KeyStore,
        shop_id: str,
        key: SigningKey | None = None,
        tips: dict[str, Tip] | None = None,
    ) -> None:
        """`key`, `tips`: the shop's signing key and its chains' tips, when the caller has read
        them already (under the lock)."""
        self.session = session
        self.shop_id = shop_id
        self.tips = tips if tips is not None else chain_tips(session, shop_id)
        self.key = key or keys.signing_key(session, shop_id)
        self._unwritten: list[dict[str, Any]] = []

    def __enter__(self) -> Sealer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.write()

    def heads(self) -> dict[str, ChainHead]:
        return {chain: tip.head for chain, tip in self.tips.items()}

    def append(self, chain: str, fields: Mapping[str, Any], now: datetime) -> SealedRecord:
        """Seal `fields` as the next record of the chain.

        The seal time never goes back along a chain, even when the server processes' clocks
        differ slightly: a record sealed "before" its predecessor takes the predecessor's time.
        """
        head, last_sealed_at = self.tips[chain].head, self.tips[chain].sealed_at
        sealed_at = max(now, last_sealed_at) if last_sealed_at else now
        record = seal(
            fields, chain=chain, shop=self.shop_id, after=head, sealed_at=sealed_at, key=self.key
        )
        self._unwritten.append(
            {
                "shop_id": self.shop_id,
                "chain": chain,
                "seq": record.seq,
                "hash": record.hash,
                "prev_hash": head.hash,
                "key_id": record.body["key_id"],
                "sealed_at": sealed_at,
                # Checked when sealed: what the seal adds is its hash and signature, in hex.
                "body": encode(record.as_json()).decode(),
            }
        )
        self.tips[chain] = Tip(ChainHead(record.seq, record.hash), sealed_at)
        return record

    def write(self, *others: Sealer) -> None:
        """Store the records appended since the last write, with those of `others` (sealers of
        other shops in the same transaction), in one statement."""
        rows = [row for sealer in (self, *others) for row in sealer._unwritten]
        if rows:
            self.session.execute(_STORE, rows)
        for sealer in (self, *others):
            sealer._unwritten = []


# Plain rows (no ORM objects): a sealed record is written once and never changed.
_STORE = insert(cast(Table, SealedRecordRow.__table__))


def append(
    session: Session,
    keys: KeyStore,
    shop_id: str,
    chain: str,
    fields: Mapping[str, Any],
    now: datetime,
) -> SealedRecord:
    """Seal `fields` as the next record of the chain and store it; the caller holds the lock.
    (Several appends in one transaction: one `Sealer`.)"""
    with Sealer(session, keys, shop_id) as sealer:
        return sealer.append(chain, fields, now)


def stored_record(session: Session, shop_id: str, chain: str, seq: int) -> dict[str, Any] | None:
    """One stored record of a chain, parsed; None when there is none at that seq."""
    body = session.scalar(
        select(SealedRecordRow.body).where(
            SealedRecordRow.shop_id == shop_id,
            SealedRecordRow.chain == chain,
            SealedRecordRow.seq == seq,
        )
    )
    if body is None:
        return None
    record: dict[str, Any] = orjson.loads(body)
    return record


def stored_records(session: Session, shop_id: str, chain: str) -> Iterator[Any]:
    """A chain's records in seq order, parsed, read in batches so memory stays flat."""
    last = 0
    while True:
        rows = session.execute(
            select(SealedRecordRow.seq, SealedRecordRow.body)
            .where(
                SealedRecordRow.shop_id == shop_id,
                SealedRecordRow.chain == chain,
                SealedRecordRow.seq > last,
            )
            .order_by(SealedRecordRow.seq)
            .limit(VERIFY_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            try:
                yield orjson.loads(row.body)
            except orjson.JSONDecodeError:
                yield row.body  # the verifier reports it as malformed
        last = rows[-1].seq


@dataclass
class ChainReport:
    records: int = 0
    head: ChainHead = field(default_factory=ChainHead.genesis)


@dataclass
class VerificationReport:
    shop_id: str
    chains: dict[str, ChainReport]
    defects: list[Defect]

    @property
    def ok(self) -> bool:
        return not self.defects

    def as_json(self) -> dict[str, Any]:
        first = self.defects[0] if self.defects else None
        return {
            "shop_id": self.shop_id,
            "ok": self.ok,
            "chains": {
                name: {"records": report.records, "seq": report.head.seq, "hash": report.head.hash}
                for name, report in self.chains.items()
            },
            "first_defect": _defect_json(first) if first else None,
            "defects": [_defect_json(defect) for defect in self.defects],
        }


def _defect_json(defect: Defect) -> dict[str, Any]:
    return {
        "kind": defect.kind.value,
        "chain": defect.chain,
        "seq": defect.seq,
        "position": defect.position,
        "message": str(defect),
    }


def expected_heads(session: Session, shop_id: str) -> dict[str, ChainHead]:
    """Heads known outside the chain itself: the newest validated order keeps its seal in the
    orders table, the newest sealed payment its seq, so deleting the last records is noticed."""
    heads: dict[str, ChainHead] = {}
    order = session.execute(
        select(OrderRow.internal_number, OrderRow.seal)
        .where(OrderRow.shop_id == shop_id, OrderRow.status == OrderStatus.VALIDATED)
        .order_by(OrderRow.internal_number.desc())
        .limit(1)
    ).first()
    if order is not None and order.internal_number is not None and order.seal is not None:
        heads["order"] = ChainHead(order.internal_number, order.seal)
    payment_seq = session.scalar(
        select(func.max(PaymentRow.record_seq))
        .join(OrderRow, OrderRow.id == PaymentRow.order_id)
        .where(OrderRow.shop_id == shop_id)
    )
    if payment_seq is not None:
        stored = session.scalar(
            select(SealedRecordRow.hash).where(
                SealedRecordRow.shop_id == shop_id,
                SealedRecordRow.chain == "payment",
                SealedRecordRow.seq == payment_seq,
            )
        )
        # When that record is gone, any hash will do: the verifier reports the truncation.
        heads["payment"] = ChainHead(payment_seq, stored or "0" * 64)
    return heads


def closure_heads(session: Session, shop_id: str) -> dict[str, ChainHead]:
    """The heads the last closure recorded: records removed from a chain's end since the last Z
    or closing are noticed even when the tables were cleaned up too."""
    body = session.scalar(
        select(SealedRecordRow.body)
        .where(SealedRecordRow.shop_id == shop_id, SealedRecordRow.chain == "closure")
        .order_by(SealedRecordRow.seq.desc())
        .limit(1)
    )
    if body is None:
        return {}
    try:
        recorded = orjson.loads(body).get("chain_heads") or {}
        return {
            chain: ChainHead(int(head["seq"]), str(head["hash"]))
            for chain, head in recorded.items()
            if chain in CHAINS
        }
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return {}  # a damaged closure record is reported by the verifier itself


def verify_shop(
    session: Session, shop_id: str, heads: Mapping[str, ChainHead] | None = None
) -> VerificationReport:
    """Verify every chain of the shop as stored: seals, signatures, links, gaps, and the tail
    against heads known elsewhere: the orders table, the last closure, and `heads` (a till's)."""
    known: dict[str, ChainHead] = {}
    for source in (expected_heads(session, shop_id), closure_heads(session, shop_id), heads or {}):
        for chain, head in source.items():
            if chain not in known or head.seq > known[chain].seq:
                known[chain] = head
    verifier = ChainVerifier(key_ring(session, shop_id), shop=shop_id, heads=known)
    defects: list[Defect] = []
    for chain in CHAINS:
        for record in stored_records(session, shop_id, chain):
            defects.extend(verifier.check(record))
    defects.extend(verifier.finish())
    summary = verifier.summary()
    counts: dict[str, int] = {
        chain: count
        for chain, count in session.execute(
            select(SealedRecordRow.chain, func.count())
            .where(SealedRecordRow.shop_id == shop_id)
            .group_by(SealedRecordRow.chain)
        )
    }
    chains = {
        chain: ChainReport(counts.get(chain, 0), summary.heads.get(chain, ChainHead.genesis()))
        for chain in CHAINS
    }
    return VerificationReport(shop_id, chains, defects)


def check_heads(session: Session, shop_id: str, heads: Mapping[str, ChainHead]) -> dict[str, Any]:
    """Is each head (seq, hash) once shown still in its chain, with the same hash?"""
    problems = []
    for chain, head in sorted(heads.items()):
        if chain not in CHAINS:
            raise Invalid(f"There is no chain {chain}; the chains are {', '.join(CHAINS)}.")
        if head.seq == 0:
            continue
        stored = session.scalar(
            select(SealedRecordRow.hash).where(
                SealedRecordRow.shop_id == shop_id,
                SealedRecordRow.chain == chain,
                SealedRecordRow.seq == head.seq,
            )
        )
        if stored is None:
            problems.append(
                {
                    "chain": chain,
                    "seq": head.seq,
                    "problem": "missing",
                    "message": f"The {chain} chain no longer holds record {head.seq}, which was "
                    "shown before: it was truncated or the database was rolled back.",
                }
            )
        elif stored != head.hash:
            problems.append(
                {
                    "chain": chain,
                    "seq": head.seq,
                    "problem": "replaced",
                    "message": f"Record {head.seq} of the {chain} chain is not the one shown "
                    "before: the chain was rewritten from there.",
                }
            )
    return {"shop_id": shop_id, "ok": not problems, "problems": problems}


def check_record(session: Session, shop_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Seed 000 §8's second tool: is this record, as given, the one sealed and stored?

    Recomputes its hash, checks its signature with the shop's keys, and compares it with the
    record stored at its chain and seq: its hash, and its content, which may have been changed
    in the database behind the hash's back.
    """
    try:
        digest = record_digest(record)
    except (TypeError, ValueError) as error:
        # Integers beyond 64 bits, unpaired surrogates: no sealer can have written this record.
        raise Invalid(f"This record cannot be put in canonical form: {error}.") from None
    computed = digest.hex()
    key = key_ring(session, shop_id).get(str(record.get("key_id", "")))
    signature = exact_hex(record.get("signature"), 64)
    signature_ok = key is not None and signature is not None and key.verify(digest, signature)
    stored = None
    chain, seq = record.get("chain"), record.get("seq")
    if chain in CHAINS and type(seq) is int and 0 < seq <= MAX_SEQ:
        stored = session.execute(
            select(SealedRecordRow.hash, SealedRecordRow.body).where(
                SealedRecordRow.shop_id == shop_id,
                SealedRecordRow.chain == chain,
                SealedRecordRow.seq == seq,
            )
        ).first()
    hash_ok = computed == record.get("hash")
    matches = stored is not None and stored.hash == computed and _digest(stored.body) == digest
    return {
        "computed_hash": computed,
        "hash_matches": hash_ok,
        "signature_valid": signature_ok,
        "key_known": key is not None,
        "stored_hash": stored.hash if stored is not None else None,
        "matches_stored": matches,
        "valid": hash_ok and signature_ok and record.get("shop") == shop_id and matches,
    }


def _digest(body: str) -> bytes | None:
    """The digest of a stored record's content; None when it is not a record any more."""
    try:
        return record_digest(orjson.loads(body))
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
