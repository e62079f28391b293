"""The composition place of the screen: the till's core (`TillSync`, made by a factory so tests
and the demo choose its credentials and timings), the Qt adapter of its events, the operation
runners, the printer, and who is logged in. Screens get this object and nothing global."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from printing.context import People
from sync.service import TillSync
from ui.bridge import SyncSignals
from ui.operations import Failure, Operations
from ui.printer import PrinterService
from ui.settings import PrinterChoice, ScreenSettings, save

SyncFactory = Callable[[str, str | None], TillSync]  # (server address, register id)

MANAGERS = ("manager", "admin")


@dataclass
class User:
    id: str
    name: str
    role: str
    # Kept to unlock the lock screen without the server (and while offline); never the PIN.
    pin_salt: bytes
    pin_hash: bytes

    @classmethod
    def logged_in(cls, user: dict[str, Any], pin: str) -> User:
        salt = secrets.token_bytes(16)
        return cls(str(user["id"]), str(user["name"]), str(user["role"]), salt, _hash(pin, salt))

    def pin_matches(self, pin: str) -> bool:
        return hmac.compare_digest(self.pin_hash, _hash(pin, self.pin_salt))

    @property
    def accountant(self) -> bool:
        return self.role == "accountant"

    @property
    def manager(self) -> bool:
        return self.role in MANAGERS


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**12, r=8, p=1)


class TillContext:
    def __init__(
        self,
        data_dir: Path,
        settings: ScreenSettings,
        make_sync: SyncFactory,
        on_failure: Failure,
    ) -> None:
        self.data_dir = data_dir
        self.settings = settings
        self.make_sync = make_sync
        self.signals = SyncSignals()
        self.ops = Operations(on_failure)
        self.printing = Operations(on_failure, threads=1)
        self.printer = PrinterService(settings.printer, data_dir / "previews")
        self.sync: TillSync | None = None
        self.user: User | None = None
        self.shop: dict[str, Any] | None = None
        self.catalog: dict[str, Any] = {}
        self.training = False
        # Which screen an operation's answer is for: a log-in or a log-out, a lock, training
        # switched on or off, or another language starts a new epoch, and an answer to work
        # started in an earlier one is not applied (see Screen.run).
        self.epoch = 0

    # ------------------------------------------------------------------------ the core

    def connect(self, server: str) -> TillSync:
        """The till's core for `server`, started. It blocks on the disk and the credentials
        store (the local store opened, the device token read): from a worker, or at start-up
        before the window is shown."""
        self.disconnect()
        sync = self.make_sync(server, self.settings.register_id)
        self.signals.listen(sync.events)
        sync.start()
        self.sync = sync
        if self.shop is None and sync.shop is not None and "name" in sync.shop:
            self.shop = sync.shop  # as it was at the last log-in (or the enrollment)
        return sync

    def disconnect(self) -> None:
        if self.sync is not None:
            self.signals.stop()
            self.sync.close()
            self.sync = None

    @property
    def core(self) -> TillSync:
        """The till's core; the screens that use it are reached only once it exists."""
        if self.sync is None:
            raise RuntimeError("the till is not connected to a server yet")
        return self.sync

    @property
    def online(self) -> bool:
        return bool(self.sync is not None and self.sync.online is not False)

    def new_epoch(self) -> None:
        """Whoever uses the screen, or the way it works, changed: work under way is out of date."""
        self.epoch += 1

    # ------------------------------------------------------------------------ settings

    def remember(self, **changes: Any) -> None:
        self.settings = self.settings.changed(**changes)
        save(self.data_dir, self.settings)

    def use_printer(self, choice: PrinterChoice) -> None:
        self.remember(printer=choice)
        self.printer = PrinterService(choice, self.data_dir / "previews")

    @property
    def register_id(self) -> str | None:
        return self.settings.register_id

    def use_register(self, register_id: str) -> None:
        self.remember(register_id=register_id)
        self.core.use_register(register_id)

    # ------------------------------------------------------------------------ people

    def people(self, order: dict[str, Any]) -> People:
        register = order.get("register_id") or self.register_id or ""
        cashier = self.user.name if self.user else ""
        return People(str(register), cashier, order.get("customer_account"))

    def payment_modes(self) -> list[dict[str, Any]]:
        return sorted(self.catalog.get("payment_modes", []), key=lambda mode: mode["position"])

    def articles(self) -> list[dict[str, Any]]:
        return sorted(self.catalog.get("articles", []), key=lambda article: article["position"])

    def close(self) -> None:
        self.ops.wait()
        self.printing.wait()
        self.disconnect()
