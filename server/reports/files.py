"""A report as a file: its formats, the writer and media type of each, and its name."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import IO

from server.reports.formats import write_csv, write_json
from server.reports.html import write_html
from server.reports.pdf import write_pdf
from server.reports.tables import Report
from server.reports.xlsx import write_xlsx


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    PDF = "pdf"


WRITERS: dict[ReportFormat, tuple[str, Callable[[Report, IO[bytes]], None]]] = {
    ReportFormat.JSON: ("application/json", write_json),
    ReportFormat.CSV: ("text/csv; charset=utf-8", write_csv),
    ReportFormat.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        write_xlsx,
    ),
    ReportFormat.HTML: ("text/html; charset=utf-8", write_html),
    ReportFormat.PDF: ("application/pdf", write_pdf),
}


def file_name(start: date, end: date, register: str | None, user: str | None, ext: str) -> str:
    """`rapport_20261101_20261130[_caisse-R1][_vendeur-u-karim].pdf`"""
    parts = [f"rapport_{start:%Y%m%d}_{end:%Y%m%d}"]
    if register is not None:
        parts.append(f"caisse-{register}")
    if user is not None:
        parts.append(f"vendeur-{user}")
    return re.sub(r"[^A-Za-z0-9_.-]", "-", "_".join(parts)) + f".{ext}"
