"""Offline work: drafts made while the server cannot be reached, within the 20-hour window, and
the offline period they belong to, which is reported to the server's journal once it is back.

An offline period starts at the last confirmed contact with the server and ends at the first
answer after it. It is put in the outbox when it ends (and sent with the re-sync) when drafts
were made during it or it lasted at least `REPORTED_AFTER`: a blip of a few seconds is not one.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from typing import Any

from sync.client import new_key
from sync.clock import Clock
from sync.connectivity import Connectivity
from sync.drafts import Draft, DraftStore
from sync.errors import OnlineOnly
from sync.store import LocalStore
from sync.window import OfflineWindow
from till.order import DeliveryMethod
from till.timestamps import from_utc_iso, to_utc_iso

WINDOW = "offline_window"  # what the store remembers: the window's count,
PERIOD = "offline_period"  # and the period in progress
OFFLINE_PERIOD = "offline_period"  # the outbox's kind of call, once the period ended
REPORTED_AFTER = timedelta(seconds=60)


class OfflineWork:
    """What the cashier may do offline, and the bookkeeping of the period it is done in."""

    def __init__(
        self,
        store: LocalStore,
        drafts: DraftStore,
        window: OfflineWindow,
        connectivity: Connectivity,
        clock: Clock,
        register_id: str | None = None,
    ) -> None:
        self._store = store
        self._drafts = drafts
        self._window = window
        self._connectivity = connectivity
        self._clock = clock
        self._register_id = register_id
        self._lock = threading.Lock()

    def use_register(self, register_id: str) -> None:
        """The register offline periods are reported for, once chosen on the screen."""
        self._register_id = register_id

    # ------------------------------------------------------------------------ drafts

    def _allowed(self) -> None:
        if self._connectivity.online:
            raise OnlineOnly()
        self._window.check(self._drafts.count(None))

    def new_draft(
        self,
        register_id: str,
        user_id: str | None,
        delivery_method: DeliveryMethod = DeliveryMethod.EAT_IN,
        **fields: Any,
    ) -> Draft:
        """A new, empty draft, kept at once; refused online and past the window."""
        self._allowed()
        now = self._clock.wall()
        draft = Draft(
            created_at=now,
            updated_at=now,
            register_id=register_id,
            user_id=user_id,
            delivery_method=delivery_method,
            **fields,
        )
        with self._lock, self._store.transaction() as db:
            self._drafts.save(draft, db)
            period = self._open_period(db)
            period["drafts"] += 1
            self._store.put(db, PERIOD, period)
            self._store.put(db, WINDOW, self._window.snapshot())
        return draft

    def save(self, draft: Draft) -> Draft:
        """Keep a changed draft; refused online and past the window (the draft as it was stays)."""
        self._allowed()
        saved = draft.changed(updated_at=self._clock.wall())
        with self._lock, self._store.transaction() as db:
            self._drafts.save(saved, db)
            self._store.put(db, WINDOW, self._window.snapshot())
        return saved

    def discard(self, draft_id: str) -> None:
        """The cashier drops a draft (the customer left): it was never an order."""
        self._drafts.discard(draft_id)

    # ------------------------------------------------------------------------ the period

    def _open_period(self, db: sqlite3.Connection) -> dict[str, Any]:
        period: dict[str, Any] | None = self._store.fetch(db, PERIOD)
        if period is not None:
            return period
        started = self._window.last_contact or self._clock.wall()
        return {"started_at": to_utc_iso(started), "drafts": 0}

    def went_offline(self) -> None:
        """The server stopped answering: the period starts at the last contact."""
        with self._lock, self._store.transaction() as db:
            self._store.put(db, PERIOD, self._open_period(db))
            self._store.put(db, WINDOW, self._window.snapshot())

    def came_back(self) -> bool:
        """The server answers again: the period ends now and goes into the outbox (when it is
        worth a report); True when there is one to send."""
        now = self._clock.wall()
        with self._lock, self._store.transaction() as db:
            self._store.put(db, WINDOW, self._window.snapshot())
            period = self._store.fetch(db, PERIOD)
            if period is None:
                return False
            self._store.put(db, PERIOD, None)
            started = from_utc_iso(period["started_at"])
            # A clock wound back during the period would make it end before it starts.
            ended = max(now, started)
            if period["drafts"] == 0 and ended - started < REPORTED_AFTER:
                return False
            body = {
                "register_id": self._register_id,
                "started_at": to_utc_iso(started),
                "ended_at": to_utc_iso(ended),
                "drafts": period["drafts"],
            }
            self._store.enqueue(db, new_key(), OFFLINE_PERIOD, body, to_utc_iso(now))
            return True

    def save_window(self) -> None:
        """Keep the window's count, so a restart cannot forget offline time."""
        self._store.set(WINDOW, self._window.snapshot())
