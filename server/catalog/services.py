"""The catalog: read whole with a version for ETags; every change bumps the version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.catalog.models import Article, Department, DepartmentGroup, PaymentModeRow
from server.errors import NotFound
from server.shops.models import Shop, get_shop
from till.money import to_json_amount


def etag(version: int) -> str:
    return f'"catalog-{version}"'


def catalog_json(session: Session, shop: Shop) -> dict[str, Any]:
    def active(model: Any) -> Any:
        return session.scalars(
            select(model)
            .where(model.shop_id == shop.id, model.active.is_(True))
            .order_by(model.position, *model.__table__.primary_key.columns)
        )

    return {
        "version": shop.catalog_version,
        "department_groups": [
            {"id": g.id, "label": g.label, "position": g.position} for g in active(DepartmentGroup)
        ],
        "departments": [
            {"id": d.id, "label": d.label, "group_id": d.group_id, "position": d.position}
            for d in active(Department)
        ],
        "articles": [article_json(a) for a in active(Article)],
        "payment_modes": [
            {
                "code": m.code,
                "label": m.label,
                "gives_change": m.gives_change,
                "opens_drawer": m.opens_drawer,
                "position": m.position,
            }
            for m in active(PaymentModeRow)
        ],
    }


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "plu": article.plu,
        "barcode": article.barcode,
        "label": article.label,
        "department_id": article.department_id,
        "price": to_json_amount(article.price),
        "vat_eat_in": article.vat_eat_in,
        "vat_take_away": article.vat_take_away,
        "sold_by_weight": article.sold_by_weight,
        "image": article.image,
        "position": article.position,
    }


def bump(session: Session, shop_id: str) -> int:
    shop = get_shop(session, shop_id)
    shop.catalog_version += 1
    return shop.catalog_version


def upsert(session: Session, model: Any, key: tuple[str, str], values: dict[str, Any]) -> Any:
    """Create or replace one catalog entry; a removed entry comes back when written again."""
    row = session.get(model, key)
    if row is None:
        names = [column.name for column in model.__table__.primary_key.columns]
        row = model(**dict(zip(names, key, strict=True)))
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.active = True
    bump(session, key[0])
    return row


def deactivate(session: Session, model: Any, key: tuple[str, str], what: str) -> None:
    """Entries are never deleted: sealed orders still name them."""
    row = session.get(model, key)
    if row is None or not row.active:
        raise NotFound(f"There is no {what} {key[1]}.")
    row.active = False
    bump(session, key[0])
