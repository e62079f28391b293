"""Writes vectors.json: fixed keys, records, and their canonical bytes, hashes and signatures.

Run it only when the sealing spec (docs/sealing.md) changes with a new major version; the tests
check that the code still produces exactly the committed vectors.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from till.fiscal.canonical import canonical_json
from till.fiscal.keys import ShopKey
from till.fiscal.records import Chain

VECTORS = Path(__file__).with_name("vectors.json")

# RFC 8032's first test key, so that anyone can cross-check it.
SHOP_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
ROTATED_SEED = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
SHOP = "FR-SHOP-0001"

CANONICAL_CASES: list[Any] = [
    {"b": 1, "a": "x", "c": None, "d": True, "e": False, "f": [], "g": {}},
    {"text": "Café crème, œuf, à emporter — 12,50 €"},
    {"escapes": 'quote " backslash \\ slash / tab \t newline \n nul \u0000 unit \u001f del \u007f'},
    {"separators": "\u2028\u2029"},
    {"\ue000": "private use", "\U0001f600": "emoji sorts first by UTF-16 code units", "a": 1},
    {"numbers": [0, -1, 9007199254740991, -9007199254740991]},
    {"nested": {"z": [{"b": 2, "a": 1}], "a": {"y": "1.50", "x": "-0.05"}}},
]


def _order_fields() -> dict[str, Any]:
    return {
        "type": "receipt",
        "internal_number": 1,
        "public_number": "T1-000001",
        "register": "R1",
        "user": "u-claire",
        "created_at": "2026-11-21T08:14:02.000000Z",
        "validated_at": "2026-11-21T08:15:30.250000Z",
        "value_date": "2026-11-21T08:15:30.250000Z",
        "delivery_method": "eat_in",
        "lines": [
            {
                "article": "cafe",
                "label": "Café",
                "quantity": "2.000",
                "unit_price": "2.50",
                "discount": None,
                "final_price": "5.00",
                "vat_rate": "10.00",
                "vat": "0.45",
                "excl_vat": "4.55",
            },
            {
                "article": "croissant",
                "label": "Croissant",
                "quantity": "1.000",
                "unit_price": "1.30",
                "discount": None,
                "final_price": "1.30",
                "vat_rate": "10.00",
                "vat": "0.12",
                "excl_vat": "1.18",
            },
        ],
        "vat": [{"rate": "10.00", "incl": "6.30", "vat": "0.57", "excl": "5.73"}],
        "initial_price": "6.30",
        "total_discount": "0.00",
        "total_vat": "0.57",
        "final_price": "6.30",
        "payments": [{"mode": "cash", "amount": "10.00"}],
        "change": "3.70",
        "corrects": None,
    }


def build() -> dict[str, Any]:
    key = ShopKey.from_seed_hex(SHOP_SEED)
    rotated = ShopKey.from_seed_hex(ROTATED_SEED)
    base = datetime(2026, 11, 21, 8, 15, 30, 250000, tzinfo=UTC)
    orders = Chain("order", SHOP, key)
    events = Chain("event", SHOP, key)
    records = [
        orders.append(_order_fields(), base),
        events.append({"type": "print", "order": "T1-000001", "copy": 1}, base),
        events.append({"type": "reprint", "order": "T1-000001", "copy": 2}, base),
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
