"""What the cashier's screen remembers between runs, beside the till's store: the server it was
enrolled with, its register, its language, its printer, whether receipts print by themselves, the
folder reports and exports were last saved in, whether the screen shows its own keyboard (off
on a till with a real one), and whether the window fills the screen.
Written atomically (temporary file, fsync, rename), so a power cut leaves the old or the new."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sync.files import atomic_write

FILE_NAME = "screen.json"
LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class PrinterChoice:
    """`kind`: none (a preview on screen), network, usb, serial or file."""

    kind: str = "none"
    host: str = ""
    port: int = 9100
    device: str = ""  # serial port, or file path
    vendor_id: int = 0
    product_id: int = 0
    columns: int = 48


@dataclass(frozen=True)
class ScreenSettings:
    server: str | None = None
    register_id: str | None = None
    language: str = "fr"
    printer: PrinterChoice = field(default_factory=PrinterChoice)
    auto_print: bool = True
    export_folder: str | None = None
    on_screen_keyboard: bool = True
    full_screen: bool = False

    def changed(self, **values: Any) -> ScreenSettings:
        return replace(self, **values)


def load(folder: Path) -> ScreenSettings:
    """The saved settings, or the defaults when there are none (or they cannot be read)."""
    try:
        data = json.loads((folder / FILE_NAME).read_text(encoding="utf-8"))
        known = {item.name for item in fields(PrinterChoice)}
        printer = PrinterChoice(
            **{name: value for name, value in data.pop("printer", {}).items() if name in known}
        )
        names = {item.name for item in fields(ScreenSettings)} - {"printer"}
        settings = ScreenSettings(
            printer=printer, **{name: value for name, value in data.items() if name in names}
        )
    except (OSError, ValueError, TypeError):
        return ScreenSettings()
    if settings.language not in LANGUAGES:
        settings = settings.changed(language="fr")
    return settings


def save(folder: Path, settings: ScreenSettings) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_write(folder / FILE_NAME) as out:
        out.write(json.dumps(asdict(settings), ensure_ascii=False, indent=2).encode("utf-8"))
