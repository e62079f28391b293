"""Enrollment of tills, log-in and log-out, users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy import select

from server.accounts import services
from server.accounts.models import Role, User
from server.accounts.services import ADMINS, MANAGERS, Actor, UserLocked
from server.deps import (
    EnrolledDep,
    Mutation,
    MutationDep,
    ReaderDep,
    ServicesDep,
    SessionCredentials,
    WriteSession,
)
from server.errors import Forbidden, Invalid, Unauthorized
from server.journal.services import EventKind, journal
from server.orders.schemas import Strict
from server.shops.models import get_shop
from server.shops.views import shop_json
from till.timestamps import to_utc_iso

router = APIRouter(tags=["accounts"])


class EnrollIn(Strict):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)


class LoginIn(Strict):
    user_id: str = Field(min_length=1, max_length=40)
    pin: str = Field(min_length=1, max_length=40)


class UserIn(Strict):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=100)
    role: Role
    pin: str = Field(min_length=1, max_length=40)


class UserPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = None
    pin: str | None = Field(default=None, min_length=1, max_length=40)
    active: bool | None = None


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "role": user.role, "active": user.active}


@router.post("/devices/enroll", status_code=201)
def enroll(body: EnrollIn, mutation: MutationDep) -> Response:
    """Enroll this till with a one-time code from a manager; the device token is shown once."""
    with mutation.services.database.writer() as session:

        def produce() -> dict[str, Any]:
            device, token = services.enroll(session, body.code, body.name)
            shop = get_shop(session, device.shop_id)
            return {"device_id": device.id, "device_token": token, "shop": shop_json(shop)}

        return mutation.answer(session, "enroll", produce, status=201, secret=True)


@router.post("/sessions", status_code=201)
def log_in(body: LoginIn, mutation: MutationDep) -> Response:
    """Log a user in on this till with their PIN; the session token lasts a few hours."""
    settings, keys = mutation.services.settings, mutation.services.keys
    with mutation.services.database.writer() as session:
        device = services.device_for(session, mutation.device_token)

        def produce() -> dict[str, Any]:
            user, row, token = services.log_in(session, settings, device, body.user_id, body.pin)
            actor = Actor(device.shop_id, user.id, user.name, Role(user.role), device.id)
            journal(session, keys, device.shop_id, EventKind.LOGIN, {}, actor=actor)
            return {
                "session_token": token,
                "expires_at": to_utc_iso(row.expires_at),
                "user": user_json(user),
                "shop_id": device.shop_id,
            }

        try:
            return mutation.answer(session, device.id, produce, status=201, secret=True)
        except (Unauthorized, UserLocked) as error:
            # The wrong PIN counts and is journaled, even though the answer is an error.
            journal(
                session,
                keys,
                device.shop_id,
                EventKind.PIN_FAILED,
                {
                    "user_id": body.user_id,
                    "device_id": device.id,
                    "locked": isinstance(error, UserLocked),
                },
            )
            session.commit()
            raise


@router.delete("/sessions/current", status_code=204)
def log_out(session: WriteSession, credentials: SessionCredentials, app: ServicesDep) -> Response:
    """End this session; ending an ended or unknown session is not an error."""
    if credentials is not None:
        ended = services.log_out(session, credentials.credentials)
        if ended is not None:
            user = services.get_user(session, ended.shop_id, ended.user_id)
            actor = Actor(ended.shop_id, user.id, user.name, Role(user.role), ended.device_id)
            journal(session, app.keys, ended.shop_id, EventKind.LOGOUT, {}, actor=actor)
        session.commit()
    return Response(status_code=204)


@router.get("/me")
def me(reader: ReaderDep) -> dict[str, Any]:
    actor = reader.actor
    return {
        "shop_id": actor.shop_id,
        "user": {"id": actor.user_id, "name": actor.user_name, "role": actor.role.value},
        "device_id": actor.device_id,
    }


@router.get("/users")
def list_users(enrolled: EnrolledDep) -> list[dict[str, Any]]:
    """The shop's active users, for the log-in screen of an enrolled till."""
    users = enrolled.session.scalars(
        select(User)
        .where(User.shop_id == enrolled.device.shop_id, User.active.is_(True))
        .order_by(User.name)
    )
    return [user_json(user) for user in users]


@router.post("/enrollment-codes", status_code=201)
def new_enrollment_code(mutation: MutationDep) -> Response:
    """A one-time code that enrolls one more till of this shop."""
    settings = mutation.services.settings

    def produce(session: Any, actor: Actor) -> dict[str, Any]:
        code, expires = services.new_enrollment_code(
            session, settings, actor.shop_id, actor.user_id
        )
        return {"code": code, "expires_at": to_utc_iso(expires)}

    with mutation.services.database.writer() as session:
        actor = services.actor_for(session, mutation.device_token, mutation.session_token)
        actor.require(MANAGERS, "enroll tills")
        return mutation.answer(
            session, actor.device_id, lambda: produce(session, actor), status=201, secret=True
        )


@router.post("/users", status_code=201)
def add_user(body: UserIn, mutation: MutationDep) -> Response:
    def produce(session: Any, actor: Actor) -> dict[str, Any]:
        _check_may_grant(actor, body.role)
        user = services.add_user(
            session,
            actor.shop_id,
            body.id,
            body.name,
            body.role,
            body.pin,
            mutation.services.settings.pin_cost,
        )
        _journal_user(mutation, session, actor, user, ["created"])
        return user_json(user)

    return mutation.respond(produce, status=201, roles=MANAGERS)


@router.patch("/users/{user_id}")
def change_user(user_id: str, body: UserPatch, mutation: MutationDep) -> Response:
    def produce(session: Any, actor: Actor) -> dict[str, Any]:
        user = services.get_user(session, actor.shop_id, user_id)
        _check_may_grant(actor, Role(user.role))
        changes: list[str] = [
            name for name in ("name", "role", "active") if name in body.model_fields_set
        ]
        if body.pin is not None:
            changes.append("pin")  # that it changed, never the PIN
        if body.role is not None:
            _check_may_grant(actor, body.role)
            user.role = body.role.value
        if body.name is not None:
            user.name = body.name
        if body.pin is not None:
            user.pin_hash = services.hash_pin(body.pin, mutation.services.settings.pin_cost)
            user.failed_pins, user.locked_until = 0, None
        if body.active is not None:
            if user.id == actor.user_id and not body.active:
                raise Invalid("You cannot deactivate yourself.")
            user.active = body.active
        _journal_user(mutation, session, actor, user, changes)
        return user_json(user)

    return mutation.respond(produce, roles=MANAGERS)


def _journal_user(
    mutation: Mutation, session: Any, actor: Actor, user: User, changes: list[str]
) -> None:
    journal(
        session,
        mutation.services.keys,
        actor.shop_id,
        EventKind.USER_CHANGED,
        {"user_id": user.id, "changes": changes, **user_json(user)},
        actor=actor,
    )


def _check_may_grant(actor: Actor, role: Role) -> None:
    if role is Role.ADMIN and actor.role not in ADMINS:
        raise Forbidden("Only an administrator may manage administrators.")
