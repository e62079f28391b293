"""The chain verifier: reads sealed records in order and reports every defect with its record.

It streams: it keeps, per chain, the last record's seq, hash and time, and the seq ranges still
missing (so a record that arrives late is told apart from a lost one), never the records themselves.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from till.fiscal.keys import KeyRing, exact_hex
from till.fiscal.records import ALG, CHAINS, ChainHead, record_digest

Report = Callable[["DefectKind", str], None]

_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")

# Missing ranges kept in memory per chain before the oldest is reported as a plain gap.
MAX_PENDING_GAPS = 10_000


class _Seal(Enum):
    INTACT = "intact"
    ALTERED = "altered"  # content changed, signed hash genuine
    FORGED = "forged"  # not sealed by a key of the shop


@dataclass(frozen=True, slots=True)
class MalformedRecord:
    """What a reader yields for a record it could parse but that no sealer can have written."""

    reason: str


class DefectKind(StrEnum):
    MALFORMED = "malformed"
    ALTERED = "altered"
    WRONG_HASH = "wrong_hash"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    FOREIGN_SHOP = "foreign_shop"
    GAP = "gap"
    DUPLICATE_SEQ = "duplicate_seq"
    SEQ_DECREASING = "seq_decreasing"
    REORDERED = "reordered"
    BROKEN_LINK = "broken_link"
    TIME_BACKWARDS = "time_backwards"
    TRUNCATED = "truncated"
    HEAD_MISMATCH = "head_mismatch"


@dataclass(frozen=True, slots=True)
class Defect:
    """One thing wrong with the chain; `position` is the record's 1-based place in the input."""

    kind: DefectKind
    message: str
    position: int | None = None
    chain: str | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = []
        if self.position is not None:
            where.append(f"record {self.position}")
        if self.chain is not None:
            where.append(self.chain if self.seq is None else f"{self.chain} #{self.seq}")
        prefix = ", ".join(where) or "chain"
        return f"{prefix}: {self.kind.value}: {self.message}"


@dataclass(slots=True)
class _Gap:
    """Seqs first..last not seen yet, with the hashes that their records must link to."""

    first: int
    last: int
    hash_before: str  # hash of record first-1: the prev_hash record `first` must carry
    prev_hash_after: str | None  # prev_hash of record last+1: the hash record `last` must have
    position: int  # where the gap was noticed


@dataclass(slots=True)
class _ChainState:
    start_seq: int
    expected: int
    last_hash: str
    last_seq: int | None = None
    last_time: str | None = None
    gaps: list[_Gap] = field(default_factory=list)

    def head(self) -> ChainHead:
        return ChainHead(self.expected - 1, self.last_hash)


@dataclass(frozen=True, slots=True)
class VerificationSummary:
    records: int
    heads: dict[str, ChainHead]


class ChainVerifier:
    """Feed records in their stored order with `check`, then call `finish`.

    `shop`: the shop the chain must belong to (else the first authentic record's shop is taken).
    `starts`: per chain, the known record just before the first one given (an archive that begins
    mid-chain); chains not listed must start at seq 1 after the 64-zero hash.
    `heads`: per chain, a head (seq, hash) recorded elsewhere (closure, till): the chain must reach
    it with that very record, or it was truncated or rewritten.
    """

    def __init__(
        self,
        keys: KeyRing,
        *,
        shop: str | None = None,
        starts: Mapping[str, ChainHead] | None = None,
        heads: Mapping[str, ChainHead] | None = None,
    ) -> None:
        self._keys = keys
        self._shop = shop
        self._starts = dict(starts or {})
        self._heads = dict(heads or {})
        self._chains: dict[str, _ChainState] = {}
        self._position = 0

    def check(self, record: Any) -> list[Defect]:
        """Check the next record; returns its defects (empty when it is sound)."""
        self._position += 1
        position = self._position
        envelope = _envelope(record)
        if isinstance(envelope, str):
            return [Defect(DefectKind.MALFORMED, envelope, position)]
        chain, seq, prev_hash, stored_hash, claimed, signed, key_id, shop, sealed_at = envelope

        defects: list[Defect] = []

        def report(kind: DefectKind, message: str) -> None:
            defects.append(Defect(kind, message, position, chain, seq))

        seal = self._check_seal(record, claimed, signed, key_id, report)
        if self._shop is None and seal is not _Seal.FORGED:
            self._shop = shop
        elif self._shop is not None and shop != self._shop:
            report(DefectKind.FOREIGN_SHOP, f"belongs to shop {shop!r}, not {self._shop!r}")
        if seal is _Seal.FORGED:
            # Not the shop's: its seq and links say nothing about the chain, which goes on
            # without it (a genuine record it replaced shows as missing).
            return defects
        state = self._chains.get(chain) or self._open_chain(chain)
        if seal is _Seal.INTACT:
            self._check_place(state, seq, prev_hash, stored_hash, sealed_at, position, report)
        else:
            # Its signed hash is genuine, so it links the chain, but its fields, seq and time
            # included, cannot be trusted: it takes the next place.
            seq = state.expected
            state.expected, state.last_seq, state.last_hash = seq + 1, seq, stored_hash
        head = self._heads.get(chain)
        if head is not None and seq == head.seq and stored_hash != head.hash:
            report(
                DefectKind.HEAD_MISMATCH,
                f"differs from the head recorded for seq {head.seq}: the chain was rewritten",
            )
        return defects

    def finish(self) -> list[Defect]:
        """Defects only the end can tell: ranges never seen, a tail shorter than a known head."""
        defects = [
            _gap_defect(chain, gap) for chain, state in self._chains.items() for gap in state.gaps
        ]
        for chain, head in self._heads.items():
            state = self._chains.get(chain)
            last = state.expected - 1 if state else self._starts.get(chain, ChainHead.genesis()).seq
            if last < head.seq:
                defects.append(
                    Defect(
                        DefectKind.TRUNCATED,
                        f"the chain ends at seq {last} but a head at seq {head.seq} was recorded: "
                        "records were removed from its end",
                        chain=chain,
                        seq=last + 1,  # the first record missing
                    )
                )
        return defects

    def summary(self) -> VerificationSummary:
        return VerificationSummary(
            records=self._position,
            heads={name: state.head() for name, state in self._chains.items()},
        )

    def _open_chain(self, chain: str) -> _ChainState:
        start = self._starts.get(chain, ChainHead.genesis())
        state = _ChainState(start_seq=start.seq + 1, expected=start.seq + 1, last_hash=start.hash)
        self._chains[chain] = state
        return state

    def _check_seal(
        self, record: dict[str, Any], claimed: bytes, signed: bytes, key_id: str, report: Report
    ) -> _Seal:
        try:
            digest = record_digest(record)
        except (TypeError, ValueError) as error:
            report(DefectKind.MALFORMED, f"cannot be put in canonical form: {error}")
            return _Seal.FORGED
        key = self._keys.get(key_id)
        if key is None:
            report(
                DefectKind.UNKNOWN_KEY,
                f"sealed with key {key_id!r}, which is not a key of the shop",
            )
            if digest != claimed:
                report(DefectKind.WRONG_HASH, "its hash does not match its content")
            return _Seal.FORGED
        if digest == claimed:
            if key.verify(digest, signed):
                return _Seal.INTACT
            report(DefectKind.BAD_SIGNATURE, "its signature is not the shop key's")
            return _Seal.FORGED
        if key.verify(claimed, signed):
            report(
                DefectKind.ALTERED,
                "its content was changed after sealing: it no longer matches its signed hash",
            )
            return _Seal.ALTERED
        report(DefectKind.WRONG_HASH, "its hash matches neither its content nor its signature")
        return _Seal.FORGED

    def _check_place(
        self,
        state: _ChainState,
        seq: int,
        prev_hash: str,
        stored_hash: str,
        sealed_at: str,
        position: int,
        report: Report,
    ) -> None:
        if seq < state.expected:
            self._check_late(state, seq, prev_hash, stored_hash, report)
            return
        if seq == state.expected:
            if prev_hash != state.last_hash:
                report(
                    DefectKind.BROKEN_LINK,
                    f"its prev_hash does not match the hash of seq {seq - 1}",
                )
        else:
            state.gaps.append(_Gap(state.expected, seq - 1, state.last_hash, prev_hash, position))
            if len(state.gaps) > MAX_PENDING_GAPS:
                report(DefectKind.GAP, _gap_message(state.gaps.pop(0)))
        if state.last_time is not None and sealed_at < state.last_time:
            report(
                DefectKind.TIME_BACKWARDS,
                f"sealed at {sealed_at}, before the previous record (sealed at {state.last_time})",
            )
        state.expected = seq + 1
        state.last_hash = stored_hash
        state.last_seq = seq
        state.last_time = sealed_at

    def _check_late(
        self, state: _ChainState, seq: int, prev_hash: str, stored_hash: str, report: Report
    ) -> None:
        gaps = state.gaps
        index = bisect.bisect_right(gaps, seq, key=lambda gap: gap.first) - 1
        gap = gaps[index] if index >= 0 and gaps[index].last >= seq else None
        if gap is None:
            if seq == state.last_seq:
                report(DefectKind.DUPLICATE_SEQ, f"seq {seq} appears twice in a row")
            elif seq < state.start_seq:
                report(
                    DefectKind.SEQ_DECREASING,
                    f"seq {seq} is before the start of the chain (seq {state.start_seq})",
                )
            else:
                report(
                    DefectKind.SEQ_DECREASING,
                    f"seq {seq} comes after seq {state.last_seq} and was already used",
                )
            return
        report(DefectKind.REORDERED, f"arrives after seq {state.expected - 1}: out of order")
        if seq == gap.first and prev_hash != gap.hash_before:
            report(
                DefectKind.BROKEN_LINK, f"its prev_hash does not match the hash of seq {seq - 1}"
            )
        if (
            seq == gap.last
            and gap.prev_hash_after is not None
            and stored_hash != gap.prev_hash_after
        ):
            report(
                DefectKind.BROKEN_LINK, f"seq {seq + 1} does not link to it: a record was replaced"
            )
        # What remains missing around this record, and what the neighbours must link to.
        left = _Gap(gap.first, seq - 1, gap.hash_before, prev_hash, gap.position)
        right = _Gap(seq + 1, gap.last, stored_hash, gap.prev_hash_after, gap.position)
        gaps[index : index + 1] = [part for part in (left, right) if part.first <= part.last]
        if len(gaps) > MAX_PENDING_GAPS:
            report(DefectKind.GAP, _gap_message(gaps.pop(0)))


def _gap_message(gap: _Gap) -> str:
    span = f"seq {gap.first}" if gap.first == gap.last else f"seqs {gap.first} to {gap.last}"
    return f"{span} missing before record {gap.position}"


def _gap_defect(chain: str, gap: _Gap) -> Defect:
    return Defect(DefectKind.GAP, _gap_message(gap), gap.position, chain, gap.first)


def _envelope(record: Any) -> tuple[Any, ...] | str:
    """The envelope and seal fields of a record, or why they are unusable."""
    if isinstance(record, MalformedRecord):
        return record.reason
    if not isinstance(record, dict):
        return "not a JSON object"
    try:
        chain = record["chain"]
        seq = record["seq"]
        prev_hash = record["prev_hash"]
        stored_hash = record["hash"]
        signature = record["signature"]
        key_id = record["key_id"]
        shop = record["shop"]
        sealed_at = record["sealed_at"]
        alg = record["alg"]
    except KeyError as missing:
        return f"the seal field {missing} is missing"
    if chain not in CHAINS:
        return f"unknown chain {chain!r}"
    if type(seq) is not int or seq < 1:
        return f"seq must be a positive integer, not {seq!r}"
    if alg != ALG:
        return f"unsupported algorithm {alg!r} (expected {ALG})"
    if not isinstance(key_id, str) or not isinstance(shop, str):
        return "key_id and shop must be text"
    if not isinstance(sealed_at, str) or _TIMESTAMP.fullmatch(sealed_at) is None:
        return f"sealed_at must be a UTC time like 2026-01-31T12:00:00.000000Z, not {sealed_at!r}"
    if exact_hex(prev_hash, 32) is None:
        return "prev_hash must be 64 lower-case hex digits"
    claimed = exact_hex(stored_hash, 32)
    if claimed is None:
        return "hash must be 64 lower-case hex digits"
    signed = exact_hex(signature, 64)
    if signed is None:
        return "signature must be 128 lower-case hex digits"
    return chain, seq, prev_hash, stored_hash, claimed, signed, key_id, shop, sealed_at


def verify_records(
    records: Iterable[Any],
    keys: KeyRing,
    *,
    shop: str | None = None,
    starts: Mapping[str, ChainHead] | None = None,
    heads: Mapping[str, ChainHead] | None = None,
) -> Iterator[Defect]:
    """Every defect of a stream of records, as they are found."""
    verifier = ChainVerifier(keys, shop=shop, starts=starts, heads=heads)
    for record in records:
        yield from verifier.check(record)
    yield from verifier.finish()
