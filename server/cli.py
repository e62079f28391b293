"""Entry point of `till-server`, the central API."""

from __future__ import annotations

from till.about import command_parser


def main() -> None:
    parser = command_parser("till-server", "The central till server.")
    parser.parse_args()
    parser.exit(
        1,
        "till-server: the central server is not part of this version yet; "
        "`python3 run.py demo` shows what is.\n",
    )
