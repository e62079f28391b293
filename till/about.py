"""What the software says about itself: name, version and fiscal fingerprint."""

from __future__ import annotations

import argparse

from till.fiscal.perimeter import current_fingerprint
from till.version import SOFTWARE_NAME, __version__


def version_line() -> str:
    return f"{SOFTWARE_NAME} {__version__}, fiscal fingerprint {current_fingerprint()}"


def command_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A command-line parser whose `--version` prints the version and fingerprint on one line."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=version_line())
    return parser
