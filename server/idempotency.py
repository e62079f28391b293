"""Idempotency keys: a mutating call sent again with the same `Idempotency-Key` gets the first
answer back and has no second effect, also after a server restart.

The answer is stored in the same transaction as the effect, so either both are committed or
neither is. Two requests with the same key at once are serialised (the second waits and replays).
Error answers are not stored: nothing happened, so the call may simply be tried again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import orjson
from sqlalchemy import Row, String, Table, Text, bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import Base
from server.errors import Conflict, Invalid
from till.timestamps import utc_now

MAX_KEY = 200
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class KeyReused(Conflict):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used for a different request.")


class Secrets(Protocol):
    def seal_secret(self, data: bytes, context: str) -> str: ...
    def open_secret(self, blob_hex: str, context: str) -> bytes: ...
    def mac(self, data: bytes, purpose: bytes) -> str: ...


def request_hash(secrets: Secrets, method: str, path: str, body: bytes) -> str:
    """What tells a replay from another request under the same key. Keyed: a body may hold a
    short PIN, which anyone holding a plain hash of it would find back by trying them all."""
    return secrets.mac(b"\0".join([method.encode(), path.encode(), body]), b"till-idempotency")


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise Invalid(f"An Idempotency-Key is 1 to {MAX_KEY} printable ASCII characters.")
    return key


_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
# Plain rows, not ORM objects: an answer is read once, or stored and never read back.
_STORED = select(
    IdempotencyRecord.request_hash, IdempotencyRecord.status, IdempotencyRecord.body
).where(IdempotencyRecord.scope == bindparam("scope"), IdempotencyRecord.key == bindparam("key"))
_STORE = insert(cast(Table, IdempotencyRecord.__table__))


def _serialise(session: Session, scope: str, key: str) -> None:
    """Make a second request with this key wait for the first one's commit."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{scope}\0{key}".encode()).digest()[:8]
        session.execute(_LOCK, {"k": int.from_bytes(digest, "big", signed=True)})


def _stored(session: Session, scope: str, key: str) -> Row[str, int, str] | None:
    return session.execute(_STORED, {"scope": scope, "key": key}).first()


def once(
    session: Session,
    scope: str,
    key: str | None,
    fingerprint: str,
    produce: Callable[[], tuple[int, Any]],
    *,
    secrets: Secrets | None = None,
) -> tuple[int, bytes, bool]:
    """Run `produce` and commit, unless this key already has an answer: (status, body, replayed).

    An answer that holds a secret (a token, an enrollment code) is stored encrypted by `secrets`.
    """

    def stored_body(stored: Row[str, int, str]) -> bytes:
        saved = stored[2]
        if secrets is None:
            return saved.encode()
        return secrets.open_secret(saved, f"idempotency\0{scope}\0{key}")

    if key is not None:
        _serialise(session, scope, key)
        stored = _stored(session, scope, key)
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise KeyReused()
            status, body = stored.status, stored_body(stored)
            session.rollback()
            return status, body, True
    status, payload = produce()
    body = orjson.dumps(payload)
    try:
        if key is not None:
            answer = {
                "scope": scope,
                "key": key,
                "request_hash": fingerprint,
                "status": status,
                "body": (
                    secrets.seal_secret(body, f"idempotency\0{scope}\0{key}")
                    if secrets is not None
                    else body.decode()
                ),
                "created_at": utc_now(),
            }
            session.execute(_STORE, answer)
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = _stored(session, scope, key) if key is not None else None
        if stored is None:
            raise
        return stored.status, stored_body(stored), True
    return status, body, False


def purge(session: Session, days: int) -> int:
    """Forget answers older than `days`: a till retries for minutes or hours, not months."""
    cutoff = utc_now() - timedelta(days=days)
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
