"""The one composition place of the till's core: settings from the environment (`TILL_SYNC_*`),
and `TillSync`, which wires the client, the credentials, the local store, connectivity, the offline
window, drafts, chain heads and re-sync together. Tests and demos give it a fake clock or
credentials kept in memory; nothing else chooses an implementation.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from platformdirs import user_data_path
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync.client import ApiClient, RetryPolicy, Timeouts, new_key
from sync.clock import Clock, SystemClock
from sync.connectivity import Connectivity, Heartbeat
from sync.credentials import CredentialStore, FileCredentials, KeyringCredentials
from sync.drafts import DraftStore
from sync.errors import NotEnrolled, ServerUnreachable, SyncError
from sync.events import ConnectivityChanged, Event, Events
from sync.heads import ChainHeads
from sync.offline import WINDOW, OfflineWork
from sync.resync import Resync, ResyncReport
from sync.store import FILE_NAME, LocalStore
from sync.ticket import Ticket, is_empty
from sync.window import OfflineWindow

log = logging.getLogger("till.sync")

SHOP = "shop"
CATALOG = "catalog"
OPEN_ORDERS = 100  # a register's open orders looked at, newest first, for an empty one


class SyncSettings(BaseSettings):
    """Where the server is and how to reach it, where the till keeps its things."""

    model_config = SettingsConfigDict(env_prefix="TILL_SYNC_", extra="ignore", frozen=True)

    server: str = "http://127.0.0.1:8000"
    data_dir: Path = Field(default_factory=lambda: user_data_path("till", appauthor=False))
    # A private certificate authority's certificate (PEM), for a server whose certificate is
    # not signed by a public one. TLS is always verified; there is no setting to turn it off.
    ca_bundle: Path | None = None
    # Plain HTTP to anything but this machine sends tokens and PINs in clear: only on purpose.
    allow_plain_http: bool = False
    connect_timeout: float = Field(default=3.05, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    credentials: Literal["keyring", "file"] = "keyring"
    credentials_file: Path | None = None
    register_id: str | None = None
    device_name: str = Field(default_factory=socket.gethostname)
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    resync_batch: int = Field(default=100, ge=1, le=500)

    @model_validator(mode="after")
    def _consistent(self) -> SyncSettings:
        if self.credentials == "file" and self.credentials_file is None:
            raise ValueError("TILL_SYNC_CREDENTIALS=file needs TILL_SYNC_CREDENTIALS_FILE")
        address = urlsplit(self.server)
        if address.scheme not in ("https", "http") or not address.hostname:
            raise ValueError(f"TILL_SYNC_SERVER is not an http(s) address: {self.server}")
        if address.scheme == "http" and not self.allow_plain_http and not _local(address.hostname):
            raise ValueError(
                f"TILL_SYNC_SERVER {self.server} is plain HTTP to another machine: use https "
                "(or set TILL_SYNC_ALLOW_PLAIN_HTTP=true for a test network)"
            )
        return self

    @property
    def server_url(self) -> str:
        return self.server.rstrip("/")


def _local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credentials_for(settings: SyncSettings) -> CredentialStore:
    """The system keyring, or the file only when configured so; no keyring fails here."""
    if settings.credentials == "file":
        assert settings.credentials_file is not None
        return FileCredentials(settings.credentials_file)
    return KeyringCredentials()


class TillSync:
    """What the cashier's screen uses of the network and of local storage.

    Threading: every method may block on the network and is meant to run in a worker thread,
    never on the GUI thread. Events arrive on `events` from the thread that caused them (a
    ticket's sender, the heartbeat, a background re-sync).
    """

    def __init__(
        self,
        settings: SyncSettings,
        *,
        clock: Clock | None = None,
        credentials: CredentialStore | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.events = Events()
        # Credentials first: without a keyring the till stops here, before touching anything.
        self.credentials = credentials or credentials_for(settings)
        device_token = self.credentials.device_token(settings.server_url)
        self.store = LocalStore.open(settings.data_dir / FILE_NAME)
        self.window = OfflineWindow(self.clock, self.store.get(WINDOW))
        self.connectivity = Connectivity(self.events, self.window, self.clock)
        self.client = ApiClient(
            settings.server_url,
            clock=self.clock,
            observer=self.connectivity,
            timeouts=Timeouts(settings.connect_timeout, settings.read_timeout),
            retry=retry or RetryPolicy(),
            verify=str(settings.ca_bundle) if settings.ca_bundle else True,
        )
        self.client.device_token = device_token
        self.drafts = DraftStore(self.store)
        self.offline = OfflineWork(
            self.store,
            self.drafts,
            self.window,
            self.connectivity,
            self.clock,
            settings.register_id,
        )
        self.heads = ChainHeads(
            self.store,
            self.events,
            lambda shop_id: self.client.get(f"/shops/{shop_id}/public-keys"),
        )
        self.resync = Resync(
            self.client, self.drafts, self.store, self.events, batch_size=settings.resync_batch
        )
        self.heartbeat = Heartbeat(
            self.client,
            self.connectivity,
            every=settings.heartbeat_seconds,
            on_beat=self.offline.save_window,
        )
        self._background: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._session = threading.Lock()  # a log-in and a log-out, one at a time
        self._failed_open: tuple[dict[str, Any], str] | None = None
        self.events.subscribe(self._on_event)

    # ------------------------------------------------------------------------ life

    def start(self) -> None:
        """Start the heartbeat: from now on the till knows whether it is online."""
        self.heartbeat.start()

    def close(self) -> None:
        """Stop the heartbeat, wait for a re-sync under way, keep the window's count; once."""
        if self._closed:
            return
        self._closed = True
        self.heartbeat.stop()
        if self._background is not None:
            self._background.join()
        self.offline.save_window()
        self.client.close()
        self.store.close()

    # ------------------------------------------------------------------------ who

    @property
    def enrolled(self) -> bool:
        return self.client.device_token is not None

    @property
    def shop(self) -> dict[str, Any] | None:
        shop: dict[str, Any] | None = self.store.get(SHOP)
        return shop

    @property
    def shop_id(self) -> str | None:
        shop = self.shop
        return str(shop["id"]) if shop else None

    def read_shop(self) -> dict[str, Any]:
        """The shop as the server has it now (a user logged in), kept for the next start: the
        screen shows its name before anyone logs in, when the server tells an enrolled till
        nothing but its users."""
        shop: dict[str, Any] = self.client.get("/shop")
        self.store.set(SHOP, shop)
        return shop

    def enroll(self, code: str, name: str | None = None) -> dict[str, Any]:
        """Enroll this till with a manager's one-time code; the token goes to the credentials."""
        answer = self.client.enroll(code, name or self.settings.device_name)
        self.credentials.save_device_token(self.settings.server_url, answer["device_token"])
        self.client.device_token = answer["device_token"]
        self.store.set(SHOP, answer["shop"])
        return answer

    def log_in(self, user_id: str, pin: str) -> dict[str, Any]:
        """A user logs in with their PIN; the session lasts as long as the program (or the
        server's session length). Work left from an outage is then sent in the background."""
        if not self.enrolled:
            raise NotEnrolled(self.settings.server_url)
        with self._session:
            answer = self.client.log_in(user_id, pin)
            self.client.session_token = answer["session_token"]
        shop = self.shop
        if shop is None or shop.get("id") != answer["shop_id"]:
            self.store.set(SHOP, {"id": answer["shop_id"]})
        self.resync_in_background()
        return answer

    def log_out(self) -> None:
        """Ends the session. The next log-in waits for it: ended after, it would end that one."""
        with self._session:
            try:
                self.client.log_out()
            except SyncError as error:
                log.info("log-out not confirmed by the server: %s", error.message)
            self.client.session_token = None

    def use_register(self, register_id: str) -> None:
        """This till's register from now on, when it was chosen on the screen after enrollment
        rather than configured (TILL_SYNC_REGISTER_ID)."""
        self.settings = self.settings.model_copy(update={"register_id": register_id})
        self.offline.use_register(register_id)

    # ------------------------------------------------------------------------ selling

    def new_ticket(self, register_id: str | None = None, **fields: Any) -> Ticket:
        """A new order on the server. Asked again after a failure with the same fields, it sends
        the same Idempotency-Key: an order the server made without the till hearing of it is
        given back, not made a second time."""
        register = register_id or self.settings.register_id
        if register is None:
            raise ValueError("no register given, and none configured (TILL_SYNC_REGISTER_ID)")
        request = {"register_id": register, **fields}
        with self._lock:
            failed = self._failed_open
            key = failed[1] if failed is not None and failed[0] == request else new_key()
            self._failed_open = (request, key)
        ticket = Ticket.open(
            self.client, self.events, register, key=key, heads=self.heads, **fields
        )
        with self._lock:
            self._failed_open = None
        return ticket

    def first_ticket(self, user_id: str, register_id: str | None = None) -> Ticket:
        """The ticket a user's session starts on: their empty order on the register, which their
        last session left for this (or a till stopped half-way left), else a new one. Their
        other empty orders there are cancelled: a till never leaves them piling up."""
        register = register_id or self.settings.register_id
        if register is None:
            raise ValueError("no register given, and none configured (TILL_SYNC_REGISTER_ID)")
        kept: dict[str, Any] | None = None
        for found in self.client.orders(status="open", register_id=register, limit=OPEN_ORDERS):
            if found["user_id"] != user_id or not is_empty(found):
                continue  # another's, or one whose summary in the list holds something already
            order: dict[str, Any] = self.client.get(f"/orders/{found['id']}")
            if not is_empty(order):
                continue
            if kept is None:
                kept = order  # the newest
                continue
            try:
                self.client.call("POST", f"/orders/{order['id']}/cancel")
            except SyncError as error:
                log.info("an empty order was not cancelled: %s", error.message)
        if kept is None:
            return self.new_ticket(register)
        return Ticket.of(self.client, self.events, kept, heads=self.heads)

    def resume_ticket(self, order_id: str) -> Ticket:
        return Ticket.resume(self.client, self.events, order_id, heads=self.heads)

    def open_refund(
        self, order_id: str, register_id: str, manager_id: str, manager_pin: str
    ) -> Ticket:
        """A corrective order cancelling a validated one, opened under a manager's PIN in a
        session of its own (ended at once); the cashier then pays it back and validates it."""
        manager = ApiClient(
            self.settings.server_url,
            clock=self.clock,
            observer=self.connectivity,
            timeouts=self.client.timeouts,
            retry=self.client.retry,
            verify=self.client.verify,
        )
        manager.device_token = self.client.device_token
        try:
            manager.session_token = manager.log_in(manager_id, manager_pin)["session_token"]
            corrective = manager.refund(order_id, register_id)
            try:
                manager.log_out()
            except SyncError as error:
                log.info("the manager's session was not ended by the server: %s", error.message)
        finally:
            manager.close()
        return self.resume_ticket(str(corrective["id"]))

    def catalog(self) -> dict[str, Any]:
        """The shop's catalog: read again when it changed (ETag), and kept, so that drafts can
        still be made from it when the server is away, even after a restart."""
        kept: dict[str, Any] | None = self.store.get(CATALOG)
        try:
            answer = self.client.catalog(kept["etag"] if kept else None)
        except ServerUnreachable:
            if kept is None:
                raise
            return dict(kept["catalog"])
        if answer.status == 304 and kept is not None:
            return dict(kept["catalog"])
        self.store.set(CATALOG, {"etag": answer.etag, "catalog": answer.body})
        result: dict[str, Any] = answer.body
        return result

    def check_chain_heads(self) -> None:
        """Read the shop's signed chain heads and compare them with the ones kept."""
        shop_id = self.shop_id
        if shop_id is None:
            return
        answer = self.client.get("/chain-heads")
        self.heads.observe(shop_id, answer["chain_heads"], answer.get("chain_heads_signature"))

    # ------------------------------------------------------------------------ the register

    def cash_movements(self, register_id: str) -> list[dict[str, Any]]:
        """The cash put into or taken out of the register's drawer since it was opened, on any
        till, oldest first."""
        movements: list[dict[str, Any]] = self.client.get(
            f"/registers/{register_id}/cash-movements"
        )
        return movements

    # ------------------------------------------------------------------------ offline

    @property
    def online(self) -> bool | None:
        return self.connectivity.online

    def offline_time_left(self) -> timedelta:
        """What is left of the 20-hour window: all of it while online."""
        if self.connectivity.online:
            return self.window.limit
        return self.window.remaining()

    def resync_now(self) -> ResyncReport:
        """Send what the outage left (periods, drafts), then check the chain heads."""
        report = self.resync.run()
        try:
            self.check_chain_heads()
        except SyncError as error:
            log.warning("chain heads not checked after the re-sync: %s", error.message)
        return report

    def resync_in_background(self) -> None:
        """Start a re-sync in a thread of its own when there is something to send, a user is
        logged in and none is running; progress comes as events."""
        if (
            self.client.session_token is None
            or self.resync.running
            or (self._background is not None and self._background.is_alive())
            or not self.resync.needed()
        ):
            return

        def run() -> None:
            try:
                self.resync_now()
            except SyncError as error:
                log.warning("re-sync stopped: %s", error.message)

        self._background = threading.Thread(target=run, name="till-resync", daemon=True)
        self._background.start()

    def wait_resync(self, timeout: float | None = None) -> bool:
        """Until the background re-sync (if any) has ended; False on time-out."""
        background = self._background
        if background is not None:
            background.join(timeout)
            return not background.is_alive()
        return True

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, ConnectivityChanged):
            return
        if event.online:
            if self.offline.came_back() or self.drafts.count(None):
                self.resync_in_background()
        else:
            self.offline.went_offline()
