"""A whole sale through the API, on both databases."""

from __future__ import annotations

from tests.server.helpers import Till


def test_a_sale_is_numbered_sealed_and_verifiable(cashier: Till) -> None:
    order = cashier.sale("creme", "croissant", mode="cash")
    assert order["status"] == "validated"
    assert order["internal_number"] == 1
    assert order["record"]["hash"] == order["chain_heads"]["order"]["hash"]
    report = cashier.ok("GET", "/verification/chains")
    assert report["ok"], report
