"""Entry point of `till-server`, the central API."""

from __future__ import annotations

import argparse

from till.about import version_line


def main() -> None:
    parser = argparse.ArgumentParser(prog="till-server", description="The central till server.")
    parser.add_argument("--version", action="version", version=version_line())
    parser.parse_args()
    parser.exit(
        1,
        "till-server: the central server is not part of this version yet; "
        "`python3 run.py demo` shows what is.\n",
    )
