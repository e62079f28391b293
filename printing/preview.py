"""A PNG preview of a document that looks like the thermal paper the printer will give out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

from printing.document import FONTS, Block, Document, Logo, QrCode
from printing.layout import QR_MODULE_DOTS, TextLines, caption_lines, paper_image, text_lines
from printing.profile import PrinterProfile

# The paper sits on a grey desk this many pixels wide on every side, so that a white preview
# reads as a strip of paper on a white window; the paper itself is exactly `profile.dots` wide.
MARGIN = 12
PAPER = 255
INK = 0
DESK = 200
# Lighter than ink: the cut is where the knife goes, not something the printer prints.
_CUT = 110
_CUT_DASH = 8
# Paper the printer feeds before the first line and after the last one.
_FEED = 16
# Printers leave a gap under each line of glyphs (their default line pitch exceeds the glyph
# height); without it the preview looks denser than the paper.
_LEADING = 4
_QR_QUIET_ZONE = 4


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    font: ImageFont.FreeTypeFont
    height: int


@dataclass(frozen=True, slots=True)
class _Picture:
    """An image centred on the paper, already in the paper's mode."""

    image: Image.Image

    @property
    def height(self) -> int:
        return self.image.height


_Row = _Line | _Picture


def render_preview(document: Document, profile: PrinterProfile) -> bytes:
    """The preview as PNG bytes."""
    out = io.BytesIO()
    # Level 1 is several times faster than the default and a mostly white strip compresses
    # well anyway.
    render_preview_image(document, profile).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def render_preview_image(document: Document, profile: PrinterProfile) -> Image.Image:
    """The preview as a greyscale image: the paper, `MARGIN` pixels in from every side."""
    rows = [row for block in document.blocks for row in _lay_out(block, profile)]
    # Drawn on a sheet of its own so that a glyph's anti-aliased edge stops at the paper's edge.
    sheet = Image.new("L", (profile.dots, _FEED + sum(row.height for row in rows) + _FEED), PAPER)
    draw = ImageDraw.Draw(sheet)
    y = _FEED
    for row in rows:
        if isinstance(row, _Line):
            draw.text((0, y), row.text, font=row.font, fill=INK)
        else:
            sheet.paste(row.image, ((sheet.width - row.image.width) // 2, y))
        y += row.height
    if document.cut:
        bottom = sheet.height - 1
        for x in range(0, sheet.width, 2 * _CUT_DASH):
            draw.line((x, bottom, x + _CUT_DASH - 1, bottom), fill=_CUT)
    image = Image.new("L", (sheet.width + 2 * MARGIN, sheet.height + 2 * MARGIN), DESK)
    image.paste(sheet, (MARGIN, MARGIN))
    return image


def _lay_out(block: Block, profile: PrinterProfile) -> list[_Row]:
    if isinstance(block, QrCode):
        code = _Picture(_qr_code(block.data, QR_MODULE_DOTS[profile.columns]))
        if not block.caption:
            return [code]
        return [code, *_lines(caption_lines(block.caption, profile), profile)]
    if isinstance(block, Logo):
        return [_Picture(paper_image(block, profile).convert("L"))]
    return _lines(text_lines(block, profile), profile)


def _lines(laid: TextLines, profile: PrinterProfile) -> list[_Row]:
    font = _font(laid.bold, (2 if laid.large else 1) * (profile.dots // profile.columns))
    ascent, descent = font.getmetrics()
    return [_Line(line, font, ascent + descent + _LEADING) for line in laid.lines]


@cache
def _font(bold: bool, cell: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Mono sized so that each character advances exactly `cell` pixels."""
    path = FONTS / ("DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf")
    # Hinting rounds advances to whole pixels, so measure at a size where that rounding is
    # negligible (2048 is the font's em), then scale down; at `cell` it rounds back to `cell`.
    reference = 2048
    advance = ImageFont.truetype(path, reference).getlength("0") / reference
    return ImageFont.truetype(path, cell / advance, layout_engine=ImageFont.Layout.BASIC)


def _qr_code(data: str, module: int) -> Image.Image:
    """The code with `module` pixels per module, as many dots as the printer gives each one."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=_QR_QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    size = len(matrix)
    pixels = bytes(INK if dark else PAPER for row in matrix for dark in row)
    small = Image.frombytes("L", (size, size), pixels)
    return small.resize((size * module, size * module), Image.Resampling.NEAREST)
