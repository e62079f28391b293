"""Work that may wait (the server, the disk, the printer) runs as an operation on a worker thread;
its `on_success` or `on_failure` then runs on the GUI thread, which never waits itself.

Threading rules of the screen: widgets are touched on the GUI thread only. A worker gets plain
values, returns plain values, and never touches a widget; its result comes back through a
queued signal of an object that lives on the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from till.errors import TillError
from ui.qt import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("till.ui")

T = TypeVar("T")
Failure = Callable[[BaseException], None]


class _Job(QRunnable):
    def __init__(self, number: int, work: Callable[[], Any], operations: Operations) -> None:
        super().__init__()
        self.number = number
        self.work = work
        self.operations = operations

    def run(self) -> None:
        try:
            result, error = self.work(), None
        except Exception as failure:  # handed to on_failure on the GUI thread
            result, error = None, failure
        self.operations.finished.emit(self.number, result, error)


class Operations(QObject):
    """Runs operations on a pool; `threads=1` makes a queue (the printer prints one at a time).

    Its workers report through its own signal, queued to the GUI thread where it lives, with the
    operation's number; the callbacks wait in a table until then. (Nothing is made per operation
    that Qt would hold on to: a till runs thousands of them a day.)"""

    finished = Signal(object, object, object)  # operation number, result, error

    def __init__(self, on_failure: Failure, threads: int = 4) -> None:
        super().__init__()
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)
        self.on_failure = on_failure
        self._running: dict[int, tuple[Callable[[Any], None] | None, Failure | None]] = {}
        self._numbers = itertools.count()
        self.finished.connect(self._finished)

    @property
    def idle(self) -> bool:
        return not self._running

    def run(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None] | None = None,
        on_failure: Failure | None = None,
    ) -> None:
        number = next(self._numbers)
        self._running[number] = (on_success, on_failure)
        self.pool.start(_Job(number, work, self))

    def _finished(self, number: int, result: Any, error: BaseException | None) -> None:
        on_success, on_failure = self._running.pop(number)
        if error is not None:
            if not isinstance(error, TillError):
                log.error("an operation failed", exc_info=error)
            (on_failure or self.on_failure)(error)
        elif on_success is not None:
            on_success(result)

    def wait(self) -> None:
        """For an orderly exit only: waits for the workers (never called while the UI runs)."""
        self.pool.waitForDone()
