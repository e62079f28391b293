"""What the software says about itself: name, version and fiscal fingerprint."""

from __future__ import annotations

from till.fiscal.perimeter import fingerprint
from till.version import SOFTWARE_NAME, __version__


def version_line() -> str:
    return f"{SOFTWARE_NAME} {__version__}, fiscal fingerprint {fingerprint()}"
