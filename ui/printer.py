"""The till's printer as the screen uses it: the transport chosen at set-up (network, USB,
serial, a device file), or none, when every printout becomes a preview on screen (ESC/POS bytes
and a PNG of the paper, kept in the till's folder). Blocking: call it from the printer's worker.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from printing.document import Document
from printing.escpos import render_escpos
from printing.preview import render_preview
from printing.profile import PrinterProfile
from printing.transports import (
    FilePrinter,
    NetworkPrinter,
    SerialPrinter,
    Transport,
    UsbPrinter,
)
from ui.settings import PrinterChoice

PRINTER_KINDS = ("none", "network", "usb", "serial", "file")
_KEPT = 20  # printouts kept in memory, for the screen and the tests


@dataclass(frozen=True)
class Printout:
    kind: str
    data: bytes  # the ESC/POS bytes printed (or that would have been)
    preview: Path | None  # the paper's PNG, when there is no printer


def profile_for(choice: PrinterChoice) -> PrinterProfile:
    if choice.columns == 32:
        return PrinterProfile(name="58 mm, 32 columns", columns=32, paper_mm=58)
    return PrinterProfile(columns=choice.columns)


def transport_for(choice: PrinterChoice) -> Transport | None:
    if choice.kind == "network":
        return NetworkPrinter(choice.host, choice.port)
    if choice.kind == "usb":
        return UsbPrinter(choice.vendor_id, choice.product_id)
    if choice.kind == "serial":
        return SerialPrinter(choice.device)
    if choice.kind == "file":
        return FilePrinter(Path(choice.device))
    return None


class PrinterService:
    def __init__(self, choice: PrinterChoice, preview_folder: Path) -> None:
        self.choice = choice
        self.profile = profile_for(choice)
        self.transport = transport_for(choice)
        self.preview_folder = preview_folder
        self.printouts: collections.deque[Printout] = collections.deque(maxlen=_KEPT)

    @property
    def previews(self) -> bool:
        return self.transport is None

    def print(self, document: Document) -> Printout:
        """Print `document`, or write its preview; raises PrinterError having printed nothing."""
        data = render_escpos(document, self.profile)
        preview = None
        if self.transport is None:
            self.preview_folder.mkdir(parents=True, exist_ok=True)
            stem = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{document.kind}"
            (self.preview_folder / f"{stem}.bin").write_bytes(data)
            preview = self.preview_folder / f"{stem}.png"
            preview.write_bytes(render_preview(document, self.profile))
        else:
            self.transport.send(data)
        printout = Printout(document.kind, data, preview)
        self.printouts.append(printout)
        return printout
