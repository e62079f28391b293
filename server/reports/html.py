"""A report as one self-contained HTML page: its style inline, its charts drawn as inline SVG, no
script and nothing fetched from anywhere, so it opens the same offline, years later."""

from __future__ import annotations

from html import escape
from typing import IO

from server.reports.charts import svg
from server.reports.formats import EMPTY, SOURCE, SUMMARY, TITLE, software
from server.reports.tables import Report, Section, display, numeric

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 24px; }
body { font-size: 13px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #b4b4b4; padding-bottom: 4px; }
h3 { font-size: 13px; margin: 16px 0 4px; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { border: 1px solid #d9d9d9; padding: 3px 6px; vertical-align: top; }
th { background: #ececec; text-align: left; position: sticky; top: 0; }
td.n, th.n { text-align: right; white-space: nowrap; }
table.heading td, table.heading th { border: none; padding: 1px 12px 1px 0; background: none; }
.note, .empty, footer { color: #5c5c5c; }
.scroll { overflow-x: auto; }
nav a { margin-right: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 24px; }
figure { margin: 0; }
@media print { nav { display: none; } th { position: static; } }
"""


def _table_head(section: Section) -> str:
    cells = "".join(
        f'<th class="n">{escape(c.label)}</th>'
        if numeric(c.kind)
        else f"<th>{escape(c.label)}</th>"
        for c in section.columns
    )
    return f'<div class="scroll"><table><thead><tr>{cells}</tr></thead><tbody>'


def write_html(report: Report, out: IO[bytes]) -> None:
    def put(text: str) -> None:
        out.write(text.encode())

    heading = report.heading
    zone = heading.zone
    title = f"{TITLE} - {heading.shop_name} - {heading.start:%d/%m/%Y} au {heading.end:%d/%m/%Y}"
    put(
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
    )
    put(f'<header><h1>{escape(TITLE)}</h1><table class="heading">')
    for label, value in heading.lines():
        put(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>")
    put("</table></header><nav><p>")
    links = [("summary", SUMMARY), ("charts", "Graphiques")] + [
        (section.key, section.title) for section in report.sections
    ]
    put("".join(f'<a href="#{key}">{escape(text)}</a>' for key, text in links))
    put(f'</p></nav><h2 id="summary">{escape(SUMMARY)}</h2><table>')
    for figure in report.figures:
        value = display(figure.kind, figure.value, zone)
        put(f'<tr><th>{escape(figure.label)}</th><td class="n">{escape(value)}</td></tr>')
    put('</table><h2 id="charts">Graphiques</h2><div class="charts">')
    for chart in report.charts:
        put(f"<figure><h3>{escape(chart.title)}</h3>{svg(chart)}</figure>")
    put("</div>")
    for section in report.sections:
        put(f'<h2 id="{section.key}">{escape(section.title)}</h2>')
        if section.note:
            put(f'<p class="note">{escape(section.note)}</p>')
        empty = True
        for row in section.rows:
            if empty:
                put(_table_head(section))
                empty = False
            cells = (
                (column, escape(display(column.kind, value, zone)))
                for column, value in zip(section.columns, row, strict=True)
            )
            put(
                "<tr>"
                + "".join(
                    f'<td class="n">{text}</td>' if numeric(column.kind) else f"<td>{text}</td>"
                    for column, text in cells
                )
                + "</tr>"
            )
        put(f'<p class="empty">{escape(EMPTY)}</p>' if empty else "</tbody></table></div>")
    put(f"<footer><p>{escape(SOURCE)}</p><p>{escape(software())}</p></footer></body></html>\n")
