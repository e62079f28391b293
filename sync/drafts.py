"""Drafts: orders prepared offline, with provisional totals from the fiscal core. A draft is never
validated, numbered, paid or printed as a receipt; once the server has imported it, it becomes an
open order there and the draft is deleted here.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import orjson

from sync.errors import InvalidDraft
from sync.store import LocalStore
from till.errors import TillError
from till.money import (
    Cents,
    from_json_amount,
    from_json_quantity,
    parse_quantity,
    parse_rate,
    to_json_amount,
    to_json_quantity,
    to_json_rate,
)
from till.order import DeliveryMethod, Discount, Order, OrderLine, OrderTotals, VatRates
from till.timestamps import from_utc_iso, to_utc_iso

# What the server's draft import accepts; a draft outside these limits could never be imported,
# so it is refused here, while the cashier can still fix it.
MAX_LINES = 500
MAX_LABEL = 100
MAX_TABLE = 20
MAX_CUSTOMER = 100
MAX_NOTE = 2_000
MAX_COVERS = 10_000

PENDING = "pending"
REJECTED = "rejected"


def _new_id() -> str:
    return uuid.uuid4().hex


def discount_json(discount: Discount | None) -> dict[str, str] | None:
    if discount is None:
        return None
    if discount.percent is not None:
        return {"rate": to_json_rate(discount.percent)}
    return {"amount": to_json_amount(discount.cents or 0)}


def discount_from_json(value: Mapping[str, str] | None) -> Discount | None:
    if value is None:
        return None
    if "rate" in value:
        return Discount.rate(value["rate"])
    return Discount.amount(from_json_amount(value["amount"]))


def _text(value: str | None, limit: int, what: str) -> None:
    if value is None:
        return
    if len(value) > limit:
        raise InvalidDraft(f"The {what} is too long: {limit} characters at most.")
    if "\x00" in value:
        raise InvalidDraft(f"The {what} holds a character that cannot be kept.")


@dataclass(frozen=True, kw_only=True)
class DraftLine:
    """A line as rung up offline, with the price and VAT the catalog had then."""

    id: str = field(default_factory=_new_id)
    label: str
    unit_price: Cents
    vat_rate: Decimal
    quantity: Decimal = Decimal(1)
    vat_take_away: Decimal | None = None
    article_id: str | None = None
    department_id: str | None = None
    discount: Discount | None = None

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise InvalidDraft("A line needs a label.")
        _text(self.label, MAX_LABEL, "line's label")
        object.__setattr__(self, "quantity", parse_quantity(self.quantity))
        object.__setattr__(self, "vat_rate", parse_rate(self.vat_rate))
        if self.vat_take_away is not None:
            object.__setattr__(self, "vat_take_away", parse_rate(self.vat_take_away))

    @classmethod
    def from_article(
        cls,
        article: Mapping[str, Any],
        quantity: str | Decimal = "1",
        discount: Discount | None = None,
    ) -> DraftLine:
        """A line of a catalog article, as `GET /catalog` gives it."""
        return cls(
            article_id=str(article["id"]),
            label=str(article["label"]),
            unit_price=from_json_amount(article["price"]),
            vat_rate=parse_rate(article["vat_eat_in"]),
            vat_take_away=(
                parse_rate(article["vat_take_away"]) if article.get("vat_take_away") else None
            ),
            department_id=article.get("department_id"),
            quantity=parse_quantity(quantity),
            discount=discount,
        )

    @classmethod
    def from_order_line(
        cls,
        line: Mapping[str, Any],
        delivery_method: DeliveryMethod,
        article: Mapping[str, Any] | None = None,
    ) -> DraftLine:
        """A line of an order as the server gives it, kept as it is there: its label, its unit
        price (one typed over the catalog's too), VAT, quantity, discount and article. The server
        gives the rate that the order's delivery method applies; the catalog `article`'s pair of
        rates is kept when it gives that rate, so that the draft's delivery method may still
        change it."""
        rate = parse_rate(line["vat_rate"])
        rates = VatRates(rate)
        if article is not None and article["id"] == line.get("article_id"):
            catalog = VatRates(article["vat_eat_in"], article.get("vat_take_away") or None)
            if catalog.rate_for(delivery_method) == rate:
                rates = catalog
        return cls(
            article_id=line.get("article_id"),
            label=str(line["label"]),
            unit_price=from_json_amount(line["unit_price"]),
            vat_rate=rates.eat_in,
            vat_take_away=rates.take_away,
            department_id=line.get("department"),
            quantity=from_json_quantity(line["quantity"]),
            discount=discount_from_json(line.get("discount")),
        )

    def order_line(self) -> OrderLine:
        return OrderLine(
            id=self.id,
            article_id=self.article_id,
            label=self.label,
            quantity=self.quantity,
            unit_price=self.unit_price,
            vat=VatRates(self.vat_rate, self.vat_take_away),
            discount=self.discount,
            department=self.department_id,
        )

    def to_json(self) -> dict[str, Any]:
        """As the draft import takes it."""
        return {
            "id": self.id,
            "article_id": self.article_id,
            "label": self.label,
            "quantity": to_json_quantity(self.quantity),
            "unit_price": to_json_amount(self.unit_price),
            "vat_rate": to_json_rate(self.vat_rate),
            "vat_take_away": (
                to_json_rate(self.vat_take_away) if self.vat_take_away is not None else None
            ),
            "department_id": self.department_id,
            "discount": discount_json(self.discount),
        }


@dataclass(frozen=True, kw_only=True)
class Draft:
    """An order prepared offline. Every change gives a new draft, checked by the fiscal core (a
    discount larger than what it applies to is refused then, not at import); saving checks it
    too, so the store never holds a draft the fiscal core refuses. A draft read back from the
    store computes its totals only when asked."""

    id: str = field(default_factory=_new_id)
    created_at: datetime
    updated_at: datetime
    register_id: str
    user_id: str | None = None
    delivery_method: DeliveryMethod = DeliveryMethod.EAT_IN
    table: str | None = None
    covers: int | None = None
    customer_account: str | None = None
    public_note: str = ""
    private_note: str = ""
    order_discount: Discount | None = None
    lines: tuple[DraftLine, ...] = ()
    status: str = PENDING
    rejection: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.register_id:
            raise InvalidDraft("A draft is made on a register.")
        if len(self.lines) > MAX_LINES:
            raise InvalidDraft(f"A draft holds {MAX_LINES} lines at most.")
        if len({line.id for line in self.lines}) != len(self.lines):
            raise InvalidDraft("Two lines of this draft have the same id.")
        if self.covers is not None and not 0 <= self.covers <= MAX_COVERS:
            raise InvalidDraft(f"The number of covers goes from 0 to {MAX_COVERS}.")
        _text(self.table, MAX_TABLE, "table")
        _text(self.customer_account, MAX_CUSTOMER, "customer account")
        _text(self.public_note, MAX_NOTE, "public note")
        _text(self.private_note, MAX_NOTE, "private note")

    def order(self) -> Order:
        """This draft as an order of the fiscal core, which computes its totals (it is never
        validated here: no number, no payment)."""
        return Order(
            id=self.id,
            created_at=self.created_at,
            register_id=self.register_id,
            user_id=self.user_id,
            delivery_method=self.delivery_method,
            table=self.table,
            covers=self.covers,
            customer_account=self.customer_account,
            public_note=self.public_note,
            private_note=self.private_note,
            order_discount=self.order_discount,
            lines=tuple(line.order_line() for line in self.lines),
        )

    @cached_property
    def totals(self) -> OrderTotals:
        """Provisional totals: what the server will compute, if the catalog has not changed."""
        try:
            return self.order().totals
        except TillError as error:
            raise InvalidDraft(error.message) from None

    def checked(self) -> Draft:
        """This draft, once the fiscal core has computed its totals (or refused it)."""
        self.totals  # noqa: B018 - computed for what it may raise
        return self

    def with_line(self, line: DraftLine) -> Draft:
        """With `line` added, or put in place of the line that has its id."""
        kept = tuple(existing for existing in self.lines if existing.id != line.id)
        if len(kept) == len(self.lines):
            return replace(self, lines=(*self.lines, line)).checked()
        return replace(
            self,
            lines=tuple(line if existing.id == line.id else existing for existing in self.lines),
        ).checked()

    def without_line(self, line_id: str) -> Draft:
        return replace(
            self, lines=tuple(line for line in self.lines if line.id != line_id)
        ).checked()

    def changed(self, **fields: Any) -> Draft:
        """With some of its fields changed (`table`, `covers`, `order_discount`, ...)."""
        return replace(self, **fields).checked()

    def to_import(self) -> dict[str, Any]:
        """As `POST /drafts/import` takes it."""
        return {
            "id": self.id,
            "created_at": to_utc_iso(self.created_at),
            "register_id": self.register_id,
            "user_id": self.user_id,
            "delivery_method": self.delivery_method.value,
            "table": self.table,
            "covers": self.covers,
            "customer_account": self.customer_account,
            "public_note": self.public_note,
            "private_note": self.private_note,
            "order_discount": discount_json(self.order_discount),
            "lines": [line.to_json() for line in self.lines],
        }


def order_fields(
    order: Mapping[str, Any], articles: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """What a cashier put on an order of the server, as `Draft` (and `OfflineWork.new_draft`)
    takes it: a ticket that goes on as a draft when the server goes away loses nothing.
    `articles`: the catalog's, by id (for their VAT rates)."""
    delivery = DeliveryMethod(order["delivery_method"])
    return {
        "delivery_method": delivery,
        "table": order.get("table"),
        "covers": order.get("covers"),
        "customer_account": order.get("customer_account"),
        "public_note": order.get("public_note") or "",
        "private_note": order.get("private_note") or "",
        "order_discount": discount_from_json(order.get("order_discount")),
        "lines": tuple(
            DraftLine.from_order_line(line, delivery, articles.get(line.get("article_id") or ""))
            for line in order["lines"]
        ),
    }


_DRAFT_COLUMNS = (
    "id, created_at, updated_at, register_id, user_id, delivery_method, table_name, covers, "
    "customer_account, public_note, private_note, order_discount, final_price, total_vat, "
    "article_count, status, rejection"
)
_LINE_COLUMNS = (
    "draft_id, position, id, article_id, label, quantity, unit_price, vat_rate, vat_take_away, "
    "department_id, discount"
)


def _dumps(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value is not None else None


def _loads(text: str | None) -> Any:
    return orjson.loads(text) if text is not None else None


class DraftStore:
    """The drafts table of the local store. Each save is one transaction with its lines."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def save(self, draft: Draft, db: sqlite3.Connection | None = None) -> None:
        """Create or replace `draft` with its lines (within `db`'s transaction when given)."""
        if db is None:
            with self.store.transaction() as own:
                self._write(own, draft)
        else:
            self._write(db, draft)

    def _write(self, db: sqlite3.Connection, draft: Draft) -> None:
        totals = draft.totals
        values = (
            draft.id,
            to_utc_iso(draft.created_at),
            to_utc_iso(draft.updated_at),
            draft.register_id,
            draft.user_id,
            draft.delivery_method.value,
            draft.table,
            draft.covers,
            draft.customer_account,
            draft.public_note,
            draft.private_note,
            _dumps(discount_json(draft.order_discount)),
            totals.final_price,
            totals.total_vat,
            totals.article_count,
            draft.status,
            _dumps(draft.rejection),
        )
        updates = ", ".join(
            f"{name} = excluded.{name}" for name in _DRAFT_COLUMNS.split(", ")[2:]
        )  # everything but the id and when it was made
        db.execute(
            f"INSERT INTO drafts ({_DRAFT_COLUMNS}) VALUES ({', '.join('?' * len(values))}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}",
            values,
        )
        db.execute("DELETE FROM draft_lines WHERE draft_id = ?", (draft.id,))
        db.executemany(
            f"INSERT INTO draft_lines ({_LINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    draft.id,
                    position,
                    line.id,
                    line.article_id,
                    line.label,
                    to_json_quantity(line.quantity),
                    line.unit_price,
                    to_json_rate(line.vat_rate),
                    to_json_rate(line.vat_take_away) if line.vat_take_away is not None else None,
                    line.department_id,
                    _dumps(discount_json(line.discount)),
                )
                for position, line in enumerate(draft.lines, start=1)
            ],
        )

    def get(self, draft_id: str) -> Draft | None:
        found = self._read("WHERE id = ?", (draft_id,))
        return found[0][1] if found else None

    def all(self, status: str | None = None) -> list[Draft]:
        """Every draft (of that status), oldest first."""
        if status is None:
            return [draft for _, draft in self._read("", ())]
        return [draft for _, draft in self._read("WHERE status = ?", (status,))]

    def pending_after(self, seq: int, limit: int) -> list[tuple[int, Draft]]:
        """Up to `limit` pending drafts made after the one numbered `seq`, oldest first."""
        return self._read("WHERE status = 'pending' AND seq > ?", (seq,), limit)

    def count(self, status: str | None = PENDING) -> int:
        with self.store.reading() as db:
            if status is None:
                row = db.execute("SELECT count(*) FROM drafts").fetchone()
            else:
                row = db.execute(
                    "SELECT count(*) FROM drafts WHERE status = ?", (status,)
                ).fetchone()
        return int(row[0])

    def settle(self, confirmed: Iterable[str], rejected: Mapping[str, dict[str, str]]) -> None:
        """In one transaction: delete the drafts the server confirmed it holds, and mark the ones
        it refused with its reason (they stay until someone deals with them)."""
        with self.store.transaction() as db:
            db.executemany(
                "DELETE FROM drafts WHERE id = ?", [(draft_id,) for draft_id in confirmed]
            )
            db.executemany(
                "UPDATE drafts SET status = 'rejected', rejection = ? WHERE id = ?",
                [(_dumps(error), draft_id) for draft_id, error in rejected.items()],
            )

    def retry_rejected(self) -> int:
        """Put the refused drafts back in the queue (after the cause was dealt with on the server,
        such as an article put back in the catalog); how many."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE drafts SET status = 'pending', rejection = NULL WHERE status = 'rejected'"
            )
            return cursor.rowcount

    def discard(self, draft_id: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    def _read(
        self, where: str, parameters: tuple[Any, ...], limit_to: int | None = None
    ) -> list[tuple[int, Draft]]:
        with self.store.reading() as db:
            limit = " LIMIT ?" if limit_to is not None else ""
            rows = db.execute(
                f"SELECT seq, {_DRAFT_COLUMNS} FROM drafts {where} ORDER BY seq{limit}",
                (*parameters, limit_to) if limit_to is not None else parameters,
            ).fetchall()
            ids = [row[1] for row in rows]
            lines: dict[str, list[DraftLine]] = {draft_id: [] for draft_id in ids}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for line in db.execute(
                    f"SELECT {_LINE_COLUMNS} FROM draft_lines "
                    f"WHERE draft_id IN ({marks}) ORDER BY draft_id, position",
                    chunk,
                ):
                    lines[line[0]].append(
                        DraftLine(
                            id=line[2],
                            article_id=line[3],
                            label=line[4],
                            quantity=from_json_quantity(line[5]),
                            unit_price=line[6],
                            vat_rate=parse_rate(line[7]),
                            vat_take_away=parse_rate(line[8]) if line[8] is not None else None,
                            department_id=line[9],
                            discount=discount_from_json(_loads(line[10])),
                        )
                    )
        return [
            (
                row[0],
                Draft(
                    id=row[1],
                    created_at=from_utc_iso(row[2]),
                    updated_at=from_utc_iso(row[3]),
                    register_id=row[4],
                    user_id=row[5],
                    delivery_method=DeliveryMethod(row[6]),
                    table=row[7],
                    covers=row[8],
                    customer_account=row[9],
                    public_note=row[10],
                    private_note=row[11],
                    order_discount=discount_from_json(_loads(row[12])),
                    lines=tuple(lines[row[1]]),
                    status=row[16],
                    rejection=_loads(row[17]),
                ),
            )
            for row in rows
        ]
