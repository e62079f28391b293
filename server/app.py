"""The FastAPI application: routes of every domain, errors as stable codes, limits, logs, metrics.

`create_app` is the one composition place: it takes the settings (and, for tests, a database) and
builds the services every route gets through `server.deps`.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.accounts.views import router as accounts_router
from server.archives.views import router as archives_router
from server.catalog.views import router as catalog_router
from server.closures.schedule import ShopClosings
from server.closures.views import router as closures_router
from server.config import Settings
from server.db import Database
from server.deps import Services
from server.errors import ApiError, error_body
from server.exports.views import router as exports_router
from server.journal.services import journal_start
from server.journal.views import router as journal_router
from server.mail.mailer import Mailer, SmtpMailer
from server.mail.sender import MailSender
from server.mail.views import router as mail_router
from server.operations import logs
from server.operations.metrics import Metrics
from server.operations.views import router as operations_router
from server.orders.validation import Validations
from server.orders.views import router as orders_router
from server.receipts.views import router as receipts_router
from server.registers.views import router as registers_router
from server.reports.views import router as reports_router
from server.sealing.keys import KeyStore, open_key_store
from server.sealing.views import router as sealing_router
from server.shops.models import Shop
from server.shops.views import router as shops_router
from till.errors import TillError
from till.fiscal.perimeter import current_fingerprint
from till.order import (
    DuplicateLine,
    LineNotFound,
    OrderFullyPaid,
    OrderHasPayments,
    OrderValidated,
)
from till.version import SOFTWARE_NAME, __version__

# Domain errors that are about the order's state rather than the input.
CONFLICTS = (OrderValidated, OrderHasPayments, OrderFullyPaid, DuplicateLine)
NOT_FOUND = (LineNotFound,)
HTTP_CODES = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}
ROUTING_MESSAGES = {
    404: "There is no {path} on this server.",
    405: "{path} does not accept {method}.",
}


class BodyTooLarge(HTTPException):
    """Raised while a body streams in. An HTTP exception, because FastAPI passes those through as
    they are where it reads a body, and turns any other error into a 400."""

    def __init__(self, max_body: int) -> None:
        super().__init__(413, f"The request body is larger than {max_body // 1024} KiB.")


class Limits:
    """Refuses bodies over the limit, declared or streamed, before any route reads them."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _refuse(send, BodyTooLarge(self.max_body))
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge as error:
            await _refuse(send, error)


async def _refuse(send: Send, error: BodyTooLarge) -> None:
    await _send_error(send, error.status_code, HTTP_CODES[error.status_code], str(error.detail))


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    response = JSONResponse(error_body(code, message), status_code=status)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class CleanAddress:
    """Refuses an address whose path or query holds a NUL character before any route reads it:
    no identifier or filter of this API may hold one (PostgreSQL cannot even compare it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if "\x00" in scope.get("path", "") or b"\x00" in query or b"%00" in query:
                await _send_error(
                    send, 422, "invalid_request", "The address holds a NUL character."
                )
                return
        await self.app(scope, receive, send)


class Observe:
    """One structured log line and the metrics of each request; a request id in each answer."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logs.logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope["method"], route, status, seconds)
            self.log.info(
                "request",
                extra={
                    "event": "request",
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "ms": round(seconds * 1000, 2),
                    "request_id": request_id,
                },
            )


def _status_of(error: TillError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if isinstance(error, CONFLICTS):
        return 409
    if isinstance(error, NOT_FOUND):
        return 404
    return 422


def _readable(errors: list[Any]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", ""))
    return "; ".join(parts) or "The request is not valid."


def _journal_start(database: Database, keys: KeyStore) -> None:
    """Each shop's journal records the start, its version and fiscal fingerprint."""
    with database.reader() as session:
        shop_ids = session.scalars(select(Shop.id)).all()
    for shop_id in shop_ids:
        with database.transaction() as session:
            journal_start(session, keys, shop_id, __version__, current_fingerprint())


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    mailer: Mailer | None = None,
) -> FastAPI:
    settings = settings or Settings()
    logs.configure(settings.log_level)
    database = database or Database(settings.url)
    database.migrate()  # already done by `till-server serve`; then a quick no-op
    keys = open_key_store(settings.master_key, settings.master_key_path, database)
    metrics = Metrics()
    closings = ShopClosings(database, keys, settings.closing_check_seconds)
    mail = MailSender(
        database,
        keys,
        settings,
        mailer or SmtpMailer(settings.smtp_timeout_seconds, settings.smtp_ca_file),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _journal_start(database, keys)
        closings.start()
        mail.start()
        yield
        mail.stop()
        closings.stop()

    app = FastAPI(
        title=f"{SOFTWARE_NAME} central server",
        version=__version__,
        description="Orders are built, paid, validated, numbered and sealed here, and only here.",
        lifespan=lifespan,
    )
    validations = Validations(database, keys)
    app.state.services = Services(settings, database, keys, metrics, validations)
    app.state.mail = mail
    for router in (
        operations_router,
        accounts_router,
        shops_router,
        catalog_router,
        orders_router,
        receipts_router,
        registers_router,
        closures_router,
        journal_router,
        sealing_router,
        archives_router,
        exports_router,
        mail_router,
        reports_router,
    ):
        app.include_router(router)

    def answer(code: str, message: str, status: int) -> JSONResponse:
        metrics.error(code)
        return JSONResponse(error_body(code, message), status_code=status)

    @app.exception_handler(TillError)
    async def till_error(_request: Request, error: TillError) -> JSONResponse:
        return answer(error.code, error.message, _status_of(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return answer("malformed_json", "The request body is not valid JSON.", 400)
        return answer("invalid_request", _readable(errors), 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        status = error.status_code
        code = HTTP_CODES.get(status, f"http_{status}")
        message = str(error.detail)
        if status in ROUTING_MESSAGES and message == HTTPStatus(status).phrase:
            # The router says only "Not Found": say what was not found.
            message = ROUTING_MESSAGES[status].format(method=request.method, path=request.url.path)
        response = answer(code, message, status)
        if error.headers:
            response.headers.update(error.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, error: Exception) -> JSONResponse:
        logs.logger().error("unexpected error", exc_info=error, extra={"event": "error"})
        return answer("internal_error", "The server could not do this; it has been logged.", 500)

    logs.logger().info(
        "server started",
        extra={"event": "start", "version": __version__, "fingerprint": current_fingerprint()},
    )
    app.add_middleware(Limits, max_body=settings.max_body_bytes)
    app.add_middleware(CleanAddress)
    app.add_middleware(Observe, metrics=metrics)
    # What is made by now lives as long as the process: kept out of the collector's full passes,
    # which would otherwise walk it all every so often, for tens of milliseconds each time.
    gc.freeze()
    return app
