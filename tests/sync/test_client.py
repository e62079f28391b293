"""The API client against the real server: enrollment and log-in, typed errors a cashier can read,
an Idempotency-Key on every mutating call and the same key on every retry, backoff with jitter,
time-outs, TLS verified (a private CA only when given), and connectivity known and announced."""

from __future__ import annotations

import random
import ssl
import threading
import time
from pathlib import Path

import pytest
import trustme

from sync import ticket as changes
from sync.client import ApiClient, RetryPolicy, Timeouts
from sync.clock import FakeClock
from sync.credentials import MemoryCredentials
from sync.errors import (
    CertificateRejected,
    NotFound,
    Rejected,
    ServerUnreachable,
    Unauthorized,
)
from sync.events import ConnectivityChanged
from sync.service import TillSync
from tests.server.helpers import PINS
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import Recorder, wait_until
from tests.sync.servers import Site, enrolled_till, till_settings


def test_enrollment_keeps_the_device_token_and_log_in_opens_a_session(
    site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    credentials = MemoryCredentials()
    till = enrolled_till(site, shop_id, proxy.url, tmp_path, credentials=credentials)
    try:
        token = credentials.device_token(proxy.url)
        assert token is not None and till.client.device_token == token
        assert till.shop_id == shop_id
        me = till.client.get("/me")
        assert me["user"]["id"] == "u-karim" and me["shop_id"] == shop_id
    finally:
        till.close()
    # A restarted till finds its token; only the PIN is asked again.
    again = TillSync(till_settings(tmp_path, proxy.url), credentials=credentials)
    try:
        assert again.enrolled
        again.log_in("u-lea", PINS["u-lea"])
        assert again.client.get("/me")["user"]["id"] == "u-lea"
    finally:
        again.close()


def test_a_log_in_right_after_a_log_out_keeps_its_session(
    till: TillSync, proxy: FaultProxy
) -> None:
    """The screen ends a session on a worker and goes back to the log-in at once; the next user
    may log in before the server has answered the log-out, which must not end their session."""
    proxy.decide = lambda method, path: Fault.DELAY if method == "DELETE" else Fault.PASS
    proxy.delay = 0.5
    leaving = threading.Thread(target=till.log_out)
    leaving.start()
    time.sleep(0.1)  # the log-out is on its way
    till.log_in("u-lea", PINS["u-lea"])
    leaving.join()
    assert till.client.get("/me")["user"]["id"] == "u-lea"


def test_errors_are_typed_readable_and_not_retried(till: TillSync, proxy: FaultProxy) -> None:
    with pytest.raises(Unauthorized) as wrong_pin:
        till.client.log_in("u-karim", "0000")
    with pytest.raises(NotFound) as missing:
        till.client.get("/orders/" + "0" * 32)
    ticket = till.new_ticket()
    with pytest.raises(Rejected) as invalid:
        till.client.call(
            "POST", f"/orders/{ticket.id}/lines", {"article_id": "the", "quantity": "x"}
        )
    for error, status in ((wrong_pin, 401), (missing, 404), (invalid, 422)):
        assert error.value.status == status
        assert len(error.value.message) > 15 and " " in error.value.message
        assert "Traceback" not in error.value.message
    assert missing.value.code == "not_found"
    # Each was asked once: a refusal is an answer, not a reason to try again.
    assert len([e for e in proxy.exchanges if e.path.endswith("/lines")]) == 1


def test_every_mutating_call_has_a_key_and_every_retry_the_same_key(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    ticket = till.new_ticket()
    cut = {"done": False}

    def cut_the_first_answer(method: str, path: str) -> Fault:
        if path.endswith("/lines") and not cut["done"]:
            cut["done"] = True
            return Fault.RESET_MID_RESPONSE
        return Fault.PASS

    proxy.decide = cut_the_first_answer
    ticket.submit(changes.add_line("croissant"))
    assert ticket.wait(10)
    ticket.submit(changes.add_payment("card", ticket.order["final_price"]))
    assert ticket.wait(10)
    ticket.validate()
    mutating = [e for e in proxy.exchanges if e.method != "GET"]
    assert mutating and all(exchange.key for exchange in mutating)
    assert all(exchange.key is None for exchange in proxy.exchanges if exchange.method == "GET")
    first, second = [e for e in proxy.exchanges if e.path.endswith("/lines")]
    assert first.key == second.key
    assert first.fault is Fault.RESET_MID_RESPONSE and second.replayed
    assert site.lines(ticket.id) == 1
    assert len({e.key for e in mutating}) == len(mutating) - 1  # only the retry shares a key


class RecordingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


def test_retries_back_off_exponentially_with_jitter(proxy: FaultProxy) -> None:
    proxy.network_down(Fault.DROP)
    clock = RecordingClock()
    policy = RetryPolicy(attempts=7, first_delay=0.1, max_delay=1.0, budget=60.0)
    client = ApiClient(proxy.url, clock=clock, retry=policy, rng=random.Random(4))
    with pytest.raises(ServerUnreachable) as unreachable:
        client.call("POST", "/orders", {"register_id": "R1"})
    assert "cannot be reached" in unreachable.value.message
    assert len(clock.sleeps) == 6
    for retry, delay in enumerate(clock.sleeps):
        ceiling = min(1.0, 0.1 * 2**retry)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(clock.sleeps)) == 6  # jittered: tills that failed together do not retry together
    keys = {exchange.key for exchange in proxy.exchanges}
    assert len(proxy.exchanges) == 7 and len(keys) == 1
    # The budget stops the retries too.
    clock.sleeps.clear()
    with pytest.raises(ServerUnreachable):
        client.call("GET", "/health", retry=RetryPolicy(attempts=100, first_delay=1, budget=3))
    assert sum(clock.sleeps) <= 3


def test_a_black_hole_times_out_and_the_till_goes_offline(
    till: TillSync, proxy: FaultProxy
) -> None:
    recorder = Recorder(till)
    till.client.timeouts = Timeouts(connect=0.5, read=0.5)
    till.client.retry = RetryPolicy(attempts=3, first_delay=0.01, budget=10)
    proxy.network_down(Fault.BLACK_HOLE)
    started = time.monotonic()
    with pytest.raises(ServerUnreachable) as unreachable:
        till.client.get("/me")
    assert time.monotonic() - started < 5
    assert "no answer within 0.5 s" in unreachable.value.message
    assert till.online is False
    proxy.network_up()
    till.client.get("/me")
    assert till.online is True
    assert [event.online for event in recorder.of(ConnectivityChanged)] == [False, True]


def test_the_heartbeat_notices_changes_on_its_own(till: TillSync, proxy: FaultProxy) -> None:
    recorder = Recorder(till)
    till.heartbeat.offline_every = 0.1
    till.client.timeouts = Timeouts(connect=0.3, read=0.3)
    till.start()

    def announced(count: int) -> bool:
        return len(recorder.of(ConnectivityChanged)) == count

    proxy.network_down(Fault.DROP)
    wait_until(lambda: announced(1))
    assert till.online is False
    assert till.store.get("offline_window") is not None  # the count is kept while offline
    proxy.network_up()
    wait_until(lambda: announced(2))
    assert till.online is True
    assert [event.online for event in recorder.of(ConnectivityChanged)] == [False, True]
    # Online and quiet, it only asks /health now and then, and nothing when calls are made.
    health = len([e for e in proxy.exchanges if e.path == "/health"])
    assert health >= 2


def test_tls_is_verified_and_a_private_ca_only_when_given(
    site: Site, shop_id: str, tmp_path: Path
) -> None:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    proxy = FaultProxy(site.server.port, tls=context).start()
    try:
        assert proxy.url.startswith("https://")
        unknown = TillSync(
            till_settings(tmp_path / "a", proxy.url), credentials=MemoryCredentials()
        )
        with pytest.raises(CertificateRejected) as rejected:
            unknown.enroll(site.enrollment_code(shop_id))
        assert "TILL_SYNC_CA_BUNDLE" in rejected.value.message
        assert "(unable to get local issuer certificate)" in rejected.value.message
        assert proxy.exchanges == []  # nothing was said to a server it could not trust
        assert unknown.online is None
        unknown.close()
        bundle = tmp_path / "private-ca.pem"
        authority.cert_pem.write_to_path(str(bundle))
        trusted = enrolled_till(site, shop_id, proxy.url, tmp_path / "b", ca_bundle=bundle)
        assert trusted.client.get("/me")["shop_id"] == shop_id
        trusted.close()
    finally:
        proxy.stop()
