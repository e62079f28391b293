"""The tamper catalogue: every way a chain can be damaged, each caught and pinned to its record."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from tests.till.fiscal.chains import SHOP, START, BuildChain, sale_fields
from till.fiscal import verify as verify_module
from till.fiscal.keys import KeyRing, ShopKey
from till.fiscal.records import RESERVED_FIELDS, ChainHead, record_digest, seal
from till.fiscal.verify import ChainVerifier, DefectKind, verify_records

K = DefectKind


def defects_of(records: list[Any], keys: KeyRing, **options: Any) -> set[tuple[DefectKind, int]]:
    """(kind, position) of every defect; position is the record's 1-based place in the input."""
    found = set()
    for defect in verify_records(records, keys, **options):
        assert defect.message
        found.add((defect.kind, defect.position or 0))
    return found


def reseal(
    record: dict[str, Any], key: ShopKey, *, after: ChainHead | None = None, **changes: Any
) -> dict[str, Any]:
    """Seal a record again (as an insider holding `key` would), with changed fields or links."""
    fields = {k: v for k, v in record.items() if k not in RESERVED_FIELDS}
    fields.update({k: v for k, v in changes.items() if k != "sealed_at"})
    sealed_at = changes.get("sealed_at", START + timedelta(seconds=record["seq"]))
    return seal(
        fields,
        chain=record["chain"],
        shop=record["shop"],
        after=after or ChainHead(record["seq"] - 1, record["prev_hash"]),
        sealed_at=sealed_at,
        key=key,
    ).as_json()


def test_an_intact_chain_has_no_defect(build_chain: BuildChain, keys: KeyRing) -> None:
    assert defects_of(build_chain(20), keys) == set()


def test_a_changed_field_is_reported_as_altered(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    records[4]["final_price"] = "0.01"
    assert defects_of(records, keys) == {(K.ALTERED, 5)}


def test_an_added_field_is_reported_as_altered(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    records[4]["discount"] = "5.00"
    assert defects_of(records, keys) == {(K.ALTERED, 5)}


def test_a_replaced_hash_is_wrong_and_leaves_its_place_empty(
    build_chain: BuildChain, keys: KeyRing
) -> None:
    records = build_chain(10)
    records[4]["hash"] = hashlib.sha256(b"forged").hexdigest()
    assert defects_of(records, keys) == {(K.WRONG_HASH, 5), (K.GAP, 6)}


def test_a_recomputed_hash_without_the_key_fails_the_signature(
    build_chain: BuildChain, keys: KeyRing, other_key: ShopKey
) -> None:
    records = build_chain(10)
    forged = reseal(records[4], other_key, final_price="0.01")
    forged["key_id"] = records[4]["key_id"]
    body = {k: v for k, v in forged.items() if k not in ("hash", "signature")}
    forged["hash"] = record_digest(body).hex()
    forged["signature"] = records[4]["signature"]
    records[4] = forged
    assert defects_of(records, keys) == {(K.BAD_SIGNATURE, 5), (K.GAP, 6)}


def test_a_damaged_signature_is_reported(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    signature = bytearray(bytes.fromhex(records[4]["signature"]))
    signature[10] ^= 0x01
    records[4]["signature"] = signature.hex()
    assert defects_of(records, keys) == {(K.BAD_SIGNATURE, 5), (K.GAP, 6)}


def test_a_signature_that_is_not_hex_is_reported(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(3)
    records[1]["signature"] = "not hex"
    assert defects_of(records, keys) == {(K.MALFORMED, 2), (K.GAP, 3)}


def test_a_record_sealed_with_an_unknown_key_is_reported(
    build_chain: BuildChain, keys: KeyRing, other_key: ShopKey
) -> None:
    records = build_chain(10)
    records[4] = reseal(records[4], other_key)
    assert defects_of(records, keys) == {(K.UNKNOWN_KEY, 5), (K.GAP, 6)}


def test_a_chain_resealed_with_a_swapped_key_fails_every_signature(
    build_chain: BuildChain, keys: KeyRing, shop_key: ShopKey, other_key: ShopKey
) -> None:
    """An attacker re-signs every record with their own key but keeps the shop's key id."""
    records = build_chain(5)
    for record in records:
        body = {k: v for k, v in record.items() if k not in ("hash", "signature")}
        record["signature"] = other_key.sign(record_digest(body)).hex()
    assert defects_of(records, keys) == {(K.BAD_SIGNATURE, n) for n in range(1, 6)}


def test_verifying_with_another_shops_key_trusts_nothing(
    build_chain: BuildChain, other_key: ShopKey
) -> None:
    records = build_chain(3)
    assert defects_of(records, KeyRing([other_key.public_key])) == {
        (K.UNKNOWN_KEY, n) for n in range(1, 4)
    }


def test_a_rotated_key_keeps_old_records_verifiable(
    build_chain: BuildChain, shop_key: ShopKey, other_key: ShopKey
) -> None:
    records = build_chain(4)
    last = records[-1]
    records.append(
        reseal(
            {**last, "seq": 5, "prev_hash": last["hash"]},
            other_key,
            after=ChainHead(4, last["hash"]),
            sealed_at=START + timedelta(seconds=5),
        )
    )
    both = KeyRing([shop_key.public_key, other_key.public_key])
    assert defects_of(records, both) == set()
    assert defects_of(records, KeyRing([shop_key.public_key])) == {(K.UNKNOWN_KEY, 5)}


def test_a_removed_record_is_a_gap(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    del records[4]
    defects = list(verify_records(records, keys))
    assert [(d.kind, d.seq, d.position) for d in defects] == [(K.GAP, 5, 5)]
    assert "seq 5 missing" in defects[0].message


def test_several_removed_records_are_one_gap(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    del records[3:7]
    [defect] = verify_records(records, keys)
    assert (defect.kind, defect.seq) == (K.GAP, 4)
    assert "seqs 4 to 7" in defect.message


def test_a_record_repeated_in_a_row_is_a_duplicate(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    records.insert(5, dict(records[4]))
    assert defects_of(records, keys) == {(K.DUPLICATE_SEQ, 6)}


def test_a_record_replayed_later_is_a_decreasing_seq(
    build_chain: BuildChain, keys: KeyRing
) -> None:
    records = build_chain(10)
    records.append(dict(records[2]))
    assert defects_of(records, keys) == {(K.SEQ_DECREASING, 11)}


def test_a_record_before_the_start_of_an_excerpt_is_a_decreasing_seq(
    build_chain: BuildChain, keys: KeyRing
) -> None:
    records = build_chain(10)
    start = ChainHead(4, records[3]["hash"])
    excerpt = [*records[4:], records[1]]
    assert defects_of(excerpt, keys, starts={"order": start}) == {(K.SEQ_DECREASING, 7)}


def test_a_forked_record_breaks_the_link(
    build_chain: BuildChain, keys: KeyRing, shop_key: ShopKey
) -> None:
    """An insider with the key seals record 6 after a different record 5: the fork shows."""
    records = build_chain(10)
    records[5] = reseal(records[5], shop_key, after=ChainHead(5, hashlib.sha256(b"x").hexdigest()))
    assert defects_of(records, keys) == {(K.BROKEN_LINK, 6), (K.BROKEN_LINK, 7)}


def test_two_swapped_records_are_one_reordering(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    records[4], records[5] = records[5], records[4]
    defects = list(verify_records(records, keys))
    assert [(d.kind, d.seq, d.position) for d in defects] == [(K.REORDERED, 5, 6)]


def test_a_late_record_that_does_not_fit_its_place_breaks_links(
    build_chain: BuildChain, keys: KeyRing, shop_key: ShopKey
) -> None:
    records = build_chain(10)
    replacement = reseal(records[4], shop_key, after=ChainHead(4, hashlib.sha256(b"x").hexdigest()))
    records[4], records[5] = records[5], replacement
    defects = list(verify_records(records, keys))
    assert [(d.kind, d.position) for d in defects] == [
        (K.REORDERED, 6),
        (K.BROKEN_LINK, 6),  # its prev_hash is not the hash of seq 4
        (K.BROKEN_LINK, 6),  # and seq 6 was sealed after another seq 5
    ]


def test_a_record_sealed_earlier_than_its_predecessor_is_time_going_backwards(
    build_chain: BuildChain, keys: KeyRing, shop_key: ShopKey
) -> None:
    records = build_chain(10)
    records[5] = reseal(records[5], shop_key, sealed_at=START - timedelta(hours=1))
    assert defects_of(records, keys) == {(K.TIME_BACKWARDS, 6), (K.BROKEN_LINK, 7)}


def test_a_tail_shorter_than_a_known_head_is_truncated(
    build_chain: BuildChain, keys: KeyRing
) -> None:
    records = build_chain(10)
    head = ChainHead(10, records[-1]["hash"])
    [defect] = verify_records(records[:7], keys, heads={"order": head})
    assert defect.kind is K.TRUNCATED
    assert (defect.chain, defect.seq) == ("order", 8)
    assert "ends at seq 7" in defect.message and "seq 10" in defect.message


def test_an_empty_chain_with_a_known_head_is_truncated(keys: KeyRing) -> None:
    head = ChainHead(3, "ab" * 32)
    assert [d.kind for d in verify_records([], keys, heads={"order": head})] == [K.TRUNCATED]


def test_a_rewritten_tail_does_not_match_the_known_head(
    build_chain: BuildChain, keys: KeyRing, shop_key: ShopKey
) -> None:
    """A database rolled back to seq 7 and sealed again: the signatures hold, the head does not."""
    records = build_chain(10)
    head = ChainHead(10, records[-1]["hash"])
    rewritten = records[:7]
    for n in range(8, 11):
        after = ChainHead(n - 1, rewritten[-1]["hash"])
        rewritten.append(reseal({**records[n - 1], "final_price": "0.00"}, shop_key, after=after))
    assert defects_of(rewritten, keys, heads={"order": head}) == {(K.HEAD_MISMATCH, 10)}


def test_a_record_copied_from_another_shop_is_caught(
    build_chain: BuildChain, keys: KeyRing, other_key: ShopKey
) -> None:
    ours = build_chain(10)
    theirs = build_chain(10, shop="FR-SHOP-0002", key=other_key)
    tampered = [*ours[:5], theirs[5], *ours[6:]]
    assert defects_of(tampered, keys, shop=SHOP) == {
        (K.FOREIGN_SHOP, 6),
        (K.UNKNOWN_KEY, 6),
        (K.GAP, 7),  # the genuine seq 6 it replaced is missing
    }


def test_the_shop_is_taken_from_the_first_record_when_not_given(
    build_chain: BuildChain, keys: KeyRing, shop_key: ShopKey
) -> None:
    ours = build_chain(3)
    foreign = reseal(
        {**ours[2], "seq": 4, "prev_hash": ours[2]["hash"], "shop": "FR-SHOP-0002"},
        shop_key,
        after=ChainHead(3, ours[2]["hash"]),
    )
    assert defects_of([*ours, foreign], keys) == {(K.FOREIGN_SHOP, 4)}


def _without_seq(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "seq"}


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (lambda r: "just text", "not a JSON object"),
        (_without_seq, "the seal field 'seq' is missing"),
        (lambda r: {**r, "seq": 0}, "seq must be a positive integer"),
        (lambda r: {**r, "seq": True}, "seq must be a positive integer"),
        (lambda r: {**r, "chain": "sales"}, "unknown chain"),
        (lambda r: {**r, "alg": "md5"}, "unsupported algorithm"),
        (lambda r: {**r, "prev_hash": "00"}, "prev_hash"),
        (lambda r: {**r, "sealed_at": "yesterday"}, "sealed_at"),
        (lambda r: {**r, "key_id": 7}, "key_id"),
    ],
)
def test_malformed_records_are_reported_and_the_rest_is_checked(
    build_chain: BuildChain, keys: KeyRing, damage: Any, needle: str
) -> None:
    records = build_chain(3)
    bad = damage(dict(records[1]))
    defects = list(verify_records([records[0], bad, records[1], records[2]], keys))
    assert [(d.kind, d.position) for d in defects] == [(K.MALFORMED, 2)]
    assert needle in defects[0].message


def test_a_float_in_a_record_is_caught(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(3)
    records[1]["final_price"] = 12.5
    assert defects_of(records, keys) == {(K.ALTERED, 2)}


def test_interleaved_chains_are_each_verified(build_chain: BuildChain, keys: KeyRing) -> None:
    orders = build_chain(6)
    events = build_chain(6, chain="event")
    mixed = [record for pair in zip(orders, events, strict=True) for record in pair]
    assert defects_of(mixed, keys) == set()
    del mixed[4]  # order seq 3: order seq 4 now comes 6th
    assert defects_of(mixed, keys) == {(K.GAP, 6)}


def test_an_excerpt_verifies_from_its_known_start(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(10)
    start = ChainHead(4, records[3]["hash"])
    assert defects_of(records[4:], keys, starts={"order": start}) == set()
    [defect] = verify_records(records[4:], keys)
    assert (defect.kind, defect.seq) == (K.GAP, 1)
    assert "seqs 1 to 4 missing" in defect.message


def test_gaps_beyond_the_pending_limit_are_still_reported(
    build_chain: BuildChain, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_module, "MAX_PENDING_GAPS", 2)
    records = build_chain(12)
    kept = [r for r in records if r["seq"] not in (2, 4, 6, 8)]
    gaps = [d for d in verify_records(kept, keys) if d.kind is K.GAP]
    assert len(gaps) == 4


def test_the_summary_gives_each_chains_head(build_chain: BuildChain, keys: KeyRing) -> None:
    records = build_chain(5)
    verifier = ChainVerifier(keys)
    for record in records:
        assert verifier.check(record) == []
    assert verifier.finish() == []
    summary = verifier.summary()
    assert summary.records == 5
    assert summary.heads == {"order": ChainHead(5, records[-1]["hash"])}


@pytest.mark.slow
def test_a_chain_of_100000_records_verifies_clean(shop_key: ShopKey, keys: KeyRing) -> None:
    from till.fiscal.records import Chain

    chain = Chain("order", SHOP, shop_key)
    verifier = ChainVerifier(keys, heads={})
    for n in range(1, 100_001):
        record = chain.append(sale_fields(n), START + timedelta(milliseconds=n)).as_json()
        assert not verifier.check(record)
    assert verifier.finish() == []
    assert verifier.summary().heads["order"] == chain.head


def test_a_forged_record_inserted_before_the_genuine_one_is_the_only_defect(
    build_chain: BuildChain, keys: KeyRing, other_key: ShopKey
) -> None:
    records = build_chain(10)
    records.insert(5, reseal(records[5], other_key, final_price="0.01"))
    assert defects_of(records, keys) == {(K.UNKNOWN_KEY, 6)}


def test_a_record_whose_seq_was_changed_is_only_altered(
    build_chain: BuildChain, keys: KeyRing
) -> None:
    records = build_chain(10)
    records[4]["seq"] = 6
    assert defects_of(records, keys) == {(K.ALTERED, 5)}


@pytest.mark.parametrize("field", ["hash", "prev_hash", "signature"])
def test_hex_has_one_spelling_only(build_chain: BuildChain, keys: KeyRing, field: str) -> None:
    records = build_chain(3)
    records[1][field] = records[1][field].upper()
    found = list(verify_records(records, keys))
    assert (found[0].kind, found[0].position) == (K.MALFORMED, 2)
    assert "lower-case hex" in found[0].message


def test_a_foreign_record_first_does_not_make_the_shop_foreign(
    build_chain: BuildChain, keys: KeyRing, other_key: ShopKey
) -> None:
    ours = build_chain(3)
    theirs = build_chain(1, shop="FR-SHOP-0002", key=other_key)
    assert defects_of([theirs[0], *ours], keys) == {(K.UNKNOWN_KEY, 1)}


def test_an_empty_excerpt_after_its_known_start_is_not_truncated(keys: KeyRing) -> None:
    start = ChainHead(8, "ab" * 32)
    assert list(verify_records([], keys, starts={"order": start}, heads={"order": start})) == []


def test_text_from_a_record_cannot_forge_output_lines(
    build_chain: BuildChain, keys: KeyRing
) -> None:
    records = build_chain(2)
    records[1]["key_id"] = "x\nOK: 2 record(s) intact"
    lines = [str(defect) for defect in verify_records(records, keys)]
    assert lines and all("\n" not in line for line in lines)


def test_late_records_cannot_grow_memory_past_the_pending_limit(
    shop_key: ShopKey, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_module, "MAX_PENDING_GAPS", 3)
    from till.fiscal.records import Chain

    chain = Chain("order", SHOP, shop_key)
    records = [
        chain.append(sale_fields(n), START + timedelta(seconds=n)).as_json() for n in range(1, 40)
    ]
    verifier = ChainVerifier(keys)
    verifier.check(records[-1])
    for record in records[1:-1:2]:  # seqs 2, 4, 6, ... each splits the one big gap
        verifier.check(record)
        assert len(verifier._chains["order"].gaps) <= 3
    gaps = [d for d in verifier.finish() if d.kind is K.GAP]
    assert gaps
