"""A printer's profile: paper width, columns, dots and the code page its text is sent in."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import TypeVar

from escpos.capabilities import Profile

from printing.document import Block, Columns, QrCode, Rule, Text
from till.errors import TillError

AnyBlock = TypeVar("AnyBlock", bound=Block)


class UnsupportedProfile(TillError):
    code = "unsupported_printer_profile"


# Font A of common 80 mm printers prints 48 columns on 576 dots; 42 columns is the 512-dot head of
# some 80 mm printers; 58 mm printers print 32 columns on 384 dots.
_DOTS = {32: 384, 42: 512, 48: 576}


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """`code_page` is chosen explicitly (CP858 by default: it has € and the French accents):
    letting the library pick a code page per character makes it choose a Greek one for €, which
    cheap printers print wrong. Characters the code page lacks are spelled the French typographic
    way (`printable`): CP858 has no Œ, so "Œuf" prints "OEuf"; CP1252 and ISO_8859-15 have it."""

    name: str = "80 mm, 48 columns"
    columns: int = 48
    paper_mm: int = 80
    code_page: str = "CP858"
    escpos_profile: str = "default"
    cut: bool = True
    drawer_pin: int = 2

    def __post_init__(self) -> None:
        if self.columns not in _DOTS:
            raise UnsupportedProfile(
                f"{self.columns} columns is not a known paper layout (32, 42 or 48)"
            )
        if self.code_page not in _ESCPOS_CODE_PAGES:
            raise UnsupportedProfile(
                f"unknown code page {self.code_page!r}; printers know "
                + ", ".join(sorted(_ESCPOS_CODE_PAGES))
            )
        try:
            "€éèêàâçùûôîï".encode(_python_codec(self.code_page))
        except (LookupError, UnicodeEncodeError):
            raise UnsupportedProfile(
                f"code page {self.code_page} cannot print € and French accents"
            ) from None

    @property
    def dots(self) -> int:
        return _DOTS[self.columns]

    @property
    def python_codec(self) -> str:
        return _python_codec(self.code_page)

    def printable_block(self, block: AnyBlock) -> AnyBlock:
        """`block` with its text made printable (`printable`), ready to be laid out."""
        if isinstance(block, Text):
            return replace(block, text=self.printable(block.text))
        if isinstance(block, Columns):
            left, right = (
                self.printable(side).replace("\n", " ") for side in (block.left, block.right)
            )
            return replace(block, left=left, right=right)
        if isinstance(block, Rule):
            return replace(block, char=self.printable(block.char)[:1] or "-")
        if isinstance(block, QrCode):
            return replace(block, caption=self.printable(block.caption))
        return block

    def printable(self, text: str) -> str:
        """`text` with every character the code page can print, the others spelled out.

        Accents typed as a letter and a combining mark are composed first (NFC); control
        characters become spaces, so that text from a record can never send a printer command
        (ESC p opens the drawer, GS V cuts); only a line break is kept, for Text to wrap on.
        """
        codec = self.python_codec
        out = []
        for char in unicodedata.normalize("NFC", text):
            if char != "\n" and unicodedata.category(char) == "Cc":
                char = " "
            try:
                char.encode(codec)
            except UnicodeEncodeError:
                char = _SPELLED.get(char, "?")
            out.append(char)
        return "".join(out)


# How French typography writes what a code page lacks.
_SPELLED = {
    "Œ": "OE",
    "œ": "oe",
    "Æ": "AE",
    "æ": "ae",
    "Ÿ": "Y",
    "ÿ": "y",
    "€": "EUR",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "…": "...",
    "\u00d7": "x",
}


# The code page names python-escpos selects with ESC t (its default profile), e.g. CP858, CP1252.
_ESCPOS_CODE_PAGES = frozenset(Profile().get_code_pages())


def _python_codec(code_page: str) -> str:
    return code_page.lower().replace("_", "-")


PAPER_80_48 = PrinterProfile()
PAPER_80_42 = PrinterProfile(name="80 mm, 42 columns", columns=42)
PAPER_58_32 = PrinterProfile(name="58 mm, 32 columns", columns=32, paper_mm=58)
