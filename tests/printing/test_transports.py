"""Sending to printers: a network printer on loopback gets the bytes; a dead one gives the error."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from printing.document import Document
from printing.escpos import render_escpos
from printing.profile import PAPER_80_48
from printing.receipts import receipt
from printing.transports import (
    CupsPrinter,
    FilePrinter,
    NetworkPrinter,
    PrinterError,
    print_document,
)
from tests.printing.samples import PEOPLE, SHOP, SOFTWARE, breakfast, issuance, seal

# Status bytes as an Epson printer answers DLE EOT 1, 2 and 4 (bits 1 and 4 are always set).
STATES = {
    "ready": {1: 0x12, 2: 0x12, 4: 0x12},
    "paper_out": {1: 0x1A, 2: 0x32, 4: 0x72},
    "cover_open": {1: 0x1A, 2: 0x16, 4: 0x12},
    "offline": {1: 0x1A, 2: 0x12, 4: 0x12},
    "error": {1: 0x1A, 2: 0x52, 4: 0x12},
    "not_a_printer": {1: 0x10, 2: 0x10, 4: 0x10},
}


class FakePrinter:
    """A raw port 9100 printer on loopback that answers status requests and keeps what it got."""

    def __init__(self, state: str | None) -> None:
        self.state = state
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                link, _ = self.server.accept()
            except TimeoutError:
                continue
            with link:
                link.settimeout(2)
                with contextlib.suppress(TimeoutError):
                    self._talk(link)

    def _talk(self, link: socket.socket) -> None:
        pending = b""
        while chunk := link.recv(65536):
            pending += chunk
            while pending.startswith(b"\x10\x04") and len(pending) >= 3:
                if self.state is None:  # a printer that never answers
                    pending = pending[3:]
                    continue
                link.sendall(bytes([STATES[self.state][pending[2]]]))
                pending = pending[3:]
            if not pending.startswith(b"\x10\x04"):
                self.received += pending
                pending = b""

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.server.close()


@pytest.fixture
def document() -> Document:
    record = seal(breakfast())
    return receipt(record, issuance(record), SHOP, SOFTWARE, PEOPLE, open_drawer=True)


@pytest.fixture
def printer(request: pytest.FixtureRequest) -> Iterator[FakePrinter]:
    fake = FakePrinter(getattr(request, "param", "ready"))
    yield fake
    fake.close()


def _wait_for(fake: FakePrinter, size: int) -> None:
    for _ in range(200):
        if len(fake.received) >= size:
            return
        threading.Event().wait(0.01)


def test_a_network_printer_receives_exactly_the_rendered_bytes(
    printer: FakePrinter, document: Document
) -> None:
    sent = print_document(document, PAPER_80_48, NetworkPrinter("127.0.0.1", printer.port))
    assert sent == render_escpos(document, PAPER_80_48)
    _wait_for(printer, len(sent))
    assert bytes(printer.received) == sent


@pytest.mark.parametrize(
    ("printer", "message"),
    [
        ("paper_out", "out of paper"),
        ("cover_open", "cover open"),
        ("offline", "is offline"),
        ("error", "reports an error"),
        ("not_a_printer", "does not answer like an ESC/POS printer"),
    ],
    indirect=["printer"],
)
def test_an_unready_printer_gets_nothing_and_says_why(
    printer: FakePrinter, document: Document, message: str
) -> None:
    with pytest.raises(PrinterError, match=message) as raised:
        print_document(document, PAPER_80_48, NetworkPrinter("127.0.0.1", printer.port))
    assert raised.value.code == "printer_error"
    assert f"127.0.0.1:{printer.port}" in raised.value.message
    assert printer.received == b""


@pytest.mark.parametrize("printer", [None], indirect=True)
def test_a_printer_that_does_not_answer_is_an_error(
    printer: FakePrinter, document: Document
) -> None:
    with pytest.raises(PrinterError, match="does not answer"):
        print_document(
            document, PAPER_80_48, NetworkPrinter("127.0.0.1", printer.port, timeout=0.3)
        )
    assert printer.received == b""


def test_a_dead_printer_is_unreachable(document: Document) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(PrinterError, match="unreachable"):
        print_document(document, PAPER_80_48, NetworkPrinter("127.0.0.1", port, timeout=1))


def test_status_can_be_skipped_for_printers_that_never_answer(
    printer: FakePrinter, document: Document
) -> None:
    printer.state = None
    sent = print_document(
        document, PAPER_80_48, NetworkPrinter("127.0.0.1", printer.port, status=False)
    )
    _wait_for(printer, len(sent))
    assert bytes(printer.received) == sent


def test_a_file_printer_appends_the_bytes(tmp_path: Path, document: Document) -> None:
    target = tmp_path / "lp0"
    sent = print_document(document, PAPER_80_48, FilePrinter(target))
    assert target.read_bytes() == sent


def test_a_file_printer_that_cannot_be_written_says_so(tmp_path: Path, document: Document) -> None:
    with pytest.raises(PrinterError, match="Cannot write to the printer"):
        print_document(document, PAPER_80_48, FilePrinter(tmp_path / "missing" / "lp0"))


@pytest.mark.skipif(shutil.which("lp") is not None, reason="CUPS is installed here")
def test_cups_missing_is_a_clear_error(document: Document) -> None:
    with pytest.raises(PrinterError, match="CUPS is not installed"):
        print_document(document, PAPER_80_48, CupsPrinter("receipts"))
