"""Mail routes: the shop's mail settings, a test message, the outbox, and an invoice or a
receipt sent to a customer by e-mail."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field, model_validator
from sqlalchemy.orm import Session

from server.accounts.services import MANAGERS, READERS, Actor
from server.deps import MutationDep, ReaderDep
from server.mail import services
from server.mail.mailer import Tls
from server.mail.models import MessageKind, MessageStatus
from server.mail.sender import MailSender
from server.orders.schemas import Strict
from server.receipts import services as receipts
from server.receipts.services import Channel, Document

router = APIRouter(tags=["mail"])

# An address as SMTP takes it: no spaces, no separators, one @, a dot in the domain.
ADDRESS = r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$"
HOST = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"
MAX_RECIPIENTS = 20

Address = Annotated[str, Field(min_length=6, max_length=254, pattern=ADDRESS)]
Recipients = Annotated[list[Address], Field(max_length=MAX_RECIPIENTS)]


async def _sender(request: Request) -> MailSender:
    sender: MailSender = request.app.state.mail
    return sender


SenderDep = Annotated[MailSender, Depends(_sender)]


class SmtpIn(Strict):
    host: str = Field(max_length=255, pattern=HOST, description="Name or IPv4 address")
    port: int = Field(ge=1, le=65535)
    tls: Tls = Tls.STARTTLS
    user: str | None = Field(default=None, min_length=1, max_length=255)
    password: str | None = Field(
        default=None,
        max_length=255,
        description="Left out: the password stored stays; null: none. Never given back.",
    )


class ZCopiesIn(Strict):
    enabled: bool = True
    format: Literal["pdf", "text"] = "pdf"
    recipients: Recipients = Field(default_factory=list)


class ScheduleIn(Strict):
    period: Literal["daily", "monthly"]
    format: Literal["pdf", "csv", "xlsx", "html"] = "pdf"
    recipients: Recipients = Field(min_length=1)


class MailSettingsIn(Strict):
    smtp: SmtpIn | None = Field(default=None, description="null: the server's SMTP server")
    sender: Address | None = None
    z_copies: ZCopiesIn = Field(default_factory=ZCopiesIn)
    reports: list[ScheduleIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _password_needs_user(self) -> MailSettingsIn:
        if self.smtp is not None and self.smtp.password and not self.smtp.user:
            raise ValueError("a password goes with a user name")
        return self

    def settings(self) -> services.MailSettings:
        smtp = self.smtp
        return services.MailSettings(
            smtp=services.ShopSmtp(
                host=smtp.host,
                port=smtp.port,
                tls=smtp.tls,
                user=smtp.user,
                password=smtp.password,
                clear_password="password" in smtp.model_fields_set and smtp.password is None,
            )
            if smtp is not None
            else None,
            sender=self.sender,
            z_copies=self.z_copies.enabled,
            z_format=self.z_copies.format,
            z_recipients=_unique(self.z_copies.recipients),
            reports=tuple(
                services.Schedule(schedule.period, schedule.format, _unique(schedule.recipients))
                for schedule in self.reports
            ),
        )


def _unique(addresses: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return tuple(seen.values())


@router.get("/mail/settings")
def get_settings(reader: ReaderDep, sender: SenderDep) -> dict[str, Any]:
    """The shop's mail settings, and the server's SMTP server used when the shop sets none.
    The SMTP password is never given back: `password_set` says whether there is one."""
    reader.actor.require(READERS, "read the mail settings")
    return services.settings_json(reader.session, reader.actor.shop_id, sender.settings)


@router.put("/mail/settings")
def change_settings(body: MailSettingsIn, mutation: MutationDep, sender: SenderDep) -> Response:
    """Replace the shop's mail settings: its own SMTP server or the server's, the sender's
    address, the recipients of Z copies, and the reports sent after each daily or monthly
    closing. Journaled, each change with its value before and after."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        services.change_settings(session, keys, actor, body.settings())
        return services.settings_json(session, actor.shop_id, sender.settings)

    return mutation.respond(produce, roles=MANAGERS, on_commit=sender.wake)


class TestIn(Strict):
    recipient: Address


@router.post("/mail/test", status_code=202)
def send_test(body: TestIn, mutation: MutationDep, sender: SenderDep) -> Response:
    """Queue a test message to `recipient` with the shop's settings; `GET /mail/messages` then
    says whether it was sent, or why not."""

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        row = services.queue_message(
            session, actor.shop_id, MessageKind.TEST, [body.recipient], "text"
        )
        return services.message_json(row)

    return mutation.respond(produce, status=202, roles=MANAGERS, on_commit=sender.wake)


@router.get("/mail/messages")
def list_messages(
    reader: ReaderDep,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The shop's outbox, newest first: each message's state, attempts and last failure."""
    reader.actor.require(READERS, "read the outbox")
    return services.list_messages(reader.session, reader.actor.shop_id, status, limit)


@router.post("/mail/messages/{message_id}/retry")
def retry_message(message_id: str, mutation: MutationDep, sender: SenderDep) -> Response:
    """Send again a message the SMTP server refused for good, once the settings are right."""

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        return services.message_json(services.retry_message(session, actor.shop_id, message_id))

    return mutation.respond(produce, roles=MANAGERS, on_commit=sender.wake)


class EmailIn(Strict):
    recipient: Address
    document: Document = Document.INVOICE


@router.post("/orders/{order_id}/email", status_code=201)
def email_document(
    order_id: str, body: EmailIn, mutation: MutationDep, sender: SenderDep
) -> Response:
    """E-mail the invoice (PDF) or the receipt of a validated order: the issuance is recorded
    first (copy 1 is the original, later ones are duplicata), then the message is queued; it
    is sent in the background. The answer gives both."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        issued = receipts.issue(
            session, keys, actor, order_id, body.document, Channel.EMAIL, body.recipient
        )
        kind = MessageKind.INVOICE if body.document is Document.INVOICE else MessageKind.RECEIPT
        row = services.queue_message(
            session, actor.shop_id, kind, [body.recipient], "pdf", issuance_id=issued.row.id
        )
        return {
            "issuance": {
                **receipts.issuance_json(issued.row),
                "event": {"seq": issued.row.event_seq, "hash": issued.event_hash},
            },
            "message": services.message_json(row),
        }

    return mutation.respond(produce, status=201, on_commit=sender.wake)
