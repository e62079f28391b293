"""The FEC (fichier des écritures comptables, LPF art. A47 A-1) of a period's sales, from the
sealed orders and payments: one balanced entry per business day in the sales journal.

An entry debits each payment mode's account with what stayed in the till (tendered less the change
given back), and credits the sales account of each VAT rate with the sales excluding VAT and the
VAT-collected account of each rate with the VAT. Refunds and negative corrections go the other way
on lines of their own, so every amount is positive and the day's gross sales stay visible.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from server.archives.services import Period
from server.errors import Conflict
from server.exports.chart import Account, Chart, rate_label
from server.exports.services import PaidOrder, paid_orders, siren
from server.reports.records import Scope
from server.shops.models import Shop
from till.money import from_json_amount, parse_rate, to_json_amount

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
Separator = Literal["pipe", "tab"]
SEPARATORS: dict[str, str] = {"pipe": "|", "tab": "\t"}
# One of the character sets A47 A-1 names; every French letter and the euro sign are in it.
ENCODING = "iso-8859-15"
MEDIA_TYPE = f"text/plain; charset={ENCODING}"
# What would cut a line or a field, in any text that comes from the shop's own settings.
_CUTS = re.compile(r"[|\t\r\n\x00-\x1f]")


class UnbalancedEntry(Conflict):
    code = "unbalanced_entry"


@dataclass
class _Sides:
    """One account's sums in a day: on its usual side, and the other way (refunds)."""

    usual: int = 0
    reversed: int = 0

    def add(self, cents: int) -> None:
        if cents >= 0:
            self.usual += cents
        else:
            self.reversed -= cents


@dataclass
class _Day:
    first_ticket: str
    last_ticket: str
    payments: dict[str, _Sides] = field(default_factory=dict)  # per mode code
    mode_labels: dict[str, str] = field(default_factory=dict)
    sales: dict[Decimal, _Sides] = field(default_factory=dict)  # per VAT rate, excl. VAT
    vat: dict[Decimal, _Sides] = field(default_factory=dict)  # per VAT rate

    def add(self, paid: PaidOrder) -> None:
        self.last_ticket = paid.order["public_number"]
        for row in paid.order["vat"]:
            rate = parse_rate(row["rate"])
            self.sales.setdefault(rate, _Sides()).add(from_json_amount(row["excl"]))
            self.vat.setdefault(rate, _Sides()).add(from_json_amount(row["vat"]))
        for payment in paid.payments:
            net = from_json_amount(payment["amount"]) - from_json_amount(payment["change"])
            self.payments.setdefault(payment["mode"], _Sides()).add(net)
            self.mode_labels[payment["mode"]] = payment["mode_label"]


@dataclass(frozen=True)
class _Line:
    account: Account
    label: str
    debit: int
    credit: int


def _lines(day: _Day, chart: Chart) -> list[_Line]:
    """The entry's lines: payment accounts (debit), then sales and VAT collected per rate
    (credit), each followed by its line the other way; no line for a zero amount."""
    lines: list[_Line] = []

    def add(account: Account, sides: _Sides, usual: str, other: str, *, debit: bool) -> None:
        for amount, label, on_debit in (
            (sides.usual, usual, debit),
            (sides.reversed, other, not debit),
        ):
            if amount:
                lines.append(_Line(account, label, *((amount, 0) if on_debit else (0, amount))))

    position = {code: index for index, code in enumerate(chart.payments)}
    for mode in sorted(day.payments, key=lambda code: (position.get(code, len(position)), code)):
        label = day.mode_labels[mode]
        add(
            chart.payment(mode),
            day.payments[mode],
            f"Encaissements {label}",
            f"Remboursements {label}",
            debit=True,
        )
    for rate in sorted(day.sales, reverse=True):
        name = rate_label(rate)
        add(
            chart.sales[rate],
            day.sales[rate],
            f"Ventes TVA {name}",
            f"Retours TVA {name}",
            debit=False,
        )
    for rate in sorted(day.vat, reverse=True):
        sides = day.vat[rate]
        if sides.usual or sides.reversed:  # never at 0 %, which has no VAT account
            name = rate_label(rate)
            add(
                chart.vat[rate],
                sides,
                f"TVA collectée {name}",
                f"TVA sur retours {name}",
                debit=False,
            )
    return lines


def _amount(cents: int) -> str:
    """ "1234,50", "-1,50": a decimal comma, no thousands separator."""
    return to_json_amount(cents).replace(".", ",")


def _field(text: str) -> str:
    return _CUTS.sub(" ", text)


@dataclass(frozen=True)
class FecFile:
    name: str
    content: bytes
    entries: int
    lines: int
    orders: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def file_name(shop: Shop, period: Period) -> str:
    """`<SIREN>FEC<date the period ends>.txt`, as A47 A-1 names it."""
    return f"{siren(shop)}FEC{period.end:%Y%m%d}.txt"


def build_fec(
    session: Session, shop: Shop, chart: Chart, period: Period, separator: Separator = "pipe"
) -> FecFile:
    """The FEC of the shop's sales of the period's business days."""
    sealed_from, sealed_until = period.bounds(shop)
    days: dict[date, _Day] = {}
    orders = 0
    for paid in paid_orders(session, Scope(shop.id, sealed_from, sealed_until)):
        ticket = paid.order["public_number"]
        day = days.setdefault(date.fromisoformat(paid.order["value_date"]), _Day(ticket, ticket))
        day.add(paid)
        orders += 1
    sep = SEPARATORS[separator]
    rows = [sep.join(COLUMNS)]
    count = 0
    for number, (day_date, day) in enumerate(sorted(days.items()), start=1):
        lines = _lines(day, chart)
        debit = sum(line.debit for line in lines)
        credit = sum(line.credit for line in lines)
        if debit != credit:
            raise UnbalancedEntry(
                f"The sales of {day_date} do not balance (debit {_amount(debit)}, credit "
                f"{_amount(credit)}): check the chains before exporting."
            )
        stamp = f"{day_date:%Y%m%d}"
        piece = f"{day.first_ticket}-{day.last_ticket}"
        for line in lines:
            fields = (
                chart.journal_code,
                chart.journal_label,
                str(number),
                stamp,
                line.account.number,
                line.account.label,
                "",
                "",
                piece,
                stamp,
                line.label,
                _amount(line.debit),
                _amount(line.credit),
                "",
                "",
                stamp,
                "",
                "",
            )
            rows.append(sep.join(_field(value) for value in fields))
        count += len(lines)
    content = ("\r\n".join(rows) + "\r\n").encode(ENCODING, errors="replace")
    return FecFile(file_name(shop, period), content, len(days), count, orders)
