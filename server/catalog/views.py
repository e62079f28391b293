"""Catalog routes: tills read it whole with an ETag; managers change it entry by entry."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Response
from pydantic import Field
from sqlalchemy.orm import Session

from server.accounts.services import MANAGERS, Actor
from server.catalog import services
from server.catalog.models import Article, Department, DepartmentGroup, PaymentModeRow
from server.deps import EnrolledDep, Mutation, MutationDep
from server.errors import NotFound
from server.journal.services import EventKind, journal
from server.orders.schemas import Strict
from server.orders.services import known_rate
from server.shops.models import get_shop
from till.money import InvalidAmount, from_json_amount

router = APIRouter(prefix="/catalog", tags=["catalog"])
ID = r"^[A-Za-z0-9._-]+$"


class ArticleIn(Strict):
    label: str = Field(min_length=1, max_length=100)
    price: str = Field(max_length=20, description='VAT included, "3.20"')
    vat_eat_in: str = Field(max_length=10)
    vat_take_away: str | None = Field(default=None, max_length=10)
    department_id: str | None = Field(default=None, max_length=40)
    plu: str | None = Field(default=None, max_length=20)
    barcode: str | None = Field(default=None, max_length=32)
    sold_by_weight: bool = False
    image: str | None = Field(default=None, max_length=300)
    position: int = Field(default=0, ge=0, le=1_000_000)


class DepartmentIn(Strict):
    label: str = Field(min_length=1, max_length=100)
    group_id: str | None = Field(default=None, max_length=40)
    position: int = Field(default=0, ge=0, le=1_000_000)


class GroupIn(Strict):
    label: str = Field(min_length=1, max_length=100)
    position: int = Field(default=0, ge=0, le=1_000_000)


class PaymentModeIn(Strict):
    label: str = Field(min_length=1, max_length=100)
    gives_change: bool = False
    opens_drawer: bool = False
    position: int = Field(default=0, ge=0, le=1_000_000)


def _price(text: str) -> int:
    price = from_json_amount(text)
    if price < 0:
        raise InvalidAmount(text, "a price cannot be negative")
    return price


@router.get("")
def get_catalog(
    enrolled: EnrolledDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The whole catalog; answers 304 when `If-None-Match` names the current version."""
    shop = get_shop(enrolled.session, enrolled.device.shop_id)
    tag = services.etag(shop.catalog_version)
    if if_none_match is not None and tag in [part.strip() for part in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})

    body = orjson.dumps(services.catalog_json(enrolled.session, shop))
    return Response(body, headers={"ETag": tag}, media_type="application/json")


def _journal(
    mutation: Mutation,
    session: Session,
    actor: Actor,
    part: str,
    entry_id: str,
    values: dict[str, Any] | None,
) -> None:
    """Every catalog change is journaled: what changed, and the entry as it now is."""
    journal(
        session,
        mutation.services.keys,
        actor.shop_id,
        EventKind.CATALOG_CHANGED,
        {"part": part, "id": entry_id, "removed": values is None, "entry": values},
        actor=actor,
    )


def _department_exists(session: Session, shop_id: str, department_id: str | None) -> None:
    if department_id is not None:
        row = session.get(Department, (shop_id, department_id))
        if row is None or not row.active:
            raise NotFound(f"There is no department {department_id}.")


@router.put("/articles/{article_id}")
def put_article(
    article_id: Annotated[str, Path(max_length=40, pattern=ID)],
    body: ArticleIn,
    mutation: MutationDep,
) -> Response:
    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        _department_exists(session, actor.shop_id, body.department_id)
        values = body.model_dump()
        values["price"] = _price(body.price)
        values["vat_eat_in"] = known_rate(body.vat_eat_in)
        values["vat_take_away"] = known_rate(body.vat_take_away) if body.vat_take_away else None
        row = services.upsert(session, Article, (actor.shop_id, article_id), values)
        _journal(mutation, session, actor, "articles", article_id, body.model_dump())
        return services.article_json(row)

    return mutation.respond(produce, roles=MANAGERS)


@router.put("/departments/{department_id}")
def put_department(
    department_id: Annotated[str, Path(max_length=40, pattern=ID)],
    body: DepartmentIn,
    mutation: MutationDep,
) -> Response:
    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        if body.group_id is not None:
            group = session.get(DepartmentGroup, (actor.shop_id, body.group_id))
            if group is None or not group.active:
                raise NotFound(f"There is no department group {body.group_id}.")
        services.upsert(session, Department, (actor.shop_id, department_id), body.model_dump())
        _journal(mutation, session, actor, "departments", department_id, body.model_dump())
        return {"id": department_id, **body.model_dump()}

    return mutation.respond(produce, roles=MANAGERS)


@router.put("/department-groups/{group_id}")
def put_group(
    group_id: Annotated[str, Path(max_length=40, pattern=ID)],
    body: GroupIn,
    mutation: MutationDep,
) -> Response:
    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        services.upsert(session, DepartmentGroup, (actor.shop_id, group_id), body.model_dump())
        _journal(mutation, session, actor, "department-groups", group_id, body.model_dump())
        return {"id": group_id, **body.model_dump()}

    return mutation.respond(produce, roles=MANAGERS)


@router.put("/payment-modes/{code}")
def put_payment_mode(
    code: Annotated[str, Path(max_length=40, pattern=ID)],
    body: PaymentModeIn,
    mutation: MutationDep,
) -> Response:
    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        services.upsert(session, PaymentModeRow, (actor.shop_id, code), body.model_dump())
        _journal(mutation, session, actor, "payment-modes", code, body.model_dump())
        return {"code": code, **body.model_dump()}

    return mutation.respond(produce, roles=MANAGERS)


_KINDS: dict[str, tuple[Any, str]] = {
    "articles": (Article, "article"),
    "departments": (Department, "department"),
    "department-groups": (DepartmentGroup, "department group"),
    "payment-modes": (PaymentModeRow, "payment mode"),
}


@router.delete("/{kind}/{entry_id}", status_code=204)
def remove_entry(kind: str, entry_id: str, mutation: MutationDep) -> Response:
    """Take an entry out of the catalog (it stays known to the orders that used it)."""
    if kind not in _KINDS:
        raise NotFound(f"There is no catalog part {kind}.")
    model, what = _KINDS[kind]

    def produce(session: Session, actor: Actor) -> None:
        services.deactivate(session, model, (actor.shop_id, entry_id), what)
        _journal(mutation, session, actor, kind, entry_id, None)

    mutation.respond(produce, roles=MANAGERS)
    return Response(status_code=204)
