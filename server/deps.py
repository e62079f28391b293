"""What a route needs, as `Annotated` dependencies: the services of this app, who is asking, and a
session to read with, or a mutation that writes once, under its idempotency key.

Threading: routes are plain functions run in the server's worker threads; the database work of a
request happens in that thread, in one session, and nothing is shared between requests but the
engines, the key store, the metrics and the queue of validations (all thread-safe; validations are
sealed by a thread of their own, `server.orders.validation`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server import idempotency
from server.accounts.models import Device, Role
from server.accounts.services import WRITERS, Actor, actor_for, device_for
from server.config import Settings
from server.db import Database
from server.errors import Forbidden
from server.operations.metrics import Metrics
from server.orders.validation import Validations
from server.sealing.keys import KeyStore


@dataclass(frozen=True)
class Services:
    """The one composition place: what the app was built with (see `server.app.create_app`)."""

    settings: Settings
    database: Database
    keys: KeyStore
    metrics: Metrics
    validations: Validations


async def _services(request: Request) -> Services:
    # A coroutine, as it does no I/O: FastAPI runs a plain function in a worker thread.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]

device_header = APIKeyHeader(name="X-Device-Token", auto_error=False, scheme_name="DeviceToken")
bearer = HTTPBearer(auto_error=False, scheme_name="SessionToken")
DeviceToken = Annotated[str | None, Depends(device_header)]
SessionCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def reader_session(services: ServicesDep) -> Iterator[Session]:
    with services.database.reader() as session:
        yield session


def writer_session(services: ServicesDep) -> Iterator[Session]:
    with services.database.writer() as session:
        yield session


ReadSession = Annotated[Session, Depends(reader_session)]
WriteSession = Annotated[Session, Depends(writer_session)]


@dataclass(frozen=True)
class Reader:
    session: Session
    actor: Actor


def _reader(session: ReadSession, device: DeviceToken, credentials: SessionCredentials) -> Reader:
    token = credentials.credentials if credentials else None
    return Reader(session, actor_for(session, device, token))


ReaderDep = Annotated[Reader, Depends(_reader)]


@dataclass(frozen=True)
class Enrolled:
    """An enrolled till, before anyone has logged in on it."""

    session: Session
    device: Device


def _enrolled(session: ReadSession, device: DeviceToken) -> Enrolled:
    return Enrolled(session, device_for(session, device))


EnrolledDep = Annotated[Enrolled, Depends(_enrolled)]


class Mutation:
    """A change requested by a logged-in user: `respond` authenticates, checks the role, runs the
    change once (idempotency key) and commits, in one write transaction."""

    def __init__(
        self,
        services: Services,
        device: str | None,
        session_token: str | None,
        key: str | None,
        fingerprint: str,
    ) -> None:
        self.services = services
        self._device = device
        self._session_token = session_token
        self._key = key
        self._fingerprint = fingerprint

    @property
    def device_token(self) -> str | None:
        return self._device

    @property
    def session_token(self) -> str | None:
        return self._session_token

    @property
    def key(self) -> str | None:
        return self._key

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def respond(
        self,
        produce: Callable[[Session, Actor], Any],
        *,
        status: int = 200,
        roles: frozenset[Role] = WRITERS,
        on_commit: Callable[[], None] | None = None,
    ) -> Response:
        with self.services.database.writer() as session:
            actor = actor_for(session, self._device, self._session_token)
            if actor.role not in roles:
                raise Forbidden(f"Your role ({actor.role.value}) may not do this.")
            return self.answer(
                session,
                actor.device_id,
                lambda: produce(session, actor),
                status=status,
                on_commit=on_commit,
            )

    def answer(
        self,
        session: Session,
        scope: str,
        produce: Callable[[], Any],
        *,
        status: int = 200,
        secret: bool = False,
        on_commit: Callable[[], None] | None = None,
    ) -> Response:
        """Run `produce` once for this idempotency key within `scope` and commit."""
        code, body, replayed = idempotency.once(
            session,
            scope,
            self._key,
            self._fingerprint,
            lambda: (status, produce()),
            secrets=self.services.keys if secret else None,
        )
        if on_commit is not None and not replayed:
            on_commit()
        return self.reply(code, body, replayed=replayed)

    def kept(self, session: Session, scope: str) -> Response | None:
        """The answer already given to this key within `scope`, sent again; None when there is
        none. For a change that does long work before its transaction (an archive): a retry is
        answered without doing it again (`answer` would then replay, having done it)."""
        if self._key is None:
            return None
        kept = idempotency.replay(session, scope, self._key, self._fingerprint)
        return None if kept is None else self.reply(*kept, replayed=True)

    @staticmethod
    def reply(code: int, body: bytes, *, replayed: bool) -> Response:
        """The answer to send: a first one, or one kept for this key and sent again."""
        headers = {idempotency.REPLAY_HEADER: "true"} if replayed else None
        return Response(body, code, headers=headers, media_type="application/json")


async def _mutation(
    request: Request,
    services: ServicesDep,
    device: DeviceToken,
    credentials: SessionCredentials,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Send the same key again to replay the first answer with no second effect.",
        ),
    ] = None,
) -> Mutation:
    key = idempotency.check_key(idempotency_key)
    fingerprint = idempotency.request_hash(
        services.keys, request.method, request.url.path, await request.body()
    )
    token = credentials.credentials if credentials else None
    return Mutation(services, device, token, key, fingerprint)


MutationDep = Annotated[Mutation, Depends(_mutation)]
