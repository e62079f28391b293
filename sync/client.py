"""The HTTP client of the central API, on `requests`: keep-alive connections, connect and read
timeouts, TLS verified by default, an `Idempotency-Key` on every mutating call, and retries with
exponential backoff and jitter that send the same key again, so a retried call never acts twice.

Every answer is a contact with the server (it keeps the till online and its offline window full);
a call that gets no answer after its retries puts the till offline.
"""

from __future__ import annotations

import queue
import random
import re
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

import orjson
import requests
from requests.adapters import HTTPAdapter

from sync.clock import Clock
from sync.errors import ApiError, CertificateRejected, ServerUnreachable, api_error
from sync.files import atomic_write
from sync.reports import Period
from till.version import SOFTWARE_NAME, __version__

REPLAYED = "Idempotent-Replayed"
# A proxy's answers when the server behind it is down: the server itself was not reached.
_PROXY_DOWN = (502, 503, 504)
_IDLE_SESSIONS = 4


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.05
    read: float = 20.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and for how long a call is tried: `attempts` tries at most, none started after
    `budget` seconds; between tries an exponential delay with jitter (half fixed, half random)."""

    attempts: int = 6
    first_delay: float = 0.2
    max_delay: float = 5.0
    budget: float = 30.0

    def delay(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.first_delay * 2.0**retry)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


ONCE = RetryPolicy(attempts=1)


class ContactObserver(Protocol):
    def contact(self) -> None: ...
    def lost(self, reason: str) -> None: ...


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool  # the server answered a call it had already done, with its first answer
    etag: str | None = None


def _tls_reason(error: BaseException) -> str:
    """What the TLS library said, without the layers of wrapping around it."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        cause = pending.pop()
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message or cause.reason)
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return str(cause.reason).replace("_", " ").lower()
        pending += [*cause.args, cause.__cause__, cause.__context__, getattr(cause, "reason", None)]
    return "the secure connection could not be set up"


class ApiClient:
    """Safe to use from several threads at once. The device and session tokens are set by
    whoever enrolls and logs in."""

    def __init__(
        self,
        server: str,
        *,
        clock: Clock,
        observer: ContactObserver | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        verify: bool | str = True,
        rng: random.Random | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.clock = clock
        self.observer = observer
        self.timeouts = timeouts
        self.retry = retry
        self.verify = verify
        self.device_token: str | None = None
        self.session_token: str | None = None
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        # Sessions (each with its keep-alive connection) are lent to one call at a time and
        # taken back: a thread never shares one, and the warmest is lent first.
        self._idle: queue.LifoQueue[requests.Session] = queue.LifoQueue()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Retries are ours (same key, backoff, connectivity); urllib3's would hide them.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {"User-Agent": f"{SOFTWARE_NAME}/{__version__}", "Accept": "application/json"}
        )
        return session

    @contextmanager
    def _session(self) -> Iterator[requests.Session]:
        try:
            session = self._idle.get_nowait()
        except queue.Empty:
            session = self._new_session()
        try:
            yield session
        finally:
            if self._idle.qsize() < _IDLE_SESSIONS:
                self._idle.put(session)
            else:
                session.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    # ------------------------------------------------------------------------ calls

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send a call, and again with the same key while it gets no answer (or a transient
        error), within the retry policy. Every call but a GET carries an Idempotency-Key."""
        sent = self._headers(headers)
        if method != "GET":
            sent["Idempotency-Key"] = key or new_key()
        data = None
        if body is not None:
            data = orjson.dumps(body)
            sent["Content-Type"] = "application/json"
        return self._retrying(lambda: self._try(method, self.server + path, data, sent), retry)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        if self.device_token:
            sent["X-Device-Token"] = self.device_token
        if self.session_token:
            sent["Authorization"] = f"Bearer {self.session_token}"
        return sent

    def _retrying(
        self,
        attempt: Callable[[], Answer | ApiError | ServerUnreachable],
        retry: RetryPolicy | None,
    ) -> Answer:
        policy = retry or self.retry
        started = self.clock.monotonic()
        retries = 0
        while True:
            failure = attempt()
            if isinstance(failure, Answer):
                return failure
            if isinstance(failure, ApiError) and not failure.transient:
                raise failure
            with self._rng_lock:
                delay = policy.delay(retries, self._rng)
            retries += 1
            spent = self.clock.monotonic() - started
            if retries >= policy.attempts or spent + delay > policy.budget:
                if isinstance(failure, ServerUnreachable) and self.observer is not None:
                    self.observer.lost(failure.detail)
                raise failure
            self.clock.sleep(delay)

    def _try(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: dict[str, str],
        receive: Callable[[requests.Response], Answer] | None = None,
        timeouts: Timeouts | None = None,
    ) -> Answer | ApiError | ServerUnreachable:
        """One try; `receive` takes a successful answer's body as it streams in (a file)."""
        timeouts = timeouts or self.timeouts
        try:
            with self._session() as session:
                response = session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=(timeouts.connect, timeouts.read),
                    allow_redirects=False,
                    # Given on each call: requests would otherwise let REQUESTS_CA_BUNDLE win
                    # over the certificate authority the till was configured with.
                    verify=self.verify,
                    stream=receive is not None,
                )
                if receive is None or response.status_code >= 300:
                    return self._read(response)
                with response:  # a body cut half-way leaves its connection closed
                    answer = receive(response)
                self._contact()
                return answer
        except requests.exceptions.SSLError as error:
            raise CertificateRejected(_tls_reason(error)) from None
        except requests.exceptions.ConnectTimeout:
            return ServerUnreachable(f"no connection within {timeouts.connect:g} s")
        except requests.exceptions.ReadTimeout:
            return ServerUnreachable(f"no answer within {timeouts.read:g} s")
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ):
            return ServerUnreachable("the connection failed or was cut")

    def _read(self, response: requests.Response) -> Answer | ApiError | ServerUnreachable:
        status = response.status_code
        content = response.content
        if status < 300 or status == 304:
            try:
                body = orjson.loads(content) if content else None
            except orjson.JSONDecodeError:
                return ServerUnreachable("the answer was garbled")
            self._contact()
            return Answer(
                status,
                body,
                response.headers.get(REPLAYED) == "true",
                response.headers.get("ETag"),
            )
        try:
            body = orjson.loads(content)
            error = body["error"]
            code, message = str(error["code"]), str(error["message"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            # Not the server's own error: a proxy, or something else on the way.
            if status in _PROXY_DOWN:
                return ServerUnreachable(f"{status} {response.reason} on the way to the server")
            message = f"The server answered {status} {response.reason}."
            if 300 <= status < 400:
                # Redirects are not followed: a POST would come back as a GET.
                where = response.headers.get("Location", "elsewhere")
                message = (
                    f"The server sends the till to {where}: check its address (TILL_SYNC_SERVER)."
                )
            self._contact()
            return api_error(
                status, f"http_{status}", message, content[:500].decode("utf-8", "replace")
            )
        self._contact()
        return api_error(status, code, message, body)

    def _contact(self) -> None:
        if self.observer is not None:
            self.observer.contact()

    # ------------------------------------------------------------------------ the API

    def health(self) -> None:
        self.call("GET", "/health", retry=RetryPolicy(attempts=2, first_delay=0.1, budget=5.0))

    def enroll(self, code: str, name: str, key: str | None = None) -> dict[str, Any]:
        answer = self.call("POST", "/devices/enroll", {"code": code, "name": name}, key=key)
        result: dict[str, Any] = answer.body
        return result

    def log_in(self, user_id: str, pin: str) -> dict[str, Any]:
        answer = self.call("POST", "/sessions", {"user_id": user_id, "pin": pin})
        result: dict[str, Any] = answer.body
        return result

    def log_out(self) -> None:
        self.call("DELETE", "/sessions/current", retry=ONCE)

    def get(self, path: str) -> Any:
        return self.call("GET", path).body

    def catalog(self, etag: str | None = None) -> Answer:
        """The whole catalog; status 304 and no body when `etag` is still current."""
        return self.call("GET", "/catalog", headers={"If-None-Match": etag} if etag else None)

    def open_register(self, register_id: str, float_amount: str) -> dict[str, Any]:
        answer = self.call("POST", f"/registers/{register_id}/open", {"float": float_amount})
        result: dict[str, Any] = answer.body
        return result

    def _post(self, path: str, body: Any = None) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", path, body).body
        return result

    def move_cash(
        self, register_id: str, kind: Literal["in", "out"], amount: str, reason: str
    ) -> dict[str, Any]:
        """Cash put into (`in`) or taken out of (`out`) an open register's drawer outside a sale,
        `amount` positive ("20.00"), with its reason: journaled (the answer's `event_seq`), and
        counted in the register's X and Z."""
        return self._post(
            f"/registers/{register_id}/cash-movements",
            {"kind": kind, "amount": amount, "reason": reason},
        )

    def x_report(self, register_id: str) -> dict[str, Any]:
        """The X: the figures of the register's period so far, nothing closed (journaled)."""
        return self._post(f"/registers/{register_id}/x-report")

    def close_register(
        self, register_id: str, counted: dict[str, str], float_left: str
    ) -> dict[str, Any]:
        """The Z: `counted` per payment mode code; the answer holds the sealed `closure`."""
        return self._post(
            f"/registers/{register_id}/close", {"counted": counted, "float_left": float_left}
        )

    def issue(
        self, order_id: str, document: str = "receipt", channel: str = "print"
    ) -> dict[str, Any]:
        """Record an issuance before printing: its `copy` (1, the original; then duplicata) and
        the signed `proof` of the receipt's QR code. No answer, no print."""
        return self._post(
            f"/orders/{order_id}/issuances", {"document": document, "channel": channel}
        )

    def refund(self, order_id: str, register_id: str) -> dict[str, Any]:
        """An open corrective order that cancels the validated `order_id` (managers only)."""
        return self._post(f"/orders/{order_id}/refund", {"register_id": register_id})

    def orders(self, **filters: str | int | None) -> list[dict[str, Any]]:
        """A page of the shop's orders, newest first (`status`, `register_id`, `public_number`,
        `before`, `limit`)."""
        query = urlencode({name: value for name, value in filters.items() if value is not None})
        result: list[dict[str, Any]] = self.get("/orders" + (f"?{query}" if query else ""))
        return result

    # ------------------------------------------------------------------------ files

    def download(self, path: str, folder: Path, fallback: str) -> Path:
        """A file the server sends, saved in `folder` under the name the server gives it (else
        `fallback`), whole or not at all: written to a temporary file beside it, synced, then
        renamed over any file of that name.

        Asked once: the server journals most files it hands over, and a retry would journal
        the export again; whoever asked asks again. The server makes a big file (a busy year's
        SAF-T) before it sends its first byte: the answer is waited for longer than a call's."""
        sent = self._headers(None)
        timeouts = Timeouts(self.timeouts.connect, max(self.timeouts.read, FILE_READ_TIMEOUT))

        def receive(response: requests.Response) -> Answer:
            target = folder / attachment_name(response.headers.get("Content-Disposition"), fallback)
            with atomic_write(target) as part:
                for chunk in response.iter_content(FILE_PART):
                    part.write(chunk)
            return Answer(response.status_code, target, replayed=False)

        answer = self._retrying(
            lambda: self._try("GET", self.server + path, None, sent, receive, timeouts), ONCE
        )
        saved: Path = answer.body
        return saved

    def report(
        self,
        period: Period,
        register_id: str | None = None,
        user_id: str | None = None,
        sections: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The shop's report of a period as JSON (`report`, `summary`, `charts`, `sections`),
        for one register and one user, or all; only the `sections` named, if given (a year's
        list of orders is large); not journaled, since it leaves no file."""
        path = _report_path(period, register_id, user_id, "json")
        if sections is not None:
            path += "&" + urlencode({"sections": ",".join(sections)})
        report: dict[str, Any] = self.get(path)
        return report

    def save_report(
        self,
        file_format: ReportFile,
        period: Period,
        register_id: str | None,
        user_id: str | None,
        folder: Path,
    ) -> Path:
        """The report as a file in `folder`; the server journals it as an export first."""
        return self.download(
            _report_path(period, register_id, user_id, file_format),
            folder,
            f"rapport.{file_format}",
        )

    def save_export(self, export: AccountingExport, period: Period, folder: Path) -> Path:
        """The shop's FEC or SAF-T Cash Register file of a period in `folder` (journaled)."""
        return self.download(
            f"/exports/{export}?{urlencode(period.query())}", folder, EXPORT_NAMES[export]
        )

    def archives(self) -> list[dict[str, Any]]:
        """The shop's signed fiscal archives, oldest first."""
        archives: list[dict[str, Any]] = self.get("/archives")
        return archives

    def save_archive(self, archive: dict[str, Any], folder: Path) -> list[Path]:
        """An archive's ZIP in `folder`, with its signature (`.zip.sig`) and the shop's public
        key (`.zip.pub`) beside it, where the verifier looks for them."""
        name, downloads = str(archive["file_name"]), archive["downloads"]
        return [
            self.download(downloads[kind], folder, name + suffix)
            for kind, suffix in (("zip", ""), ("sig", ".sig"), ("pub", ".pub"))
        ]


ReportFile = Literal["csv", "xlsx", "html", "pdf"]
AccountingExport = Literal["fec", "saft"]
EXPORT_NAMES: dict[AccountingExport, str] = {"fec": "FEC.txt", "saft": "saft.xml"}
FILE_PART = 1 << 20
FILE_READ_TIMEOUT = 300.0
_FILE_NAME = re.compile(r"""filename="?([^";]+)"?""")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def attachment_name(disposition: str | None, fallback: str) -> str:
    """The file name the server gives, kept to plain characters and to no folder of its own."""
    found = _FILE_NAME.search(disposition or "")
    name = _UNSAFE.sub("-", Path(found.group(1).strip()).name) if found else ""
    return name if name.strip(".-") and not name.startswith(".") else fallback


def _report_path(
    period: Period, register_id: str | None, user_id: str | None, report_format: str
) -> str:
    query = {**period.query(), "register": register_id, "user": user_id, "format": report_format}
    return "/reports?" + urlencode({name: value for name, value in query.items() if value})
