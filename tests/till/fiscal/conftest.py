"""Chains of sealed records for the fiscal tests, built with fixed keys and a steady clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.till.fiscal.chains import SHOP, START, BuildChain, sale_fields
from till.fiscal.keys import KeyRing, ShopKey
from till.fiscal.records import Chain


@pytest.fixture(scope="session")
def shop_key() -> ShopKey:
    return ShopKey.from_seed_hex("11" * 32)


@pytest.fixture(scope="session")
def other_key() -> ShopKey:
    return ShopKey.from_seed_hex("22" * 32)


@pytest.fixture
def keys(shop_key: ShopKey) -> KeyRing:
    return KeyRing([shop_key.public_key])


@pytest.fixture
def build_chain(shop_key: ShopKey) -> BuildChain:
    def build(
        count: int, *, chain: str = "order", shop: str = SHOP, key: ShopKey | None = None
    ) -> list[dict[str, Any]]:
        sealing = Chain(chain, shop, key or shop_key)
        return [
            sealing.append(sale_fields(n), START + timedelta(seconds=n)).as_json()
            for n in range(1, count + 1)
        ]

    return build
