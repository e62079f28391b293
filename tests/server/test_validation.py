"""Validations sealed in groups, on both databases: requests that wait together, while their
shops' lock is held elsewhere, are sealed together, each with its own number, record and answer;
a refused one, or one sent twice, leaves the others as they would be on their own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from server import idempotency
from server.db import lock_shop
from server.deps import Services
from server.orders.validation import Answer
from tests.server.helpers import Till, enroll, error_of, new_shop

REPLAYED = "Idempotent-Replayed"


@contextmanager
def held(services: Services, *shop_ids: str) -> Iterator[None]:
    """The shops' sealing locks held by another transaction (a closure under way, say)."""
    with services.database.writer() as session:
        session.connection()  # on SQLite, the database's write lock: every shop's
        for shop_id in shop_ids:
            lock_shop(session, shop_id)
        yield
        session.rollback()


def paid_order(till: Till, *, pay: bool = True) -> str:
    order = till.add(till.new_order()["id"], "croissant")
    if pay:
        till.pay(order["id"], "card", order["final_price"])
    return str(order["id"])


def sent_together(
    services: Services, requests: list[tuple[Till, str, str | None]]
) -> list[Answer | BaseException]:
    """Send validations (till, order, key) while their shops' locks are held elsewhere, so that
    they all wait in the queue, then let them be sealed; their answers, in the same order."""

    async def send() -> list[Answer | BaseException]:
        path = "/orders/{}/validate"
        with held(services, *{till.shop_id for till, _, _ in requests}):
            sent = [
                asyncio.create_task(
                    services.validations.seal(
                        till.device_token,
                        till.session_token,
                        order_id,
                        key,
                        idempotency.request_hash(services.keys, "POST", path.format(order_id), b""),
                    )
                )
                for till, order_id, key in requests
            ]
            await asyncio.sleep(0)  # each is queued before its first wait
        return await asyncio.gather(*sent, return_exceptions=True)

    return asyncio.run(send())


def body(answer: Answer | BaseException) -> Any:
    assert isinstance(answer, tuple), answer
    status, content, _ = answer
    assert status == 200
    return orjson.loads(content)


def test_requests_waiting_together_are_sealed_in_one_group(
    services: Services, cashier: Till
) -> None:
    orders = [paid_order(cashier) for _ in range(4)]
    answers = sent_together(services, [(cashier, order, f"g-{order}") for order in orders])
    sealed = [body(answer) for answer in answers]
    assert [order["internal_number"] for order in sealed] == [1, 2, 3, 4]
    assert [order["id"] for order in sealed] == orders
    # One group: one moment, one transaction.
    assert len({order["validated_at"] for order in sealed}) == 1
    for order in sealed:
        assert order["record"]["seq"] == order["internal_number"]
        assert order["chain_heads"]["order"]["seq"] == order["internal_number"]
    assert cashier.ok("GET", "/verification/chains")["ok"] is True
    # Each answer was kept with its own key.
    again = cashier.request(
        "POST", f"/orders/{orders[2]}/validate", headers={"Idempotency-Key": f"g-{orders[2]}"}
    )
    assert again.headers[REPLAYED] == "true"
    assert again.content == answers[2][1]  # type: ignore[index]


def test_a_refused_request_leaves_its_group_be(services: Services, cashier: Till) -> None:
    first, unpaid, last = paid_order(cashier), paid_order(cashier, pay=False), paid_order(cashier)
    answers = sent_together(services, [(cashier, order, None) for order in (first, unpaid, last)])
    assert [body(answers[0])["internal_number"], body(answers[2])["internal_number"]] == [1, 2]
    refused = answers[1]
    assert isinstance(refused, Exception) and getattr(refused, "code", "") == (
        "order_not_fully_paid"
    )
    assert cashier.ok("GET", f"/orders/{unpaid}")["status"] == "open"
    assert cashier.ok("GET", "/verification/chains")["ok"] is True


def test_the_same_request_twice_in_a_group_is_sealed_once(
    services: Services, cashier: Till
) -> None:
    order = paid_order(cashier)
    first, second = sent_together(services, [(cashier, order, "twice"), (cashier, order, "twice")])
    assert isinstance(first, tuple) and isinstance(second, tuple)
    assert first[1] == second[1]
    assert (first[2], second[2]) == (False, True)
    assert body(first)["internal_number"] == 1
    # Another key for the same order: a second validation, refused.
    other = sent_together(services, [(cashier, order, "other")])[0]
    assert getattr(other, "code", "") == "order_not_open"
    assert cashier.sale("eau")["internal_number"] == 2


def test_a_group_seals_the_orders_of_several_shops(
    client: TestClient, services: Services, cashier: Till
) -> None:
    other = enroll(client, services, new_shop(services, public_prefix="B")).log_in("u-karim")
    requests = [(till, paid_order(till), None) for till in (cashier, other, cashier, other)]
    sealed = [body(answer) for answer in sent_together(services, requests)]
    assert [order["public_number"] for order in sealed] == [
        "T00000001",
        "B00000001",
        "T00000002",
        "B00000002",
    ]
    assert len({order["validated_at"] for order in sealed}) == 1
    # Again, on chains that now hold records: the tips of both shops, read at once, go on.
    requests = [(till, paid_order(till), None) for till in (other, cashier)]
    sealed = [body(answer) for answer in sent_together(services, requests)]
    assert [order["public_number"] for order in sealed] == ["B00000003", "T00000003"]
    assert [order["record"]["seq"] for order in sealed] == [3, 3]
    for till in (cashier, other):
        assert till.ok("GET", "/verification/chains")["ok"] is True


def test_a_shop_sealing_elsewhere_holds_up_no_other(
    backend: str, client: TestClient, services: Services, cashier: Till
) -> None:
    if backend == "sqlite":
        pytest.skip("one write lock for the whole database: nothing to show there")
    other = enroll(client, services, new_shop(services)).log_in("u-karim")
    waiting, free = paid_order(cashier), paid_order(other)
    answers: list[Any] = []
    with held(services, cashier.shop_id):
        thread = threading.Thread(
            target=lambda: answers.append(cashier.request("POST", f"/orders/{waiting}/validate"))
        )
        thread.start()
        time.sleep(0.2)  # its request first in the queue, its shop's lock awaited
        assert other.validate(free)["internal_number"] == 1
        assert not answers  # still waiting for its shop's lock
    thread.join(timeout=30)
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["internal_number"] == 1
    error_of(cashier.request("POST", f"/orders/{waiting}/validate"), 409, "order_not_open")
