"""Order routes: each change answers with the whole order as the server now holds it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from server.accounts.services import Actor
from server.deps import MutationDep, ReaderDep
from server.journal.services import EventKind, journal
from server.orders import services
from server.orders.models import OrderStatus
from server.orders.schemas import (
    DraftBatchIn,
    LineIn,
    LinePatch,
    OrderIn,
    OrderPatch,
    PaymentIn,
    RefundIn,
)

router = APIRouter(tags=["orders"])


@router.post("/orders", status_code=201)
def create_order(body: OrderIn, mutation: MutationDep) -> Response:
    return mutation.respond(
        lambda session, actor: services.create_order(session, actor, body), status=201
    )


@router.get("/orders")
def list_orders(
    reader: ReaderDep,
    status: OrderStatus | None = None,
    register_id: Annotated[str | None, Query(max_length=40)] = None,
    public_number: Annotated[str | None, Query(max_length=30)] = None,
    before: datetime | None = None,
    since: datetime | None = None,
    customer: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The shop's orders, newest first; page with `before` (the last `created_at` seen); `since`
    the first moment wanted; `customer` part of the customer account, in any case."""
    return services.list_orders(
        reader.session,
        reader.actor,
        status=status.value if status else None,
        register_id=register_id,
        public_number=public_number,
        limit=limit,
        before=before,
        since=since,
        customer=customer,
    )


@router.get("/orders/{order_id}")
def get_order(order_id: str, reader: ReaderDep) -> dict[str, Any]:
    row = services.get_row(reader.session, reader.actor, order_id)
    return services.order_json(reader.session, row)


@router.patch("/orders/{order_id}")
def update_order(order_id: str, body: OrderPatch, mutation: MutationDep) -> Response:
    """Change the fields given; a field given as `null` is cleared."""
    given = set(body.model_fields_set)
    return mutation.respond(
        lambda session, actor: services.update_order(session, actor, order_id, body, given)
    )


@router.post("/orders/{order_id}/lines")
def add_line(order_id: str, body: LineIn, mutation: MutationDep) -> Response:
    return mutation.respond(
        lambda session, actor: services.add_line(session, actor, order_id, body)
    )


@router.patch("/orders/{order_id}/lines/{line_id}")
def update_line(order_id: str, line_id: str, body: LinePatch, mutation: MutationDep) -> Response:
    return mutation.respond(
        lambda session, actor: services.update_line(session, actor, order_id, line_id, body)
    )


@router.delete("/orders/{order_id}/lines/{line_id}")
def remove_line(order_id: str, line_id: str, mutation: MutationDep) -> Response:
    return mutation.respond(
        lambda session, actor: services.remove_line(session, actor, order_id, line_id)
    )


@router.post("/orders/{order_id}/payments")
def add_payment(order_id: str, body: PaymentIn, mutation: MutationDep) -> Response:
    return mutation.respond(
        lambda session, actor: services.add_payment(
            session, actor, order_id, body.mode, body.amount
        )
    )


@router.delete("/orders/{order_id}/payments/{payment_id}")
def remove_payment(order_id: str, payment_id: str, mutation: MutationDep) -> Response:
    return mutation.respond(
        lambda session, actor: services.remove_payment(session, actor, order_id, payment_id)
    )


@router.post("/orders/{order_id}/cancel")
def cancel_order(order_id: str, mutation: MutationDep) -> Response:
    return mutation.respond(lambda session, actor: services.cancel_order(session, actor, order_id))


@router.post("/orders/{order_id}/validate")
async def validate_order(order_id: str, mutation: MutationDep) -> Response:
    """Number and seal the order and its payments. The answer carries the sealed record and the
    shop's chain heads, which the till keeps to notice a server that goes backwards."""
    status, body, replayed = await mutation.services.validations.seal(
        mutation.device_token, mutation.session_token, order_id, mutation.key, mutation.fingerprint
    )
    if not replayed:
        mutation.services.metrics.validated()
    return mutation.reply(status, body, replayed=replayed)


@router.post("/orders/{order_id}/refund", status_code=201)
def refund_order(order_id: str, body: RefundIn, mutation: MutationDep) -> Response:
    """An open corrective order cancelling a validated one (managers)."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        correction = services.refund_order(session, actor, order_id, body.register_id)
        journal(
            session,
            keys,
            actor.shop_id,
            EventKind.CORRECTION_OPENED,
            {
                "order_id": correction["id"],
                "corrects_order_id": order_id,
                "corrects_public_number": services.get_row(session, actor, order_id).public_number,
            },
            actor=actor,
            register_id=body.register_id,
        )
        return correction

    return mutation.respond(produce, status=201)


@router.post("/drafts/import")
def import_drafts(body: DraftBatchIn, mutation: MutationDep) -> Response:
    """Open orders from drafts made offline, one result per draft, idempotent by draft id."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        results = services.import_drafts(session, actor, body.drafts)
        counts = Counter(result["status"] for result in results)
        journal(
            session,
            keys,
            actor.shop_id,
            EventKind.DRAFTS_IMPORTED,
            {
                "drafts": len(results),
                "imported": counts["imported"],
                "already_imported": counts["already_imported"],
                "rejected": counts["rejected"],
                "late": sum(1 for result in results if result.get("late")),
            },
            actor=actor,
        )
        return {"results": results}

    return mutation.respond(produce)
