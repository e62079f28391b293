"""Documents rendered to ESC/POS bytes with python-escpos, before any printer is involved.

Rendering is pure: the same document and profile give the same bytes, which the tests compare
byte for byte; sending them is the transports' job (printing.transports).
"""

from __future__ import annotations

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from printing.document import Block, Document, Logo, QrCode
from printing.layout import QR_MODULE_DOTS, TextLines, caption_lines, paper_image, text_lines
from printing.profile import PrinterProfile


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

    def lines(self, laid: TextLines) -> None:
        self.style(bold=laid.bold, large=laid.large)
        for line in laid.lines:
            self.printer.textln(line)

    def block(self, block: Block) -> None:
        if isinstance(block, QrCode):
            # The printer draws the code itself (GS ( k): sharp, and a few bytes instead of an
            # image; alignment is what centres it.
            self.printer.set_with_default(align="center")
            size = QR_MODULE_DOTS[self.profile.columns]
            self.printer.qr(block.data, ec=QR_ECLEVEL_M, size=size, native=True)
            self._style = None
            if block.caption:
                self.lines(caption_lines(block.caption, self.profile))
        elif isinstance(block, Logo):
            self.style()
            self.printer.image(paper_image(block, self.profile))
        else:
            self.lines(text_lines(block, self.profile))

    def finish(self, document: Document) -> bytes:
        if document.open_drawer:
            self.printer.cashdraw(self.profile.drawer_pin)
        if document.cut and self.profile.cut:
            self.printer.cut()
        output: bytes = self.printer.output
        return output
