"""Each queued message made into an e-mail when it is sent: subject, readable body and
attachment, read from the sealed records the outbox row names."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from sqlalchemy.orm import Session

from printing.context import Issuance, ShopHeader, SoftwareInfo
from printing.pdf import invoice_pdf
from server.closures.services import closure_json
from server.config import Settings
from server.errors import NotFound
from server.mail.documents import (
    Attachment,
    Format,
    as_text,
    attach,
    closing_document,
    closing_title,
    header_of,
    people_of,
    receipt_document,
    z_document,
)
from server.mail.mailer import SmtpServer
from server.mail.models import MailMessageRow, MailSettingsRow, MessageKind
from server.mail.services import recipients_of, smtp_server
from server.orders.models import OrderRow
from server.receipts.models import IssuanceRow
from server.reports import services as reports
from server.reports.files import WRITERS, ReportFormat, file_name
from server.sealing.keys import KeyStore
from server.sealing.services import stored_record
from server.shops.models import Shop, ShopKey, get_shop
from till.fiscal.proof import sign_receipt
from till.timestamps import from_utc_iso, utc_now

SIGNATURE = "\n-- \nMessage envoyé par la caisse de {shop}.\n"


@dataclass(frozen=True)
class Content:
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    server: SmtpServer
    message: EmailMessage
    # What the journal says of the attachments: each file's name, size and SHA-256.
    files: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class _Context:
    session: Session
    keys: KeyStore
    shop: Shop
    header: ShopHeader
    software: SoftwareInfo
    row: MailMessageRow


def _when(header: ShopHeader, moment: datetime) -> str:
    return f"{header.local(moment):%d/%m/%Y à %H:%M}"


def _closure(context: _Context) -> dict[str, Any]:
    if context.row.closure_seq is None:
        raise NotFound("The message names no closure.")
    return closure_json(context.session, context.shop.id, context.row.closure_seq)


def _z_copy(context: _Context) -> Content:
    record = _closure(context)
    document = z_document(record, context.header, context.software)
    number, register = record["z_number"], record["register_name"]
    closed = _when(context.header, from_utc_iso(record["closed_at"]))
    text = as_text(document)
    return Content(
        subject=f"Clôture Z n°{number} - {register} - {context.shop.name}",
        body=f"Bonjour,\n\nVoici la copie de la clôture Z n°{number} de la caisse {register}, "
        f"faite le {closed}.\n\n{text}",
        attachments=(attach(document, Format(context.row.format), f"Z{number}_{register}"),),
    )


def report_attachment(
    session: Session, shop_id: str, closing: Mapping[str, Any], fmt: str
) -> Attachment:
    """The shop's sales report (`server.reports`) of the days a closing covers, in `fmt`."""
    first, last = date.fromisoformat(closing["first_day"]), date.fromisoformat(closing["last_day"])
    request = reports.prepare(session, shop_id, first, last, None, None, utc_now())
    media_type, write = WRITERS[ReportFormat(fmt)]
    out = io.BytesIO()
    with reports.build_report(session, request) as report:
        write(report, out)
    return Attachment(file_name(first, last, None, None, fmt), media_type, out.getvalue())


def _report(context: _Context) -> Content:
    record = _closure(context)
    title = closing_title(record)
    summary = as_text(closing_document(record, context.header, context.software))
    attachment = report_attachment(context.session, context.shop.id, record, context.row.format)
    return Content(
        subject=f"{title} - {context.shop.name}",
        body=f"Bonjour,\n\nVoici le rapport de la {title[0].lower()}{title[1:]}, "
        f"en pièce jointe ({attachment.filename}).\n\n{summary}",
        attachments=(attachment,),
    )


def _issued(context: _Context) -> tuple[dict[str, Any], Issuance]:
    """The order's sealed record and its issuance, with the same signed proof as when it was
    issued (Ed25519 signs the same way every time)."""
    session, shop_id = context.session, context.shop.id
    issuance = session.get(IssuanceRow, context.row.issuance_id)
    if issuance is None:
        raise NotFound("The message names no issuance.")
    order = session.get(OrderRow, issuance.order_id)
    if order is None or order.internal_number is None:
        raise NotFound(f"The order {issuance.order_id} is not validated.")
    record = stored_record(session, shop_id, "order", order.internal_number)
    if record is None:
        raise NotFound(f"The sealed record of order {issuance.order_id} is missing.")
    key_row = session.get(ShopKey, record["key_id"])
    if key_row is None:
        raise NotFound(f"The key {record['key_id']} that sealed this order is not known.")
    proof = sign_receipt(record, context.keys.open(key_row))
    return record, Issuance(issuance.copy, issuance.issued_at, proof)


def _copy_note(issuance: Issuance) -> str:
    if not issuance.is_duplicata:
        return ""
    return f" Ce document est un DUPLICATA (n°{issuance.duplicata_number}).\n"


def _invoice(context: _Context) -> Content:
    record, issuance = _issued(context)
    kind = "facture d'avoir" if record["is_refund"] else "facture"
    number = record["public_number"]
    pdf = invoice_pdf(record, issuance, context.header, context.software, people_of(record))
    return Content(
        subject=f"Votre {kind} n°{number} - {context.shop.name}",
        body=f"Bonjour,\n\nVeuillez trouver ci-joint votre {kind} n°{number} du "
        f"{_when(context.header, from_utc_iso(record['validated_at']))}.\n"
        f"{_copy_note(issuance)}\nMerci de votre visite.\n",
        attachments=(Attachment(f"facture_{number}.pdf", "application/pdf", pdf),),
    )


def _receipt(context: _Context) -> Content:
    record, issuance = _issued(context)
    number = record["public_number"]
    document = receipt_document(record, issuance, context.header, context.software)
    return Content(
        subject=f"Votre ticket n°{number} - {context.shop.name}",
        body=f"Bonjour,\n\nVoici votre ticket de caisse.\n{_copy_note(issuance)}\n"
        f"{as_text(document)}",
        attachments=(attach(document, Format.PDF, f"ticket_{number}"),),
    )


def _test(context: _Context) -> Content:
    return Content(
        subject=f"Message d'essai - {context.shop.name}",
        body="Bonjour,\n\nCe message d'essai confirme que la caisse envoie bien ses e-mails "
        "(copies des clôtures Z, rapports, factures).\n",
    )


CONTENTS: dict[MessageKind, Callable[[_Context], Content]] = {
    MessageKind.Z_COPY: _z_copy,
    MessageKind.DAILY_REPORT: _report,
    MessageKind.MONTHLY_REPORT: _report,
    MessageKind.INVOICE: _invoice,
    MessageKind.RECEIPT: _receipt,
    MessageKind.TEST: _test,
}


def compose(session: Session, keys: KeyStore, settings: Settings, row: MailMessageRow) -> Outgoing:
    """The e-mail of an outbox row and the SMTP server it goes through (`MailFailure` when the
    shop has none)."""
    shop = get_shop(session, row.shop_id)
    server, sender = smtp_server(settings, keys, session.get(MailSettingsRow, row.shop_id))
    header = header_of(shop)
    context = _Context(session, keys, shop, header, SoftwareInfo.current(), row)
    content = CONTENTS[MessageKind(row.kind)](context)
    message = EmailMessage()
    message["From"] = formataddr((shop.name, sender))
    message["To"] = ", ".join(recipients_of(row))
    message["Subject"] = content.subject
    message["Date"] = format_datetime(utc_now())
    # The same id on every attempt: a mail reader shows a message sent twice (a sender that
    # died between the SMTP server's answer and its own record of it) once.
    message["Message-ID"] = f"<{row.id}@{sender.rpartition('@')[2]}>"
    message.set_content(content.body + SIGNATURE.format(shop=shop.name))
    for attachment in content.attachments:
        maintype, subtype = attachment.media_type.split(";")[0].split("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    files = tuple(
        {
            "file": attachment.filename,
            "bytes": len(attachment.content),
            "sha256": hashlib.sha256(attachment.content).hexdigest(),
        }
        for attachment in content.attachments
    )
    return Outgoing(server, message, files)
