"""Whether the till is online, known at every moment from the answers (or the silence) of real
calls, and from a light heartbeat when no call is being made; announced on change."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from sync.clock import Clock
from sync.errors import SyncError
from sync.events import ConnectivityChanged, Events
from sync.window import OfflineWindow

log = logging.getLogger("till.sync")


class Connectivity:
    """The client reports each answer (`contact`) and each call that got none after its retries
    (`lost`); `online` is None until the first of either."""

    def __init__(self, events: Events, window: OfflineWindow, clock: Clock) -> None:
        self._events = events
        self._clock = clock
        self.window = window
        self._lock = threading.Lock()
        self._online: bool | None = None
        self._last_contact: float | None = None

    @property
    def online(self) -> bool | None:
        return self._online

    def contact(self) -> None:
        """The server answered: cheap, called on every answer."""
        self.window.contact()
        self._last_contact = self._clock.monotonic()
        if self._online is not True:
            self._change(True, "the server answered")

    def lost(self, reason: str) -> None:
        if self._online is not False:
            self._change(False, reason)

    def _change(self, online: bool, reason: str) -> None:
        with self._lock:
            if self._online is online:
                return
            self._online = online
        log.info("till is %s: %s", "online" if online else "offline", reason)
        self._events.emit(ConnectivityChanged(online, reason))

    def quiet_for(self) -> float | None:
        """Seconds since the last answer; None before the first one."""
        if self._last_contact is None:
            return None
        return self._clock.monotonic() - self._last_contact


class Probe(Protocol):
    def health(self) -> None: ...


class Heartbeat:
    """A thread that probes the server (`GET /health`, which touches no database) when the line
    has been quiet for `every` seconds while online, and every `offline_every` seconds while
    offline; `on_beat` runs after each turn (the till saves its offline window then)."""

    def __init__(
        self,
        probe: Probe,
        connectivity: Connectivity,
        *,
        every: float = 10.0,
        offline_every: float = 3.0,
        on_beat: Callable[[], None] | None = None,
    ) -> None:
        self._probe = probe
        self._connectivity = connectivity
        self.every = every
        self.offline_every = offline_every
        self._on_beat = on_beat
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="till-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def beat(self) -> None:
        """One probe now, unless an answer came recently enough; failures only change the state."""
        quiet = self._connectivity.quiet_for()
        if self._connectivity.online and quiet is not None and quiet < self.every:
            return
        try:
            self._probe.health()
        except SyncError as error:
            log.debug("heartbeat: %s", error.message)

    def _run(self) -> None:
        while True:
            self.beat()
            if self._on_beat is not None:
                try:
                    self._on_beat()
                except Exception:
                    log.exception("heartbeat: saving the till's state failed")
            if self._stop.wait(self.every if self._connectivity.online else self.offline_every):
                return
