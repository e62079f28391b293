"""The receipt proof: a short signed line binding what the paper shows to the sealed record."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.printing.samples import KEY, breakfast, seal
from till.fiscal.keys import KeyRing, ShopKey
from till.fiscal.proof import InvalidProof, ReceiptProof, sign_receipt, verify_receipt

RING = KeyRing([KEY.public_key])


def test_a_signed_proof_verifies_and_names_the_receipt() -> None:
    record = seal(breakfast())
    text = sign_receipt(record, KEY)
    proof = verify_receipt(text, RING)
    assert proof == ReceiptProof.of(record)
    assert (proof.number, proof.total, proof.seq, proof.hash) == (
        "R1-000001",
        "20.80",
        1,
        record["hash"],
    )
    assert len(text) < 300  # small enough for a QR code on 58 mm paper


@pytest.mark.parametrize("index", range(1, 9))
def test_changing_any_field_breaks_it(index: int) -> None:
    parts = sign_receipt(seal(breakfast()), KEY).split(";")
    parts[index] = parts[index][:-1] + ("0" if parts[index][-1] != "0" else "1")
    with pytest.raises(InvalidProof):
        verify_receipt(";".join(parts), RING)


def test_another_shops_key_is_refused() -> None:
    text = sign_receipt(seal(breakfast()), KEY)
    with pytest.raises(InvalidProof, match="not a key of the shop"):
        verify_receipt(text, KeyRing([ShopKey.generate().public_key]))


@pytest.mark.parametrize("text", ["", "hello", "TILL1;a;b", "TILL2;" + ";" * 8])
def test_text_that_is_not_a_proof_is_refused(text: str) -> None:
    with pytest.raises(InvalidProof):
        verify_receipt(text, RING)


def test_only_the_sealing_key_signs_a_proof() -> None:
    record = seal(breakfast())
    with pytest.raises(InvalidProof, match="key that sealed"):
        sign_receipt(record, ShopKey.generate())


def test_an_unsealed_or_odd_record_has_no_proof() -> None:
    record = seal(breakfast())
    with pytest.raises(InvalidProof, match="not a sealed order"):
        ReceiptProof.of({k: v for k, v in record.items() if k != "hash"})
    with pytest.raises(InvalidProof, match="without ';'"):
        ReceiptProof.of({**record, "public_number": "R1;000001"})
    with pytest.raises(InvalidProof, match="not a record number"):
        ReceiptProof.of({**record, "seq": True})
    with pytest.raises(InvalidProof):
        ReceiptProof.of({**record, "final_price": 2080})


@pytest.mark.parametrize(
    "spelling",
    [
        lambda t: t.replace(";1;", ";\u00b2;"),  # a digit isdigit() accepts, int() refuses
        lambda t: t.replace(";1;", ";01;"),
        lambda t: t + " ",
        lambda t: " " + t,
        lambda t: t[: t.rindex(";") + 1] + t[t.rindex(";") + 1 :].upper(),
    ],
)
def test_a_proof_has_one_valid_spelling(spelling: Callable[[str], str]) -> None:
    text = sign_receipt(seal(breakfast()), KEY)
    with pytest.raises(InvalidProof):
        verify_receipt(spelling(text), RING)
