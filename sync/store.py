"""The till's local SQLite file: the drafts made offline, and the few facts the till must remember
between runs (the offline window's count, the chain heads it was shown, the shop's public keys, the
catalog it last read, reports waiting to reach the server). No order, payment or number is kept.

WAL with `synchronous=FULL`: a committed draft survives a power cut. A file that cannot be read is
never repaired or overwritten: it is moved aside, as it is, with its WAL, and the till says so.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from platformdirs import user_data_path

from sync.errors import StoreFailed, StoreUnreadable

FILE_NAME = "drafts.sqlite3"
APPLICATION_ID = 0x54_49_4C_4C  # "TILL": tells this till's store from any other SQLite file
SCHEMA_VERSION = 1
_HEADER = b"SQLite format 3\x00"
_BUSY_MS = 10_000

_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE drafts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order drafts were made in, the import order
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    register_id TEXT NOT NULL,
    user_id TEXT,
    delivery_method TEXT NOT NULL,
    table_name TEXT,
    covers INTEGER,
    customer_account TEXT,
    public_note TEXT NOT NULL,
    private_note TEXT NOT NULL,
    order_discount TEXT,
    -- Provisional totals from the fiscal core, in cents, for the drafts list.
    final_price INTEGER NOT NULL,
    total_vat INTEGER NOT NULL,
    article_count INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'rejected')),
    rejection TEXT
);

CREATE TABLE draft_lines (
    draft_id TEXT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    id TEXT NOT NULL,
    article_id TEXT,
    label TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price INTEGER NOT NULL,
    vat_rate TEXT NOT NULL,
    vat_take_away TEXT,
    department_id TEXT,
    discount TEXT,
    PRIMARY KEY (draft_id, position)
) WITHOUT ROWID;

CREATE TABLE outbox (
    key TEXT PRIMARY KEY,  -- the Idempotency-Key it is sent with, every time
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_error TEXT
) WITHOUT ROWID;
"""


def default_path() -> Path:
    """In the user data folder: `~/.local/share/till` on Linux, `%LOCALAPPDATA%\\till` on
    Windows, `~/Library/Application Support/till` on macOS."""
    return user_data_path("till", appauthor=False) / FILE_NAME


class _Unreadable(Exception):
    pass


def _inspect(path: Path) -> None:
    """Check an existing file without writing to it: SQLite, this till's, intact."""
    try:
        with path.open("rb") as file:
            header = file.read(len(_HEADER))
    except OSError as error:
        raise _Unreadable(error.strerror or str(error)) from None
    if header == b"" and not Path(f"{path}-wal").exists():
        return  # an empty file: a store that was never written to
    if header != _HEADER:
        raise _Unreadable("it is not an SQLite database")
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise _Unreadable(str(error)) from None
    try:
        application_id = probe.execute("PRAGMA application_id").fetchone()[0]
        version = probe.execute("PRAGMA user_version").fetchone()[0]
        if application_id != APPLICATION_ID:
            raise _Unreadable("it is an SQLite database, but not a till's draft store")
        if version > SCHEMA_VERSION:
            raise StoreFailed(
                f"The till's local store {path} was written by a newer version of the till "
                "software: update this till (the file was left as it is)."
            )
        problems = [row[0] for row in probe.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise _Unreadable(f"damaged: {problems[0]}")
    except sqlite3.Error as error:
        raise _Unreadable(str(error)) from None
    finally:
        probe.close()


def _move_aside(path: Path, moment: datetime) -> Path:
    """Rename the file and its WAL and shared-memory files to one free name beside it."""
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.unreadable-{stamp}")
    counter = 1
    while kept.exists():
        counter += 1
        kept = path.with_name(f"{path.name}.unreadable-{stamp}-{counter}")
    os.replace(path, kept)
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            os.replace(companion, Path(f"{kept}{suffix}"))
    return kept


class LocalStore:
    """One connection, shared by the till's threads under a lock; every write is one transaction."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | None = None) -> LocalStore:
        """Open (or create) the store. A file that cannot be read is moved aside untouched and
        `StoreUnreadable` says where; opening again then starts an empty store."""
        path = path or default_path()
        if path.exists():
            if not path.is_file():
                raise StoreUnreadable(
                    f"The till's local store {path} is not a file; move it away and restart.", None
                )
            try:
                _inspect(path)
            except _Unreadable as problem:
                cls._keep_aside(path, str(problem))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=_BUSY_MS / 1000
            )
            for pragma in (
                "journal_mode=WAL",
                "synchronous=FULL",
                "foreign_keys=ON",
                f"busy_timeout={_BUSY_MS}",
            ):
                connection.execute(f"PRAGMA {pragma}")
        except sqlite3.Error as error:
            raise StoreFailed(f"The till's local store {path} cannot be opened: {error}.") from None
        store = cls(path, connection)
        store._migrate()
        return store

    @staticmethod
    def _keep_aside(path: Path, problem: str) -> None:
        try:
            kept = _move_aside(path, datetime.now(UTC))
        except OSError as error:
            raise StoreUnreadable(
                f"The till's local store {path} cannot be read ({problem}) and could not be moved "
                f"aside ({error.strerror or error}). Nothing was written to it; move it away, then "
                "restart the till, and keep the file for support.",
                None,
            ) from None
        raise StoreUnreadable(
            f"The till's local store could not be read ({problem}). It was kept as it was, as "
            f"{kept}, for support to recover its drafts; the till starts again with an empty "
            "store.",
            str(kept),
        )

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (`BEGIN IMMEDIATE`), committed at the end."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                raise self._failed(error) from None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as error:
                raise self._failed(error) from None

    def _failed(self, error: sqlite3.Error) -> StoreFailed:
        return StoreFailed(
            f"The till's local store {self.path} failed ({error}); what it held is kept. Restart "
            "the till; if this happens again, call support."
        )

    # ------------------------------------------------------------------------ facts

    def get(self, key: str) -> Any:
        with self.reading() as db:
            return self.fetch(db, key)

    @staticmethod
    def fetch(db: sqlite3.Connection, key: str) -> Any:
        """Within a transaction: what is remembered under `key` (JSON), or None."""
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return orjson.loads(row[0]) if row else None

    @staticmethod
    def put(db: sqlite3.Connection, key: str, value: Any) -> None:
        """Within a transaction: remember `value` (JSON) under `key`; None forgets it."""
        if value is None:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, orjson.dumps(value).decode()),
            )

    def set(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            self.put(db, key, value)

    # ------------------------------------------------------------------------ outbox

    @staticmethod
    def enqueue(db: sqlite3.Connection, key: str, kind: str, body: Any, created_at: str) -> None:
        """Within a transaction: a call that must reach the server, persisted before it is sent."""
        db.execute(
            "INSERT INTO outbox (key, kind, body, created_at) VALUES (?, ?, ?, ?)",
            (key, kind, orjson.dumps(body).decode(), created_at),
        )

    def outbox(self, kind: str) -> list[tuple[str, Any]]:
        """(key, body) of the calls of this kind waiting for the server, oldest first."""
        with self.reading() as db:
            rows = db.execute(
                "SELECT key, body FROM outbox WHERE kind = ? ORDER BY created_at, key", (kind,)
            ).fetchall()
        return [(key, orjson.loads(body)) for key, body in rows]

    def sent(self, key: str) -> None:
        """The server acknowledged this call: forget it."""
        with self.transaction() as db:
            db.execute("DELETE FROM outbox WHERE key = ?", (key,))

    def not_sent(self, key: str, error: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET last_error = ? WHERE key = ?", (error, key))

    def close(self) -> None:
        with self._lock:
            self._db.close()
