"""A report as a PDF, A4 landscape: heading, summary, the charts (reportlab's graphics), then each
section as a table over as many pages as it needs.

The story is handed to reportlab as it lays pages out, a few tables at a time, each of at most
`ROWS_PER_TABLE` rows of plain text: a year of a busy shop's orders never sits in memory as
flowables at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice
from typing import IO, Any
from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from printing.document import FONTS
from server.reports import charts
from server.reports.formats import EMPTY, SOURCE, SUMMARY, TITLE, software
from server.reports.tables import Chart, Column, Kind, Report, Section, display, numeric

PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH: float = PAGE[0] - 2 * MARGIN
SANS, BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5c5c5c")
RULE = colors.HexColor("#b4b4b4")
SHADE = colors.HexColor("#ececec")
ROWS_PER_TABLE = 200
# Flowables reportlab is given ahead of the page it lays out.
AHEAD = 8
# What a column needs room for at least: amounts and counts are never wrapped; a date and its
# time take two lines, a seal's 64 hex digits three.
SAMPLES = {
    Kind.TEXT: "Sur place",
    Kind.COUNT: "99999",
    Kind.AMOUNT: "-1 234,56 €",
    Kind.RATE: "5,5 %",
    Kind.QUANTITY: "-99,999",
    Kind.MOMENT: "21/11/2026",
    Kind.DAY: "21/11/2026",
}
SEAL_SAMPLE = "0" * 22  # a third of a seal, in the widest of the hex digits (the digits)
FONT_SIZES = (7.5, 6.5, 6.0)
PADDING = 4
# A table too wide for the page at the smallest size is cut into panels of columns, each
# repeating the first two (the order's numbers), a page or so of rows at a time.
KEY_COLUMNS = 2
ROWS_PER_PANEL = 30


def _style(name: str, size: float, font: str = SANS, **options: Any) -> ParagraphStyle:
    options.setdefault("textColor", INK)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.25, **options)


H1 = _style("h1", 18, BOLD, spaceAfter=6)
H2 = _style("h2", 12, BOLD, spaceBefore=10, spaceAfter=4, keepWithNext=True)
BODY = _style("body", 8.5)
NOTE = _style("note", 7.5, textColor=MUTED, spaceAfter=3)
# A section's note stays with its table.
NOTE_ABOVE = _style("note-above", 7.5, textColor=MUTED, spaceAfter=3, keepWithNext=True)


@cache
def _fonts() -> None:
    """DejaVu, for every character of French and the euro sign; reportlab embeds what is used."""
    for name in (SANS, BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))


class _Story:
    """The flowables of the document, made as reportlab reads them. reportlab takes a story's
    length, reads and removes its first items, and puts split pieces back at the front: that is
    all this offers, `AHEAD` flowables at a time."""

    def __init__(self, flowables: Iterator[Flowable]) -> None:
        self._source = flowables
        self._ahead: list[Flowable] = []

    def _fill(self) -> None:
        while len(self._ahead) < AHEAD:
            flowable = next(self._source, None)
            if flowable is None:
                return
            self._ahead.append(flowable)

    def __len__(self) -> int:
        self._fill()
        return len(self._ahead)

    def __getitem__(self, index: Any) -> Any:
        self._fill()
        return self._ahead[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        self._ahead[index] = value

    def __delitem__(self, index: Any) -> None:
        del self._ahead[index]

    def insert(self, index: int, flowable: Flowable) -> None:
        self._ahead.insert(index, flowable)


def _width(text: str, size: float, font: str = SANS) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


# A word of a text column longer than this is cut rather than given its whole width.
LONGEST_WORD = 16


@dataclass(frozen=True)
class _Fit:
    """What a column must hold unbroken: the widest of its values seen (amounts and counts are
    never wrapped) or its longest word, and its heading's longest word (a heading wraps between
    words only)."""

    column: Column
    value: str
    word: str

    @classmethod
    def of(cls, column: Column, values: Iterable[str]) -> _Fit:
        if column.key == "hash":
            candidates = [SEAL_SAMPLE]
        elif numeric(column.kind):
            candidates = [SAMPLES[column.kind], *values]
        else:
            words = (word[:LONGEST_WORD] for value in values for word in value.split())
            candidates = [SAMPLES[column.kind], *words]
        value = max(candidates, key=lambda text: _width(text, 10))
        word = max(column.label.split() or [""], key=lambda text: _width(text, 10, BOLD))
        return cls(column, value, word)

    def need(self, size: float) -> float:
        return max(_width(self.value, size), _width(self.word, size, BOLD)) + PADDING


def _fits(fits: Sequence[_Fit], size: float = FONT_SIZES[-1]) -> bool:
    return sum(fit.need(size) for fit in fits) <= WIDTH


def _layout(fits: Sequence[_Fit]) -> tuple[float, list[float]]:
    """The font size and the column widths of a table: the largest size at which every column
    gets what it needs at least, the rest of the width going to the text columns."""
    size = next((size for size in FONT_SIZES if _fits(fits, size)), FONT_SIZES[-1])
    widths = [fit.need(size) for fit in fits]
    texts = [
        i for i, fit in enumerate(fits) if fit.column.kind is Kind.TEXT and fit.column.key != "hash"
    ]
    growing = texts or list(range(len(fits)))
    spare = max(0.0, WIDTH - sum(widths)) / len(growing)
    return size, [w + spare if i in growing else w for i, w in enumerate(widths)]


def _panels(fits: Sequence[_Fit]) -> list[list[int]]:
    """The columns of each panel of a table, by index: one panel when they all fit."""
    if _fits(fits):
        return [list(range(len(fits)))]
    keys = list(range(KEY_COLUMNS))
    panels = [list(keys)]
    for index in range(KEY_COLUMNS, len(fits)):
        if not _fits([fits[i] for i in [*panels[-1], index]]):
            panels.append(list(keys))
        panels[-1].append(index)
    return panels


def _wrap(text: str, width: float, size: float, font: str = SANS) -> str:
    """Plain text broken into lines that fit the column, as measured in its font (a table cell
    never wraps by itself): between words, and within a word only when it is wider than the
    column (a seal's hex digits)."""
    room = width - PADDING
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if _width(candidate, size, font) <= room:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for character in word:
                if line and _width(line + character, size, font) > room:
                    lines.append(line)
                    line = ""
                line += character
        lines.append(line)
    return "\n".join(lines)


def _cell(kind: Kind, text: str, width: float, size: float) -> str:
    return text if numeric(kind) else _wrap(text, width, size)


def _table(
    rows: list[list[str]], columns: Sequence[Column], widths: list[float], size: float
) -> Table:
    style = [
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), size * 1.2),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING / 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING / 2),
    ]
    style += [
        ("ALIGN", (index, 0), (index, -1), "RIGHT")
        for index, column in enumerate(columns)
        if numeric(column.kind)
    ]
    return Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(style), hAlign="LEFT")


def _section(section: Section, zone: ZoneInfo) -> Iterator[Flowable]:
    yield Paragraph(section.title, H2)
    if section.note:
        yield Paragraph(section.note, NOTE_ABOVE)
    # Widths are chosen from the first rows: the rest are not read ahead (a year of orders).
    rows = iter(section.rows)
    first = list(islice(rows, ROWS_PER_PANEL))
    fits = [
        _Fit.of(column, (display(column.kind, row[index], zone) for row in first))
        for index, column in enumerate(section.columns)
    ]
    panels = []
    for indexes in _panels(fits):
        columns = [section.columns[index] for index in indexes]
        size, widths = _layout([fits[index] for index in indexes])
        header = [_wrap(c.label, w, size, BOLD) for c, w in zip(columns, widths, strict=True)]
        panels.append((indexes, columns, size, widths, header))
    rows = chain(first, rows)
    empty = True
    while chunk := list(islice(rows, ROWS_PER_TABLE if len(panels) == 1 else ROWS_PER_PANEL)):
        empty = False
        for indexes, columns, size, widths, header in panels:
            cells = [
                [
                    _cell(column.kind, display(column.kind, row[index], zone), width, size)
                    for index, column, width in zip(indexes, columns, widths, strict=True)
                ]
                for row in chunk
            ]
            yield _table([header, *cells], columns, widths, size)
    if empty:
        yield Paragraph(EMPTY, NOTE)


def _chart(chart: Chart) -> Drawing:
    width, height = WIDTH / 2 - 4 * mm, 62 * mm
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, chart.title, fontName=BOLD, fontSize=9, fillColor=INK))
    bars = VerticalBarChart()
    bars.x, bars.y = 46, 22
    bars.width, bars.height = width - 52, height - 40
    bars.data = [list(chart.values) or [0]]
    axis = charts.scale(chart)
    bars.valueAxis.valueMin, bars.valueAxis.valueMax = axis.low, axis.high
    bars.valueAxis.valueStep = axis.step
    bars.valueAxis.labelTextFormat = lambda value: charts.tick_label(chart.kind, int(value))
    bars.valueAxis.labels.fontName = SANS
    bars.valueAxis.labels.fontSize = 6.5
    bars.valueAxis.visibleGrid = True
    bars.valueAxis.gridStrokeColor = RULE
    step = charts.label_step(len(chart.labels))
    bars.categoryAxis.categoryNames = [
        label if index % step == 0 else "" for index, label in enumerate(chart.labels)
    ] or [""]
    bars.categoryAxis.labels.fontName = SANS
    bars.categoryAxis.labels.fontSize = 6.5
    bars.categoryAxis.labels.angle = 0
    bars.bars[0].fillColor = colors.HexColor(charts.BAR)
    bars.bars[0].strokeColor = None
    bars.barSpacing = 0.5
    drawing.add(bars)
    return drawing


def _story(report: Report) -> Iterator[Flowable]:
    heading = report.heading
    zone = heading.zone
    yield Paragraph(TITLE, H1)
    yield Table(
        [[label, value] for label, value in heading.lines()],
        colWidths=[40 * mm, WIDTH - 40 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("FONTNAME", (0, 0), (0, -1), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        ),
        hAlign="LEFT",
    )
    yield Paragraph(SUMMARY, H2)
    yield Table(
        [[figure.label, display(figure.kind, figure.value, zone)] for figure in report.figures],
        colWidths=[75 * mm, 40 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        ),
        hAlign="LEFT",
    )
    yield Paragraph("Graphiques", H2)
    drawings = [_chart(chart) for chart in report.charts]
    yield Table(
        [drawings[index : index + 2] for index in range(0, len(drawings), 2)],
        colWidths=[WIDTH / 2] * 2,
        style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )
    for section in report.sections:
        yield from _section(section, zone)
    yield Spacer(1, 6 * mm)
    yield Paragraph(SOURCE, NOTE)
    yield Paragraph(software(), NOTE)


def write_pdf(report: Report, out: IO[bytes]) -> None:
    _fonts()
    heading = report.heading
    footer = (
        f"{TITLE} - {heading.shop_name} - du {heading.start:%d/%m/%Y} au {heading.end:%d/%m/%Y}"
    )

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(SANS, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 7 * mm, footer)
        canvas.drawRightString(PAGE[0] - MARGIN, 7 * mm, f"page {document.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=13 * mm,
        title=f"{TITLE} - {heading.shop_name}",
        author=heading.shop_name,
        creator=software(),
    )
    document.build(_Story(_story(report)), onFirstPage=decorate, onLaterPages=decorate)
