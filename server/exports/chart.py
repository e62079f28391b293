"""The shop's chart of accounts for the FEC: defaults that suit a French café or bakery, and the
accounts its manager set instead (sales and VAT collected per VAT rate, one account per payment
mode, the sales journal's code and label)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.services import MANAGERS, Actor
from server.catalog.models import PaymentModeRow
from server.errors import Invalid
from server.exports.models import AccountingChartRow
from server.journal.services import EventKind, journal
from server.orders.services import known_rate
from server.sealing.keys import KeyStore
from till.money import NBSP, format_rate, parse_rate, to_json_rate
from till.timestamps import utc_now
from till.vat import FRENCH_RATES

# Plan comptable général: 707 sales of goods, 44571 VAT collected, 53 cash, 511 amounts to be
# cashed at the bank; the last digits say the rate (20, 10, 55 for 5.5 %, 21 for 2.1 %).
_RATE_DIGITS = {"20.00": "20", "10.00": "10", "5.50": "55", "2.10": "21", "0.00": "00"}
_MODE_ACCOUNTS = {
    "cash": ("530000", "Caisse"),
    "card": ("511500", "Cartes bancaires à encaisser"),
    "contactless": ("511500", "Cartes bancaires à encaisser"),
    "cheque": ("511200", "Chèques à encaisser"),
    "meal_voucher": ("511800", "Titres-restaurant à encaisser"),
}
_CASH = _MODE_ACCOUNTS["cash"]
_OTHER_MODE = ("511000", "Valeurs à l'encaissement")
DEFAULT_JOURNAL = ("VE", "Ventes")

ACCOUNT_NUMBER = re.compile(r"[0-9]{3,20}")
JOURNAL_CODE = re.compile(r"[A-Z0-9]{1,10}")
# Characters that would cut a FEC line or field: none may be in a label.
_CUTS = re.compile(r"[|\t\r\n\x00-\x1f]")


def rate_label(rate: Decimal) -> str:
    """ "5,5 %", with a plain space: the FEC is plain text."""
    return format_rate(rate).replace(NBSP, " ")


@dataclass(frozen=True)
class Account:
    number: str
    label: str

    def as_json(self) -> dict[str, str]:
        return {"account": self.number, "label": self.label}


@dataclass(frozen=True)
class Chart:
    journal_code: str
    journal_label: str
    sales: dict[Decimal, Account]  # per VAT rate: sales excluding VAT
    vat: dict[Decimal, Account]  # per VAT rate but 0 %: VAT collected
    payments: dict[str, Account]  # per payment mode code: what was cashed

    def payment(self, mode: str) -> Account:
        """A mode's account; a mode no longer in the catalog gets the general one."""
        return self.payments.get(mode) or Account(*_OTHER_MODE)

    def accounts(self) -> list[Account]:
        """Every account of the chart, each number once, in number order."""
        found: dict[str, Account] = {}
        for account in [*self.sales.values(), *self.vat.values(), *self.payments.values()]:
            found.setdefault(account.number, account)
        return [found[number] for number in sorted(found)]

    def as_json(self) -> dict[str, Any]:
        """The form `GET /accounting/chart` answers and `PUT /accounting/chart` accepts."""
        return {
            "journal_code": self.journal_code,
            "journal_label": self.journal_label,
            "sales": {to_json_rate(r): a.as_json() for r, a in sorted(self.sales.items())},
            "vat": {to_json_rate(r): a.as_json() for r, a in sorted(self.vat.items())},
            "payments": {code: account.as_json() for code, account in self.payments.items()},
        }


def _default_sales(rate: Decimal) -> Account:
    if rate == 0:
        return Account("707000", "Ventes exonérées de TVA")
    return Account(f"7070{_RATE_DIGITS[to_json_rate(rate)]}", f"Ventes TVA {rate_label(rate)}")


def _default_vat(rate: Decimal) -> Account:
    return Account(f"445711{_RATE_DIGITS[to_json_rate(rate)]}", f"TVA collectée {rate_label(rate)}")


SALES_DEFAULTS = {rate: _default_sales(rate) for rate in FRENCH_RATES}
VAT_DEFAULTS = {rate: _default_vat(rate) for rate in FRENCH_RATES if rate != 0}


def _default_payment(mode: PaymentModeRow) -> Account:
    number, label = _MODE_ACCOUNTS.get(mode.code) or (_CASH if mode.gives_change else _OTHER_MODE)
    return Account(number, label)


def _modes(session: Session, shop_id: str) -> list[PaymentModeRow]:
    """Every payment mode of the shop, removed ones too: old records still name them."""
    return list(
        session.scalars(
            select(PaymentModeRow)
            .where(PaymentModeRow.shop_id == shop_id)
            .order_by(PaymentModeRow.position, PaymentModeRow.code)
        )
    )


def _stored(session: Session, shop_id: str) -> dict[str, Any]:
    row = session.get(AccountingChartRow, shop_id)
    return orjson.loads(row.chart) if row is not None else {}


def _account(data: Mapping[str, str]) -> Account:
    return Account(data["account"], data["label"])


def load_chart(session: Session, shop_id: str) -> Chart:
    """The shop's chart: what its manager set, the defaults for everything else."""
    stored = _stored(session, shop_id)
    sales = {parse_rate(r): _account(a) for r, a in stored.get("sales", {}).items()}
    vat = {parse_rate(r): _account(a) for r, a in stored.get("vat", {}).items()}
    payments = {code: _account(a) for code, a in stored.get("payments", {}).items()}
    return Chart(
        journal_code=stored.get("journal_code", DEFAULT_JOURNAL[0]),
        journal_label=stored.get("journal_label", DEFAULT_JOURNAL[1]),
        sales={rate: sales.get(rate) or default for rate, default in SALES_DEFAULTS.items()},
        vat={rate: vat.get(rate) or default for rate, default in VAT_DEFAULTS.items()},
        payments={
            mode.code: payments.get(mode.code) or _default_payment(mode)
            for mode in _modes(session, shop_id)
        },
    )


def _label(text: str | None, default: str, what: str) -> str:
    if text is None or not text.strip():
        return default
    if _CUTS.search(text):
        raise Invalid(f"The label of {what} cannot hold a line break, a tab or a “|”.")
    return text.strip()


def _checked_account(data: Mapping[str, str | None], default: Account, what: str) -> dict[str, str]:
    number = data.get("account") or ""
    if not ACCOUNT_NUMBER.fullmatch(number):
        raise Invalid(f"“{number}” cannot be the account of {what}: use 3 to 20 digits.")
    return {"account": number, "label": _label(data.get("label"), default.label, what)}


def _rates(
    given: Mapping[str, Mapping[str, str | None]], defaults: Mapping[Decimal, Account], what: str
) -> dict[str, dict[str, str]]:
    checked = {}
    for text, data in given.items():
        rate = parse_rate(known_rate(text))
        if rate not in defaults:
            raise Invalid(f"There is no {what} at {rate_label(rate)}.")
        checked[to_json_rate(rate)] = _checked_account(
            data, defaults[rate], f"{what} at {rate_label(rate)}"
        )
    return checked


def change_chart(
    session: Session, keys: KeyStore, actor: Actor, given: Mapping[str, Any]
) -> dict[str, Any]:
    """Replace what the manager set with `given` (the form `Chart.as_json` writes; anything left
    out takes its default), checked whole first; journaled as a change of settings."""
    actor.require(MANAGERS, "change the chart of accounts")
    shop_id = actor.shop_id
    before = load_chart(session, shop_id)
    code = given.get("journal_code") or DEFAULT_JOURNAL[0]
    if not JOURNAL_CODE.fullmatch(code):
        raise Invalid(f"“{code}” cannot be a journal code: use 1 to 10 capital letters or digits.")
    defaults = {mode.code: _default_payment(mode) for mode in _modes(session, shop_id)}
    unknown = sorted(set(given.get("payments") or {}) - set(defaults))
    if unknown:
        raise Invalid(f"There is no payment mode {', '.join(unknown)}.")
    chart = {
        "journal_code": code,
        "journal_label": _label(given.get("journal_label"), DEFAULT_JOURNAL[1], "the journal"),
        "sales": _rates(given.get("sales") or {}, SALES_DEFAULTS, "sales"),
        "vat": _rates(given.get("vat") or {}, VAT_DEFAULTS, "VAT collected"),
        "payments": {
            mode: _checked_account(data, defaults[mode], f"payment mode {mode}")
            for mode, data in (given.get("payments") or {}).items()
        },
    }
    row = session.get(AccountingChartRow, shop_id)
    if row is None:
        row = AccountingChartRow(shop_id=shop_id)
        session.add(row)
    row.chart = orjson.dumps(chart).decode()
    row.changed_at = utc_now()
    row.changed_by = actor.user_id
    session.flush()
    after = load_chart(session, shop_id)
    if after != before:
        journal(
            session,
            keys,
            shop_id,
            EventKind.SETTINGS_CHANGED,
            {"accounting_chart": {"before": before.as_json(), "after": after.as_json()}},
            actor=actor,
        )
    return after.as_json()
