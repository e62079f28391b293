"""The 20-hour offline window: how long the till may keep making drafts since it last heard from
the server, counted so that changing the clock never gives it more time.

Time since the last contact is added up step by step. Each step counts the time the monotonic
clock saw pass, plus however far the wall clock moved apart from it, in either direction: winding
the clock back 10 hours uses up 10 hours of the window, and so does setting it 10 hours forward.
Across a restart of the till the monotonic clock still counts when the machine did not reboot
(same boot id); after a reboot only the wall clock can tell, and how far it moved counts, either
way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.clock import Clock
from sync.errors import OfflineWindowExpired
from till.timestamps import from_utc_iso, to_utc_iso

OFFLINE_WINDOW = timedelta(hours=20)


@dataclass
class _Count:
    elapsed: float  # seconds counted since the last contact, up to `wall` / `monotonic`
    wall: datetime
    monotonic: float | None  # None when it cannot be compared (another boot)
    boot: str | None
    contact: datetime  # the wall time of the last contact, for people to read


class OfflineWindow:
    """Counts from the last confirmed server contact. `contact()` is cheap (no I/O): the client
    calls it on every answer; `snapshot()` is what the store keeps across restarts."""

    def __init__(
        self,
        clock: Clock,
        snapshot: dict[str, Any] | None = None,
        limit: timedelta = OFFLINE_WINDOW,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.limit = limit
        self._count = self._restore(snapshot) if snapshot else None

    def _restore(self, snapshot: dict[str, Any]) -> _Count:
        boot = snapshot.get("boot")
        same_boot = boot is not None and boot == self._clock.boot_id()
        return _Count(
            elapsed=float(snapshot["elapsed"]),
            wall=from_utc_iso(snapshot["wall"]),
            monotonic=float(snapshot["monotonic"]) if same_boot else None,
            boot=boot,
            contact=from_utc_iso(snapshot["contact"]),
        )

    def contact(self) -> None:
        """The server answered just now: the whole window is available again."""
        wall = self._clock.wall()
        count = _Count(0.0, wall, self._clock.monotonic(), self._clock.boot_id(), wall)
        with self._lock:
            self._count = count

    def _advance(self) -> _Count | None:
        with self._lock:
            count = self._count
            if count is None:
                return None
            wall, monotonic = self._clock.wall(), self._clock.monotonic()
            moved = (wall - count.wall).total_seconds()
            if count.monotonic is None:
                step = abs(moved)
            else:
                # The time that passed, plus however far the wall clock strayed from it, either
                # way: set back, it counts the hours it was set back by; forward (or asleep,
                # where the monotonic clock stops), the hours it jumped.
                passed = max(monotonic - count.monotonic, 0.0)
                step = passed + abs(moved - passed)
            count.elapsed += step
            count.wall, count.monotonic, count.boot = wall, monotonic, self._clock.boot_id()
            return _Count(count.elapsed, count.wall, count.monotonic, count.boot, count.contact)

    @property
    def last_contact(self) -> datetime | None:
        """The wall time of the last contact, as the clock said then."""
        with self._lock:
            return self._count.contact if self._count else None

    def elapsed(self) -> timedelta | None:
        """Offline time counted since the last contact; None if the server was never reached."""
        count = self._advance()
        return timedelta(seconds=count.elapsed) if count else None

    def remaining(self) -> timedelta:
        """What is left of the window, for the screen; zero once it is used up."""
        elapsed = self.elapsed()
        if elapsed is None:
            return timedelta(0)
        return max(self.limit - elapsed, timedelta(0))

    @property
    def expired(self) -> bool:
        return self.remaining() <= timedelta(0)

    def check(self, drafts_kept: int) -> None:
        """Refuse new offline work past the window, saying why and that nothing is lost."""
        if not self.expired:
            return
        hours = int(self.limit.total_seconds() // 3600)
        contact = self.last_contact
        since = (
            f"its last contact with the server was on {contact:%Y-%m-%d at %H:%M} UTC"
            if contact
            else "it has never reached the server"
        )
        kept = (
            f"the {drafts_kept} drafts already made are kept and will be imported then"
            if drafts_kept != 1
            else "the draft already made is kept and will be imported then"
        )
        raise OfflineWindowExpired(
            f"This till has been offline for more than {hours} hours ({since}): no new offline "
            f"work until it reconnects to the server; {kept}."
        )

    def snapshot(self) -> dict[str, Any] | None:
        count = self._advance()
        if count is None:
            return None
        return {
            "elapsed": count.elapsed,
            "wall": to_utc_iso(count.wall),
            "monotonic": count.monotonic,
            "boot": count.boot,
            "contact": to_utc_iso(count.contact),
        }
