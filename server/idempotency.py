"""Idempotency keys: a mutating call sent again with the same `Idempotency-Key` gets the first
answer back and has no second effect, also after a server restart.

The answer is stored in the same transaction as the effect, so either both are committed or
neither is. Two requests with the same key at once are serialised (the second waits and replays);
validations, sealed in groups, find out under their shops' locks (`server.orders.validation`).
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
# Plain rows of the table, not ORM objects: an answer is read once, or stored and never read back,
# and the statements skip the ORM's machinery on the path of every change.
_ANSWERS = cast(Table, IdempotencyRecord.__table__)
_STORED = select(_ANSWERS.c.request_hash, _ANSWERS.c.status, _ANSWERS.c.body).where(
    _ANSWERS.c.scope == bindparam("scope"), _ANSWERS.c.key == bindparam("key")
)
_STORE = insert(_ANSWERS)


def _serialise(session: Session, scope: str, key: str) -> None:
    """Make a second request with this key wait for the first one's commit."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{scope}\0{key}".encode()).digest()[:8]
        session.execute(_LOCK, {"k": int.from_bytes(digest, "big", signed=True)})


def _stored(session: Session, scope: str, key: str) -> Row[str, int, str] | None:
    return session.execute(_STORED, {"scope": scope, "key": key}).first()


def _context(scope: str, key: str) -> str:
    return f"idempotency\0{scope}\0{key}"


def replay(
    session: Session,
    scope: str,
    key: str,
    fingerprint: str,
    *,
    secrets: Secrets | None = None,
) -> tuple[int, bytes] | None:
    """The answer kept for this key (status, body), or None; another request's key: refused."""
    stored = _stored(session, scope, key)
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise KeyReused()
    body = (
        stored.body.encode()
        if secrets is None
        else secrets.open_secret(stored.body, _context(scope, key))
    )
    return stored.status, body


def answer_row(
    scope: str,
    key: str,
    fingerprint: str,
    status: int,
    body: bytes,
    *,
    secrets: Secrets | None = None,
) -> dict[str, Any]:
    """The answer to keep for this key, as a row for `store`."""
    return {
        "scope": scope,
        "key": key,
        "request_hash": fingerprint,
        "status": status,
        "body": body.decode()
        if secrets is None
        else secrets.seal_secret(body, _context(scope, key)),
        "created_at": utc_now(),
    }


def store(session: Session, rows: list[dict[str, Any]]) -> None:
    """Keep answers (`answer_row`) in the caller's transaction, in one statement."""
    if rows:
        session.execute(_STORE, rows)


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
    if key is not None:
        _serialise(session, scope, key)
        replayed = replay(session, scope, key, fingerprint, secrets=secrets)
        if replayed is not None:
            session.rollback()
            return (*replayed, True)
    status, payload = produce()
    body = orjson.dumps(payload)
    try:
        if key is not None:
            store(session, [answer_row(scope, key, fingerprint, status, body, secrets=secrets)])
        session.commit()
    except IntegrityError:
        session.rollback()
        replayed = (
            None if key is None else replay(session, scope, key, fingerprint, secrets=secrets)
        )
        if replayed is None:
            raise
        return (*replayed, True)
    return status, body, False


def purge(session: Session, days: int) -> int:
    """Forget answers older than `days`: a till retries for minutes or hours, not months."""
    cutoff = utc_now() - timedelta(days=days)
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
