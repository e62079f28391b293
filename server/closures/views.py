"""Closure routes: a register's Z and X, and the shop's sealed closings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.services import Actor
from server.closures import services
from server.closures.models import ClosureKind, ClosureRow
from server.deps import MutationDep, ReaderDep
from server.mail.services import queue_z_copy
from server.mail.views import SenderDep
from server.orders.schemas import Strict
from server.registers.services import register_json, register_states
from till.money import from_json_amount
from till.timestamps import utc_now

router = APIRouter(tags=["closures"])


class CloseIn(Strict):
    counted: dict[str, str] = Field(
        max_length=50, description='What was counted per payment mode: {"cash": "412.30"}'
    )
    float_left: str = Field(max_length=20, description="Cash left in the drawer for next time")


@router.post("/registers/{register_id}/close")
def close_register(
    register_id: str, body: CloseIn, mutation: MutationDep, sender: SenderDep
) -> Response:
    """The Z: expected and counted amounts per payment mode, sealed; the register is closed."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        counted = {code: from_json_amount(amount) for code, amount in body.counted.items()}
        closing = services.close_register(
            session, keys, actor, register_id, counted, from_json_amount(body.float_left)
        )
        queue_z_copy(session, actor.shop_id, closing.record)
        state = next(
            state
            for state in register_states(session, actor.shop_id, utc_now())
            if state.register.id == register_id
        )
        return {"register": register_json(state), "closure": closing.record.as_json()}

    # Its copy by e-mail, queued with it, leaves at once rather than at the sender's next tick.
    return mutation.respond(produce, on_commit=sender.wake)


@router.post("/registers/{register_id}/x-report")
def x_report(register_id: str, mutation: MutationDep) -> Response:
    """The X: the Z's figures so far, nothing closed. Journaled, not sealed as a closure."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        figures, event = services.x_report(session, keys, actor, register_id)
        return {**figures, "event": {"seq": event.seq, "hash": event.hash}}

    return mutation.respond(produce)


@router.get("/closures")
def list_closures(
    reader: ReaderDep,
    kind: ClosureKind | None = None,
    register_id: Annotated[str | None, Query(max_length=40)] = None,
    before_seq: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The shop's sealed closures, newest first, each the record itself."""
    query = select(ClosureRow.seq).where(ClosureRow.shop_id == reader.actor.shop_id)
    if kind is not None:
        query = query.where(ClosureRow.kind == kind.value)
    if register_id is not None:
        query = query.where(ClosureRow.register_id == register_id)
    if before_seq is not None:
        query = query.where(ClosureRow.seq < before_seq)
    seqs = reader.session.scalars(query.order_by(ClosureRow.seq.desc()).limit(limit)).all()
    return [services.closure_json(reader.session, reader.actor.shop_id, seq) for seq in seqs]


@router.get("/closures/{seq}")
def get_closure(seq: Annotated[int, Path(ge=1, le=2**31 - 1)], reader: ReaderDep) -> Any:
    return services.closure_json(reader.session, reader.actor.shop_id, seq)
