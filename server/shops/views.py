"""The shop as tills and auditors see it, its registers and its public keys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy.orm import Session

from server.accounts.services import MANAGERS, Actor
from server.deps import MutationDep, ReaderDep, ReadSession
from server.errors import NotFound
from server.journal.services import EventKind, journal
from server.orders.schemas import Strict
from server.sealing.keys import public_keys
from server.shops.models import Shop, get_shop
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
def read_shop(reader: ReaderDep) -> dict[str, Any]:
    return shop_json(get_shop(reader.session, reader.actor.shop_id))


class ShopPatch(Strict):
    """The settings a manager may change; the SIRET and the time zone are set at creation."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=6)
    vat_number: str | None = Field(default=None, max_length=20)
    opening_hour: int | None = Field(default=None, ge=0, le=23)
    closure_obligation: Literal["none", "daily", "monthly", "yearly"] | None = None
    legal_footer: str | None = Field(default=None, max_length=500)
    delivery_choice_required: bool | None = None


@router.patch("/shop")
def change_shop(body: ShopPatch, mutation: MutationDep) -> Response:
    """Change the shop's settings; each change is journaled with the value before and after."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        shop = get_shop(session, actor.shop_id)
        before = shop_json(shop)
        for name in body.model_fields_set:
            value = getattr(body, name)
            if name == "address":
                value = "\n".join(value or [])
            elif value is None and name not in ("vat_number", "legal_footer"):
                continue  # a setting that cannot be empty stays as it is
            setattr(shop, name, value)
        after = shop_json(shop)
        changes = {
            name: {"before": before[name], "after": after[name]}
            for name in after
            if before[name] != after[name]
        }
        if changes:
            journal(session, keys, actor.shop_id, EventKind.SETTINGS_CHANGED, changes, actor=actor)
        return after

    return mutation.respond(produce, roles=MANAGERS)


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
