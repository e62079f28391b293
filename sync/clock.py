"""The till's two clocks, as one interface: a monotonic clock that cannot be wound back, and the
wall clock that can. The real one reads the system; the fake one is moved by hand (tests, demos).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds that only ever go forward. Values from two processes can be compared only when
        both report the same `boot_id()`."""

    def wall(self) -> datetime:
        """The wall clock, in UTC: what anyone with the rights can set to any date."""

    def boot_id(self) -> str | None:
        """What names this boot of the machine, when the system tells; None when it does not."""

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's clocks. On Linux the monotonic clock is CLOCK_BOOTTIME: it keeps counting
    while the machine sleeps and is shared by every process of one boot, so a restarted till still
    knows how long it has been since it last saw the server."""

    def __init__(self) -> None:
        self._boottime = sys.platform.startswith("linux") and hasattr(time, "CLOCK_BOOTTIME")
        self._boot_id: str | None = None
        if self._boottime:
            try:
                self._boot_id = _BOOT_ID.read_text(encoding="ascii").strip() or None
            except OSError:
                self._boot_id = None

    def monotonic(self) -> float:
        if self._boottime:
            return time.clock_gettime(time.CLOCK_BOOTTIME)
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def boot_id(self) -> str | None:
        return self._boot_id

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """Clocks moved by hand. `advance` moves both, as time passing; `set_wall` moves the wall clock
    alone, as someone changing the date; `reboot` starts a new boot, monotonic time from zero.
    `sleep` returns at once, having advanced the time."""

    def __init__(self, wall: datetime | None = None, monotonic: float = 1_000.0) -> None:
        self._lock = threading.Lock()
        self._wall = wall or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        self._monotonic = monotonic
        self._boot_id = uuid.uuid4().hex

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def wall(self) -> datetime:
        with self._lock:
            return self._wall

    def boot_id(self) -> str | None:
        return self._boot_id

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._monotonic += seconds
            self._wall += timedelta(seconds=seconds)

    def set_wall(self, wall: datetime) -> None:
        with self._lock:
            self._wall = wall

    def reboot(self, off_for: float = 0.0) -> None:
        """The machine restarts after `off_for` seconds: the wall clock moves on, monotonic time
        starts again from a small value, under a new boot id."""
        with self._lock:
            self._wall += timedelta(seconds=off_for)
            self._monotonic = 5.0
            self._boot_id = uuid.uuid4().hex
