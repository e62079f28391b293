"""What is printed, independent of the paper: a document is a list of blocks.

Renderers lay the blocks out for a given width: ESC/POS bytes for the printer, a PNG preview that
looks like the paper. A block never holds printer commands, so both renderers agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from till.resources import RESOURCES

FONTS = RESOURCES / "fonts"


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Text:
    """Text that wraps at the paper's width; `large` is double width and height."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    large: bool = False


@dataclass(frozen=True, slots=True)
class Columns:
    """A label on the left and a value on the right of the same line (amounts, totals)."""

    left: str
    right: str
    bold: bool = False
    large: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """A separator line across the paper."""

    char: str = "-"


@dataclass(frozen=True, slots=True)
class Blank:
    lines: int = 1


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Logo:
    path: Path


Block = Text | Columns | Rule | Blank | QrCode | Logo


@dataclass(frozen=True, slots=True)
class Document:
    """A printable document; `kind` names it in the event journal (receipt, z, x, note, test)."""

    kind: str
    blocks: tuple[Block, ...]
    cut: bool = True
    open_drawer: bool = False


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters, broken at spaces where possible, never lost; a
    paragraph's leading indentation is kept on each of its lines."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        body = paragraph.lstrip(" ")
        indent = " " * min(len(paragraph) - len(body), width // 2)
        lines += [indent + line for line in _wrap_words(body, width - len(indent))]
    return lines


def _wrap_words(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def align(text: str, width: int, how: Align) -> str:
    if how is Align.CENTER:
        return text.center(width).rstrip()
    if how is Align.RIGHT:
        return text.rjust(width)
    return text


def columns(left: str, right: str, width: int) -> list[str]:
    """`left` and `right` on one line if they fit; else `left` wrapped, `right` on a line below."""
    if len(left) + 1 + len(right) <= width:
        return [left + " " * (width - len(left) - len(right)) + right]
    return [*wrap(left, width), *(line.rjust(width) for line in wrap(right, width))]
