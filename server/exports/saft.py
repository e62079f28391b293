"""The SAF-T Cash Register file of a period (`shared/reference/saft-cash-register`'s XSD): the
shop, its master files, and for each register its sealed Zs (events with their report) and its
sealed orders (transactions with lines, VAT, payments and signature).

It is written as a stream, an element at a time, so a year of a busy shop takes little memory; a
register's transactions are spooled to a temporary file first, as the XSD puts its events (the Zs)
before them and a Z's figures by department come from the orders it covers.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.archives.services import Period
from server.catalog.models import Article, Department, PaymentModeRow
from server.closures.models import ClosureKind, ClosureRow
from server.closures.services import sealed_closures
from server.downloads import PART_BYTES
from server.exports.chart import Chart, rate_label
from server.exports.services import PaidOrder, paid_orders
from server.reports.records import Scope
from server.shops.models import Register, Shop
from till.fiscal.perimeter import current_fingerprint
from till.money import from_json_amount, parse_rate, to_json_amount, to_json_rate
from till.timestamps import from_utc_iso
from till.vat import FRENCH_RATES
from till.version import SOFTWARE_NAME, __version__

NAMESPACE = "urn:StandardAuditFile-Taxation-CashRegister:NO"
AUDITFILE_VERSION = "1.0"
CURRENCY = "EUR"
MEDIA_TYPE = "application/xml"

# Codes of the file's own (its `basics`), each from the code lists given with the XSD.
LINE_SALE, LINE_RETURN = "SAL", "RET"
SALE, RETURN, CORRECTION = "CASHSAL", "RETURNSAL", "CORRSAL"
Z_REPORT = "ZREP"
DISCOUNT = "DISC"
NO_DEPARTMENT = "NODEP"
NONE = "NONE"  # the one row of a report table the XSD requires when there is nothing to say
_FIXED_BASICS = (
    ("05", LINE_SALE, None, "Ligne de vente"),
    ("05", LINE_RETURN, None, "Ligne de retour ou de correction"),
    ("08", DISCOUNT, None, "Remise"),
    ("11", SALE, "11001", "Vente"),
    ("11", RETURN, "11006", "Remboursement"),
    ("11", CORRECTION, "11009", "Correction d'une commande"),
    ("13", Z_REPORT, "13009", "Z de caisse"),
)
_PAYMENT_CODES = {"cash": "12001", "card": "12002", "contactless": "12002", "cheque": "12009"}
# `standardVatCode` takes a Norwegian list: the nearest of its codes for each French rate
# (3 standard rate, 31 intermediate, 33 reduced, 5 zero rate).
_STANDARD_VAT = {"20.00": "3", "10.00": "31", "5.50": "33", "2.10": "33", "0.00": "5"}
_ROLES = {
    "cashier": "Caissier",
    "manager": "Gérant",
    "accountant": "Comptable",
    "admin": "Administrateur",
}
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_POSTAL = re.compile(r"([0-9]{5})\s+(.+)")
IDENT = 35  # IdentificationString35


def _ident(text: str) -> str:
    """An identifier within the XSD's 35 characters; a longer one (ids go up to 40) is cut and
    given a digest of the whole, so that two ids stay two."""
    if len(text) <= IDENT:
        return text
    return f"{text[:26]}~{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _group(department: str | None) -> str:
    return _ident(f"DEP-{department}") if department else NO_DEPARTMENT


def _payment_type(mode: str) -> str:
    return _ident(f"PAY-{mode}")


def _vat_code(rate: Decimal) -> str:
    return f"TVA{to_json_rate(rate)}"


def _side(cents: int) -> str:
    """Sales are credits (C), returns debits (D), as in the XSD's example."""
    return "C" if cents >= 0 else "D"


class _Writer:
    """Writes elements as they come, in parts, counting and hashing the bytes."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0
        self.digest = hashlib.sha256()

    def raw(self, data: bytes) -> None:
        self.out.write(data)
        self.size += len(data)
        self.digest.update(data)

    def flush(self) -> None:
        self.raw("".join(self.parts).encode())
        self.parts.clear()

    def leaf(self, tag: str, value: str | int | None, limit: int = 9999) -> None:
        if value is not None:
            text = escape(_NOT_XML.sub(" ", str(value))[:limit])
            self.parts.append(f"<{tag}>{text}</{tag}>")

    @contextmanager
    def element(self, tag: str) -> Iterator[None]:
        self.parts.append(f"<{tag}>")
        yield
        self.parts.append(f"</{tag}>")
        if len(self.parts) > 10_000:
            self.flush()


@dataclass
class _ZFigures:
    """What a Z record does not say and its report needs, from the orders it covers."""

    groups: dict[str, list[Any]] = field(default_factory=dict)  # id: [quantity, amount]
    payments: dict[str, int] = field(default_factory=dict)  # mode: how many
    discounts: list[int] = field(default_factory=lambda: [0, 0])  # how many, amount
    corrections: list[int] = field(default_factory=lambda: [0, 0])

    def add(self, paid: PaidOrder) -> None:
        order = paid.order
        for line in order["lines"]:
            sums = self.groups.setdefault(_group(line["department"]), [Decimal(0), 0])
            sums[0] += Decimal(line["quantity"])
            sums[1] += from_json_amount(line["final"])
        for payment in paid.payments:
            self.payments[payment["mode"]] = self.payments.get(payment["mode"], 0) + 1
        discount = from_json_amount(order["total_discount"])
        if discount:
            self.discounts[0] += 1
            self.discounts[1] += discount
        if order["corrects_order_id"] and not order["is_refund"]:
            self.corrections[0] += 1
            self.corrections[1] += from_json_amount(order["final_price"])


class _Zs:
    """A register's Zs closed in the period, and which one covers a moment."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.opened = [from_utc_iso(record["opened_at"]) for record in records]
        self.closed = [from_utc_iso(record["closed_at"]) for record in records]
        self.figures = [_ZFigures() for _ in records]

    def covering(self, moment: datetime) -> _ZFigures | None:
        index = bisect_left(self.closed, moment)
        if index < len(self.records) and self.opened[index] <= moment:
            return self.figures[index]
        return None


def _register_zs(
    session: Session, shop_id: str, register_id: str, start: datetime, end: datetime
) -> _Zs:
    return _Zs(
        list(
            sealed_closures(
                session,
                shop_id,
                ClosureRow.kind == ClosureKind.REGISTER,
                ClosureRow.register_id == register_id,
                ClosureRow.closed_at >= start,
                ClosureRow.closed_at < end,
            )
        )
    )


def file_name(shop: Shop, period: Period) -> str:
    return f"SAF-T_Caisse_{shop.siret}_{period.start:%Y%m%d}_{period.end:%Y%m%d}.xml"


@dataclass(frozen=True)
class SaftFile:
    name: str
    size: int
    sha256: str
    orders: int
    closures: int


class _Saft:
    def __init__(
        self, session: Session, shop: Shop, chart: Chart, period: Period, writer: _Writer
    ) -> None:
        self.session = session
        self.shop = shop
        self.chart = chart
        self.period = period
        self.w = writer
        self.zone = ZoneInfo(shop.timezone)
        self.sealed_from, self.sealed_until = period.bounds(shop)
        self.entered = shop.created_at.astimezone(self.zone)
        self.employees = {
            user.id: user
            for user in session.scalars(
                select(User).where(User.shop_id == shop.id).order_by(User.id)
            )
        }
        self.articles = list(
            session.scalars(
                select(Article)
                .where(Article.shop_id == shop.id)
                .order_by(Article.position, Article.id)
            )
        )
        self.article_ids = {article.id for article in self.articles}
        self.orders = 0
        self.closures = 0

    # ------------------------------------------------------------------------ helpers

    def _local(self, stamp: str) -> datetime:
        return from_utc_iso(stamp).astimezone(self.zone)

    def _date_time(self, date_tag: str, time_tag: str, moment: datetime) -> None:
        self.w.leaf(date_tag, moment.date().isoformat())
        self.w.leaf(time_tag, f"{moment:%H:%M:%S}")

    def _employee(self, user_id: str | None) -> str | None:
        return _ident(user_id) if user_id in self.employees else None

    def _amount(self, tag: str, cents: int) -> None:
        self.w.leaf(tag, to_json_amount(cents))

    def _address(self) -> None:
        lines = [line.strip() for line in self.shop.address.split("\n") if line.strip()]
        if not lines:
            return
        postal = _POSTAL.fullmatch(lines[-1])
        street = lines[:-1] if postal else lines
        with self.w.element("streetAddress"):
            self.w.leaf("streetname", ", ".join(street) or None, 100)
            if postal:
                self.w.leaf("city", postal[2], 50)
                self.w.leaf("postalCode", postal[1])
            self.w.leaf("country", "FR")

    def _periods(self) -> list[tuple[date, date]]:
        """The months the period covers, cut to its first and last days."""
        months = []
        first = self.period.start
        while first <= self.period.end:
            following = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
            months.append((first, min(following - timedelta(days=1), self.period.end)))
            first = following
        return months

    def _period_number(self, day: date) -> int:
        start = self.period.start
        return (day.year - start.year) * 12 + day.month - start.month + 1

    # ------------------------------------------------------------------------ the file

    def write(self, user_id: str, now: datetime) -> None:
        self.w.raw(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        self.w.parts.append(f'<auditfile xmlns="{NAMESPACE}">')
        self._header(user_id, now)
        with self.w.element("company"):
            self._company()
        self.w.parts.append("</auditfile>\n")
        self.w.flush()

    def _header(self, user_id: str, now: datetime) -> None:
        start, end = self.period.start, self.period.end
        created = now.astimezone(self.zone)
        with self.w.element("header"):
            years = f"{start.year}" if start.year == end.year else f"{start.year}-{end.year}"
            self.w.leaf("fiscalYear", years)
            self.w.leaf("startDate", start.isoformat())
            self.w.leaf("endDate", end.isoformat())
            self.w.leaf("curCode", CURRENCY)
            self._date_time("dateCreated", "timeCreated", created)
            self.w.leaf("softwareDesc", SOFTWARE_NAME)
            self.w.leaf("softwareVersion", __version__)
            self.w.leaf("softwareCompanyName", SOFTWARE_NAME)
            self.w.leaf("auditfileVersion", AUDITFILE_VERSION)
            self.w.leaf(
                "headerComment",
                f"Journées du {start:%d/%m/%Y} au {end:%d/%m/%Y}, chacune à partir de "
                f"{self.shop.opening_hour} h ({self.shop.timezone}). Empreinte fiscale du "
                f"logiciel : {current_fingerprint()}.",
            )
            self.w.leaf("userID", _ident(user_id))

    def _company(self) -> None:
        shop = self.shop
        self.w.leaf("companyIdent", shop.siret)
        self.w.leaf("companyName", shop.name, 100)
        self.w.leaf("taxRegistrationCountry", "FR")
        self.w.leaf("taxRegIdent", shop.vat_number)
        self._address()
        with self.w.element("generalLedger"):
            for account in self.chart.accounts():
                with self.w.element("ledgerAccount"):
                    self.w.leaf("accID", account.number)
                    self.w.leaf("accDesc", account.label)
        with self.w.element("vatCodeDetails"):
            for rate in FRENCH_RATES:
                with self.w.element("vatCodeDetail"):
                    self.w.leaf("vatCode", _vat_code(rate))
                    self.w.leaf("dateOfEntry", self.entered.date().isoformat())
                    self.w.leaf("vatDesc", f"TVA {rate_label(rate)}")
                    self.w.leaf("standardVatCode", _STANDARD_VAT[to_json_rate(rate)])
        self._master_periods()
        with self.w.element("employees"):
            for user in self.employees.values():
                with self.w.element("employee"):
                    self.w.leaf("empID", _ident(user.id))
                    self._date_time("dateOfEntry", "timeOfEntry", self.entered)
                    self.w.leaf("surName", user.name, 100)
                    with self.w.element("employeeRole"):
                        self.w.leaf("roleType", user.role)
                        self.w.leaf("roleTypeDesc", _ROLES.get(user.role))
        with self.w.element("articles"):
            for article in self.articles:
                with self.w.element("article"):
                    self.w.leaf("artID", _ident(article.id))
                    self.w.leaf("dateOfEntry", self.entered.date().isoformat())
                    self.w.leaf("artGroupID", _group(article.department_id))
                    self.w.leaf("artDesc", article.label, 999)
        self._basics()
        with self.w.element("location"):
            self.w.leaf("name", shop.name, 100)
            self._address()
            for register in self.session.scalars(
                select(Register).where(Register.shop_id == shop.id).order_by(Register.id)
            ):
                self._register(register)

    def _master_periods(self) -> None:
        opening = time(self.shop.opening_hour)
        with self.w.element("periods"):
            for number, (first, last) in enumerate(self._periods(), start=1):
                ends = datetime.combine(last + timedelta(days=1), opening) - timedelta(seconds=1)
                with self.w.element("period"):
                    self.w.leaf("periodNumber", number)
                    self.w.leaf("periodDesc", f"{_MONTHS[first.month - 1]} {first.year}")
                    self._date_time(
                        "startDatePeriod", "startTimePeriod", datetime.combine(first, opening)
                    )
                    self._date_time("endDatePeriod", "endTimePeriod", ends)

    def _basics(self) -> None:
        basics: list[tuple[str, str, str | None, str]] = [
            ("04", _group(d.id), "04999", d.label)
            for d in self.session.scalars(
                select(Department)
                .where(Department.shop_id == self.shop.id)
                .order_by(Department.position, Department.id)
            )
        ]
        basics.append(("04", NO_DEPARTMENT, "04999", "Sans rayon"))
        basics.extend(_FIXED_BASICS)
        for mode in self.session.scalars(
            select(PaymentModeRow)
            .where(PaymentModeRow.shop_id == self.shop.id)
            .order_by(PaymentModeRow.position, PaymentModeRow.code)
        ):
            code = _PAYMENT_CODES.get(mode.code) or ("12001" if mode.gives_change else "12999")
            basics.append(("12", _payment_type(mode.code), code, mode.label))
        with self.w.element("basics"):
            for kind, ident, predefined, label in basics:
                with self.w.element("basic"):
                    self.w.leaf("basicType", kind)
                    self.w.leaf("basicID", ident)
                    self.w.leaf("predefinedBasicID", predefined)
                    self.w.leaf("basicDesc", label, 999)

    # ------------------------------------------------------------------------ a register

    def _register(self, register: Register) -> None:
        zs = _register_zs(
            self.session, self.shop.id, register.id, self.sealed_from, self.sealed_until
        )
        # Orders sealed before the period but in a Z closed within it count in that Z's report.
        read_from = min([self.sealed_from, *zs.opened])
        scope = Scope(self.shop.id, read_from, self.sealed_until, register_id=register.id)
        with tempfile.TemporaryFile() as spool:
            transactions = _Writer(spool)
            for paid in paid_orders(self.session, scope):
                moment = from_utc_iso(paid.order["validated_at"])
                figures = zs.covering(moment)
                if figures is not None:
                    figures.add(paid)
                if moment >= self.sealed_from:
                    self._transaction(transactions, paid)
                    self.orders += 1
            transactions.flush()
            with self.w.element("cashregister"):
                self.w.leaf("registerID", register.id, 100)
                self.w.leaf("regDesc", register.name, 999)
                for record, figures in zip(zs.records, zs.figures, strict=True):
                    self._z_event(record, figures)
                    self.closures += 1
                self.w.flush()
                spool.seek(0)
                while part := spool.read(PART_BYTES):
                    self.w.raw(part)

    def _transaction(self, w: _Writer, paid: PaidOrder) -> None:
        order = paid.order
        final = from_json_amount(order["final_price"])
        employee = self._employee(order["user_id"])
        number = order["internal_number"]
        kind = SALE
        if order["is_refund"]:
            kind = RETURN
        elif order["corrects_order_id"]:
            kind = CORRECTION
        with w.element("cashtransaction"):
            w.leaf("nr", number)
            w.leaf("transID", order["public_number"], IDENT)
            w.leaf("transType", kind)
            w.leaf("transAmntIn", order["final_price"])
            w.leaf("transAmntEx", order["total_excl_vat"])
            w.leaf("amntTp", _side(final))
            w.leaf("empID", employee)
            w.leaf("periodNumber", self._period_number(date.fromisoformat(order["value_date"])))
            moment = self._local(order["validated_at"])
            w.leaf("transDate", moment.date().isoformat())
            w.leaf("transTime", f"{moment:%H:%M:%S}")
            w.leaf("bookDate", order["value_date"])
            w.leaf("refID", order["corrects_public_number"])
            w.leaf("desc", f"seq {order['seq']} hash {order['hash']} prev {order['prev_hash']}")
            for position, line in enumerate(order["lines"], start=1):
                self._line(w, number, position, line, employee)
            for row in order["vat"]:
                self._vat(w, parse_rate(row["rate"]), row["vat"], row["excl"])
            for payment in paid.payments:
                net = from_json_amount(payment["amount"]) - from_json_amount(payment["change"])
                with w.element("payment"):
                    w.leaf("paymentType", _payment_type(payment["mode"]))
                    w.leaf("paidAmnt", to_json_amount(net))
                    w.leaf("empID", self._employee(payment["user_id"]))
                    w.leaf("curCode", CURRENCY)
                    w.leaf("paymentRefID", payment["payment_id"], 999)
                    w.leaf("accID", self.chart.payment(payment["mode"]).number)
            w.leaf("signature", order["signature"])
            w.leaf("keyVersion", order["key_id"])
            w.leaf("voidTransaction", "false")
            w.leaf("trainingID", "false")

    def _line(
        self, w: _Writer, number: int, position: int, line: Mapping[str, Any], employee: str | None
    ) -> None:
        final = from_json_amount(line["final"])
        rate = parse_rate(line["vat_rate"])
        discount = from_json_amount(line["line_discount"]) + from_json_amount(
            line["order_discount_share"]
        )
        with w.element("ctLine"):
            w.leaf("nr", number)
            w.leaf("lineID", position)
            w.leaf("lineType", LINE_RETURN if final < 0 else LINE_SALE)
            w.leaf("artGroupID", _group(line["department"]))
            if line["article_id"] in self.article_ids:
                w.leaf("artID", _ident(line["article_id"]))
            w.leaf("qnt", line["quantity"])
            w.leaf("lineAmntIn", line["final"])
            w.leaf("lineAmntEx", line["excl_vat"])
            w.leaf("amntTp", _side(final))
            w.leaf("ppu", line["unit_price"])
            w.leaf("empID", employee)
            w.leaf("lineAmntInAccID", self.chart.sales[rate].number)
            w.leaf("cashTransLineDescr", line["label"])
            self._vat(w, rate, line["vat"], line["excl_vat"])
            if discount:
                with w.element("discount"):
                    w.leaf("dscTp", DISCOUNT)
                    w.leaf("dscAmnt", to_json_amount(discount))

    def _vat(self, w: _Writer, rate: Decimal, vat: str, base: str) -> None:
        account = self.chart.vat.get(rate)
        with w.element("vat"):
            w.leaf("vatCode", _vat_code(rate))
            w.leaf("vatPerc", to_json_rate(rate))
            w.leaf("vatAmnt", vat)
            w.leaf("vatAmntTp", _side(from_json_amount(base)))
            w.leaf("vatBasAmnt", base)
            w.leaf("accID", account.number if account else None)

    def _z_event(self, z: Mapping[str, Any], figures: _ZFigures) -> None:
        w = self.w
        closed = self._local(z["closed_at"])
        with w.element("event"):
            w.leaf("eventID", f"closure-{z['seq']}")
            w.leaf("eventType", Z_REPORT)
            w.leaf("empID", self._employee(z["closed_by"]))
            self._date_time("eventDate", "eventTime", closed)
            w.leaf(
                "eventText",
                f"Z n° {z['z_number']}, total perpétuel {z['grand_total']} EUR; "
                f"seq {z['seq']} hash {z['hash']} signature {z['signature']}",
            )
            with w.element("eventReport"):
                self._z_report(z, figures, closed)

    def _z_report(self, z: Mapping[str, Any], figures: _ZFigures, closed: datetime) -> None:
        w = self.w
        w.leaf("reportID", z["seq"])
        w.leaf("reportType", "Z report")
        w.leaf("companyIdent", self.shop.siret)
        w.leaf("companyName", self.shop.name, 100)
        self._date_time("reportDate", "reportTime", closed)
        w.leaf("registerID", z["register_id"], 100)
        with w.element("reportTotalCashSales"):
            w.leaf("totalCashSaleAmnt", z["period_total"])
        with w.element("reportArtGroups"):
            for group, (quantity, amount) in sorted(figures.groups.items()) or [
                (NO_DEPARTMENT, [Decimal(0), 0])
            ]:
                with w.element("reportArtGroup"):
                    w.leaf("artGroupID", group)
                    w.leaf("artGroupNum", f"{quantity:f}")
                    self._amount("artGroupAmnt", amount)
        with w.element("reportPayments"):
            for row in z["payments"] or [{"mode": None, "amount": "0.00"}]:
                mode = row["mode"]
                with w.element("reportPayment"):
                    w.leaf("paymentType", _payment_type(mode) if mode else NONE)
                    w.leaf("paymentNum", figures.payments.get(mode, 0) if mode else 0)
                    w.leaf("paymentAmnt", row["amount"])
                    w.leaf("accID", self.chart.payment(mode).number if mode else None)
        with w.element("reportCashSalesVat"):
            for row in z["vat"] or [{"rate": "0.00", "excl": "0.00", "vat": "0.00"}]:
                rate = parse_rate(row["rate"])
                account = self.chart.vat.get(rate)
                with w.element("reportCashSaleVat"):
                    w.leaf("vatCode", _vat_code(rate))
                    w.leaf("vatPerc", to_json_rate(rate))
                    w.leaf("cashSaleAmnt", row["excl"])
                    w.leaf("vatAmnt", row["vat"])
                    w.leaf("vatAmntTp", _side(from_json_amount(row["excl"])))
                    w.leaf("accID", account.number if account else None)
        w.leaf("reportOpeningChangeFloat", z["float_at_opening"])
        w.leaf("reportReceiptNum", z["sales_count"] + z["refunds_count"])
        # Neither drawer openings, copies, pro formas, voided tickets nor training tickets are
        # in a Z of this till (no copy is a sale, and no ticket can be voided or made in
        # training): their counts are zero.
        w.leaf("reportOpenCashBoxNum", 0)
        w.leaf("reportReceiptCopyNum", 0)
        w.leaf("reportReceiptCopyAmnt", "0.00")
        w.leaf("reportReceiptProformaNum", 0)
        w.leaf("reportReceiptProformaAmnt", "0.00")
        w.leaf("reportReturnNum", z["refunds_count"])
        self._amount("reportReturnAmnt", -from_json_amount(z["refunds_total"]))
        w.leaf("reportDiscountNum", figures.discounts[0])
        self._amount("reportDiscountAmnt", figures.discounts[1])
        w.leaf("reportVoidTransNum", 0)
        w.leaf("reportVoidTransAmnt", "0.00")
        with w.element("reportCorrLines"), w.element("reportCorrLine"):
            w.leaf("corrLineType", CORRECTION)
            w.leaf("corrLineNum", figures.corrections[0])
            self._amount("corrLineAmnt", figures.corrections[1])
        with w.element("reportPriceInquiries"), w.element("reportPriceInquiry"):
            w.leaf("priceInquiryGroup", NONE)
            w.leaf("priceInquiryNum", 0)
            w.leaf("priceInquiryAmnt", "0.00")
        with w.element("reportOtherCorrs"), w.element("reportOtherCorr"):
            w.leaf("otherCorrType", NONE)
            w.leaf("otherCorrNum", 0)
            w.leaf("otherCorrAmnt", "0.00")
        w.leaf("reportReceiptDeliveryNum", 0)
        w.leaf("reportReceiptDeliveryAmnt", "0.00")
        w.leaf("reportTrainingNum", 0)
        w.leaf("reportTrainingAmnt", "0.00")
        for tag, kind in (("reportPayIns", "in"), ("reportPayOuts", "out")):
            moves = [m for m in z["cash_movements"] if m["kind"] == kind]
            if moves:
                name = "payIn" if kind == "in" else "payOut"
                with w.element(tag), w.element(tag[:-1]):
                    w.leaf(f"{name}Type", "CASHIN" if kind == "in" else "CASHOUT")
                    w.leaf(f"{name}Num", len(moves))
                    self._amount(f"{name}Amnt", sum(from_json_amount(m["amount"]) for m in moves))
        w.leaf("reportGrandTotalSales", z["sales_total"])
        self._amount("reportGrandTotalReturn", -from_json_amount(z["refunds_total"]))
        w.leaf("reportGrandTotalSalesNet", z["period_total"])


def write_saft(
    session: Session,
    shop: Shop,
    chart: Chart,
    period: Period,
    user_id: str,
    out: IO[bytes],
    now: datetime,
) -> SaftFile:
    """Write the SAF-T Cash Register file of the shop's business days of the period to `out`."""
    writer = _Writer(out)
    saft = _Saft(session, shop, chart, period, writer)
    saft.write(user_id, now)
    return SaftFile(
        file_name(shop, period),
        writer.size,
        writer.digest.hexdigest(),
        saft.orders,
        saft.closures,
    )
