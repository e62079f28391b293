"""A fault-injecting TCP proxy for HTTP/1.1 on loopback, between the till and the server.

It reads each request and each response whole (Content-Length or chunked), so it can decide, call
by call, to let it through or to break it:

- `DROP`: the request never reaches the server; the connection is reset.
- `DELAY`: the answer comes `delay` seconds late.
- `RESET_MID_RESPONSE`: the server did the call; half of its answer arrives, then a reset.
- `BLACK_HOLE`: the request is swallowed, nothing comes back; the connection stays open.
- `LOSE_ANSWER`: the server did the call; its answer is swallowed, the connection stays open.

`network_down()` breaks every new call the same way until `network_up()`. Every exchange is logged
with its fault, its Idempotency-Key and whether the server's answer was a replay. Given a TLS
context, it terminates TLS for the till, as a reverse proxy in front of the server would.
"""

from __future__ import annotations

import contextlib
import enum
import random
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO


class Fault(enum.Enum):
    PASS = "pass"
    DROP = "drop"
    DELAY = "delay"
    RESET_MID_RESPONSE = "reset_mid_response"
    BLACK_HOLE = "black_hole"
    LOSE_ANSWER = "lose_answer"


Decide = Callable[[str, str], Fault]


@dataclass
class Exchange:
    method: str
    path: str
    fault: Fault
    key: str | None
    status: int | None = None
    replayed: bool = False


class RandomFaults:
    """Each call whose path starts with one of `paths` gets a fault drawn at the given rates."""

    def __init__(self, seed: int, rates: dict[Fault, float], paths: tuple[str, ...] = ("/",)):
        self.rng = random.Random(seed)
        self.rates = rates
        self.paths = paths
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str) -> Fault:
        if not path.startswith(self.paths):
            return Fault.PASS
        with self.lock:
            draw = self.rng.random()
        for fault, rate in self.rates.items():
            if draw < rate:
                return fault
            draw -= rate
        return Fault.PASS


class Hold:
    """Keeps the answer to the `nth` call matching (method, path prefix) until released: the
    server has done the call, the till has not heard of it yet."""

    def __init__(self, method: str, path: str, nth: int = 1) -> None:
        self.method, self.path, self.nth = method, path, nth
        self.seen = 0
        self.held = threading.Event()
        self.released = threading.Event()

    def matches(self, method: str, path: str) -> bool:
        if method != self.method or not path.startswith(self.path):
            return False
        self.seen += 1
        return self.seen == self.nth


def _read_head(stream: BinaryIO) -> bytes | None:
    lines = []
    while True:
        line = stream.readline(65_536)
        if not line:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _headers(head: bytes) -> dict[str, str]:
    found = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if value:
            found[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return found


def _read_body(stream: BinaryIO, headers: dict[str, str]) -> bytes | None:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size_line = stream.readline(1024)
            if not size_line:
                return None
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            chunk = stream.read(size + 2)
            if len(chunk) < size + 2:
                return None
            parts.append(chunk)
            if size == 0:
                return b"".join(parts)
    length = int(headers.get("content-length", "0"))
    body = stream.read(length) if length else b""
    return body if len(body) == length else None


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset rather than a clean end."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        decide: Decide | None = None,
        delay: float = 0.2,
        tls: ssl.SSLContext | None = None,
    ):
        self.upstream_port = upstream_port
        self.tls = tls
        self.decide: Decide = decide or (lambda method, path: Fault.PASS)
        self.delay = delay
        self.exchanges: list[Exchange] = []
        self.hold: Hold | None = None
        self._down: Fault | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                _reset(connection)
            self._connections.clear()

    def network_down(self, fault: Fault = Fault.BLACK_HOLE) -> None:
        """Every call from now on meets `fault`; connections already open are cut."""
        with self._lock:
            self._down = fault
            for connection in self._connections:
                _reset(connection)
            self._connections.clear()

    def network_up(self) -> None:
        with self._lock:
            self._down = None

    def faults(self) -> dict[Fault, int]:
        counts: dict[Fault, int] = {}
        for exchange in list(self.exchanges):
            counts[exchange.fault] = counts.get(exchange.fault, 0) + 1
        return counts

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            if self.tls is not None:
                connection = self.tls.wrap_socket(
                    connection, server_side=True, do_handshake_on_connect=False
                )
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _fault(self, method: str, path: str) -> Fault:
        with self._lock:
            down = self._down
        return down if down is not None else self.decide(method, path)

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        from_server: BinaryIO | None = None
        try:
            if isinstance(client, ssl.SSLSocket):
                client.do_handshake()
            from_client = client.makefile("rb")
            while not self._stop.is_set():
                head = _read_head(from_client)
                if head is None:
                    return
                headers = _headers(head)
                body = _read_body(from_client, headers)
                if body is None:
                    return
                method, path = head.split(b" ", 2)[:2]
                method_text, path_text = method.decode(), path.decode()
                fault = self._fault(method_text, path_text)
                exchange = Exchange(method_text, path_text, fault, headers.get("idempotency-key"))
                self.exchanges.append(exchange)
                if fault is Fault.DROP:
                    _reset(client)
                    return
                if fault is Fault.BLACK_HOLE:
                    self._swallow(from_client)
                    return
                if upstream is None or from_server is None:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                    from_server = upstream.makefile("rb")
                upstream.sendall(head + body)
                answer_head = _read_head(from_server)
                if answer_head is None:
                    _reset(client)
                    return
                answer_headers = _headers(answer_head)
                status = int(answer_head.split(b" ", 2)[1])
                answer_body = (
                    b""
                    if method_text == "HEAD" or status in (204, 304)
                    else _read_body(from_server, answer_headers)
                )
                if answer_body is None:
                    _reset(client)
                    return
                exchange.status = status
                exchange.replayed = answer_headers.get("idempotent-replayed") == "true"
                hold = self.hold
                if hold is not None and hold.matches(method_text, path_text):
                    hold.held.set()
                    hold.released.wait()
                if fault is Fault.LOSE_ANSWER:
                    self._swallow(from_client)
                    return
                if fault is Fault.DELAY:
                    self._stop.wait(self.delay)
                answer = answer_head + answer_body
                if fault is Fault.RESET_MID_RESPONSE:
                    client.sendall(answer[: max(1, len(answer) // 2)])
                    _reset(client)
                    return
                client.sendall(answer)
                if answer_headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            if upstream is not None:
                upstream.close()
            with self._lock:
                if client in self._connections:
                    self._connections.remove(client)
            with contextlib.suppress(OSError):
                client.close()

    def _swallow(self, from_client: BinaryIO) -> None:
        """Say nothing; read until the client gives up and closes."""
        try:
            while from_client.read(1):
                pass
        except OSError:
            pass
