"""Sealing: the committed test vectors are reproduced exactly, and the envelope is enforced."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.till.fiscal import make_vectors
from till.fiscal.canonical import canonical_json
from till.fiscal.keys import KeyRing, PublicKey, ShopKey
from till.fiscal.records import GENESIS_HASH, Chain, ChainHead, SealingError, seal
from till.fiscal.verify import verify_records
from till.timestamps import InvalidTimestamp

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(make_vectors.VECTORS.read_text(encoding="utf-8"))
    return result


def test_the_code_reproduces_the_committed_vectors(vectors: dict[str, Any]) -> None:
    assert make_vectors.build() == vectors


def test_the_vectors_check_with_nothing_but_hashlib_json_and_pynacl(
    vectors: dict[str, Any],
) -> None:
    """The procedure docs/sealing.md gives auditors, applied to every vector record."""
    keys = {k["key_id"]: PublicKey.from_hex(k["public_key"]) for k in vectors["keys"]}
    for vector in vectors["records"]:
        record = dict(vector["record"])
        seal_ = {name: record.pop(name) for name in ("hash", "signature")}
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical == vector["canonical"]
        digest = hashlib.sha256(canonical.encode("utf-8")).digest()
        assert digest.hex() == seal_["hash"] == vector["sha256"]
        assert keys[record["key_id"]].verify(digest, bytes.fromhex(seal_["signature"]))


def test_the_vector_records_form_intact_chains(vectors: dict[str, Any]) -> None:
    ring = KeyRing(PublicKey.from_hex(k["public_key"]) for k in vectors["keys"])
    records = [v["record"] for v in vectors["records"]]
    assert list(verify_records(records, ring, shop=vectors["shop"])) == []


def test_canonical_vectors(vectors: dict[str, Any]) -> None:
    for case in vectors["canonical"]:
        assert canonical_json(case["value"]).hex() == case["canonical_utf8_hex"]


def test_the_worked_example_in_the_spec_is_the_vector(vectors: dict[str, Any]) -> None:
    spec = (make_vectors.VECTORS.parents[3] / "docs" / "sealing.md").read_text(encoding="utf-8")
    example = vectors["records"][1]
    assert canonical_json(example["record"]).decode("utf-8") in spec
    assert example["canonical"] in spec
    assert example["sha256"] in spec
    assert example["record"]["signature"] in spec


def test_a_chain_links_each_record_to_the_previous_one() -> None:
    chain = Chain("payment", "S1", ShopKey.generate())
    first = chain.append({"amount": "2.50"}, NOW)
    second = chain.append({"amount": "1.00"}, NOW)
    assert (first.seq, first.body["prev_hash"]) == (1, GENESIS_HASH)
    assert (second.seq, second.body["prev_hash"]) == (2, first.hash)
    assert chain.head == ChainHead(2, second.hash)
    assert second.as_json()["hash"] == second.hash


def test_a_chain_resumes_from_a_stored_head() -> None:
    key = ShopKey.generate()
    chain = Chain("event", "S1", key, head=ChainHead(41, "ab" * 32))
    record = chain.append({"type": "login"}, NOW)
    assert (record.seq, record.body["prev_hash"]) == (42, "ab" * 32)


@pytest.mark.parametrize(
    ("fields", "chain", "when", "error", "needle"),
    [
        ({"seq": 3}, "order", NOW, SealingError, "reserved"),
        ({"hash": "x"}, "order", NOW, SealingError, "reserved"),
        ({}, "sales", NOW, SealingError, "unknown chain"),
        ({"total": 1.5}, "order", NOW, SealingError, "floats"),
        ({}, "order", datetime(2026, 1, 1), InvalidTimestamp, "time zone"),
    ],
)
def test_sealing_refuses_what_cannot_be_sealed(
    fields: dict[str, Any], chain: str, when: datetime, error: type[Exception], needle: str
) -> None:
    with pytest.raises(error) as raised:
        seal(
            fields,
            chain=chain,
            shop="S1",
            after=ChainHead.genesis(),
            sealed_at=when,
            key=ShopKey.generate(),
        )
    assert needle in str(raised.value)


def test_a_refused_seal_leaves_the_chain_head_unchanged() -> None:
    chain = Chain("order", "S1", ShopKey.generate())
    chain.append({"n": 1}, NOW)
    head = chain.head
    with pytest.raises(SealingError):
        chain.append({"n": 0.5}, NOW)
    assert chain.head == head


def test_the_tampered_vectors_give_their_defects(vectors: dict[str, Any]) -> None:
    ring = KeyRing(PublicKey.from_hex(k["public_key"]) for k in vectors["keys"])
    for case in vectors["tampered"]:
        found = [
            {"kind": d.kind.value, "position": d.position}
            for d in verify_records(case["records"], ring, shop=vectors["shop"])
        ]
        assert found == case["defects"], case["name"]
