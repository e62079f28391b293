"""Shop keys: identity, signing and verification, and clear errors for bad key text."""

from __future__ import annotations

import hashlib

import pytest

from till.fiscal.keys import InvalidKey, KeyRing, PublicKey, ShopKey, key_id_of


def test_a_generated_key_signs_what_its_public_key_verifies() -> None:
    key = ShopKey.generate()
    digest = hashlib.sha256(b"record").digest()
    signature = key.sign(digest)
    assert len(signature) == 64
    assert key.public_key.verify(digest, signature)
    assert not key.public_key.verify(hashlib.sha256(b"other").digest(), signature)
    assert not ShopKey.generate().public_key.verify(digest, signature)


def test_a_key_survives_its_seed_and_its_public_hex() -> None:
    key = ShopKey.generate()
    again = ShopKey.from_seed_hex(key.seed_hex())
    assert again.public_key == key.public_key
    assert PublicKey.from_hex(key.public_key.hex) == key.public_key
    assert key.key_id == key_id_of(bytes.fromhex(key.public_key.hex)) == again.key_id
    assert len(key.key_id) == 16


def test_rfc8032_test_vector_1() -> None:
    key = ShopKey.from_seed_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    assert key.public_key.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


@pytest.mark.parametrize(
    ("text", "needle"), [("zz" * 32, "not hexadecimal"), ("ab" * 31, "must be 32 bytes")]
)
def test_bad_key_text_is_refused_clearly(text: str, needle: str) -> None:
    with pytest.raises(InvalidKey) as raised:
        PublicKey.from_hex(text)
    assert needle in raised.value.message


def test_a_key_ring_finds_keys_by_id() -> None:
    old, new = ShopKey.generate(), ShopKey.generate()
    ring = KeyRing([old.public_key, new.public_key])
    assert ring.get(old.key_id) == old.public_key
    assert ring.get(new.key_id) == new.public_key
    assert ring.get("0" * 16) is None
    assert len(ring) == 2
