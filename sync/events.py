"""What the till's core announces: plain event objects on one bus, so the screen listens instead of
polling. Listeners run in the thread that emits (a ticket's sender, the heartbeat, a re-sync): the
Qt adapter re-emits each event as a signal, which lands on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

log = logging.getLogger("till.sync")


@dataclass(frozen=True)
class ConnectivityChanged:
    online: bool
    reason: str


@dataclass(frozen=True)
class TicketChanged:
    """The ticket's screen state: the server's order, and the changes still on their way."""

    ticket_id: str
    order: dict[str, Any]
    pending: tuple[str, ...]  # labels of the changes not acknowledged yet, in order
    out_of_step: bool


@dataclass(frozen=True)
class ChangeRolledBack:
    """A change of a ticket did not happen: it is gone from the screen, for this reason."""

    ticket_id: str
    label: str
    code: str
    message: str


@dataclass(frozen=True)
class ResyncProgress:
    done: int
    total: int


@dataclass(frozen=True)
class DraftImported:
    draft_id: str
    order_id: str | None
    late: bool


@dataclass(frozen=True)
class DraftRejected:
    draft_id: str
    code: str
    message: str


@dataclass(frozen=True)
class OfflinePeriodReported:
    started_at: str
    ended_at: str
    drafts: int


@dataclass(frozen=True)
class ChainAlarm:
    """The server showed a chain head that contradicts one it showed before (it went back, or holds
    another record at the same place), or heads whose signature does not verify."""

    shop_id: str
    chain: str
    kind: str
    message: str
    remembered: dict[str, Any] | None
    shown: dict[str, Any] | None


Event: TypeAlias = (
    ConnectivityChanged
    | TicketChanged
    | ChangeRolledBack
    | ResyncProgress
    | DraftImported
    | DraftRejected
    | OfflinePeriodReported
    | ChainAlarm
)
Listener: TypeAlias = Callable[[Event], None]


class Events:
    """A bus any thread may emit on; a listener that fails is logged, the others still run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: tuple[Listener, ...] = ()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns what unsubscribes it."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = tuple(item for item in self._listeners if item is not listener)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("an event listener failed on %s", type(event).__name__)
