"""The documents the screen prints, built from what the server answered (a sealed order and its
issuance, a closure, a cash movement) with `printing`; and the training mode's, marked as
worthless."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from printing.context import Issuance, People, ShopHeader, SoftwareInfo, amount_text
from printing.document import Align, Block, Columns, Document, Rule, Text
from printing.profile import PrinterProfile
from printing.receipts import (
    closing_report,
    closing_ticket,
    printer_test_page,
    receipt,
    shop_header,
)
from printing.slips import CashMovement, cash_movement_slip
from till.money import format_quantity, from_json_amount, from_json_quantity
from till.timestamps import from_utc_iso

TRAINING_MARK = "MODE ÉCOLE — SANS VALEUR"


@cache
def software() -> SoftwareInfo:
    """Computed once: the fingerprint hashes the fiscal perimeter's files."""
    return SoftwareInfo.current()


def shop_of(shop: Mapping[str, Any]) -> ShopHeader:
    return ShopHeader.from_json(dict(shop))


def receipt_document(
    order: Mapping[str, Any],
    issuance: Mapping[str, Any],
    shop: Mapping[str, Any],
    people: People,
    *,
    open_drawer: bool = False,
) -> Document:
    """The receipt of a sealed order, once the server recorded its issuance."""
    return receipt(
        order["record"],
        Issuance(int(issuance["copy"]), from_utc_iso(issuance["issued_at"]), issuance["proof"]),
        shop_of(shop),
        software(),
        people,
        open_drawer=open_drawer,
    )


def closing_document(closure: Mapping[str, Any], shop: Mapping[str, Any]) -> Document:
    """The Z (a sealed register closure) or the X (figures so far) as the server answered them."""
    return closing_ticket(closing_report(closure), shop_of(shop), software())


def cash_slip(
    movement: Mapping[str, Any], shop: Mapping[str, Any], register: str, cashier: str
) -> Document:
    """The slip of a cash movement as the server recorded it; the drawer opens."""
    return cash_movement_slip(
        CashMovement(
            kind=str(movement["kind"]),
            amount=from_json_amount(movement["amount"]),
            reason=str(movement["reason"]),
            register=register,
            cashier=cashier,
            at=from_utc_iso(movement["at"]),
            journal_number=int(movement["event_seq"]),
        ),
        shop_of(shop),
        software(),
    )


def printer_test(profile: PrinterProfile, shop: Mapping[str, Any] | None) -> Document:
    header = shop_of(shop) if shop else ShopHeader("Till", (), "-", "-")
    return printer_test_page(profile, header, software())


def drawer_kick() -> Document:
    """Opens the cash drawer and prints nothing (cash taken, receipt declined)."""
    return Document("drawer", (), cut=False, open_drawer=True)


def training_receipt(
    order: Mapping[str, Any], shop: Mapping[str, Any], cashier: str, *, open_drawer: bool = False
) -> Document:
    """A training ticket: like a receipt to look at, but marked worthless from top to bottom,
    with no number, no seal and no QR proof."""
    mark = Text(TRAINING_MARK, Align.CENTER, bold=True)
    blocks: list[Block] = [mark, Rule("="), *shop_header(shop_of(shop)), Rule("="), mark]
    blocks.append(Text(f"Caissier : {cashier}"))
    blocks.append(Rule())
    for line in order["lines"]:
        quantity = from_json_quantity(line["quantity"])
        label = line["label"] if quantity == 1 else f"{format_quantity(quantity)} x {line['label']}"
        blocks.append(Columns(label, amount_text(line["final"])))
    blocks += [Rule(), Columns("TOTAL TTC", amount_text(order["final_price"]), bold=True)]
    blocks += [
        Columns(payment.get("mode_label") or payment["mode"], amount_text(payment["amount"]))
        for payment in order["payments"]
    ]
    if from_json_amount(order["change_due"]):
        blocks.append(Columns("Rendu", amount_text(order["change_due"])))
    blocks += [Rule("="), mark, Text("Ne vaut pas ticket de caisse", Align.CENTER), mark]
    return Document("training", tuple(blocks), open_drawer=open_drawer)
