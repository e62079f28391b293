"""What every screen is: a widget in the window's stack, told when it is shown and when the
connection changes, running its slow work through the context's operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from till.timestamps import from_utc_iso
from ui.context import TillContext
from ui.operations import Failure
from ui.qt import QWidget

if TYPE_CHECKING:
    from ui.window import MainWindow

T = TypeVar("T")


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
    ) -> None:
        self.context.ops.run(work, on_success, on_failure)
