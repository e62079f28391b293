"""A report written as JSON (the API's form) or CSV (for a French spreadsheet), and what every
format of a report says the same way.

CSV: one file, its sections one after another, each with its title, its header row and a blank
line after it, as an accountant scrolls through it in a spreadsheet. French Excel opens it as it
is: UTF-8 with a byte-order mark, `;` between cells, decimal commas, dates as dd/mm/yyyy, amounts
with no thousands separator and no currency sign, so that they are numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import IO, Any
from zoneinfo import ZoneInfo

import orjson

from server.reports.tables import Column, Kind, Report, display
from till.money import to_json_amount
from till.version import SOFTWARE_NAME, __version__

TITLE = "Rapport des ventes"
SUMMARY = "Synthèse"
EMPTY = "Aucune donnée sur la période."
# What every format says of where its figures come from.
SOURCE = (
    "Chiffres calculés à partir des enregistrements scellés (SHA-256, Ed25519) des commandes, "
    "des règlements, des clôtures et du journal des événements."
)
# Text a spreadsheet would take for a formula: written with a leading apostrophe in CSV.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def software() -> str:
    return f"{SOFTWARE_NAME} {__version__}"


# ---------------------------------------------------------------------------- JSON


def json_value(kind: Kind, value: Any) -> Any:
    """Amounts as the API writes them ("12.50"); everything else as the records have it."""
    if kind is Kind.AMOUNT and value is not None:
        return to_json_amount(value)
    return value


def _json_row(columns: Sequence[Column], row: Sequence[Any]) -> bytes:
    return orjson.dumps(
        {
            column.key: json_value(column.kind, value)
            for column, value in zip(columns, row, strict=True)
        }
    )


def write_json(report: Report, out: IO[bytes]) -> None:
    """`{"report", "summary", "charts", "sections": {key: {"title", "columns", "rows"}}}`,
    written as the rows are read."""
    heading = report.heading
    head = {
        "shop": {
            "id": heading.shop_id,
            "name": heading.shop_name,
            "siret": heading.siret,
            "vat_number": heading.vat_number,
        },
        "from": heading.start.isoformat(),
        "to": heading.end.isoformat(),
        "register": heading.register,
        "user": heading.user,
        "timezone": heading.timezone,
        "opening_hour": heading.opening_hour,
        "sealed_from": heading.sealed_from,
        "sealed_until": heading.sealed_until,
        "generated_at": heading.generated_at,
        "software": software(),
    }
    summary = {figure.key: json_value(figure.kind, figure.value) for figure in report.figures}
    charts = {
        chart.key: {"title": chart.title, "labels": chart.labels, "values": chart.values}
        for chart in report.charts
    }
    out.write(b'{"report":' + orjson.dumps(head))
    out.write(b',"summary":' + orjson.dumps(summary))
    out.write(b',"charts":' + orjson.dumps(charts))
    out.write(b',"sections":{')
    for index, section in enumerate(report.sections):
        columns = [
            {"key": column.key, "label": column.label, "kind": column.kind.value}
            for column in section.columns
        ]
        out.write(b"," if index else b"")
        out.write(orjson.dumps(section.key) + b':{"title":' + orjson.dumps(section.title))
        out.write(b',"columns":' + orjson.dumps(columns) + b',"rows":[')
        for number, row in enumerate(section.rows):
            out.write(b"," if number else b"")
            out.write(_json_row(section.columns, row))
        out.write(b"]}")
    out.write(b"}}")


# ---------------------------------------------------------------------------- CSV


def csv_value(kind: Kind, value: Any, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if kind is Kind.AMOUNT:
        return to_json_amount(value).replace(".", ",")
    if kind is Kind.TEXT:
        text = str(value)
        return f"'{text}" if text.startswith(FORMULA_STARTS) else text
    # Rates, quantities and dates as people read them: with no grouping, they stay numbers.
    return display(kind, value, zone).removesuffix("\u00a0%")


def write_csv(report: Report, out: IO[bytes]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    heading = report.heading
    zone = heading.zone
    writer.writerow([TITLE])
    writer.writerows([label, csv_value(Kind.TEXT, value, zone)] for label, value in heading.lines())
    writer.writerow([])
    writer.writerow([SUMMARY])
    for figure in report.figures:
        writer.writerow([figure.label, csv_value(figure.kind, figure.value, zone)])
    for section in report.sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow([column.label for column in section.columns])
        for row in section.rows:
            writer.writerow(
                [
                    csv_value(column.kind, value, zone)
                    for column, value in zip(section.columns, row, strict=True)
                ]
            )
    writer.writerow([])
    writer.writerow([SOURCE])
    writer.writerow([software()])
    text.detach()
