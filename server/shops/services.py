"""Setting a shop up: the shop, registers, users, catalog and signing key, in one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from server.accounts.models import Role
from server.accounts.services import PIN_COST, add_user
from server.catalog.models import Article, Department, DepartmentGroup, PaymentModeRow
from server.errors import Invalid
from server.orders.services import known_rate
from server.sealing.keys import KeyStore
from server.shops.models import Register, Shop
from till.money import parse_amount
from till.timestamps import utc_now

SHOP_ID = re.compile(r"[A-Za-z0-9-]{1,40}")
OBLIGATIONS = ("none", "daily", "monthly", "yearly")


@dataclass
class ShopSetup:
    """A shop as described in a setup file such as `resources/demo/shop.json`."""

    shop: dict[str, Any]
    registers: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    payment_modes: list[dict[str, Any]] = field(default_factory=list)
    department_groups: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShopSetup:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def create_shop(
    session: Session, keys: KeyStore, setup: ShopSetup, *, pin_cost: int = PIN_COST
) -> Shop:
    data = setup.shop
    if not SHOP_ID.fullmatch(str(data.get("id", ""))):
        raise Invalid("A shop id is 1 to 40 letters, digits or dashes.")
    if session.get(Shop, data["id"]) is not None:
        raise Invalid(f"There is already a shop {data['id']}.")
    siret = str(data.get("siret", ""))
    if not re.fullmatch(r"[0-9]{14}", siret):
        raise Invalid("A SIRET is 14 digits.")
    obligation = data.get("closure_obligation", "daily")
    if obligation not in OBLIGATIONS:
        raise Invalid(f"The closure obligation is one of {', '.join(OBLIGATIONS)}.")
    shop = Shop(
        id=data["id"],
        name=data["name"],
        address="\n".join(data.get("address", [])),
        siret=siret,
        vat_number=data.get("vat_number"),
        timezone=data.get("timezone", "Europe/Paris"),
        opening_hour=int(data.get("opening_hour", 0)),
        closure_obligation=obligation,
        legal_footer=data.get("legal_footer"),
        public_prefix=data.get("public_prefix", "T"),
        delivery_choice_required=bool(data.get("delivery_choice_required", False)),
        catalog_version=1,
        created_at=utc_now(),
    )
    session.add(shop)
    session.flush()
    for register in setup.registers:
        session.add(Register(shop_id=shop.id, id=register["id"], name=register["name"]))
    for user in setup.users:
        add_user(
            session,
            shop.id,
            user["id"],
            user["name"],
            Role(user["role"]),
            user["pin"],
            pin_cost,
        )
    for position, mode in enumerate(setup.payment_modes):
        session.add(
            PaymentModeRow(
                shop_id=shop.id,
                code=mode["code"],
                label=mode["label"],
                gives_change=bool(mode.get("gives_change", False)),
                opens_drawer=bool(mode.get("opens_drawer", mode.get("gives_change", False))),
                position=position,
            )
        )
    for position, group in enumerate(setup.department_groups):
        session.add(
            DepartmentGroup(
                shop_id=shop.id, id=group["id"], label=group["label"], position=position
            )
        )
    for position, department in enumerate(setup.departments):
        session.add(
            Department(
                shop_id=shop.id,
                id=department["id"],
                label=department["label"],
                group_id=department.get("group"),
                position=position,
            )
        )
    for position, article in enumerate(setup.articles):
        session.add(
            Article(
                shop_id=shop.id,
                id=article["id"],
                plu=article.get("plu"),
                barcode=article.get("barcode"),
                label=article["label"],
                department_id=article.get("department"),
                price=parse_amount(article["price"]),
                vat_eat_in=known_rate(article["vat_eat_in"]),
                vat_take_away=known_rate(article["vat_take_away"])
                if article.get("vat_take_away")
                else None,
                sold_by_weight=bool(article.get("sold_by_weight", False)),
                image=article.get("image"),
                position=position,
            )
        )
    keys.create(session, shop.id)
    session.flush()
    return shop
