"""Validation requests, sealed in groups.

Validation requests queue in this process, and a thread of its own seals them, group after group:
in one transaction it takes every request queued by then, finds who sent each, takes the locks of
their shops (`server.db.try_lock_shops`), reads their orders at once and seals them in turn, with
one commit. Each order still gets its own number, record and idempotency answer, and the shops'
locks keep numbers gapless across processes: a group only shares the statements, waits and commit
that each validation would spend on its own.

A shop whose lock is held elsewhere (another process sealing, a closure) does not hold up the
others: its requests wait for a later group. When every shop waiting is held, the thread waits for
the first one's lock, holding no other, so two processes never wait for each other; for a while
only, then it looks at the queue again.

Threading: requests wait for their answer on the event loop, and the queue is all they share with
the sealing thread (under `Validations._lock`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import idempotency
from server.accounts.services import WRITERS, Actor, actors_for
from server.db import Database, try_lock_shops, wait_for_shop
from server.orders import services
from server.sealing.keys import KeyStore
from till.errors import TillError

# Bounds a group's transaction, and the wait of the last one in it.
MAX_GROUP = 64
# How long a group waits for a shop's lock held elsewhere before looking at the queue again.
BUSY_SHOP_WAIT_MS = 50

Answer = tuple[int, bytes, bool]  # status, body, replayed


class _ShopsBusy(Exception):
    """Every shop waiting is being sealed elsewhere, for longer than a group waits."""


@dataclass(eq=False)
class Request:
    """A validation request: who sends it (their tokens), for which order, under which key, and
    the future its answer goes to, on the event loop the request is served on."""

    device_token: str | None
    session_token: str | None
    order_id: str
    key: str | None
    fingerprint: str
    answer: asyncio.Future[Answer]

    def settle(self, outcome: Answer | Exception) -> None:
        """Give the request its outcome (from the sealing thread)."""
        # Its event loop closed (RuntimeError): nobody is waiting for the answer any more.
        with suppress(RuntimeError):
            self.answer.get_loop().call_soon_threadsafe(_settle, self.answer, outcome)


def _settle(answer: asyncio.Future[Answer], outcome: Answer | Exception) -> None:
    if answer.done():  # the request was cancelled (its client went away)
        return
    if isinstance(outcome, Exception):
        answer.set_exception(outcome)
    else:
        answer.set_result(outcome)


# Who sent each request of a group, in the queue's order, or why they may not validate.
Senders = dict[Request, Actor | TillError]


class Validations:
    """The validation requests of this process, queued, and the thread that seals them."""

    def __init__(self, database: Database, keys: KeyStore) -> None:
        self.database = database
        self.keys = keys
        self._lock = threading.Lock()
        self._queued = threading.Condition(self._lock)
        self._waiting: list[Request] = []
        self._thread: threading.Thread | None = None

    async def seal(
        self,
        device_token: str | None,
        session_token: str | None,
        order_id: str,
        key: str | None,
        fingerprint: str,
    ) -> Answer:
        """Seal the order in the next group that can; the answer once that group committed."""
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        request = Request(device_token, session_token, order_id, key, fingerprint, answer)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sealing", daemon=True)
                self._thread.start()
            self._waiting.append(request)
            self._queued.notify()
        return await answer

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._queued.wait()
            try:
                self._seal_while_waiting()
            except Exception as error:  # no connection to be had: the first one waiting fails
                with self._lock:
                    first = self._waiting.pop(0) if self._waiting else None
                if first is not None:
                    first.settle(error)

    def _seal_while_waiting(self) -> None:
        """Seal groups until no request is waiting.

        On PostgreSQL the groups of such a busy spell go through one connection, taken from the
        pool (and checked) when it starts: its prepared statements and its server process stay
        warm, where each group would otherwise get the pool's next connection. On SQLite each group
        takes the write connection anew, as the other writes of this process share it.
        """
        with nullcontext() if self.database.is_sqlite else self.database.connect() as connection:
            while True:
                group: list[Request] = []
                try:
                    outcomes = self._seal_group(group, connection)
                except Exception as error:
                    if not group:  # failed before taking any: the first one waiting fails
                        with self._lock:
                            group.append(self._waiting.pop(0))
                    outcomes = [error] * len(group)
                    broken = True
                else:
                    broken = False
                for request, outcome in zip(group, outcomes, strict=True):
                    request.settle(outcome)
                with self._lock:
                    if broken or not self._waiting:
                        return  # a failed connection is not used again

    def _take(self) -> list[Request]:
        """The requests waiting, out of the queue."""
        with self._lock:
            taken, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
        return taken

    def _senders(self, session: Session, requests: list[Request]) -> Senders:
        tokens = [(request.device_token, request.session_token) for request in requests]
        senders: Senders = {}
        for request, actor in zip(requests, actors_for(session, tokens), strict=True):
            senders[request] = actor
            if isinstance(actor, Actor):
                try:
                    actor.require(WRITERS, "do this")
                except TillError as refused:
                    senders[request] = refused
        return senders

    def _seal_group(
        self, group: list[Request], connection: Connection | None
    ) -> list[Answer | Exception]:
        """Seal the requests waiting whose shops' locks can be taken; `group` receives those it
        answers, the others wait again."""

        def take(session: Session) -> Senders:
            session.connection()  # on SQLite the write lock, taken first so as to take more
            group.extend(self._take())
            senders = self._senders(session, group)
            shops = {actor.shop_id for actor in senders.values() if isinstance(actor, Actor)}
            held = try_lock_shops(session, shops)
            if shops and not held:
                # Every shop waiting is being sealed elsewhere: wait for the first one's lock,
                # holding none, so that two processes never wait for each other, then take it with
                # whatever of that shop came meanwhile. For a while only: a request of another
                # shop may come meanwhile, which must not wait behind a long closure.
                shop_id = next(a.shop_id for a in senders.values() if isinstance(a, Actor))
                if not wait_for_shop(session, shop_id, BUSY_SHOP_WAIT_MS):
                    raise _ShopsBusy
                held = {shop_id}
                more = self._take()
                group.extend(more)
                senders.update(self._senders(session, more))
            later = [
                request
                for request, actor in senders.items()
                if isinstance(actor, Actor) and actor.shop_id not in held
            ]
            for request in later:
                del senders[request]
            group[:] = list(senders)
            self._wait_again(later)
            return senders

        try:
            return self._seal_together(take, connection)
        except _ShopsBusy:
            self._wait_again(group)
            group.clear()
            return []
        except Exception:
            if len(group) <= 1:
                raise
        # One request can fail a whole group (its key taken meanwhile by another request): each
        # again on its own, so that only that one fails.
        taken, group[:], outcomes, busy = list(group), [], [], []
        for request in taken:
            outcome = self._seal_alone(request)
            if outcome is None:
                busy.append(request)
            else:
                group.append(request)
                outcomes.append(outcome)
        self._wait_again(busy)  # at once, so that they keep their order in the queue
        return outcomes

    def _wait_again(self, requests: list[Request]) -> None:
        """Put requests back at the head of the queue, in their order."""
        with self._lock:
            self._waiting[:0] = requests

    def _seal_alone(self, request: Request) -> Answer | Exception | None:
        """The request sealed on its own; None when its shop is still busy elsewhere."""

        def take(session: Session) -> Senders:
            senders = self._senders(session, [request])
            actor = senders[request]
            if isinstance(actor, Actor) and not wait_for_shop(
                session, actor.shop_id, BUSY_SHOP_WAIT_MS
            ):
                raise _ShopsBusy
            return senders

        try:
            return self._seal_together(take, None)[0]
        except _ShopsBusy:
            return None
        except IntegrityError as error:
            # The one row a group can clash on: this key, used meanwhile by another request.
            if request.key is not None:
                with self.database.reader() as session:
                    try:
                        (actor,) = self._senders(session, [request]).values()
                        replayed = (
                            idempotency.replay(
                                session, actor.device_id, request.key, request.fingerprint
                            )
                            if isinstance(actor, Actor)
                            else None
                        )
                    except TillError as refused:
                        return refused
                if replayed is not None:
                    return (*replayed, True)
            return error
        except Exception as error:
            return error

    def _seal_together(
        self, take: Callable[[Session], Senders], connection: Connection | None
    ) -> list[Answer | Exception]:
        """Seal, in one transaction, the requests `take` gives once it holds their shops' locks."""
        with self.database.writer(connection) as session:
            senders = take(session)
            order_ids = {r.order_id for r, actor in senders.items() if isinstance(actor, Actor)}
            group = services.ValidationGroup(session, self.keys, order_ids)
            answered: dict[tuple[str, str], tuple[str, int, bytes]] = {}
            outcomes = [
                self._seal_one(session, group, request, actor, answered)
                if isinstance(actor, Actor)
                else actor
                for request, actor in senders.items()
            ]
            group.write()
            idempotency.store(
                session,
                [
                    idempotency.answer_row(scope, key, fingerprint, status, body)
                    for (scope, key), (fingerprint, status, body) in answered.items()
                ],
            )
            session.commit()
        return outcomes

    @staticmethod
    def _seal_one(
        session: Session,
        group: services.ValidationGroup,
        request: Request,
        actor: Actor,
        answered: dict[tuple[str, str], tuple[str, int, bytes]],
    ) -> Answer | Exception:
        """One request's answer: its order sealed, or the answer already given to its key."""
        scope, key = actor.device_id, request.key
        try:
            if key is not None and (scope, key) in answered:
                # The same request twice in one group (a till retrying at once): one validation.
                fingerprint, status, body = answered[(scope, key)]
                if fingerprint != request.fingerprint:
                    raise idempotency.KeyReused()
                return status, body, True
            try:
                validation = group.seal(actor, request.order_id)
            except TillError:
                # A request with the same key may have sealed this order already: its answer.
                replayed = (
                    None
                    if key is None
                    else idempotency.replay(session, scope, key, request.fingerprint)
                )
                if replayed is None:
                    raise
                return (*replayed, True)
        except TillError as error:
            return error
        body = orjson.dumps(validation.answer())
        if key is not None:
            answered[(scope, key)] = (request.fingerprint, 200, body)
        return 200, body, False
