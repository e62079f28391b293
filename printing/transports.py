"""Ways to reach a printer: network (port 9100), USB, serial, CUPS, or a file or device.

Before bytes count as printed, the printer's status is asked where the link allows it (ESC/POS
DLE EOT): a printer that is off, out of paper or unreachable raises PrinterError with a message a
cashier can act on, and the caller marks nothing printed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from printing.document import Document
from printing.escpos import render_escpos
from printing.profile import PrinterProfile
from till.errors import TillError

# ESC/POS real-time status requests and the bits of their answers (Epson's documentation).
DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"
FIXED_MASK, FIXED_BITS = 0x93, 0x12  # bits 0 and 7 clear, 1 and 4 set, in every status byte
OFFLINE = 0x08
COVER_OPEN = 0x04
PAPER_STOP = 0x20  # offline cause: printing stopped for lack of paper
ERROR = 0x40  # offline cause: an error (cutter, head temperature, ...)
PAPER_END = 0x60  # paper roll sensor: no paper


class PrinterError(TillError):
    code = "printer_error"


class Transport(Protocol):
    """Sends rendered bytes to a printer; raises PrinterError when they cannot be printed."""

    def send(self, data: bytes) -> None: ...


def print_document(document: Document, profile: PrinterProfile, transport: Transport) -> bytes:
    """Render and send; returns the bytes printed. Raises PrinterError, having printed nothing."""
    data = render_escpos(document, profile)
    transport.send(data)
    return data


def check_status(exchange: Callable[[bytes], bytes], where: str) -> None:
    """Ask the real-time status through `exchange` (send a request, read the one-byte answer)
    and refuse a printer that is not ready to print."""

    def ask(request: bytes) -> int:
        answer = exchange(request)
        if not answer:
            raise PrinterError(f"The printer {where} does not answer: check that it is on.")
        if answer[0] & FIXED_MASK != FIXED_BITS:
            raise PrinterError(f"The device {where} does not answer like an ESC/POS printer.")
        return answer[0]

    if ask(DLE_EOT_PRINTER) & OFFLINE:
        cause = ask(DLE_EOT_OFFLINE_CAUSE)
        if cause & COVER_OPEN:
            raise PrinterError(f"The printer {where} has its cover open: close it and print again.")
        if cause & PAPER_STOP:
            raise PrinterError(f"The printer {where} is out of paper: load a roll and print again.")
        if cause & ERROR:
            raise PrinterError(f"The printer {where} reports an error: check it and print again.")
        raise PrinterError(f"The printer {where} is offline: check it and print again.")
    if ask(DLE_EOT_PAPER) & PAPER_END:
        raise PrinterError(f"The printer {where} is out of paper: load a roll and print again.")


@dataclass(frozen=True, slots=True)
class NetworkPrinter:
    """A printer on the network, raw port 9100."""

    host: str
    port: int = 9100
    timeout: float = 5.0
    status: bool = True

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, data: bytes) -> None:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as link:
                if self.status:
                    check_status(partial(_socket_exchange, link), self.where)
                link.sendall(data)
        except PrinterError:
            raise
        except TimeoutError:
            raise PrinterError(
                f"The printer {self.where} does not answer: check that it is on and connected."
            ) from None
        except OSError as error:
            raise PrinterError(
                f"The printer {self.where} is unreachable ({error.strerror or error}): "
                "check that it is on and connected."
            ) from None


@dataclass(frozen=True, slots=True)
class SerialPrinter:
    """A printer on a serial port (pyserial)."""

    port: str
    baudrate: int = 19200
    timeout: float = 2.0
    status: bool = True

    def send(self, data: bytes) -> None:
        import serial

        try:
            with serial.Serial(self.port, self.baudrate, timeout=self.timeout) as link:
                if self.status:
                    check_status(partial(_stream_exchange, link), f"on {self.port}")
                link.write(data)
                link.flush()
        except PrinterError:
            raise
        except (OSError, ValueError, serial.SerialException) as error:
            raise PrinterError(f"The printer on {self.port} is unreachable ({error}).") from None


@dataclass(frozen=True, slots=True)
class UsbPrinter:
    """A USB printer, by vendor and product id (pyusb, through python-escpos)."""

    vendor_id: int
    product_id: int
    status: bool = True

    def send(self, data: bytes) -> None:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb

        where = f"USB {self.vendor_id:04x}:{self.product_id:04x}"
        try:
            printer = Usb(self.vendor_id, self.product_id)
            printer.open()
        except (DeviceNotFoundError, OSError, ValueError) as error:
            raise PrinterError(f"The printer {where} is not connected ({error}).") from None
        try:
            if self.status:
                check_status(partial(_escpos_exchange, printer), where)
            printer._raw(data)
        except PrinterError:
            raise
        except Exception as error:  # pyusb raises its own errors for a printer unplugged midway
            raise PrinterError(f"The printer {where} stopped answering ({error}).") from None
        finally:
            printer.close()


@dataclass(frozen=True, slots=True)
class CupsPrinter:
    """A printer queue of the system's CUPS, sent raw bytes with `lp`; its state from `lpstat`."""

    queue: str

    def send(self, data: bytes) -> None:
        lp, lpstat = shutil.which("lp"), shutil.which("lpstat")
        if lp is None or lpstat is None:
            raise PrinterError("CUPS is not installed on this till (no lp command).")
        # The C locale, so that the state words below are the ones lpstat prints.
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        try:
            state = subprocess.run(
                [lpstat, "-p", self.queue],
                capture_output=True,
                text=True,
                check=False,
                timeout=10,
                env=env,
            )
            if state.returncode != 0 or "disabled" in state.stdout:
                why = state.stdout.strip() or state.stderr.strip()
                raise PrinterError(f"The CUPS printer {self.queue} is not ready: {why}")
            sent = subprocess.run(
                [lp, "-d", self.queue, "-o", "raw"],
                input=data,
                capture_output=True,
                check=False,
                timeout=30,
                env=env,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PrinterError(f"CUPS did not take the job for {self.queue} ({error}).") from None
        if sent.returncode != 0:
            why = sent.stderr.decode(errors="replace").strip()
            raise PrinterError(f"CUPS refused the job for {self.queue}: {why}")


@dataclass(frozen=True, slots=True)
class FilePrinter:
    """A device file (/dev/usb/lp0) or a plain file; no status can be read back."""

    path: Path

    def send(self, data: bytes) -> None:
        try:
            with self.path.open("ab") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            raise PrinterError(
                f"Cannot write to the printer {self.path}: {error.strerror}."
            ) from None


def _socket_exchange(link: socket.socket, request: bytes) -> bytes:
    link.sendall(request)
    return link.recv(1)


def _stream_exchange(link: Any, request: bytes) -> bytes:
    link.write(request)
    answer: bytes = link.read(1)
    return answer


def _escpos_exchange(printer: Any, request: bytes) -> bytes:
    printer._raw(request)
    return bytes(printer._read())
