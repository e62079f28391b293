"""The shop as tills and auditors see it, its registers and its public keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.deps import ReaderDep, ReadSession
from server.errors import NotFound
from server.sealing.keys import public_keys
from server.shops.models import Shop
from till.timestamps import to_utc_iso

router = APIRouter(tags=["shop"])


def shop_json(shop: Shop) -> dict[str, Any]:
    return {
        "id": shop.id,
        "name": shop.name,
        "address": shop.address.split("\n") if shop.address else [],
        "siret": shop.siret,
        "vat_number": shop.vat_number,
        "timezone": shop.timezone,
        "opening_hour": shop.opening_hour,
        "closure_obligation": shop.closure_obligation,
        "delivery_choice_required": shop.delivery_choice_required,
        "legal_footer": shop.legal_footer,
    }


@router.get("/shop")
def get_shop(reader: ReaderDep) -> dict[str, Any]:
    shop = reader.session.get(Shop, reader.actor.shop_id)
    if shop is None:
        raise NotFound("This shop no longer exists.")
    return shop_json(shop)


@router.get("/shops/{shop_id}/public-keys")
def get_public_keys(shop_id: str, session: ReadSession) -> list[dict[str, Any]]:
    """Public: anyone holding a record or an archive of this shop checks its signatures with
    these keys, the current one and every retired one."""
    if session.get(Shop, shop_id) is None:
        raise NotFound(f"There is no shop {shop_id}.")
    return [
        {
            "key_id": row.key_id,
            "public_key": row.public_key,
            "created_at": to_utc_iso(row.created_at),
            "retired_at": to_utc_iso(row.retired_at) if row.retired_at else None,
        }
        for row in public_keys(session, shop_id)
    ]
