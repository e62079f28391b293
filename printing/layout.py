"""How blocks fall into lines and dots on a given paper: shared by the printer and the preview,
so that what the preview shows is what the printer prints."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from printing.context import NotPrintable
from printing.document import (
    Align,
    Blank,
    Columns,
    Document,
    Logo,
    QrCode,
    Rule,
    Text,
    align,
    columns,
    wrap,
)
from printing.profile import PrinterProfile

# Dots per QR module: as large as fits, for cheap print heads and phone cameras.
QR_MODULE_DOTS = {32: 4, 42: 5, 48: 6}


@dataclass(frozen=True, slots=True)
class TextLines:
    """Lines of one style; a large line holds half as many characters (double width)."""

    lines: list[str]
    bold: bool = False
    large: bool = False


def text_lines(block: Text | Columns | Rule | Blank, profile: PrinterProfile) -> TextLines:
    """The block's lines on this paper, its characters already made printable."""
    block = profile.printable_block(block)
    if isinstance(block, Blank):
        return TextLines([""] * block.lines)
    if isinstance(block, Rule):
        return TextLines([block.char * profile.columns])
    width = profile.columns // 2 if block.large else profile.columns
    if isinstance(block, Text):
        lines = [align(line, width, block.align) for line in wrap(block.text, width)]
    else:
        lines = columns(block.left, block.right, width)
    return TextLines(lines, block.bold, block.large)


def caption_lines(caption: str, profile: PrinterProfile) -> TextLines:
    return text_lines(Text(caption, Align.CENTER), profile)


def paper_image(logo: Logo, profile: PrinterProfile) -> Image.Image:
    """The logo as the printer prints it: black dots, at most the paper's width, centred on a
    full-width strip (so it is centred whatever a printer's alignment does to images)."""
    try:
        return _paper_image(logo.path, logo.path.stat().st_mtime_ns, profile.dots)
    except OSError as error:  # Pillow raises OSError subclasses for unreadable images
        raise NotPrintable(f"the logo {logo.path.name} cannot be read: {error}") from None


@lru_cache(maxsize=8)
def _paper_image(path: Path, modified: int, dots: int) -> Image.Image:
    """`modified` is in the cache key so that a logo replaced on disk is read again."""
    with Image.open(path) as source:
        rgba = source.convert("RGBA")
    # Transparent pixels would turn black; on paper they are the paper.
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")
    if flat.width > dots:
        flat = flat.resize(
            (dots, max(1, flat.height * dots // flat.width)), Image.Resampling.LANCZOS
        )
    strip = Image.new("1", (dots, flat.height), 1)
    strip.paste(flat.convert("1"), ((dots - flat.width) // 2, 0))
    return strip


def render_text(document: Document, profile: PrinterProfile) -> str:
    """The document as plain text, line for line as printed; pictures stand as a bracketed word."""
    out: list[str] = []
    for block in document.blocks:
        if isinstance(block, QrCode | Logo):
            word = "[QR code]" if isinstance(block, QrCode) else "[logo]"
            out.append(align(word, profile.columns, Align.CENTER))
            if isinstance(block, QrCode) and block.caption:
                out += caption_lines(block.caption, profile).lines
        else:
            out += text_lines(block, profile).lines
    return "\n".join(out)
