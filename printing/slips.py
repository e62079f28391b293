"""Slips that are no fiscal document: what a till prints when cash goes into or out of its drawer
outside a sale, for whoever takes the cash (or leaves it) to keep or to sign. The movement itself
is journaled by the server, which the slip's journal number refers to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from printing.context import ShopHeader, SoftwareInfo
from printing.document import Align, Blank, Block, Columns, Document, Rule, Text
from printing.receipts import shop_header, software_footer
from till.money import Cents, format_amount

TITLES = {"in": "ENTRÉE D'ESPÈCES", "out": "SORTIE D'ESPÈCES"}


@dataclass(frozen=True, slots=True)
class CashMovement:
    """Cash put in (`in`) or taken out (`out`) of a register's drawer, as the server recorded it."""

    kind: str
    amount: Cents
    reason: str
    register: str
    cashier: str
    at: datetime
    journal_number: int


def cash_movement_slip(
    movement: CashMovement, shop: ShopHeader, software: SoftwareInfo
) -> Document:
    """The slip, with the drawer opened to put the cash in or take it out."""
    blocks: list[Block] = [
        *shop_header(shop),
        Rule("="),
        Text(TITLES[movement.kind], Align.CENTER, bold=True, large=True),
        Rule("="),
        Columns("Caisse", movement.register),
        Columns("Caissier", movement.cashier),
        Columns("Le", shop.local(movement.at).strftime("%d/%m/%Y %H:%M")),
        Columns("Journal n°", str(movement.journal_number)),
        Rule(),
        Columns("Montant", format_amount(movement.amount), bold=True, large=True),
        Text(f"Motif : {movement.reason}"),
        Rule(),
        Text("Signature :"),
        Blank(3),
        Rule(),
        *software_footer(software),
    ]
    return Document("cash", tuple(blocks), open_drawer=True)
