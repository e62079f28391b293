"""Shop signing keys at rest: each Ed25519 seed encrypted with a master key kept outside the
database.

The master key is 32 bytes, from `TILL_MASTER_KEY` (hex) or a file (`TILL_MASTER_KEY_FILE`, by
default `master.key` in the data folder, created on first start with mode 0600). Each seed is
sealed with XChaCha20-Poly1305, its shop and key id as associated data, so a sealed seed copied onto
another shop's row does not open.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.db import Database
from server.errors import ApiError
from server.shops.models import ShopKey
from till.fiscal.keys import KeyRing, PublicKey, exact_hex
from till.fiscal.keys import ShopKey as SigningKey
from till.timestamps import utc_now

MASTER_KEY_BYTES = 32
NONCE_BYTES = 24
_ACTIVE_KEY = select(ShopKey).where(
    ShopKey.shop_id == bindparam("shop_id"), ShopKey.retired_at.is_(None)
)


class MasterKeyError(ApiError):
    code = "master_key_error"
    status = 500


def load_master_key(value: str | None, path: Path, *, create: bool) -> bytes:
    """The master key from `value` (hex), else from `path`, created there when `create`."""
    if value:
        key = exact_hex(value.strip(), MASTER_KEY_BYTES)
        if key is None:
            raise MasterKeyError("TILL_MASTER_KEY must be 64 hexadecimal characters (32 bytes).")
        return key
    if not path.exists():
        if not create:
            raise MasterKeyError(f"The master key file {path} does not exist.")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(MASTER_KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
    key = exact_hex(path.read_text().strip(), MASTER_KEY_BYTES)
    if key is None:
        raise MasterKeyError(f"The master key file {path} does not hold 64 hexadecimal characters.")
    return key


def open_key_store(master_key: str | None, master_key_file: Path, database: Database) -> KeyStore:
    """The deployment's key store, checked against its (migrated) database at start rather than
    at the first sale: the master key must open the shops' keys. A master key file is created
    only for an embedded database that has no keys yet, never beside keys it could not open."""
    with database.reader() as session:
        sample = session.scalars(select(ShopKey).order_by(ShopKey.key_id).limit(1)).first()
    if not master_key and sample is not None and not master_key_file.exists():
        raise MasterKeyError(
            f"The master key file {master_key_file} is missing, and this database holds shop "
            "keys sealed with it: restore it from its backup (or set TILL_MASTER_KEY)."
        )
    master = load_master_key(
        master_key, master_key_file, create=database.is_sqlite and sample is None
    )
    store = KeyStore(master)
    if sample is not None:
        store.open(sample)
    return store


class KeyStore:
    """Creates, seals and opens shop keys; opened keys are kept in memory for this process."""

    def __init__(self, master_key: bytes) -> None:
        self._master = master_key
        self._opened: dict[str, SigningKey] = {}
        self._lock = threading.Lock()

    def create(self, session: Session, shop_id: str) -> SigningKey:
        """A new key for the shop; an older one is retired but stays to verify old records."""
        key = SigningKey.generate()
        now = utc_now()
        for old in session.scalars(
            select(ShopKey).where(ShopKey.shop_id == shop_id, ShopKey.retired_at.is_(None))
        ):
            old.retired_at = now
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
            bytes.fromhex(key.seed_hex()), _context(shop_id, key.key_id), nonce, self._master
        )
        session.add(
            ShopKey(
                key_id=key.key_id,
                shop_id=shop_id,
                public_key=key.public_key.hex,
                encrypted_seed=(nonce + sealed).hex(),
                created_at=now,
            )
        )
        session.flush()
        with self._lock:
            self._opened[key.key_id] = key
        return key

    def signing_key(self, session: Session, shop_id: str) -> SigningKey:
        row = session.scalars(_ACTIVE_KEY, {"shop_id": shop_id}).one_or_none()
        if row is None:
            raise MasterKeyError(f"Shop {shop_id} has no signing key.")
        return self.open(row)

    def open(self, row: ShopKey) -> SigningKey:
        with self._lock:
            opened = self._opened.get(row.key_id)
        if opened is not None:
            return opened
        blob = bytes.fromhex(row.encrypted_seed)
        try:
            seed = crypto_aead_xchacha20poly1305_ietf_decrypt(
                blob[NONCE_BYTES:],
                _context(row.shop_id, row.key_id),
                blob[:NONCE_BYTES],
                self._master,
            )
        except CryptoError as error:
            raise MasterKeyError(
                f"The signing key of shop {row.shop_id} does not open with this master key: "
                "is this the master key this database was set up with?"
            ) from error
        key = SigningKey(seed)
        if key.key_id != row.key_id:
            raise MasterKeyError(
                f"The signing key of shop {row.shop_id} does not match its key id."
            )
        with self._lock:
            self._opened[row.key_id] = key
        return key

    def mac(self, data: bytes, purpose: bytes) -> str:
        """A keyed hash (BLAKE2b keyed with the master key, `purpose` at most 16 bytes): without
        the master key it cannot be recomputed, so what it covers cannot be guessed back."""
        return hashlib.blake2b(data, digest_size=32, key=self._master, person=purpose).hexdigest()

    def seal_secret(self, data: bytes, context: str) -> str:
        """Encrypt a secret that must be kept (an answer holding a token) with the master key."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
            data, context.encode(), nonce, self._master
        )
        return (nonce + sealed).hex()

    def open_secret(self, blob_hex: str, context: str) -> bytes:
        blob = bytes.fromhex(blob_hex)
        try:
            return crypto_aead_xchacha20poly1305_ietf_decrypt(
                blob[NONCE_BYTES:], context.encode(), blob[:NONCE_BYTES], self._master
            )
        except CryptoError as error:
            raise MasterKeyError("A stored secret does not open with this master key.") from error


def public_keys(session: Session, shop_id: str) -> list[ShopKey]:
    return list(
        session.scalars(
            select(ShopKey).where(ShopKey.shop_id == shop_id).order_by(ShopKey.created_at)
        )
    )


def key_ring(session: Session, shop_id: str) -> KeyRing:
    return KeyRing(PublicKey.from_hex(row.public_key) for row in public_keys(session, shop_id))


def _context(shop_id: str, key_id: str) -> bytes:
    return f"till-shop-key\x00{shop_id}\x00{key_id}".encode()
