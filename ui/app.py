"""Entry point of `till`, the cashier's screen."""

from __future__ import annotations

import argparse

from till.about import version_line


def main() -> None:
    parser = argparse.ArgumentParser(prog="till", description="The cashier's screen.")
    parser.add_argument("--version", action="version", version=version_line())
    parser.parse_args()
    parser.exit(
        1,
        "till: the cashier's screen is not part of this version yet; "
        "`python3 run.py demo` shows what is.\n",
    )
