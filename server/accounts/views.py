"""Enrollment of tills, log-in and log-out, users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy import select

from server.accounts import services
from server.accounts.models import Role, User
from server.accounts.services import ADMINS, MANAGERS, Actor, UserLocked
from server.deps import EnrolledDep, MutationDep, ReaderDep, SessionCredentials, WriteSession
from server.errors import Forbidden, Invalid, Unauthorized
from server.orders.schemas import Strict
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
            shop = services.get_shop(session, device.shop_id)
            return {"device_id": device.id, "device_token": token, "shop": shop_json(shop)}

        return mutation.answer(session, "enroll", produce, status=201, secret=True)


@router.post("/sessions", status_code=201)
def log_in(body: LoginIn, mutation: MutationDep) -> Response:
    """Log a user in on this till with their PIN; the session token lasts a few hours."""
    settings = mutation.services.settings
    with mutation.services.database.writer() as session:
        device = services.device_for(session, mutation.device_token)

        def produce() -> dict[str, Any]:
            user, row, token = services.log_in(session, settings, device, body.user_id, body.pin)
            return {
                "session_token": token,
                "expires_at": to_utc_iso(row.expires_at),
                "user": user_json(user),
                "shop_id": device.shop_id,
            }

        try:
            return mutation.answer(session, device.id, produce, status=201, secret=True)
        except (Unauthorized, UserLocked):
            session.commit()  # the wrong PIN counts, even though the answer is an error
            raise


@router.delete("/sessions/current", status_code=204)
def log_out(session: WriteSession, credentials: SessionCredentials) -> Response:
    """End this session; ending an ended or unknown session is not an error."""
    if credentials is not None:
        services.log_out(session, credentials.credentials)
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
        return user_json(
            services.add_user(
                session,
                actor.shop_id,
                body.id,
                body.name,
                body.role,
                body.pin,
                mutation.services.settings.pin_cost,
            )
        )

    return mutation.respond(produce, status=201, roles=MANAGERS)


@router.patch("/users/{user_id}")
def change_user(user_id: str, body: UserPatch, mutation: MutationDep) -> Response:
    def produce(session: Any, actor: Actor) -> dict[str, Any]:
        user = services.get_user(session, actor.shop_id, user_id)
        _check_may_grant(actor, Role(user.role))
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
        return user_json(user)

    return mutation.respond(produce, roles=MANAGERS)


def _check_may_grant(actor: Actor, role: Role) -> None:
    if role is Role.ADMIN and actor.role not in ADMINS:
        raise Forbidden("Only an administrator may manage administrators.")
