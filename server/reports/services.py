"""A shop's report over a period of at most a year, for one register or all, one user or all
(seed 000 §4.1): summary, breakdowns, closures, cash movements, the order list with each order's
lines, and charts of sales over time.

Every figure comes from the sealed records of the period (`server.reports.records`), read once,
a batch at a time: what grows with the period (orders, lines, discounted orders) is spooled, the
rest is a total per day, hour, register, user, department, article, ... in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.archives.services import Period
from server.catalog.models import Department
from server.closures.models import ClosureKind, ClosureRow
from server.closures.services import Figures, sealed_closures
from server.errors import NotFound
from server.orders.models import OrderRow
from server.receipts.models import IssuanceRow
from server.receipts.services import Document
from server.registers.services import business_day
from server.reports.records import (
    Scope,
    sealed_cash_movements,
    sealed_orders,
    sealed_payments,
)
from server.reports.tables import (
    Chart,
    Column,
    Figure,
    Heading,
    Kind,
    Report,
    Section,
    Spool,
    display,
    local_moment,
)
from server.shops.models import Register, get_shop
from till.money import (
    format_amount,
    format_rate,
    from_json_amount,
    from_json_quantity,
    parse_rate,
    round_half_up,
    to_json_rate,
)
from till.timestamps import to_utc_iso

# Orders per batch: their records are read, and their issued copies counted, together.
BATCH = 500

DELIVERY = {"eat_in": "Sur place", "take_away": "À emporter", "delivery": "Livraison"}
CLOSINGS = {
    ClosureKind.REGISTER: "Z de caisse",
    ClosureKind.DAILY: "Clôture journalière",
    ClosureKind.MONTHLY: "Clôture mensuelle",
    ClosureKind.YEARLY: "Clôture annuelle",
}
MOVEMENTS = {"in": "Entrée", "out": "Sortie"}


@dataclass(frozen=True)
class Request:
    """A report asked for, checked: what it covers, and what names its figures."""

    period: Period
    scope: Scope
    heading: Heading
    today: date
    departments: Mapping[str, str]
    registers: Mapping[str, str]


def prepare(
    session: Session,
    shop_id: str,
    start: date,
    end: date,
    register_id: str | None,
    user_id: str | None,
    now: datetime,
) -> Request:
    period = Period.checked(start, end, None, subject="A report")
    shop = get_shop(session, shop_id)
    registers = {
        row.id: row.name
        for row in session.scalars(select(Register).where(Register.shop_id == shop_id))
    }
    if register_id is not None and register_id not in registers:
        raise NotFound(f"There is no register {register_id}.")
    user = session.get(User, (shop_id, user_id)) if user_id is not None else None
    if user_id is not None and user is None:
        raise NotFound(f"There is no user {user_id}.")
    sealed_from, sealed_until = period.bounds(shop)
    departments = {
        row.id: row.label
        for row in session.scalars(select(Department).where(Department.shop_id == shop_id))
    }
    heading = Heading(
        shop_name=shop.name,
        shop_id=shop.id,
        siret=shop.siret,
        vat_number=shop.vat_number,
        address=shop.address.split("\n") if shop.address else [],
        start=start,
        end=end,
        register=registers[register_id] if register_id is not None else "Toutes les caisses",
        user=user.name if user is not None else "Tous les vendeurs",
        generated_at=to_utc_iso(now),
        timezone=shop.timezone,
        opening_hour=shop.opening_hour,
        sealed_from=to_utc_iso(sealed_from),
        sealed_until=to_utc_iso(sealed_until),
    )
    scope = Scope(shop_id, sealed_from, sealed_until, register_id, user_id)
    return Request(period, scope, heading, business_day(shop, now), departments, registers)


def build_report(session: Session, request: Request) -> Report:
    """Read the period's sealed records once and make the report; close it when written."""
    tally = _Tally(request)
    try:
        for batch in _batches(sealed_orders(session, request.scope)):
            copies = _copies(session, request.scope.shop_id, [record["seq"] for record in batch])
            for record in batch:
                tally.add_order(record, copies.get(record["seq"], {}))
        for payment in sealed_payments(session, request.scope):
            # Orders sealed since the orders were read are left out of their payments too.
            if payment["order_seq"] <= tally.last_seq:
                tally.add_payment(payment)
        for event in sealed_cash_movements(session, request.scope):
            tally.add_movement(event)
        for closure in _closures(session, request):
            tally.add_closure(closure)
        return tally.report()
    except BaseException:
        tally.close()
        raise


def _batches(records: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(records, BATCH)):
        yield batch


def _copies(session: Session, shop_id: str, seqs: list[int]) -> dict[int | None, dict[str, int]]:
    """How many copies of each document of these orders were issued, by order seq."""
    counts: dict[int | None, dict[str, int]] = {}
    for seq, document, count in session.execute(
        select(OrderRow.internal_number, IssuanceRow.document, func.count())
        .join(IssuanceRow, IssuanceRow.order_id == OrderRow.id)
        .where(OrderRow.shop_id == shop_id, OrderRow.internal_number.in_(seqs))
        .group_by(OrderRow.internal_number, IssuanceRow.document)
    ):
        counts.setdefault(seq, {})[document] = count
    return counts


def _closures(session: Session, request: Request) -> Iterator[dict[str, Any]]:
    """The Z of the registers in scope made in the period; with all registers, the shop's
    closings of the days, months and years that end in the period."""
    scope, period = request.scope, request.period
    z = (
        (ClosureRow.kind == ClosureKind.REGISTER)
        & (ClosureRow.closed_at >= scope.start)
        & (ClosureRow.closed_at < scope.end)
    )
    if scope.register_id is not None:
        return sealed_closures(
            session, scope.shop_id, z & (ClosureRow.register_id == scope.register_id)
        )
    months = [f"{day:%Y-%m}" for day in _days(period.start, period.end) if (day + ONE_DAY).day == 1]
    years = [
        f"{day:%Y}" for day in _days(period.start, period.end) if (day.month, day.day) == (12, 31)
    ]
    return sealed_closures(
        session,
        scope.shop_id,
        z
        | (
            (ClosureRow.kind == ClosureKind.DAILY)
            & (ClosureRow.period >= period.start.isoformat())
            & (ClosureRow.period <= period.end.isoformat())
        )
        | ((ClosureRow.kind == ClosureKind.MONTHLY) & ClosureRow.period.in_(months))
        | ((ClosureRow.kind == ClosureKind.YEARLY) & ClosureRow.period.in_(years)),
    )


ONE_DAY = timedelta(days=1)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def _amount(record: Mapping[str, Any], name: str) -> int:
    return from_json_amount(record[name])


def _is_refund(record: Mapping[str, Any], total: int) -> bool:
    # As the closures count them (`server.closures.services.Figures`).
    return total < 0 or bool(record.get("is_refund"))


def _average(total: int, count: int) -> int | None:
    return round_half_up(Fraction(total, count)) if count else None


# ---------------------------------------------------------------------------- groups of orders


@dataclass
class _Orders:
    """Sales and refunds of a group of orders: a day, an hour, a register, a table, ..."""

    name: str = ""
    sales_count: int = 0
    sales_total: int = 0
    refunds_count: int = 0
    refunds_total: int = 0
    excl: int = 0
    vat: int = 0
    covers: int = 0

    def add(self, record: Mapping[str, Any], total: int) -> None:
        if _is_refund(record, total):
            self.refunds_count += 1
            self.refunds_total += total
        else:
            self.sales_count += 1
            self.sales_total += total
        self.excl += _amount(record, "total_excl_vat")
        self.vat += _amount(record, "total_vat")
        self.covers += record.get("covers") or 0

    def row(self) -> list[Any]:
        return [
            self.sales_count,
            self.sales_total,
            self.refunds_count,
            self.refunds_total,
            self.sales_total + self.refunds_total,
            self.excl,
            self.vat,
            self.covers,
            _average(self.sales_total, self.sales_count),
        ]


ORDER_FIGURES = (
    Column("sales_count", "Ventes", Kind.COUNT),
    Column("sales_total", "Montant des ventes", Kind.AMOUNT),
    Column("refunds_count", "Remboursements", Kind.COUNT),
    Column("refunds_total", "Montant des remboursements", Kind.AMOUNT),
    Column("total", "Total TTC", Kind.AMOUNT),
    Column("excl_vat", "Total HT", Kind.AMOUNT),
    Column("vat", "TVA", Kind.AMOUNT),
    Column("covers", "Couverts", Kind.COUNT),
    Column("average_basket", "Panier moyen", Kind.AMOUNT),
)


@dataclass
class _Lines:
    """What a group of order lines sold: a department, an article."""

    lines: int = 0
    quantity: Decimal = Decimal(0)
    gross: int = 0
    discounts: int = 0
    total: int = 0
    excl: int = 0
    vat: int = 0

    def add(self, line: Mapping[str, Any]) -> None:
        self.lines += 1
        self.quantity += from_json_quantity(line["quantity"])
        self.gross += _amount(line, "gross")
        self.discounts += _amount(line, "line_discount") + _amount(line, "order_discount_share")
        self.total += _amount(line, "final")
        self.excl += _amount(line, "excl_vat")
        self.vat += _amount(line, "vat")

    def row(self) -> list[Any]:
        # A sum of quantities: zero, or past a line's limits, is fine here.
        return [
            self.lines,
            f"{self.quantity:.3f}",
            self.gross,
            self.discounts,
            self.total,
            self.excl,
            self.vat,
        ]


LINE_FIGURES = (
    Column("lines", "Lignes", Kind.COUNT),
    Column("quantity", "Quantité", Kind.QUANTITY),
    Column("gross", "Montant brut", Kind.AMOUNT),
    Column("discounts", "Réductions", Kind.AMOUNT),
    Column("total", "Total TTC", Kind.AMOUNT),
    Column("excl_vat", "Total HT", Kind.AMOUNT),
    Column("vat", "TVA", Kind.AMOUNT),
)


@dataclass
class _Mode:
    label: str
    count: int = 0
    tendered: int = 0
    change: int = 0


# ---------------------------------------------------------------------------- the order list

ORDER_HEAD = (
    Column("internal_number", "N° interne", Kind.COUNT),
    Column("public_number", "N° de ticket"),
    Column("created_at", "Créée le", Kind.MOMENT),
    Column("validated_at", "Validée le", Kind.MOMENT),
    Column("value_date", "Date de valeur", Kind.DAY),
    Column("register", "Caisse"),
    Column("user", "Vendeur"),
    Column("type", "Type"),
    Column("corrects", "Commande corrigée"),
    Column("delivery", "Livraison"),
    Column("table", "Table"),
    Column("covers", "Couverts", Kind.COUNT),
    Column("customer", "Client"),
    Column("title", "Résumé"),
    Column("article_count", "Articles", Kind.COUNT),
    Column("initial_price", "Prix initial", Kind.AMOUNT),
    Column("total_discount", "Réductions", Kind.AMOUNT),
    Column("excl_vat", "Total HT", Kind.AMOUNT),
    Column("vat", "TVA", Kind.AMOUNT),
)
# Between the head and the tail: the VAT at each rate of the period, a column each.
ORDER_TAIL = (
    Column("final_price", "Total TTC", Kind.AMOUNT),
    Column("amount_paid", "Payé", Kind.AMOUNT),
    Column("change", "Rendu", Kind.AMOUNT),
    Column("payments", "Règlements"),
    Column("last_mode", "Dernier mode de paiement"),
    Column("receipts", "Tickets émis", Kind.COUNT),
    Column("invoices", "Factures émises", Kind.COUNT),
    Column("hash", "Sceau (SHA-256)"),
)
LINE_COLUMNS = (
    Column("internal_number", "N° interne", Kind.COUNT),
    Column("public_number", "N° de ticket"),
    Column("article_id", "Article"),
    Column("label", "Libellé"),
    Column("department", "Rayon"),
    Column("quantity", "Quantité", Kind.QUANTITY),
    Column("unit_price", "Prix unitaire TTC", Kind.AMOUNT),
    Column("discount", "Remise"),
    Column("gross", "Montant brut", Kind.AMOUNT),
    Column("line_discount", "Réduction de ligne", Kind.AMOUNT),
    Column("order_discount_share", "Part de la réduction de commande", Kind.AMOUNT),
    Column("final", "Total TTC", Kind.AMOUNT),
    Column("vat_rate", "Taux de TVA", Kind.RATE),
    Column("vat", "TVA", Kind.AMOUNT),
    Column("excl_vat", "Total HT", Kind.AMOUNT),
)
DISCOUNT_COLUMNS = (
    Column("internal_number", "N° interne", Kind.COUNT),
    Column("public_number", "N° de ticket"),
    Column("validated_at", "Validée le", Kind.MOMENT),
    Column("register", "Caisse"),
    Column("user", "Vendeur"),
    Column("line_discounts", "Réductions de lignes", Kind.AMOUNT),
    Column("order_discount", "Réduction de commande", Kind.AMOUNT),
    Column("total_discount", "Total des réductions", Kind.AMOUNT),
)


def _order_type(record: Mapping[str, Any], total: int) -> str:
    if _is_refund(record, total):
        return "Remboursement"
    return "Correction" if record.get("corrects_order_id") else "Vente"


def _discount_terms(discount: Mapping[str, str] | None) -> str:
    if not discount:
        return ""
    if discount.get("rate") is not None:
        return format_rate(parse_rate(discount["rate"]))
    return format_amount(from_json_amount(discount["amount"]))


def _payments_text(payments: Sequence[Mapping[str, Any]]) -> str:
    return " ; ".join(
        f"{payment['mode_label']} {format_amount(from_json_amount(payment['amount']))}"
        for payment in payments
    )


# ---------------------------------------------------------------------------- one pass


@dataclass
class _Tally:
    """Everything a report says, gathered record by record."""

    request: Request
    figures: Figures = field(default_factory=Figures)
    days: dict[str, _Orders] = field(default_factory=dict)
    hours: dict[int, _Orders] = field(default_factory=dict)
    registers: dict[str, _Orders] = field(default_factory=dict)
    users: dict[str, _Orders] = field(default_factory=dict)
    delivery: dict[str, _Orders] = field(default_factory=dict)
    tables: dict[str | None, _Orders] = field(default_factory=dict)
    departments: dict[str | None, _Lines] = field(default_factory=dict)
    articles: dict[tuple[str | None, str], tuple[str | None, _Lines]] = field(default_factory=dict)
    modes: dict[str, _Mode] = field(default_factory=dict)
    line_discounts: int = 0
    order_discounts: int = 0
    covers: int = 0
    cash: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MOVEMENTS, 0))
    movements: list[list[Any]] = field(default_factory=list)
    closures: list[list[Any]] = field(default_factory=list)
    orders: Spool = field(default_factory=Spool)
    lines: Spool = field(default_factory=Spool)
    discounted: Spool = field(default_factory=Spool)
    last_seq: int = 0

    def close(self) -> None:
        for spool in (self.orders, self.lines, self.discounted):
            spool.close()

    def department(self, department_id: str | None) -> str:
        if department_id is None:
            return "Sans rayon"
        return self.request.departments.get(department_id, department_id)

    def add_order(self, record: Mapping[str, Any], copies: Mapping[str, int]) -> None:
        self.last_seq = record["seq"]
        self.figures.add_order(record)
        total = _amount(record, "final_price")
        zone = self.request.heading.zone
        groups = (
            self.days.setdefault(record["value_date"], _Orders()),
            self.hours.setdefault(local_moment(record["validated_at"], zone).hour, _Orders()),
            self.registers.setdefault(record["register_id"], _Orders(record["register_name"])),
            self.users.setdefault(record["user_id"], _Orders(record["user_name"])),
            self.delivery.setdefault(record["delivery_method"], _Orders()),
            self.tables.setdefault(record.get("table"), _Orders()),
        )
        for group in groups:
            group.add(record, total)
        self.covers += record.get("covers") or 0
        line_discounts = 0
        for line in record["lines"]:
            self.departments.setdefault(line.get("department"), _Lines()).add(line)
            key = (line.get("article_id"), line["label"])
            self.articles.setdefault(key, (line.get("department"), _Lines()))[1].add(line)
            line_discounts += _amount(line, "line_discount")
            self.lines.add(
                [
                    record["internal_number"],
                    record["public_number"],
                    line.get("article_id"),
                    line["label"],
                    self.department(line.get("department")),
                    line["quantity"],
                    _amount(line, "unit_price"),
                    _discount_terms(line.get("discount")),
                    _amount(line, "gross"),
                    _amount(line, "line_discount"),
                    _amount(line, "order_discount_share"),
                    _amount(line, "final"),
                    line["vat_rate"],
                    _amount(line, "vat"),
                    _amount(line, "excl_vat"),
                ]
            )
        order_discount = _amount(record, "order_discount_amount")
        self.line_discounts += line_discounts
        self.order_discounts += order_discount
        people = [record["register_name"], record["user_name"]]
        if line_discounts or order_discount:
            self.discounted.add(
                [
                    record["internal_number"],
                    record["public_number"],
                    record["validated_at"],
                    *people,
                    line_discounts,
                    order_discount,
                    line_discounts + order_discount,
                ]
            )
        payments = record["payments"]
        self.orders.add(
            [
                record["internal_number"],
                record["public_number"],
                record["created_at"],
                record["validated_at"],
                record["value_date"],
                *people,
                _order_type(record, total),
                record.get("corrects_public_number"),
                DELIVERY.get(record["delivery_method"], record["delivery_method"]),
                record.get("table"),
                record.get("covers"),
                record.get("customer_account"),
                record.get("short_title"),
                record["article_count"],
                _amount(record, "initial_price"),
                _amount(record, "total_discount"),
                _amount(record, "total_excl_vat"),
                _amount(record, "total_vat"),
                {row["rate"]: _amount(row, "vat") for row in record["vat"]},
                total,
                _amount(record, "amount_paid"),
                _amount(record, "change_due"),
                _payments_text(payments),
                payments[-1]["mode_label"] if payments else None,
                copies.get(Document.RECEIPT.value, 0),
                copies.get(Document.INVOICE.value, 0),
                record["hash"],
            ]
        )

    def add_payment(self, record: Mapping[str, Any]) -> None:
        self.figures.add_payment(record)
        mode = self.modes.setdefault(record["mode"], _Mode(record["mode_label"]))
        mode.count += 1
        mode.tendered += _amount(record, "amount")
        mode.change += _amount(record, "change")

    def add_movement(self, event: Mapping[str, Any]) -> None:
        details = event["details"]
        amount = _amount(details, "amount")
        self.cash[details["kind"]] += amount
        self.movements.append(
            [
                event["occurred_at"],
                self.request.registers.get(event["register_id"], event["register_id"]),
                event["user_name"],
                MOVEMENTS[details["kind"]],
                amount if details["kind"] == "in" else -amount,
                details["reason"],
                event["seq"],
                event["hash"],
            ]
        )

    def add_closure(self, record: Mapping[str, Any]) -> None:
        zone = self.request.heading.zone
        if record["type"] == "register_z":
            what = f"{CLOSINGS[ClosureKind.REGISTER]} n° {record['z_number']}"
            period = (
                f"du {display(Kind.MOMENT, record['opened_at'], zone)} "
                f"au {display(Kind.MOMENT, record['closed_at'], zone)}"
            )
        else:
            what = CLOSINGS[ClosureKind(record["type"])]
            period = "/".join(reversed(record["period"].split("-")))  # 21/11/2026, 11/2026
        self.closures.append(
            [
                record["closed_at"],
                what,
                period,
                record.get("register_name"),
                record["sales_count"],
                record["refunds_count"],
                _amount(record, "period_total"),
                _amount(record, "grand_total"),
                record["seq"],
                record["hash"],
            ]
        )

    # ------------------------------------------------------------------------ the report

    def report(self) -> Report:
        figures = self.figures
        rates = sorted(figures.vat, reverse=True)
        sections = [
            Section(
                "vat",
                "Par taux de TVA",
                (
                    Column("rate", "Taux de TVA", Kind.RATE),
                    Column("excl_vat", "Base HT", Kind.AMOUNT),
                    Column("vat", "TVA", Kind.AMOUNT),
                    Column("total", "Total TTC", Kind.AMOUNT),
                ),
                [[to_json_rate(rate), *figures.vat[rate]] for rate in rates],
            ),
            self._grouped(
                "days",
                "Par jour",
                (Column("day", "Journée", Kind.DAY),),
                ((day, [day], tally) for day, tally in self._days().items()),
            ),
            self._grouped(
                "hours",
                "Par heure (affluence)",
                (Column("hour", "Heure"),),
                ((hour, [_hour(hour)], tally) for hour, tally in self._hours().items()),
            ),
            self._grouped(
                "registers",
                "Par caisse",
                (Column("register_id", "Code"), Column("register", "Caisse")),
                ((key, [key, tally.name], tally) for key, tally in self.registers.items()),
            ),
            self._grouped(
                "users",
                "Par vendeur",
                (Column("user_id", "Code"), Column("user", "Vendeur")),
                ((tally.name, [key, tally.name], tally) for key, tally in self.users.items()),
            ),
            self._grouped(
                "delivery",
                "Par mode de livraison",
                (Column("delivery", "Livraison"),),
                (
                    (_delivery_order(key), [DELIVERY.get(key, key)], tally)
                    for key, tally in self.delivery.items()
                ),
            ),
            self._grouped(
                "tables",
                "Par table",
                (Column("table", "Table"),),
                (
                    ((key is None, (key or "").rjust(20)), [key or "Sans table"], tally)
                    for key, tally in self.tables.items()
                ),
            ),
            Section(
                "departments",
                "Par rayon",
                (Column("department_id", "Code"), Column("department", "Rayon"), *LINE_FIGURES),
                [
                    [key, self.department(key), *tally.row()]
                    for key, tally in sorted(
                        self.departments.items(), key=lambda item: self.department(item[0])
                    )
                ],
            ),
            Section(
                "articles",
                "Par article",
                (
                    Column("article_id", "Article"),
                    Column("label", "Libellé"),
                    Column("department", "Rayon"),
                    *LINE_FIGURES,
                ),
                [
                    [article_id, label, self.department(department), *tally.row()]
                    for (article_id, label), (department, tally) in sorted(
                        self.articles.items(), key=lambda item: (item[0][1], item[0][0] or "")
                    )
                ],
            ),
            Section(
                "payments",
                "Par mode de paiement",
                (
                    Column("mode", "Code"),
                    Column("label", "Mode de paiement"),
                    Column("count", "Règlements", Kind.COUNT),
                    Column("tendered", "Montant reçu", Kind.AMOUNT),
                    Column("change", "Rendu", Kind.AMOUNT),
                    Column("net", "Encaissé", Kind.AMOUNT),
                ),
                [
                    [
                        code,
                        mode.label,
                        mode.count,
                        mode.tendered,
                        mode.change,
                        mode.tendered - mode.change,
                    ]
                    for code, mode in sorted(self.modes.items())
                ],
                note="Encaissé : montant reçu moins la monnaie rendue.",
            ),
            Section(
                "discounts",
                "Réductions",
                DISCOUNT_COLUMNS,
                self.discounted,
                note="Commandes portant une remise sur une ligne ou sur la commande.",
            ),
            Section(
                "cash_movements",
                "Entrées et sorties de caisse",
                (
                    Column("at", "Date", Kind.MOMENT),
                    Column("register", "Caisse"),
                    Column("user", "Vendeur"),
                    Column("kind", "Type"),
                    Column("amount", "Montant", Kind.AMOUNT),
                    Column("reason", "Motif"),
                    Column("event_seq", "N° d'événement", Kind.COUNT),
                    Column("hash", "Sceau (SHA-256)"),
                ),
                self.movements,
            ),
            Section(
                "closures",
                "Fermetures et clôtures",
                (
                    Column("closed_at", "Date", Kind.MOMENT),
                    Column("kind", "Fermeture"),
                    Column("period", "Période"),
                    Column("register", "Caisse"),
                    Column("sales_count", "Ventes", Kind.COUNT),
                    Column("refunds_count", "Remboursements", Kind.COUNT),
                    Column("period_total", "Total de la période", Kind.AMOUNT),
                    Column("grand_total", "Total général perpétuel", Kind.AMOUNT),
                    Column("seq", "N° de clôture", Kind.COUNT),
                    Column("hash", "Sceau (SHA-256)"),
                ),
                self.closures,
            ),
            Section(
                "orders",
                "Liste des commandes",
                (
                    *ORDER_HEAD,
                    *(
                        Column(f"vat_{to_json_rate(rate)}", f"TVA {format_rate(rate)}", Kind.AMOUNT)
                        for rate in rates
                    ),
                    *ORDER_TAIL,
                ),
                _with_rates(self.orders, len(ORDER_HEAD), [to_json_rate(rate) for rate in rates]),
            ),
            Section("lines", "Détail des commandes", LINE_COLUMNS, self.lines),
        ]
        return Report(
            self.request.heading,
            self._summary(rates),
            sections,
            self._charts(),
            [self.orders, self.lines, self.discounted],
        )

    def _grouped(
        self,
        key: str,
        title: str,
        columns: Sequence[Column],
        groups: Iterable[tuple[Any, list[Any], _Orders]],
    ) -> Section:
        ordered = sorted(groups, key=lambda group: group[0])
        return Section(
            key,
            title,
            (*columns, *ORDER_FIGURES),
            [[*names, *tally.row()] for _, names, tally in ordered],
        )

    def _days(self) -> dict[str, _Orders]:
        """Every day of the period up to today, with or without sales, in order."""
        period = self.request.period
        last = min(period.end, max(self.request.today, period.start))
        days = {day.isoformat(): _Orders() for day in _days(period.start, last)}
        for day, tally in sorted(self.days.items()):
            days[day] = tally
        return dict(sorted(days.items()))

    def _hours(self) -> dict[int, _Orders]:
        """The 24 hours, in the order of a business day."""
        opening = self.request.heading.opening_hour
        return {
            hour: self.hours.get(hour, _Orders())
            for hour in ((opening + shift) % 24 for shift in range(24))
        }

    def _summary(self, rates: list[Decimal]) -> list[Figure]:
        figures = self.figures
        excl = sum(sums[0] for sums in figures.vat.values())
        vat = sum(sums[1] for sums in figures.vat.values())
        money = [
            ("revenue", "Chiffre d'affaires TTC", figures.period_total),
            ("revenue_excl_vat", "Chiffre d'affaires HT", excl),
            ("vat", "TVA collectée", vat),
            *(
                (
                    f"vat_{to_json_rate(rate)}",
                    f"dont TVA à {format_rate(rate)}",
                    figures.vat[rate][1],
                )
                for rate in rates
            ),
        ]
        counts_and_totals = [
            ("sales_count", "Nombre de ventes", Kind.COUNT, figures.sales_count),
            ("sales_total", "Montant des ventes", Kind.AMOUNT, figures.sales_total),
            ("refunds_count", "Nombre de remboursements", Kind.COUNT, figures.refunds_count),
            ("refunds_total", "Montant des remboursements", Kind.AMOUNT, figures.refunds_total),
            (
                "operations",
                "Nombre d'opérations",
                Kind.COUNT,
                figures.sales_count + figures.refunds_count,
            ),
            (
                "average_basket",
                "Panier moyen (ventes)",
                Kind.AMOUNT,
                _average(figures.sales_total, figures.sales_count),
            ),
            ("covers", "Couverts", Kind.COUNT, self.covers),
            ("line_discounts", "Réductions de lignes", Kind.AMOUNT, self.line_discounts),
            ("order_discounts", "Réductions de commandes", Kind.AMOUNT, self.order_discounts),
            (
                "payments_total",
                "Encaissements (nets de la monnaie rendue)",
                Kind.AMOUNT,
                sum(amount for _label, amount in figures.modes.values()),
            ),
            ("cash_in", "Entrées de caisse", Kind.AMOUNT, self.cash["in"]),
            ("cash_out", "Sorties de caisse", Kind.AMOUNT, self.cash["out"]),
            ("closures", "Fermetures et clôtures", Kind.COUNT, len(self.closures)),
        ]
        return [Figure(key, label, Kind.AMOUNT, value) for key, label, value in money] + [
            Figure(*figure) for figure in counts_and_totals
        ]

    def _charts(self) -> list[Chart]:
        days = self._days()
        hours = self._hours()
        day_labels = [f"{date.fromisoformat(day):%d/%m}" for day in days]
        hour_labels = [f"{hour} h" for hour in hours]

        def net(tally: _Orders) -> int:
            return tally.sales_total + tally.refunds_total

        def count(tally: _Orders) -> int:
            return tally.sales_count

        charts: list[tuple[str, str, Kind, list[str], Iterable[_Orders], Callable[[_Orders], int]]]
        charts = [
            (
                "revenue_per_day",
                "Chiffre d'affaires TTC par jour",
                Kind.AMOUNT,
                day_labels,
                days.values(),
                net,
            ),
            (
                "sales_per_day",
                "Nombre de ventes par jour",
                Kind.COUNT,
                day_labels,
                days.values(),
                count,
            ),
            (
                "revenue_per_hour",
                "Chiffre d'affaires TTC par heure",
                Kind.AMOUNT,
                hour_labels,
                hours.values(),
                net,
            ),
            (
                "sales_per_hour",
                "Nombre de ventes par heure",
                Kind.COUNT,
                hour_labels,
                hours.values(),
                count,
            ),
        ]
        return [
            Chart(key, title, kind, labels, [value(tally) for tally in tallies])
            for key, title, kind, labels, tallies, value in charts
        ]


def _delivery_order(method: str) -> int:
    methods = list(DELIVERY)
    return methods.index(method) if method in methods else len(methods)


def _hour(hour: int) -> str:
    return f"{hour:02d} h - {(hour + 1) % 24:02d} h"


def _with_rates(rows: Iterable[list[Any]], at: int, rates: list[str]) -> Iterator[list[Any]]:
    """The order rows with their VAT by rate (kept as one mapping) spread over a column each."""
    for row in rows:
        vat = row[at]
        yield [*row[:at], *(vat.get(rate) for rate in rates), *row[at + 1 :]]
