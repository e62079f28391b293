"""Helpers that build chains of sealed records for the fiscal tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

SHOP = "FR-SHOP-0001"
START = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)

BuildChain = Callable[..., list[dict[str, Any]]]


def sale_fields(number: int) -> dict[str, Any]:
    return {
        "type": "receipt",
        "internal_number": number,
        "public_number": f"T1-{number:06d}",
        "final_price": f"{number % 97}.{number % 100:02d}",
        "lines": [{"label": "Café", "quantity": "1.000", "final_price": "2.50"}],
    }
