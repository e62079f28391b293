"""Work that may wait (the server, the disk, the printer) runs as an operation on a worker thread;
its `on_success` or `on_failure` then runs on the GUI thread, which never waits itself.

Threading rules of the screen: widgets are touched on the GUI thread only. A worker gets plain
values, returns plain values, and never touches a widget; its result comes back through a
queued signal of a relay object that lives on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from till.errors import TillError
from ui.qt import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("till.ui")

T = TypeVar("T")
Failure = Callable[[BaseException], None]


class _Relay(QObject):
    finished = Signal(object, object)  # result, error


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work = work
        self.relay = relay

    def run(self) -> None:
        try:
            result, error = self.work(), None
        except Exception as failure:  # handed to on_failure on the GUI thread
            result, error = None, failure
        self.relay.finished.emit(result, error)


class Operations(QObject):
    """Runs operations on a pool; `threads=1` makes a queue (the printer prints one at a time)."""

    busy_changed = Signal(bool)

    def __init__(self, on_failure: Failure, threads: int = 4) -> None:
        super().__init__()
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)
        self.on_failure = on_failure
        self._running: set[_Relay] = set()

    @property
    def idle(self) -> bool:
        return not self._running

    def run(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None] | None = None,
        on_failure: Failure | None = None,
    ) -> None:
        relay = _Relay()
        self._running.add(relay)
        if len(self._running) == 1:
            self.busy_changed.emit(True)

        def finished(result: Any, error: BaseException | None) -> None:
            self._running.discard(relay)
            if not self._running:
                self.busy_changed.emit(False)
            if error is not None:
                if not isinstance(error, TillError):
                    log.error("an operation failed", exc_info=error)
                (on_failure or self.on_failure)(error)
            elif on_success is not None:
                on_success(result)

        relay.finished.connect(finished)
        self.pool.start(_Job(work, relay))

    def wait(self) -> None:
        """For an orderly exit only: waits for the workers (never called while the UI runs)."""
        self.pool.waitForDone()
