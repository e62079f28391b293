"""A4 invoices (factures and factures d'avoir) as PDF, drawn from a server-sealed order record."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from printing.context import (
    DELIVERY_LABELS,
    EXCERPT,
    Issuance,
    People,
    ShopHeader,
    SoftwareInfo,
    amount_text,
    require_sealed,
)
from printing.document import FONTS
from till.money import (
    Cents,
    format_amount,
    format_quantity,
    format_rate,
    from_json_amount,
    from_json_quantity,
    from_json_rate,
)
from till.timestamps import from_utc_iso

PAGE_WIDTH, PAGE_HEIGHT = A4
SIDE_MARGIN = 15 * mm
# The top margin keeps room for the duplicata mention, printed above the text on every page.
TOP_MARGIN = 27 * mm
BOTTOM_MARGIN = 18 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN
QR_SIZE = 38 * mm

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5c5c5c")
RULE = colors.HexColor("#b4b4b4")
SHADE = colors.HexColor("#ececec")
STAMP = colors.HexColor("#b00020")

# Tables draw even an empty cell with a font, Helvetica unless told: name ours, so that every font
# in the file is embedded.
CELL_DEFAULTS: tuple[tuple[Any, ...], ...] = (
    ("FONTNAME", (0, 0), (-1, -1), SANS),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
)


def _style(name: str, size: float, *, font: str = SANS, **options: Any) -> ParagraphStyle:
    options.setdefault("textColor", INK)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.25, **options)


BODY = _style("body", 8.5)
SMALL = _style("small", 7.5, textColor=MUTED)
CELL = _style("cell", 8)
CELL_RIGHT = _style("cell-right", 8, alignment=TA_RIGHT)
HEAD = _style("head", 8, font=SANS_BOLD)
HEAD_RIGHT = _style("head-right", 8, font=SANS_BOLD, alignment=TA_RIGHT)
TOTAL = _style("total", 10.5, font=SANS_BOLD)
TOTAL_RIGHT = _style("total-right", 10.5, font=SANS_BOLD, alignment=TA_RIGHT)
SHOP_NAME = _style("shop-name", 13, font=SANS_BOLD, spaceAfter=2)
TITLE = _style("title", 20, font=SANS_BOLD, alignment=TA_RIGHT, spaceAfter=4)
TITLE_LINE = _style("title-line", 9, alignment=TA_RIGHT)
TITLE_NUMBER = _style("title-number", 11, font=SANS_BOLD, alignment=TA_RIGHT, spaceAfter=2)
BOX_HEADING = _style("box-heading", 7.5, font=SANS_BOLD, textColor=MUTED, spaceAfter=2)
PAID = _style("paid", 11, font=SANS_BOLD, alignment=TA_RIGHT, spaceBefore=4)
SECTION = _style("section", 9, font=SANS_BOLD, spaceBefore=8, spaceAfter=3)


@cache
def _register_fonts() -> None:
    """Registers the DejaVu faces once per process; reportlab embeds the glyphs each PDF uses."""
    for name in (SANS, SANS_BOLD, MONO):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))


def invoice_pdf(
    record: dict[str, Any],
    issuance: Issuance,
    shop: ShopHeader,
    software: SoftwareInfo,
    people: People,
) -> bytes:
    """The invoice of a sealed order: the original for copy 1, a numbered duplicata after."""
    require_sealed(record)
    _register_fonts()
    invoice = _Invoice(record, issuance, shop, software, people)
    # reportlab knows the page count only once the story is laid out: lay it out once to count
    # the pages, then again to print "page n / m". The footer is drawn outside the frame, so both
    # passes break pages at the same places.
    _, pages = invoice.build(total_pages=0)
    pdf, _ = invoice.build(total_pages=pages)
    return pdf


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _cents(record: Mapping[str, Any], name: str) -> Cents:
    return from_json_amount(record[name])


def _hex(label: str, digest: str) -> Paragraph:
    """A digest's excerpt, in a monospaced face so that it reads digit by digit."""
    excerpt = escape(digest[:EXCERPT])
    return Paragraph(f'{escape(label)} : <font name="{MONO}">{excerpt}</font>', BODY)


def _discount_terms(discount: Mapping[str, str]) -> str:
    """A record's discount as given: "50 %" or "1,00 €"."""
    if "rate" in discount:
        return format_rate(from_json_rate(discount["rate"]))
    return amount_text(discount["amount"])


def _when(moment: datetime) -> str:
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}"


def _grid(
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    *,
    header: bool = True,
    boxed_last_row: bool = False,
) -> Table:
    """A table in the invoice's style: a shaded header row, light rules between rows."""
    table = Table(list(map(list, rows)), colWidths=list(widths), repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        *CELL_DEFAULTS,
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ]
    if boxed_last_row:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, INK))
    table.setStyle(TableStyle(commands))
    return table


def _layout(cells: Sequence[object], widths: Sequence[float], *commands: Any) -> Table:
    """Blocks side by side on one row, flush with the text's edges unless `commands` pad them."""
    table = Table([list(cells)], colWidths=list(widths))
    table.setStyle(
        TableStyle(
            [
                *CELL_DEFAULTS,
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                *commands,
            ]
        )
    )
    return table


def _box(heading: str, lines: Sequence[str]) -> list[Flowable]:
    return [_p(heading.upper(), BOX_HEADING), *(_p(line, BODY) for line in lines)]


def _qr(data: str) -> Drawing:
    # Level M survives a crease or a coffee stain; the widget's default quiet zone is kept so that
    # phone readers find the code.
    widget = QrCodeWidget(data, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE)
    drawing = Drawing(QR_SIZE, QR_SIZE, initialFontName=SANS)
    drawing.add(widget)
    return drawing


@dataclass(frozen=True, slots=True)
class _Invoice:
    record: Mapping[str, Any]
    issuance: Issuance
    shop: ShopHeader
    software: SoftwareInfo
    people: People

    @property
    def is_refund(self) -> bool:
        return bool(self.record["is_refund"])

    @property
    def kind(self) -> str:
        return "Facture d'avoir" if self.is_refund else "Facture"

    @property
    def number(self) -> str:
        return str(self.record["public_number"])

    @property
    def validated_at(self) -> datetime:
        return self.shop.local(from_utc_iso(self.record["validated_at"]))

    @property
    def left_to_pay(self) -> Cents:
        """What the customer still owes (a sale) or is still owed (a refund, negative); 0 once
        settled, change given on a sale included."""
        remaining = _cents(self.record, "final_price") - _cents(self.record, "amount_paid")
        return max(remaining, 0) if not self.is_refund else min(remaining, 0)

    def build(self, total_pages: int) -> tuple[bytes, int]:
        buffer = io.BytesIO()
        document = BaseDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=SIDE_MARGIN,
            rightMargin=SIDE_MARGIN,
            topMargin=TOP_MARGIN,
            bottomMargin=BOTTOM_MARGIN,
            title=f"{self.kind} {self.number}",
            author=self.shop.name,
            subject=f"{self.kind} {self.number} du {self.validated_at:%d/%m/%Y}",
            creator=f"{self.software.name} {self.software.version}",
            lang="fr-FR",
            initialFontName=SANS,
            # Same input, same bytes: no creation date or random document id in the file.
            invariant=True,
        )
        frame = Frame(
            SIDE_MARGIN,
            BOTTOM_MARGIN,
            TEXT_WIDTH,
            PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

        def decorate(canvas: Any, doc: Any) -> None:
            self.decorate(canvas, doc.page, total_pages)

        document.addPageTemplates([PageTemplate(frames=[frame], onPage=decorate)])
        document.build(self.story())
        return buffer.getvalue(), int(document.page)

    def decorate(self, canvas: Any, page: int, total_pages: int) -> None:
        """What every page carries outside the text: the duplicata mention, the document's
        reference and the page number."""
        canvas.saveState()
        top = PAGE_HEIGHT - 12 * mm
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, 7.5)
        if page > 1:
            canvas.drawString(SIDE_MARGIN, top, f"{self.shop.name} · {self.kind} {self.number}")
        if self.issuance.is_duplicata:
            text = f"DUPLICATA n°{self.issuance.duplicata_number}"
            size = 16
            width = pdfmetrics.stringWidth(text, SANS_BOLD, size) + 8 * mm
            left = PAGE_WIDTH - SIDE_MARGIN - width
            canvas.setStrokeColor(STAMP)
            canvas.setFillColor(STAMP)
            canvas.setLineWidth(1.5)
            canvas.rect(left, top - 3.5 * mm, width, 10 * mm, stroke=1, fill=0)
            canvas.setFont(SANS_BOLD, size)
            canvas.drawCentredString(left + width / 2, top - 0.5 * mm, text)
        bottom = 10 * mm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(SIDE_MARGIN, bottom + 4 * mm, PAGE_WIDTH - SIDE_MARGIN, bottom + 4 * mm)
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, 7.5)
        canvas.drawString(
            SIDE_MARGIN,
            bottom,
            f"{self.shop.name} · SIRET {self.shop.siret} · {self.kind} {self.number}",
        )
        canvas.drawRightString(PAGE_WIDTH - SIDE_MARGIN, bottom, f"page {page} / {total_pages}")
        canvas.restoreState()

    def story(self) -> list[Flowable]:
        return [
            self.heading(),
            Spacer(1, 5 * mm),
            self.parties(),
            Spacer(1, 6 * mm),
            self.lines(),
            *self.order_discount_note(),
            Spacer(1, 5 * mm),
            KeepTogether(self.summary()),
            KeepTogether(self.payments()),
            KeepTogether(self.proof()),
            *self.mentions(),
        ]

    def heading(self) -> Table:
        shop = self.shop
        seller = [
            _p(shop.name, SHOP_NAME),
            *(_p(line, BODY) for line in shop.address),
            *([_p(f"Tél. {shop.phone}", BODY)] if shop.phone else []),
            _p(f"SIRET : {shop.siret}", BODY),
            _p(f"N° TVA intracommunautaire : {shop.vat_number}", BODY),
        ]
        title = [
            _p(self.kind.upper(), TITLE),
            _p(f"N° {self.number}", TITLE_NUMBER),
            _p(f"Date : {_when(self.validated_at)}", TITLE_LINE),
        ]
        return _layout([seller, title], [TEXT_WIDTH * 0.55, TEXT_WIDTH * 0.45])

    def parties(self) -> Table:
        record, people = self.record, self.people
        customer = (
            [people.customer, *people.customer_address] if people.customer else ["Client comptoir"]
        )
        service = [DELIVERY_LABELS.get(record.get("delivery_method") or "", "")]
        if record.get("table"):
            service.append(f"table {record['table']}")
        if record.get("covers"):
            covers = record["covers"]
            service.append(f"{covers} couvert{'s' if covers > 1 else ''}")
        details = [
            f"N° interne : {record['internal_number']}",
            f"Caisse : {people.register} · caissier : {people.cashier}",
            f"Service : {' · '.join(service)}",
        ]
        if record.get("corrects_order_id"):
            details.append(f"Rectifie la commande : {record['corrects_order_id']}")
        if record.get("public_note"):
            details.append(f"Note : {record['public_note']}")
        gap = 6 * mm
        half = (TEXT_WIDTH - gap) / 2
        return _layout(
            [_box("Client", customer), "", _box("Détails", details)],
            [half, gap, half],
            ("BOX", (0, 0), (0, 0), 0.6, RULE),
            ("BOX", (2, 0), (2, 0), 0.6, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        )

    def lines(self) -> Table:
        header = [
            _p("Désignation", HEAD),
            _p("Qté", HEAD_RIGHT),
            _p("P.U. TTC", HEAD_RIGHT),
            _p("Remise", HEAD_RIGHT),
            _p("TVA", HEAD_RIGHT),
            _p("Total HT", HEAD_RIGHT),
            _p("Total TTC", HEAD_RIGHT),
        ]
        rows: list[list[object]] = [header]
        for line in self.record["lines"]:
            # The discount column holds everything taken off the line, its share of the order
            # discount included, so that each row adds up: quantity times unit price, less the
            # discount, is the total.
            discount = _cents(line, "line_discount") + _cents(line, "order_discount_share")
            label: list[Flowable] = [_p(line["label"], CELL)]
            if line["discount"]:
                label.append(_p(f"remise {_discount_terms(line['discount'])}", SMALL))
            rows.append(
                [
                    label,
                    _p(format_quantity(from_json_quantity(line["quantity"])), CELL_RIGHT),
                    _p(amount_text(line["unit_price"]), CELL_RIGHT),
                    _p(format_amount(-discount) if discount else "", CELL_RIGHT),
                    _p(format_rate(from_json_rate(line["vat_rate"])), CELL_RIGHT),
                    _p(amount_text(line["excl_vat"]), CELL_RIGHT),
                    _p(amount_text(line["final"]), CELL_RIGHT),
                ]
            )
        widths = [57 * mm, 13 * mm, 24 * mm, 20 * mm, 15 * mm, 25 * mm, 26 * mm]
        return _grid(rows, widths)

    def order_discount_note(self) -> list[Flowable]:
        if not _cents(self.record, "order_discount_amount"):
            return []
        terms = _discount_terms(self.record["order_discount"])
        return [
            Spacer(1, 1.5 * mm),
            _p(
                f"Remise sur la commande ({terms}) répartie sur les lignes au prorata de "
                "leur montant.",
                SMALL,
            ),
        ]

    def summary(self) -> list[Flowable]:
        record = self.record
        vat_rows: list[list[object]] = [
            [
                _p("Taux", HEAD),
                _p("Base HT", HEAD_RIGHT),
                _p("TVA", HEAD_RIGHT),
                _p("TTC", HEAD_RIGHT),
            ],
            *(
                [
                    _p(format_rate(from_json_rate(row["rate"])), CELL),
                    _p(amount_text(row["excl"]), CELL_RIGHT),
                    _p(amount_text(row["vat"]), CELL_RIGHT),
                    _p(amount_text(row["incl"]), CELL_RIGHT),
                ]
                for row in record["vat"]
            ),
            [
                _p("Total", HEAD),
                _p(amount_text(record["total_excl_vat"]), HEAD_RIGHT),
                _p(amount_text(record["total_vat"]), HEAD_RIGHT),
                _p(amount_text(record["final_price"]), HEAD_RIGHT),
            ],
        ]
        vat_table = _grid(vat_rows, [15 * mm, 25 * mm, 23 * mm, 25 * mm], boxed_last_row=True)

        order_discount = _cents(record, "order_discount_amount")
        line_discounts = _cents(record, "total_discount") - order_discount
        total_rows: list[tuple[str, str]] = []
        if line_discounts or order_discount:
            total_rows.append(("Total avant remises", amount_text(record["initial_price"])))
        if line_discounts:
            total_rows.append(("Remises sur les lignes", format_amount(-line_discounts)))
        if order_discount:
            total_rows.append(("Remise sur la commande", format_amount(-order_discount)))
        total_rows += [
            ("Total HT", amount_text(record["total_excl_vat"])),
            ("Total TVA", amount_text(record["total_vat"])),
        ]
        totals = _grid(
            [
                *([_p(label, CELL), _p(value, CELL_RIGHT)] for label, value in total_rows),
                [_p("Total TTC", TOTAL), _p(amount_text(record["final_price"]), TOTAL_RIGHT)],
            ],
            [48 * mm, 30 * mm],
            header=False,
            boxed_last_row=True,
        )
        gap = TEXT_WIDTH - 88 * mm - 78 * mm
        return [_layout([vat_table, "", totals], [88 * mm, gap, 78 * mm])]

    def payments(self) -> list[Flowable]:
        record = self.record
        rows: list[list[object]] = [
            [_p("Mode de paiement", HEAD), _p("Date", HEAD), _p("Montant", HEAD_RIGHT)],
            *(
                [
                    _p(payment["mode_label"], CELL),
                    _p(_when(self.shop.local(from_utc_iso(payment["paid_at"]))), CELL),
                    _p(amount_text(payment["amount"]), CELL_RIGHT),
                ]
                for payment in record["payments"]
            ),
        ]
        change = _cents(record, "change_due")
        if change:
            rows.append([_p("Rendu monnaie", CELL), "", _p(format_amount(change), CELL_RIGHT)])
        left = self.left_to_pay
        if left:
            label = "Reste à rembourser" if self.is_refund else "Reste à payer"
            rows.append([_p(label, HEAD), "", _p(format_amount(left), HEAD_RIGHT)])
        flowables: list[Flowable] = [
            _p("Règlements", SECTION),
            _grid(rows, [78 * mm, 52 * mm, 50 * mm]),
        ]
        if not left and record["payments"]:
            settled = "Avoir remboursé" if self.is_refund else "Facture acquittée"
            flowables.append(_p(settled, PAID))
        return flowables

    def proof(self) -> list[Flowable]:
        record, software = self.record, self.software
        issued = _when(self.shop.local(self.issuance.issued_at))
        texts = [
            _p("Authenticité", SECTION),
            _p(f"Scellé par le serveur : enregistrement n° {record['seq']}", BODY),
            _hex("Sceau", record["hash"]),
            _p(f"Logiciel : {software.name} {software.version}", BODY),
            _hex("Empreinte fiscale", software.fingerprint),
            _p(f"Document édité le {issued}", BODY),
            Spacer(1, 2 * mm),
            _p(
                "Le QR code porte la preuve signée de ce document : elle se vérifie hors ligne "
                "avec la clé publique du magasin.",
                SMALL,
            ),
        ]
        qr_column = QR_SIZE + 4 * mm
        return [
            Spacer(1, 4 * mm),
            _layout([_qr(self.issuance.proof), texts], [qr_column, TEXT_WIDTH - qr_column]),
        ]

    def mentions(self) -> list[Flowable]:
        mentions: list[str] = []
        if self.left_to_pay and not self.is_refund:
            mentions += [
                "Paiement à réception de la facture ; pas d'escompte pour paiement anticipé.",
                "Pénalités de retard : trois fois le taux d'intérêt légal.",
                "Indemnité forfaitaire pour frais de recouvrement : 40 €.",
            ]
        if self.shop.legal_footer:
            mentions.append(self.shop.legal_footer)
        if not mentions:
            return []
        return [
            Spacer(1, 4 * mm),
            *(_p(text, SMALL) for text in mentions),
        ]
