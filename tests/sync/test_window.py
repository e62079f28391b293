"""The 20-hour offline window on the injected clocks: counted from the last contact, shrinking
when the wall clock is wound back (never growing), kept across restarts and reboots, and refusing
new offline work with a clear message once used up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.clock import FakeClock, SystemClock
from sync.errors import OfflineWindowExpired
from sync.window import OFFLINE_WINDOW, OfflineWindow

HOUR = 3600.0


def contacted(clock: FakeClock) -> OfflineWindow:
    window = OfflineWindow(clock)
    window.contact()
    return window


def test_counts_from_the_last_contact() -> None:
    clock = FakeClock()
    window = contacted(clock)
    assert window.remaining() == OFFLINE_WINDOW == timedelta(hours=20)
    clock.advance(2 * HOUR)
    assert window.remaining() == timedelta(hours=18)
    window.contact()
    assert window.remaining() == timedelta(hours=20)
    assert window.last_contact == clock.wall()


def test_the_clock_wound_back_10_hours_shrinks_the_window() -> None:
    clock = FakeClock()
    window = contacted(clock)
    clock.advance(2 * HOUR)
    before = window.remaining()
    clock.set_wall(clock.wall() - timedelta(hours=10))
    clock.advance(60)
    after = window.remaining()
    assert after < before, "winding the clock back gave the till more time"
    # The hours wound back count as offline time, on top of the minute that passed.
    assert after == timedelta(hours=8) - timedelta(minutes=1)
    # And time keeps running afterwards, from the new (wrong) date.
    clock.advance(HOUR)
    assert window.remaining() == timedelta(hours=7) - timedelta(minutes=1)
    clock.set_wall(clock.wall() + timedelta(hours=10))  # put right: that jump counts as well
    assert window.expired
    assert window.expired


def test_winding_back_a_little_at_a_time_does_not_help() -> None:
    clock = FakeClock()
    window = contacted(clock)
    seen = []
    for _ in range(40):
        clock.advance(HOUR / 2)
        clock.set_wall(clock.wall() - timedelta(minutes=29))
        seen.append(window.remaining())
    assert seen == sorted(seen, reverse=True)
    assert window.expired


def test_a_wall_clock_jumping_forward_counts_too() -> None:
    """Time asleep (suspended machine) or a date set forward: the larger of the two counts."""
    clock = FakeClock()
    window = contacted(clock)
    clock.set_wall(clock.wall() + timedelta(hours=5))
    clock.advance(10)
    assert window.remaining() == timedelta(hours=15) - timedelta(seconds=10)


def test_kept_across_a_restart_of_the_till() -> None:
    clock = FakeClock()
    window = contacted(clock)
    clock.advance(4 * HOUR)
    saved = window.snapshot()
    assert saved is not None
    # The till is down for 2 hours, and someone winds the clock back 6 hours meanwhile: the
    # monotonic clock (same boot) saw 2 hours pass, and the 6 hours wound back count too.
    clock.advance(2 * HOUR)
    clock.set_wall(clock.wall() - timedelta(hours=6))
    restarted = OfflineWindow(clock, saved)
    assert restarted.remaining() == timedelta(hours=8)
    assert restarted.last_contact == window.last_contact


def test_kept_across_a_reboot() -> None:
    clock = FakeClock()
    window = contacted(clock)
    clock.advance(HOUR)
    saved = window.snapshot()
    assert saved is not None
    clock.reboot(off_for=3 * HOUR)  # monotonic time starts again: only the wall clock can tell
    restarted = OfflineWindow(clock, saved)
    assert restarted.remaining() == timedelta(hours=16)
    clock.advance(HOUR)  # from then on, both clocks count again
    assert restarted.remaining() == timedelta(hours=15)
    clock.reboot(off_for=0)
    clock.set_wall(clock.wall() - timedelta(hours=9))  # wound back while off
    again = OfflineWindow(clock, restarted.snapshot())
    assert again.remaining() == timedelta(hours=6)


def test_past_the_window_new_work_is_refused_and_says_why() -> None:
    clock = FakeClock()
    window = contacted(clock)
    clock.advance(20 * HOUR - 1)
    window.check(drafts_kept=3)
    clock.advance(1)
    with pytest.raises(OfflineWindowExpired) as refused:
        window.check(drafts_kept=3)
    message = refused.value.message
    assert "more than 20 hours" in message
    assert "2026-03-02 at 08:00 UTC" in message  # when the server was last seen
    assert "the 3 drafts already made are kept" in message
    assert refused.value.code == "offline_window_expired"


def test_a_till_that_never_reached_the_server_has_no_window() -> None:
    window = OfflineWindow(FakeClock())
    assert window.expired and window.remaining() == timedelta(0)
    with pytest.raises(OfflineWindowExpired) as refused:
        window.check(drafts_kept=0)
    assert "never reached the server" in refused.value.message


def test_the_system_clock() -> None:
    clock = SystemClock()
    first = clock.monotonic()
    clock.sleep(0.01)
    assert clock.monotonic() > first
    assert clock.wall().utcoffset() == timedelta(0)
    window = OfflineWindow(clock)
    window.contact()
    assert timedelta(hours=19, minutes=59) < window.remaining() <= OFFLINE_WINDOW
