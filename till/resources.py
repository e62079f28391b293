"""Where the project's own files are (`resources/`, `docs/`): beside the packages in a checkout,
and inside the bundle when the till runs as the frozen app (PyInstaller's `sys._MEIPASS`), where
the modules' own paths are no guide."""

from __future__ import annotations

import sys
from pathlib import Path


def project_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle)
    return Path(__file__).resolve().parents[1]


RESOURCES = project_root() / "resources"
DOCS = project_root() / "docs"
