"""Bar charts of sales over time: their scale and labels, and their drawing as inline SVG for the
HTML report (the PDF draws the same scale with reportlab, `server.reports.pdf`)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from server.reports.tables import Chart, Kind
from till.money import NARROW_NBSP, NBSP, format_amount

BAR = "#2f6f9f"
NEGATIVE = "#b00020"
GRID = "#d9d9d9"
INK = "#1a1a1a"
MUTED = "#5c5c5c"
# Category labels shown at most, the others skipped at regular steps.
MAX_LABELS = 16


@dataclass(frozen=True)
class Scale:
    """The value axis: from `low` to `high` (0 within), a tick every `step`."""

    low: int
    high: int
    step: int

    @property
    def ticks(self) -> list[int]:
        return list(range(self.low, self.high + 1, self.step))


def _nice(value: int, ticks: int) -> int:
    """The smallest step of 1, 2 or 5 times a power of ten that covers `value` in `ticks`."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            if factor * power * ticks >= value:
                return factor * power
        power *= 10


def scale(chart: Chart, ticks: int = 4) -> Scale:
    unit = 100 if chart.kind is Kind.AMOUNT else 1  # ticks on whole euros
    high = max([0, *chart.values])
    low = min([0, *chart.values])
    step = max(unit, _nice(max(high - low, 1), ticks))
    step = -(-step // unit) * unit
    return Scale(-(-low // step) * step if low else 0, -(-high // step) * step or step, step)


def tick_label(kind: Kind, value: int) -> str:
    """An axis value: "1 200 €", "35"."""
    if kind is not Kind.AMOUNT:
        return str(value)
    euros = f"{abs(value) // 100:,}".replace(",", NARROW_NBSP)
    return f"{'-' if value < 0 else ''}{euros}{NBSP}€"


def value_label(kind: Kind, value: int) -> str:
    return format_amount(value) if kind is Kind.AMOUNT else str(value)


def label_step(count: int) -> int:
    """Show every n-th category label, so that at most `MAX_LABELS` are shown."""
    return max(1, -(-count // MAX_LABELS))


def svg(chart: Chart, width: int = 760, height: int = 240) -> str:
    """The chart as an `<svg>` element, with a tooltip on each bar; no script, no style sheet."""
    left, right, top, bottom = 76, 10, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    axis = scale(chart)

    def y(value: int) -> float:
        return top + plot_h * (axis.high - value) / (axis.high - axis.low)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(chart.title)}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f"<title>{escape(chart.title)}</title>",
    ]
    for tick in axis.ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{INK if tick == 0 else GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(tick_label(chart.kind, tick))}</text>"
        )
    count = len(chart.values)
    slot = plot_w / max(count, 1)
    step = label_step(count)
    for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        x = left + index * slot
        top_y, bottom_y = sorted((y(value), y(0)))
        colour = NEGATIVE if value < 0 else BAR
        parts.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{top_y:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{bottom_y - top_y:.1f}" fill="{colour}">'
            f"<title>{escape(label)} : {escape(value_label(chart.kind, value))}</title></rect>"
        )
        if index % step == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
