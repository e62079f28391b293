"""The Qt adapter of the till core's events: each event of `sync.events`, emitted on whatever
thread caused it, is re-emitted as a signal that lands on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from sync.events import (
    ChainAlarm,
    ChangeRolledBack,
    ConnectivityChanged,
    DraftImported,
    DraftRejected,
    Event,
    Events,
    OfflinePeriodReported,
    ResyncProgress,
    TicketChanged,
)
from ui.qt import QObject, Signal


class SyncSignals(QObject):
    connectivity_changed = Signal(object)
    ticket_changed = Signal(object)
    change_rolled_back = Signal(object)
    resync_progress = Signal(object)
    draft_imported = Signal(object)
    draft_rejected = Signal(object)
    offline_period_reported = Signal(object)
    chain_alarm = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._by_type = {
            ConnectivityChanged: self.connectivity_changed,
            TicketChanged: self.ticket_changed,
            ChangeRolledBack: self.change_rolled_back,
            ResyncProgress: self.resync_progress,
            DraftImported: self.draft_imported,
            DraftRejected: self.draft_rejected,
            OfflinePeriodReported: self.offline_period_reported,
            ChainAlarm: self.chain_alarm,
        }
        self._unsubscribe: Callable[[], None] | None = None

    def listen(self, events: Events) -> None:
        self.stop()
        self._unsubscribe = events.subscribe(self.relay)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def relay(self, event: Event) -> None:
        """Called on the emitting thread; Qt queues the signal to the GUI thread."""
        self._by_type[type(event)].emit(event)
