"""Writes vectors.json: fixed keys, records, and their canonical bytes, hashes and signatures.

Run it only when the sealing spec (docs/sealing.md) changes with a new major version; the tests
check that the code still produces exactly the committed vectors.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from till.fiscal.canonical import canonical_json
from till.fiscal.keys import ShopKey
from till.fiscal.records import Chain
from till.order import CASH, Discount, Order, OrderLine, Payment, VatRates, to_record

VECTORS = Path(__file__).with_name("vectors.json")

# RFC 8032's first test key, so that anyone can cross-check it.
SHOP_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
ROTATED_SEED = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
SHOP = "FR-SHOP-0001"

CANONICAL_CASES: list[Any] = [
    {"b": 1, "a": "x", "c": None, "d": True, "e": False, "f": [], "g": {}},
    {"text": "Café crème, œuf, à emporter — 12,50 €"},
    {
        "escapes": 'quote " backslash \\ slash / backspace \b tab \t newline \n form feed \f '
        "return \r nul \u0000 unit separator \u001f delete \u007f"
    },
    {"separators": "\u2028\u2029"},
    {"\ue000": "private use", "\U0001f600": "emoji sorts first by UTF-16 code units", "a": 1},
    {"numbers": [0, -1, 9007199254740991, -9007199254740991]},
    {"nested": {"z": [{"b": 2, "a": 1}], "a": {"y": "1.50", "x": "-0.05"}}},
]


def _order_fields(validated_at: datetime) -> dict[str, Any]:
    """A real order record, as till.order writes it: lines, VAT table and payments included."""
    order = Order(
        id="order-0001",
        created_at=validated_at - timedelta(minutes=2),
        shop_id=SHOP,
        register_id="R1",
        user_id="u-claire",
        table="4",
        covers=2,
    )
    cafe = VatRates(Decimal("10"))
    order.add_line(
        OrderLine(
            id="line-1",
            article_id="creme",
            label="Café crème",
            quantity=Decimal(2),
            unit_price=320,
            vat=cafe,
        )
    )
    order.add_line(
        OrderLine(
            id="line-2",
            article_id="croissant",
            label="Croissant",
            quantity=Decimal(2),
            unit_price=120,
            vat=VatRates(Decimal("10"), Decimal("5.5")),
            discount=Discount.rate(50),
        )
    )
    order.add_payment(
        Payment(
            id="payment-1", mode=CASH, amount=1000, paid_at=validated_at - timedelta(seconds=30)
        )
    )
    order.validated_at = validated_at
    order.value_date = validated_at.date()
    order.internal_number = 1
    order.public_number = "R1-000001"
    return {"type": "receipt", **to_record(order)}


def _tampered(good: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Damaged copies of the good chains, with the defects a verifier must report."""
    altered = copy.deepcopy(good)
    altered[0]["final_price"] = "0.10"
    rehashed = copy.deepcopy(good)
    rehashed[1]["hash"] = hashlib.sha256(b"forged").hexdigest()
    return [
        {
            "name": "the order's total changed after sealing",
            "records": altered,
            "defects": [{"kind": "altered", "position": 1}],
        },
        {
            "name": "the first event removed",
            "records": [good[0], *good[2:]],
            "defects": [{"kind": "gap", "position": 2}],
        },
        {
            "name": "two events swapped",
            "records": [good[0], good[2], good[1], good[3]],
            "defects": [{"kind": "reordered", "position": 3}],
        },
        {
            "name": "an event's hash replaced: it is not the shop's, its place is empty",
            "records": rehashed,
            "defects": [{"kind": "wrong_hash", "position": 2}, {"kind": "gap", "position": 3}],
        },
    ]


def build() -> dict[str, Any]:
    key = ShopKey.from_seed_hex(SHOP_SEED)
    rotated = ShopKey.from_seed_hex(ROTATED_SEED)
    base = datetime(2026, 11, 21, 8, 15, 30, 250000, tzinfo=UTC)
    orders = Chain("order", SHOP, key)
    events = Chain("event", SHOP, key)
    records = [
        orders.append(_order_fields(base), base),
        events.append({"type": "print", "order": "R1-000001", "copy": 1}, base),
        events.append({"type": "reprint", "order": "R1-000001", "copy": 2}, base),
    ]
    # After a key rotation the chain goes on with the new key; old records keep verifying.
    events.key = rotated
    records.append(
        events.append({"type": "key_rotated", "public_key": rotated.public_key.hex}, base)
    )
    return {
        "comment": "Test vectors of docs/sealing.md. Keys are hex Ed25519 seeds (RFC 8032).",
        "shop": SHOP,
        "keys": [
            {"seed": k.seed_hex(), "public_key": k.public_key.hex, "key_id": k.key_id}
            for k in (key, rotated)
        ],
        "canonical": [
            {"value": value, "canonical_utf8_hex": canonical_json(value).hex()}
            for value in CANONICAL_CASES
        ],
        "tampered": _tampered([record.as_json() for record in records]),
        "records": [
            {
                "record": record.as_json(),
                "canonical": canonical_json(record.body).decode("utf-8"),
                "sha256": hashlib.sha256(canonical_json(record.body)).hexdigest(),
            }
            for record in records
        ],
    }


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
