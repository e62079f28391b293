"""What every screen is: a widget in the window's stack, told when it is shown and when the
connection changes, running its slow work through the context's operations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from till.errors import TillError
from till.timestamps import from_utc_iso
from ui.context import TillContext
from ui.operations import Failure, Operations
from ui.qt import QWidget

if TYPE_CHECKING:
    from ui.window import MainWindow

log = logging.getLogger("till.ui")

T = TypeVar("T")


class Underway:
    """Work a tap started, until its answer: meanwhile the same tap does nothing. Work started
    in an earlier epoch (before a log-out, a lock...) no longer counts: its answer is dropped."""

    def __init__(self, context: TillContext) -> None:
        self._context = context
        self._epoch: int | None = None

    @property
    def busy(self) -> bool:
        return self._epoch == self._context.epoch

    def start(self) -> None:
        self._epoch = self._context.epoch

    def done(self) -> None:
        self._epoch = None


class Screen(QWidget):
    name = ""

    def __init__(self, shell: MainWindow) -> None:
        super().__init__()
        self.setObjectName(f"screen-{self.name}")
        self.shell = shell
        self.context: TillContext = shell.context

    def entered(self, **options: Any) -> None:
        """The screen is shown (again)."""

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone: every moment is shown on the shop's clock."""
        return ZoneInfo(str((self.context.shop or {}).get("timezone", "Europe/Paris")))

    def moment(self, stamp: str, *, seconds: bool = False) -> str:
        """A moment the server gives (UTC), as the shop's clock showed it."""
        when = from_utc_iso(stamp).astimezone(self.zone)
        return f"{when:%d/%m/%Y %H:%M:%S}" if seconds else f"{when:%d/%m/%Y %H:%M}"

    def connectivity_changed(self, online: bool) -> None:
        """The till went offline or came back."""

    def run(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None] | None = None,
        on_failure: Failure | None = None,
        *,
        on: Operations | None = None,
        stale: Callable[[T], None] | None = None,
    ) -> None:
        """`work` on a worker of `on` (the context's operations unless given), its answer on the
        GUI thread. An answer that comes in another epoch than the one the work started in (the
        user logged out, locked the till, switched training, changed the language) is for a
        screen that is gone: `on_success` and `on_failure` are not called; `stale` is given the
        result instead, to let go of what it holds (an order opened, say), and a failure is only
        logged."""
        context = self.context
        operations = on or context.ops
        epoch = context.epoch

        def succeeded(result: T) -> None:
            if context.epoch == epoch:
                if on_success is not None:
                    on_success(result)
            elif stale is not None:
                stale(result)

        def failed(error: BaseException) -> None:
            if context.epoch == epoch:
                (on_failure or operations.on_failure)(error)
            elif isinstance(error, TillError):
                log.info("work of an earlier epoch failed: %s", error.message)

        operations.run(work, succeeded, failed)
