"""Register routes: state, opening with the float, cash in and out; the Z and X live in
`server.closures.views`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy.orm import Session

from server.accounts.services import Actor
from server.deps import MutationDep, ReaderDep
from server.orders.schemas import Strict
from server.registers import services
from till.money import from_json_amount
from till.timestamps import utc_now

router = APIRouter(prefix="/registers", tags=["registers"])


class OpenIn(Strict):
    float: str = Field(max_length=20, description='The cash counted in the drawer, "150.00"')


class CashMovementIn(Strict):
    kind: Literal["in", "out"]
    amount: str = Field(max_length=20, description='Positive, "20.00"')
    reason: str = Field(min_length=1, max_length=200)


def _state(session: Session, actor: Actor, register_id: str) -> dict[str, Any]:
    for state in services.register_states(session, actor.shop_id, utc_now()):
        if state.register.id == register_id:
            return services.register_json(state)
    raise AssertionError("the register was checked before")


@router.get("")
def list_registers(reader: ReaderDep) -> list[dict[str, Any]]:
    """The shop's registers: open or closed, since when, and whether a Z is due."""
    states = services.register_states(reader.session, reader.actor.shop_id, utc_now())
    return [services.register_json(state) for state in states]


@router.get("/{register_id}/cash-movements")
def list_cash_movements(register_id: str, reader: ReaderDep) -> list[dict[str, Any]]:
    """The cash put into or taken out of the register's drawer since it was opened, oldest first;
    none while it is closed."""
    return [
        services.movement_json(movement)
        for movement in services.period_movements(reader.session, reader.actor.shop_id, register_id)
    ]


@router.post("/{register_id}/open")
def open_register(register_id: str, body: OpenIn, mutation: MutationDep) -> Response:
    """Open the register with the float counted in its drawer."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        counted = from_json_amount(body.float)
        services.open_register(session, keys, actor, register_id, counted)
        return _state(session, actor, register_id)

    return mutation.respond(produce)


@router.post("/{register_id}/cash-movements", status_code=201)
def move_cash(register_id: str, body: CashMovementIn, mutation: MutationDep) -> Response:
    """Cash put into or taken out of the drawer, with its reason; counted in the Z."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        movement = services.move_cash(
            session,
            keys,
            actor,
            register_id,
            body.kind,
            from_json_amount(body.amount),
            body.reason,
        )
        return services.movement_json(movement)

    return mutation.respond(produce, status=201)
