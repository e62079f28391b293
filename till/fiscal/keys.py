"""Ed25519 keys of a shop (PyNaCl): generate, identify, sign a record's hash, verify a signature.

A key is identified by `key_id`, the first 16 hex digits of SHA-256 of its 32-byte public key, so
that records name the key that sealed them and a rotated key stays verifiable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from till.errors import TillError


class InvalidKey(TillError):
    code = "invalid_key"


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def exact_hex(text: object, size: int) -> bytes | None:
    """The bytes of `text` when it is exactly their lower-case hex spelling (one spelling only)."""
    if not isinstance(text, str):
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if len(raw) == size and raw.hex() == text else None


def _bytes_from_hex(text: str, length: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise InvalidKey(f"{what} is not hexadecimal") from None
    if len(raw) != length:
        raise InvalidKey(f"{what} must be {length} bytes ({2 * length} hex digits), not {len(raw)}")
    return raw


class PublicKey:
    """A shop's public key: what anyone needs to check its seals."""

    __slots__ = ("_verify_key", "hex", "key_id")

    def __init__(self, raw: bytes) -> None:
        self._verify_key = VerifyKey(raw)
        self.hex = raw.hex()
        self.key_id = key_id_of(raw)

    @classmethod
    def from_hex(cls, text: str) -> PublicKey:
        return cls(_bytes_from_hex(text, 32, "a public key"))

    def verify(self, digest: bytes, signature: bytes) -> bool:
        try:
            self._verify_key.verify(digest, signature)
        except BadSignatureError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other.hex == self.hex

    def __hash__(self) -> int:
        return hash(self.hex)

    def __repr__(self) -> str:
        return f"PublicKey({self.key_id})"


class ShopKey:
    """A shop's private signing key. Its seed never goes into the same store as the data."""

    __slots__ = ("_signing_key", "public_key")

    def __init__(self, seed: bytes) -> None:
        self._signing_key = SigningKey(seed)
        self.public_key = PublicKey(bytes(self._signing_key.verify_key))

    @classmethod
    def generate(cls) -> ShopKey:
        return cls(bytes(SigningKey.generate()))

    @classmethod
    def from_seed_hex(cls, text: str) -> ShopKey:
        return cls(_bytes_from_hex(text, 32, "a private key seed"))

    @property
    def key_id(self) -> str:
        return self.public_key.key_id

    def seed_hex(self) -> str:
        return bytes(self._signing_key).hex()

    def sign(self, digest: bytes) -> bytes:
        return self._signing_key.sign(digest).signature

    def __repr__(self) -> str:
        return f"ShopKey({self.key_id})"


class KeyRing:
    """The public keys a verifier trusts, by key id: the current key and every rotated one."""

    def __init__(self, keys: Iterable[PublicKey] = ()) -> None:
        self._keys: dict[str, PublicKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: PublicKey) -> None:
        self._keys[key.key_id] = key

    def get(self, key_id: str) -> PublicKey | None:
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)
