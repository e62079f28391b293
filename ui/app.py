"""Entry point of `till`, the cashier's screen."""

from __future__ import annotations

from till.about import command_parser


def main() -> None:
    parser = command_parser("till", "The cashier's screen.")
    parser.parse_args()
    parser.exit(
        1,
        "till: the cashier's screen is not part of this version yet; "
        "`python3 run.py demo` shows what is.\n",
    )
