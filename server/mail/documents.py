"""What a message shows of a Z, a shop closing or a receipt: the ticket as printed, as the body's
text and as a PDF or text attachment, drawn from the sealed records."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from printing.context import Issuance, People, ShopHeader, SoftwareInfo
from printing.document import FONTS, Align, Block, Columns, Document, QrCode, Rule, Text
from printing.layout import caption_lines, render_text, text_lines
from printing.profile import PAPER_80_48
from printing.receipts import (
    closing_report,
    closing_ticket,
    receipt,
    shop_header,
    software_footer,
)
from server.shops.models import Shop
from till.money import format_amount, format_rate, from_json_amount, from_json_rate

# Mail is read on screens: the widest paper's layout.
PAPER = PAPER_80_48
MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"),
    *("septembre", "octobre", "novembre", "décembre"),
)


class Format(StrEnum):
    PDF = "pdf"
    TEXT = "text"


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    content: bytes


def header_of(shop: Shop) -> ShopHeader:
    return ShopHeader(
        name=shop.name,
        address=tuple(shop.address.split("\n")) if shop.address else (),
        siret=shop.siret,
        vat_number=shop.vat_number or "",
        timezone=shop.timezone,
        legal_footer=shop.legal_footer,
    )


# ---------------------------------------------------------------------------- documents


def _amount(record: Mapping[str, Any], name: str) -> int:
    return from_json_amount(record[name])


def z_document(record: Mapping[str, Any], shop: ShopHeader, software: SoftwareInfo) -> Document:
    """A sealed Z as its ticket is printed."""
    return closing_ticket(closing_report(record), shop, software)


def closing_title(record: Mapping[str, Any]) -> str:
    """The closing's title: "Clôture journalière du 20/11/2026", "Clôture mensuelle de ..."."""
    first = date.fromisoformat(record["first_day"])
    if record["type"] == "daily":
        return f"Clôture journalière du {first:%d/%m/%Y}"
    if record["type"] == "monthly":
        return f"Clôture mensuelle de {MONTHS[first.month - 1]} {first.year}"
    return f"Clôture annuelle {first.year}"


def closing_document(
    record: Mapping[str, Any], shop: ShopHeader, software: SoftwareInfo
) -> Document:
    """A sealed daily, monthly or yearly closing: its figures, its grand total and its seal."""
    blocks: list[Block] = [
        *shop_header(shop),
        Rule("="),
        Text(closing_title(record).upper(), Align.CENTER, bold=True),
        Rule("="),
        Columns(
            "Ventes", f"{record['sales_count']} - {format_amount(_amount(record, 'sales_total'))}"
        ),
        Columns(
            "Remboursements",
            f"{record['refunds_count']} - {format_amount(_amount(record, 'refunds_total'))}",
        ),
        Columns("Total de la période", format_amount(_amount(record, "period_total")), bold=True),
        Rule(),
        Text("TVA", bold=True),
    ]
    for row in record["vat"]:
        rate = format_rate(from_json_rate(row["rate"]))
        blocks += [
            Columns(f"   {rate} HT", format_amount(_amount(row, "excl"))),
            Columns(f"   {rate} TVA", format_amount(_amount(row, "vat"))),
            Columns(f"   {rate} TTC", format_amount(_amount(row, "incl"))),
        ]
    blocks += [Rule(), Text("Règlements", bold=True)]
    blocks += [
        Columns(f"   {row['label']}", format_amount(_amount(row, "amount")))
        for row in record["payments"]
    ]
    blocks += [
        Rule(),
        Columns(
            "Total général perpétuel", format_amount(_amount(record, "grand_total")), bold=True
        ),
        Rule(),
        Text(f"Sceau {record['hash'][:16]} (clôture n°{record['seq']})"),
        Rule(),
        *software_footer(software),
    ]
    return Document(record["type"], tuple(blocks))


def receipt_document(
    record: Mapping[str, Any], issuance: Issuance, shop: ShopHeader, software: SoftwareInfo
) -> Document:
    return receipt(record, issuance, shop, software, people_of(record))


def people_of(record: Mapping[str, Any]) -> People:
    return People(
        register=record.get("register_name") or record["register_id"],
        cashier=record.get("user_name") or record["user_id"],
    )


# ---------------------------------------------------------------------------- renderers


def as_text(document: Document) -> str:
    """Line for line as the ticket prints; pictures stand as a bracketed word."""
    return render_text(document, PAPER) + "\n"


def attach(document: Document, fmt: Format, name: str) -> Attachment:
    """The document as a PDF or a text file named `name` (its extension added)."""
    if fmt is Format.PDF:
        return Attachment(f"{name}.pdf", "application/pdf", _pdf(document))
    return Attachment(f"{name}.txt", "text/plain", as_text(document).encode())


MONO, MONO_BOLD = "DejaVuSansMono", "DejaVuSansMono-Bold"
FONT_SIZE = 9.0
LEADING = FONT_SIZE * 1.3
MARGIN = 24.0
QR_SIZE = 110.0


@cache
def _register_fonts() -> None:
    for name in (MONO, MONO_BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))


def _pdf(document: Document) -> bytes:
    """The ticket on one page of its own length, in a monospaced face so that columns line up,
    its text selectable; QR codes drawn as such."""
    _register_fonts()
    items: list[tuple[str, float, bool, float]] = []  # text, size, bold, height
    qr_data: dict[int, str] = {}
    for block in document.blocks:
        if isinstance(block, QrCode):
            qr_data[len(items)] = block.data
            items.append(("", 0, False, QR_SIZE + LEADING))
            if block.caption:
                items += [
                    (line, FONT_SIZE, False, LEADING)
                    for line in caption_lines(block.caption, PAPER).lines
                ]
        elif isinstance(block, Rule | Text | Columns):
            laid = text_lines(block, PAPER)
            size = FONT_SIZE * 2 if laid.large else FONT_SIZE
            items += [(line, size, laid.bold, size * 1.3) for line in laid.lines]
    width = pdfmetrics.stringWidth("0" * PAPER.columns, MONO, FONT_SIZE) + 2 * MARGIN
    height = sum(item[3] for item in items) + 2 * MARGIN
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=True)
    canvas.setTitle(document.kind)
    top = height - MARGIN
    for index, (line, size, bold, step) in enumerate(items):
        if index in qr_data:
            widget = QrCodeWidget(qr_data[index], barWidth=QR_SIZE, barHeight=QR_SIZE)
            drawing = Drawing(QR_SIZE, QR_SIZE)
            drawing.add(widget)
            renderPDF.draw(drawing, canvas, (width - QR_SIZE) / 2, top - QR_SIZE)
        else:
            canvas.setFont(MONO_BOLD if bold else MONO, size)
            canvas.drawString(MARGIN, top - size, line)
        top -= step
    canvas.showPage()
    canvas.save()
    return out.getvalue()
