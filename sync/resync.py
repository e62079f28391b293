"""Re-sync after an outage: the offline periods go to the server's journal, then the drafts are
imported in batches, idempotently and resumably, with progress for a progress bar.

A draft is deleted here only once the server has said it holds it (imported now, or already
imported before); a crash at any moment at most sends a batch again, which the server answers
without a second import: drafts are imported once by their id. Each batch keeps its
Idempotency-Key across the retries of its call, and gets a new one at the next attempt, so that a
draft refused once (a closed register) is really tried again, not answered from memory.
A batch the server refuses as a whole (a draft it cannot read) is split until the culprit is found;
drafts the server refuses stay here, marked with its reason, and are tried again at the next
re-sync (a closed register, for instance, is a reason that goes away). An empty draft (a ticket
started offline, with nothing put on it) is dropped, never sent: it would be an empty order.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson

from sync.client import ApiClient
from sync.drafts import Draft, DraftStore
from sync.errors import ApiError, Rejected
from sync.events import (
    DraftImported,
    DraftRejected,
    Events,
    OfflinePeriodReported,
    ResyncProgress,
)
from sync.offline import OFFLINE_PERIOD
from sync.store import LocalStore
from sync.ticket import is_empty

log = logging.getLogger("till.sync")

BATCH = 100
BATCH_BYTES = 1_000_000  # well below the server's 4 MiB body limit
CONFIRMED = ("imported", "already_imported")

_Item = tuple[Draft, dict[str, Any]]  # a draft and its import form


@dataclass
class ResyncReport:
    total: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    periods_reported: int = 0
    periods_waiting: int = 0
    late: list[str] = field(default_factory=list)  # drafts imported after the 20-hour window
    dropped: int = 0  # empty drafts, never sent


class Resync:
    """One re-sync at a time; `run` is safe to call again at any moment, it goes on from where
    the previous one stopped."""

    def __init__(
        self,
        client: ApiClient,
        drafts: DraftStore,
        store: LocalStore,
        events: Events,
        *,
        batch_size: int = BATCH,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        if not 1 <= batch_size <= 500:
            raise ValueError("a batch holds 1 to 500 drafts (the server's limit)")
        self._client = client
        self._drafts = drafts
        self._store = store
        self._events = events
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self._running = threading.Lock()

    @property
    def running(self) -> bool:
        return self._running.locked()

    def needed(self) -> bool:
        return bool(self._store.outbox(OFFLINE_PERIOD)) or self._drafts.count(None) > 0

    def run(self) -> ResyncReport:
        """Report the offline periods, then import every draft. Stops at the first call without
        an answer (`ServerUnreachable`) or refused for this till (not logged in...), with what
        was confirmed so far deleted and the rest kept for the next run."""
        with self._running:
            report = ResyncReport()
            self._report_periods(report)
            self._drafts.retry_rejected()
            report.total = self._drafts.count()
            done = 0
            self._events.emit(ResyncProgress(0, report.total))
            after = 0
            while True:
                rows = self._drafts.pending_after(after, self.batch_size)
                if not rows:
                    break
                empty = [draft.id for _, draft in rows if is_empty(draft.to_import())]
                if empty:
                    # A ticket started offline and left with nothing on it: no order to make.
                    for draft_id in empty:
                        self._drafts.discard(draft_id)
                    report.total -= len(empty)
                    report.dropped += len(empty)
                    continue
                after, batch = self._fit(rows)
                self._import(batch, report)
                done += len(batch)
                self._events.emit(ResyncProgress(min(done, report.total), report.total))
            return report

    def _fit(self, rows: list[tuple[int, Draft]]) -> tuple[int, list[_Item]]:
        """The first drafts whose import body stays under the byte budget (one at least), each
        with its import form; and the number of the last one taken."""
        size = 0
        items: list[_Item] = []
        last = rows[0][0]
        for seq, draft in rows:
            form = draft.to_import()
            size += len(orjson.dumps(form))
            if size > self.batch_bytes and items:
                break
            items.append((draft, form))
            last = seq
        return last, items

    def _import(self, items: list[_Item], report: ResyncReport) -> None:
        drafts = [draft for draft, _ in items]
        try:
            answer = self._client.call(
                "POST", "/drafts/import", {"drafts": [form for _, form in items]}
            )
        except Rejected as error:
            if len(items) > 1:
                # The server read none of the batch: find which draft it cannot read.
                middle = len(items) // 2
                self._import(items[:middle], report)
                self._import(items[middle:], report)
                return
            self._settle([], {drafts[0].id: {"code": error.code, "message": error.message}})
            report.rejected += 1
            return
        confirmed: list[str] = []
        rejected: dict[str, dict[str, str]] = {}
        sent = {draft.id for draft in drafts}
        for result in answer.body.get("results", []):
            draft_id = result.get("draft_id")
            if draft_id not in sent:
                continue
            status = result.get("status")
            if status in CONFIRMED:
                confirmed.append(draft_id)
                if status == "imported":
                    report.imported += 1
                else:
                    report.already_imported += 1
                if result.get("late"):
                    report.late.append(draft_id)
            else:
                reason = result.get("error") or {}
                rejected[draft_id] = {
                    "code": str(reason.get("code", "rejected")),
                    "message": str(reason.get("message", "The server refused this draft.")),
                }
                report.rejected += 1
        self._settle(confirmed, rejected)
        for result in answer.body.get("results", []):
            if result.get("draft_id") in confirmed:
                self._events.emit(
                    DraftImported(
                        result["draft_id"], result.get("order_id"), bool(result.get("late"))
                    )
                )

    def _settle(self, confirmed: list[str], rejected: dict[str, dict[str, str]]) -> None:
        self._drafts.settle(confirmed, rejected)
        for draft_id, error in rejected.items():
            log.warning("draft %s refused by the server: %s", draft_id, error["message"])
            self._events.emit(DraftRejected(draft_id, error["code"], error["message"]))

    def _report_periods(self, report: ResyncReport) -> None:
        for key, body in self._store.outbox(OFFLINE_PERIOD):
            try:
                self._client.call("POST", "/offline-periods", body, key=key)
            except ApiError as error:
                # Kept and sent again at the next re-sync: the journal must get every period.
                log.warning("offline period not accepted yet: %s", error.message)
                self._store.not_sent(key, f"{error.code}: {error.message}")
                report.periods_waiting += 1
                continue
            self._store.sent(key)
            report.periods_reported += 1
            self._events.emit(
                OfflinePeriodReported(body["started_at"], body["ended_at"], body["drafts"])
            )

    def left(self) -> dict[str, int]:
        """What is left to send, for the screen."""
        return {
            "drafts": self._drafts.count(),
            "refused_drafts": self._drafts.count("rejected"),
            "offline_periods": len(self._store.outbox(OFFLINE_PERIOD)),
        }
