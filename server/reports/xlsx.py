"""A report as an Excel workbook: the summary first, then one sheet per section, numbers as
numbers (amounts in euros with the € format, rates as percentages, real dates), header rows
frozen. Written row by row (openpyxl's write-only mode), so a year of orders fits in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from server.reports.formats import EMPTY, SOURCE, SUMMARY, TITLE, software
from server.reports.tables import Column, Kind, Report, Section, local_moment

EURO = '#,##0.00 "€"'
FORMATS = {
    Kind.AMOUNT: EURO,
    Kind.RATE: "0.0#%",
    Kind.MOMENT: "dd/mm/yyyy hh:mm:ss",
    Kind.DAY: "dd/mm/yyyy",
    Kind.COUNT: "0",
}
WIDTHS = {Kind.AMOUNT: 14, Kind.RATE: 10, Kind.MOMENT: 20, Kind.DAY: 12, Kind.COUNT: 10}
TEXT_WIDTH = 24
# Excel's limit on a sheet's name, and the characters it refuses there.
SHEET_NAME = 31
BOLD = Font(bold=True)


def _value(kind: Kind, value: Any, zone: ZoneInfo) -> Any:
    if value is None:
        return None
    if kind is Kind.AMOUNT:
        return Decimal(value) / 100
    if kind is Kind.RATE:
        return Decimal(value) / 100
    if kind is Kind.QUANTITY:
        return Decimal(value).normalize()
    if kind is Kind.MOMENT:
        return local_moment(value, zone)
    if kind is Kind.DAY:
        return date.fromisoformat(value)
    if kind is Kind.COUNT:
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _cell(sheet: Any, kind: Kind, value: Any, zone: ZoneInfo) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, _value(kind, value, zone))
    if kind is Kind.TEXT and value is not None:
        cell.data_type = "s"  # never a formula, whatever a label starts with
    elif kind in FORMATS:
        cell.number_format = FORMATS[kind]
    return cell


def _header(sheet: Any, labels: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, label)
        cell.font = BOLD
        cells.append(cell)
    return cells


def _summary(workbook: Workbook, report: Report) -> None:
    sheet = workbook.create_sheet(SUMMARY)
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 48
    zone = report.heading.zone
    title = WriteOnlyCell(sheet, TITLE)
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    for label, value in report.heading.lines():
        sheet.append([label, _cell(sheet, Kind.TEXT, value, zone)])
    sheet.append([])
    sheet.append(_header(sheet, [SUMMARY, "Valeur"]))
    for figure in report.figures:
        sheet.append([figure.label, _cell(sheet, figure.kind, figure.value, zone)])
    sheet.append([])
    sheet.append([SOURCE])
    sheet.append([software()])


def _sheet_name(section: Section) -> str:
    return "".join(" " if char in "[]:*?/\\" else char for char in section.title)[:SHEET_NAME]


def _width(column: Column) -> float:
    return max(WIDTHS.get(column.kind, TEXT_WIDTH), min(len(column.label) + 2, 40))


def _section(workbook: Workbook, section: Section, zone: ZoneInfo) -> None:
    sheet = workbook.create_sheet(_sheet_name(section))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(section.columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _width(column)
    sheet.append(_header(sheet, [column.label for column in section.columns]))
    empty = True
    for row in section.rows:
        empty = False
        sheet.append(
            [
                _cell(sheet, column.kind, value, zone)
                for column, value in zip(section.columns, row, strict=True)
            ]
        )
    if empty:
        sheet.append([EMPTY])


def write_xlsx(report: Report, out: IO[bytes]) -> None:
    workbook = Workbook(write_only=True)
    _summary(workbook, report)
    for section in report.sections:
        _section(workbook, section, report.heading.zone)
    workbook.save(out)
