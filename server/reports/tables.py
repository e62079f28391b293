"""A report whatever its format: a heading, figures, sections of typed columns with French labels
and charts. The formats only lay these out; none of them computes anything.

Values are kept in their plain form (amounts in cents, rates and quantities as in the records,
instants in UTC), so that each format writes them its own way: numbers stay numbers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from till.money import format_amount, format_quantity, format_rate, parse_rate
from till.timestamps import from_utc_iso

# Rows a report keeps in memory before its spools go to disk.
SPOOL_MEMORY = 4 << 20


class Kind(StrEnum):
    TEXT = "text"
    COUNT = "count"  # int
    AMOUNT = "amount"  # int cents
    RATE = "rate"  # "5.50"
    QUANTITY = "quantity"  # "2.000"
    MOMENT = "moment"  # "2026-11-21T14:46:21.540628Z", shown in the shop's time zone
    DAY = "day"  # "2026-11-21"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Figure:
    """One line of the summary."""

    key: str
    label: str
    kind: Kind
    value: Any


@dataclass(frozen=True)
class Section:
    """A table of the report. `rows` is read once, by the one format being written."""

    key: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """Bars over time: one value per label."""

    key: str
    title: str
    kind: Kind  # AMOUNT or COUNT
    labels: Sequence[str]
    values: Sequence[int]


@dataclass(frozen=True)
class Heading:
    """What the report is about, said at the top of every format."""

    shop_name: str
    shop_id: str
    siret: str
    vat_number: str | None
    address: Sequence[str]
    start: date
    end: date
    register: str  # "Toutes les caisses" or the register's name
    user: str
    generated_at: str  # UTC, as records have it
    timezone: str
    opening_hour: int
    sealed_from: str
    sealed_until: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def lines(self) -> list[tuple[str, str]]:
        """The heading as labelled lines, in French."""
        period = f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"
        return [
            ("Établissement", f"{self.shop_name} ({self.shop_id})"),
            ("SIRET", self.siret),
            ("N° de TVA", self.vat_number or "—"),
            ("Période", f"{period}, journées ouvrant à {self.opening_hour} h ({self.timezone})"),
            ("Caisse", self.register),
            ("Vendeur", self.user),
            ("Rapport créé le", display(Kind.MOMENT, self.generated_at, self.zone)),
        ]


@dataclass
class Report:
    heading: Heading
    figures: list[Figure]
    sections: list[Section]
    charts: list[Chart]
    spools: list[Spool] = field(default_factory=list)

    def __enter__(self) -> Report:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for spool in self.spools:
            spool.close()


class Spool:
    """Rows written once and read back in order, on disk past a few MiB: a year of a busy shop's
    orders never sits in memory."""

    def __init__(self) -> None:
        # Closed by `close`, when the report that reads it is written.
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115

    def add(self, row: Sequence[Any]) -> None:
        self._file.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))

    def __iter__(self) -> Iterator[list[Any]]:
        self._file.seek(0)
        for line in self._file:
            yield orjson.loads(line)

    def close(self) -> None:
        self._file.close()


def local_moment(value: str, zone: ZoneInfo) -> datetime:
    """A record's UTC instant as the shop's wall clock showed it, without the zone."""
    return from_utc_iso(value).astimezone(zone).replace(tzinfo=None)


def display(kind: Kind, value: Any, zone: ZoneInfo) -> str:
    """A value as a French reader expects it: "1 234,56 €", "5,5 %", "21/11/2026 15:46"."""
    if value is None:
        return ""
    if kind is Kind.AMOUNT:
        return format_amount(value)
    if kind is Kind.RATE:
        return format_rate(parse_rate(value))
    if kind is Kind.QUANTITY:
        return format_quantity(Decimal(value))
    if kind is Kind.MOMENT:
        return f"{local_moment(value, zone):%d/%m/%Y %H:%M:%S}"
    if kind is Kind.DAY:
        return f"{date.fromisoformat(value):%d/%m/%Y}"
    return str(value)


def numeric(kind: Kind) -> bool:
    """Whether the column holds numbers, aligned right."""
    return kind in (Kind.COUNT, Kind.AMOUNT, Kind.RATE, Kind.QUANTITY)
