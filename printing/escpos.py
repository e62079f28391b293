"""Documents rendered to ESC/POS bytes with python-escpos, before any printer is involved.

Rendering is pure: the same document and profile give the same bytes, which the tests compare
byte for byte; sending them is the transports' job (printing.transports).
"""

from __future__ import annotations

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from printing.context import NotPrintable
from printing.document import (
    Align,
    Blank,
    Block,
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
_QR_MODULE_DOTS = {32: 4, 42: 5, 48: 6}


def paper_image(logo: Logo, profile: PrinterProfile) -> Image.Image:
    """The logo in black and white, at most the paper's width, centred on a full-width strip (so
    that it is centred on any printer, whatever its alignment commands do to images)."""
    try:
        with Image.open(logo.path) as source:
            image = source.convert("L")
    except OSError as error:
        raise NotPrintable(f"the logo {logo.path} cannot be read: {error}") from None
    if image.width > profile.dots:
        image = image.resize((profile.dots, max(1, image.height * profile.dots // image.width)))
    strip = Image.new("1", (profile.dots, image.height), 1)
    strip.paste(image.convert("1"), ((profile.dots - image.width) // 2, 0))
    return strip


def render_escpos(document: Document, profile: PrinterProfile) -> bytes:
    writer = _Writer(profile)
    for block in document.blocks:
        writer.block(block)
    return writer.finish(document)


class _Writer:
    """Drives a python-escpos Dummy printer, sending a style change only when the style changes."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.printer = Dummy(profile=profile.escpos_profile)
        self.printer.hw("INIT")
        # One code page for the whole document, chosen by the profile, never guessed per character.
        self.printer.charcode(profile.code_page)
        self._style: tuple[bool, bool] | None = None

    def style(self, *, bold: bool = False, large: bool = False) -> None:
        if self._style != (bold, large):
            self.printer.set_with_default(bold=bold, double_width=large, double_height=large)
            self._style = (bold, large)

    def lines(self, lines: list[str]) -> None:
        for line in lines:
            self.printer.textln(line)

    def block(self, block: Block) -> None:
        # Spelled out before layout: "Œ" becomes "OE" on CP858, one more column to fit.
        block = self.profile.printable_block(block)
        width = self.profile.columns
        if isinstance(block, Text | Columns):
            self.style(bold=block.bold, large=block.large)
            usable = width // 2 if block.large else width
            if isinstance(block, Text):
                self.lines([align(line, usable, block.align) for line in wrap(block.text, usable)])
            else:
                self.lines(columns(block.left, block.right, usable))
        elif isinstance(block, Rule):
            self.style()
            self.lines([block.char * width])
        elif isinstance(block, Blank):
            self.style()
            self.printer.ln(block.lines)
        elif isinstance(block, QrCode):
            # The printer draws the code itself (GS ( k): sharp, and a few bytes instead of an
            # image; alignment is what centres it.
            self.printer.set_with_default(align="center")
            self.printer.qr(block.data, ec=QR_ECLEVEL_M, size=_QR_MODULE_DOTS[width], native=True)
            self._style = None
            self.style()
            if block.caption:
                self.lines(
                    [align(line, width, Align.CENTER) for line in wrap(block.caption, width)]
                )
        elif isinstance(block, Logo):
            self.style()
            self.printer.image(paper_image(block, self.profile))

    def finish(self, document: Document) -> bytes:
        if document.open_drawer:
            self.printer.cashdraw(self.profile.drawer_pin)
        if document.cut and self.profile.cut:
            self.printer.cut()
        output: bytes = self.printer.output
        return output
