"""The documents a till prints: receipts (original or duplicata), Z and X tickets, a table's
provisional note and a test page, as blocks (printing.document) that any renderer lays out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from printing.context import (
    DELIVERY_LABELS,
    EXCERPT,
    Issuance,
    NotPrintable,
    People,
    ShopHeader,
    SoftwareInfo,
    amount_text,
    require_sealed,
)
from printing.document import Align, Block, Columns, Document, QrCode, Rule, Text
from printing.profile import PrinterProfile
from till.fiscal.proof import ReceiptProof
from till.money import (
    Cents,
    format_amount,
    format_quantity,
    format_rate,
    from_json_amount,
    from_json_quantity,
    from_json_rate,
)
from till.order import Order
from till.timestamps import from_utc_iso


def _when(shop: ShopHeader, moment: datetime) -> str:
    return shop.local(moment).strftime("%d/%m/%Y %H:%M")


def shop_header(shop: ShopHeader) -> list[Block]:
    blocks: list[Block] = [Text(shop.name, Align.CENTER, bold=True)]
    blocks += [Text(line, Align.CENTER) for line in shop.address]
    if shop.phone:
        blocks.append(Text(f"Tél. {shop.phone}", Align.CENTER))
    blocks.append(Text(f"SIRET {shop.siret}", Align.CENTER))
    blocks.append(Text(f"TVA {shop.vat_number}", Align.CENTER))
    return blocks


def software_footer(software: SoftwareInfo) -> list[Block]:
    return [
        Text(
            f"{software.name} {software.version} - empreinte {software.fingerprint[:EXCERPT]}",
            Align.CENTER,
        )
    ]


def receipt(
    record: Mapping[str, Any],
    issuance: Issuance,
    shop: ShopHeader,
    software: SoftwareInfo,
    people: People,
    *,
    open_drawer: bool = False,
) -> Document:
    """The receipt of a sealed order: the original, or a duplicata with its copy number."""
    require_sealed(record)
    if not issuance.proof.startswith(ReceiptProof.of(record).payload() + ";"):
        raise NotPrintable("the QR proof given is not this receipt's")
    refund = bool(record.get("is_refund"))
    title = "TICKET DE REMBOURSEMENT" if refund else "TICKET DE CAISSE"
    blocks: list[Block] = [*shop_header(shop), Rule(), Text(title, Align.CENTER, bold=True)]
    if issuance.is_duplicata:
        blocks.append(
            Text(f"DUPLICATA n°{issuance.duplicata_number}", Align.CENTER, bold=True, large=True)
        )
        blocks.append(Text(f"Réimprimé le {_when(shop, issuance.issued_at)}", Align.CENTER))
    blocks += [
        Columns(f"N° {record['public_number']}", f"Interne {record['internal_number']}"),
        Columns(_when(shop, from_utc_iso(record["validated_at"])), f"Caisse {people.register}"),
        Text(f"Caissier : {people.cashier}"),
    ]
    blocks.append(Text(_service_line(record)))
    if people.customer:
        blocks.append(Text(f"Client : {people.customer}"))
    blocks.append(Rule())
    blocks += _lines(record)
    blocks += _totals(record)
    blocks += _vat_table(record["vat"])
    blocks.append(Rule())
    blocks += _payments(record)
    blocks.append(Rule())
    blocks += [
        Columns(f"Sceau {record['hash'][:EXCERPT]}", f"n°{record['seq']}"),
        *software_footer(software),
        QrCode(issuance.proof, caption="Vérifiable hors ligne avec la clé publique du magasin"),
    ]
    if shop.legal_footer:
        blocks.append(Text(shop.legal_footer, Align.CENTER))
    kind = "duplicata" if issuance.is_duplicata else "receipt"
    return Document(kind, tuple(blocks), open_drawer=open_drawer)


def _service_line(record: Mapping[str, Any]) -> str:
    parts = [DELIVERY_LABELS.get(record.get("delivery_method") or "", "").capitalize()]
    if record.get("table"):
        parts.append(f"table {record['table']}")
    if record.get("covers"):
        parts.append(f"{record['covers']} couvert(s)")
    return " - ".join(part for part in parts if part)


def _lines(record: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    for line in record["lines"]:
        quantity = from_json_quantity(line["quantity"])
        label = line["label"] if quantity == 1 else f"{format_quantity(quantity)} x {line['label']}"
        blocks.append(Columns(label, amount_text(line["gross"])))
        if quantity != 1:
            blocks.append(Text(f"   {amount_text(line['unit_price'])} l'unité"))
        if from_json_amount(line["line_discount"]):
            discount = line["discount"] or {}
            what = (
                f"Remise {format_rate(from_json_rate(discount['rate']))}"
                if "rate" in discount
                else "Remise"
            )
            blocks.append(
                Columns(f"   {what}", format_amount(-from_json_amount(line["line_discount"])))
            )
    return blocks


def _totals(record: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    order_discount = from_json_amount(record["order_discount_amount"])
    if order_discount:
        blocks.append(Columns("Remise sur le ticket", format_amount(-order_discount)))
    blocks += [
        Rule(),
        Columns("TOTAL TTC", amount_text(record["final_price"]), bold=True, large=True),
        Columns("dont TVA", amount_text(record["total_vat"])),
    ]
    if from_json_amount(record["total_discount"]) > 0 and not record.get("is_refund"):
        blocks.append(Columns("Vos économies", amount_text(record["total_discount"])))
    return blocks


def _vat_table(rows: Sequence[Mapping[str, str]]) -> list[Block]:
    """Rate on the left; excl. VAT, VAT and incl. VAT on the right, each column as wide as its
    widest figure and two spaces apart, so that figures never run together."""
    table = [("TVA", "HT", "TVA", "TTC")] + [
        (
            format_rate(from_json_rate(row["rate"])),
            *(amount_text(row[k], symbol=False) for k in ("excl", "vat", "incl")),
        )
        for row in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in (1, 2, 3)]
    blocks: list[Block] = [Rule()]
    for rate, *figures in table:
        right = "  ".join(f.rjust(w) for f, w in zip(figures, widths, strict=True))
        blocks.append(Columns(rate, right))
    return blocks


def _payments(record: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = [
        Columns(payment["mode_label"], amount_text(payment["amount"]))
        for payment in record["payments"]
    ]
    change = from_json_amount(record["change_due"])
    if change:
        blocks.append(Columns("Rendu monnaie", format_amount(change), bold=True))
    due = from_json_amount(record["final_price"]) - from_json_amount(record["amount_paid"])
    if due > 0:
        blocks.append(Columns("Reste à payer", format_amount(due), bold=True))
    elif due < 0 and change == 0:
        blocks.append(Columns("Reste à rembourser", format_amount(-due), bold=True))
    return blocks


def table_note(order: Order, shop: ShopHeader) -> Document:
    """A table's bill before payment: provisional, and saying so, for it is not a receipt."""
    totals = order.totals
    blocks: list[Block] = [
        *shop_header(shop),
        Rule("="),
        Text("NOTE PROVISOIRE", Align.CENTER, bold=True, large=True),
        Text("Ne vaut pas ticket de caisse", Align.CENTER, bold=True),
        Rule("="),
    ]
    if order.table:
        blocks.append(
            Text(f"Table {order.table}" + (f" - {order.covers} couvert(s)" if order.covers else ""))
        )
    for line, line_totals in zip(order.lines, totals.lines, strict=True):
        label = (
            line.label if line.quantity == 1 else f"{format_quantity(line.quantity)} x {line.label}"
        )
        blocks.append(Columns(label, format_amount(line_totals.final)))
    blocks += [
        Rule(),
        Columns("TOTAL PROVISOIRE TTC", format_amount(totals.final_price), bold=True),
        Rule("="),
        Text("NOTE PROVISOIRE - NE VAUT PAS TICKET", Align.CENTER, bold=True),
    ]
    return Document("note", tuple(blocks))


@dataclass(frozen=True, slots=True)
class ModeCount:
    """One payment mode of a register closing: what the sealed payments say, what was counted."""

    label: str
    expected: Cents
    counted: Cents | None = None

    @property
    def difference(self) -> Cents | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass(frozen=True, slots=True)
class ClosingReport:
    """The figures of a Z (register closed, sealed) or an X (mid-period, nothing reset)."""

    kind: str  # "Z" or "X"
    register: str
    cashier: str
    opened_at: datetime
    closed_at: datetime
    modes: tuple[ModeCount, ...]
    float_at_opening: Cents
    float_left: Cents
    period_total: Cents
    grand_total: Cents
    sales_count: int
    cash_movements: tuple[tuple[str, Cents], ...] = ()
    number: int | None = None
    seal: str | None = None
    heads: Mapping[str, tuple[int, str]] = field(default_factory=dict)


def closing_report(closure: Mapping[str, Any]) -> ClosingReport:
    """The figures of a closure as the server gives them: a sealed Z record (`register_z`), or
    an X's figures (no number, no seal)."""
    return ClosingReport(
        kind="Z" if closure.get("type") == "register_z" else "X",
        register=str(closure.get("register_name") or closure["register_id"]),
        cashier=str(closure.get("closed_by_name") or closure.get("closed_by") or ""),
        opened_at=from_utc_iso(closure["opened_at"]),
        closed_at=from_utc_iso(closure["closed_at"]),
        modes=tuple(
            ModeCount(
                mode["label"],
                from_json_amount(mode["expected"]),
                from_json_amount(mode["counted"]) if mode.get("counted") is not None else None,
            )
            for mode in closure["modes"]
        ),
        float_at_opening=from_json_amount(closure["float_at_opening"]),
        float_left=from_json_amount(closure.get("float_left") or "0.00"),
        period_total=from_json_amount(closure["period_total"]),
        grand_total=from_json_amount(closure["grand_total"]),
        sales_count=int(closure["sales_count"]),
        cash_movements=tuple(
            (
                str(movement["reason"]),
                from_json_amount(movement["amount"]) * (1 if movement["kind"] == "in" else -1),
            )
            for movement in closure.get("cash_movements", ())
        ),
        number=closure.get("z_number"),
        seal=closure.get("hash"),
        heads={
            chain: (int(head["seq"]), str(head["hash"]))
            for chain, head in (closure.get("chain_heads") or {}).items()
        },
    )


def closing_ticket(report: ClosingReport, shop: ShopHeader, software: SoftwareInfo) -> Document:
    if report.kind not in ("Z", "X"):
        raise NotPrintable(f"unknown closing kind {report.kind!r}")
    if report.kind == "Z" and (not report.seal or report.number is None):
        raise NotPrintable("a Z ticket is printed only once the closure is sealed by the server")
    title = (
        f"CLÔTURE Z n°{report.number}" if report.kind == "Z" else "RAPPORT X (sans remise à zéro)"
    )
    blocks: list[Block] = [
        *shop_header(shop),
        Rule("="),
        Text(title, Align.CENTER, bold=True, large=report.kind == "Z"),
        Rule("="),
        Columns("Caisse", report.register),
        Columns("Caissier", report.cashier),
        Columns("Ouverte le", _when(shop, report.opened_at)),
        Columns("Arrêtée le" if report.kind == "X" else "Fermée le", _when(shop, report.closed_at)),
        Columns("Nombre de ventes", str(report.sales_count)),
        Rule(),
    ]
    for mode in report.modes:
        blocks.append(Text(mode.label, bold=True))
        blocks.append(Columns("   attendu", format_amount(mode.expected)))
        if mode.counted is not None and mode.difference is not None:
            blocks.append(Columns("   compté", format_amount(mode.counted)))
            blocks.append(
                Columns("   écart", format_amount(mode.difference), bold=mode.difference != 0)
            )
    if report.cash_movements:
        blocks += [Rule(), Text("Entrées et sorties d'espèces", bold=True)]
        blocks += [
            Columns(f"   {reason}", format_amount(amount))
            for reason, amount in report.cash_movements
        ]
    blocks += [
        Rule(),
        Columns("Fond de caisse à l'ouverture", format_amount(report.float_at_opening)),
        Columns("Fond de caisse laissé", format_amount(report.float_left)),
        Columns("Total de la période", format_amount(report.period_total), bold=True),
        Columns("Total général perpétuel", format_amount(report.grand_total), bold=True),
    ]
    if report.kind == "Z":
        blocks += [Rule(), Text(f"Sceau {report.seal[:EXCERPT] if report.seal else ''}")]
        blocks += [
            Text(f"Chaîne {chain} : n°{seq} {digest[:EXCERPT]}")
            for chain, (seq, digest) in sorted(report.heads.items())
        ]
    blocks += [Rule(), *software_footer(software)]
    kind = "z" if report.kind == "Z" else "x"
    return Document(kind, tuple(blocks))


def printer_test_page(
    profile: PrinterProfile, shop: ShopHeader, software: SoftwareInfo
) -> Document:
    """What a manager prints when setting a printer up: width, code page, accents, QR, cut."""
    ruler = "".join(str(i % 10) for i in range(1, profile.columns + 1))
    blocks: list[Block] = [
        Text("PAGE DE TEST", Align.CENTER, bold=True, large=True),
        *shop_header(shop),
        Rule(),
        Text(f"Imprimante : {profile.name}"),
        Text(f"{profile.columns} colonnes - papier {profile.paper_mm} mm - {profile.code_page}"),
        Text(ruler),
        Text("Accents : é è ê ë à â ç ù û ô î ï É È À Ç"),
        Text("Symboles : 12,50 € - 5,5 % - n° - « guillemets »"),
        Text("Ligatures : Œuf, cœur"),
        Columns("Gauche", "Droite"),
        Text("Gras", bold=True),
        Text("Grand", large=True),
        QrCode("PAGE DE TEST", caption="Ce QR code doit se lire"),
        *software_footer(software),
    ]
    return Document("test", tuple(blocks))
