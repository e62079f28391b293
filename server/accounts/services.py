"""Enrollment of tills, PIN log-in, sessions, and who may do what.

Secrets (PINs, device and session tokens, enrollment codes) are stored as hashes only and never
logged: a token is 32 random bytes, so a plain SHA-256 of it is enough; a PIN is short, so it is
stretched with scrypt and a salt, and repeated wrong PINs lock the user for a while.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, select, tuple_
from sqlalchemy.orm import Session

from server.accounts.models import Device, EnrollmentCode, Role, User, UserSession
from server.config import Settings
from server.errors import ApiError, Forbidden, Invalid, NotFound, Unauthorized
from till.timestamps import as_utc, utc_now

PIN_MIN, PIN_MAX = 4, 12
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed on a till
PIN_COST = 14  # scrypt's n is 2**PIN_COST; tests lower it through the settings
PIN_COST_MAX = 16
SCRYPT_MEMORY = 2 * 128 * 8 * 2**PIN_COST_MAX  # twice what the largest cost needs

# Who may change what: accountants (and tax auditors) read everything and change nothing.
WRITERS = frozenset({Role.CASHIER, Role.MANAGER, Role.ADMIN})
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
# Those who read the shop's books: its managers, and its accountant (the role tax auditors are
# given), who changes nothing.
READERS = MANAGERS | {Role.ACCOUNTANT}
ADMINS = frozenset({Role.ADMIN})


class UserLocked(ApiError):
    code = "user_locked"
    status = 423


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_pin_format(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
        raise Invalid(f"A PIN is {PIN_MIN} to {PIN_MAX} digits.")


def hash_pin(pin: str, cost: int = PIN_COST) -> str:
    check_pin_format(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**cost, r=8, p=1, maxmem=SCRYPT_MEMORY)
    return f"scrypt${cost}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, cost, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt" or not cost.isdigit() or not 1 <= int(cost) <= PIN_COST_MAX:
        return False
    computed = hashlib.scrypt(
        pin.encode(), salt=bytes.fromhex(salt), n=2 ** int(cost), r=8, p=1, maxmem=SCRYPT_MEMORY
    )
    return hmac.compare_digest(computed.hex(), digest)


def new_enrollment_code(
    session: Session, settings: Settings, shop_id: str, created_by: str | None
) -> tuple[str, datetime]:
    """A one-time code to enroll one till, valid for a day by default."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    code = f"{raw[:5]}-{raw[5:]}"
    now = utc_now()
    expires = now + timedelta(hours=settings.enrollment_code_hours)
    session.add(
        EnrollmentCode(
            code_hash=token_hash(_normal_code(code)),
            shop_id=shop_id,
            created_by=created_by,
            created_at=now,
            expires_at=expires,
        )
    )
    return code, expires


def _normal_code(code: str) -> str:
    return "".join(code.upper().split()).replace("-", "")


def enroll(session: Session, code: str, name: str) -> tuple[Device, str]:
    """Spend a one-time code: a new device and its token, shown this once."""
    row = session.get(EnrollmentCode, token_hash(_normal_code(code)), with_for_update=True)
    now = utc_now()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        raise Unauthorized(
            "This enrollment code is unknown, already used or expired; ask a manager for a new one."
        )
    row.used_at = now
    token = secrets.token_urlsafe(32)
    device = Device(
        id=uuid.uuid4().hex,
        shop_id=row.shop_id,
        name=name,
        token_hash=token_hash(token),
        enrolled_at=now,
        enrolled_by=row.created_by,
    )
    session.add(device)
    return device, token


def device_for(session: Session, token: str | None) -> Device:
    if not token:
        raise Unauthorized("This till is not enrolled: enroll it with a code from a manager.")
    device = session.scalars(select(Device).where(Device.token_hash == token_hash(token))).first()
    if device is None or device.revoked_at is not None:
        raise Unauthorized("This till's enrollment is unknown or revoked: enroll it again.")
    return device


def log_in(
    session: Session, settings: Settings, device: Device, user_id: str, pin: str
) -> tuple[User, UserSession, str]:
    """Check the PIN of a user of the device's shop; a session token on success.

    Each wrong PIN is counted (and committed by the caller even though the answer is an error);
    after `pin_attempts` in a row the user is locked for `pin_lock_minutes`.
    """
    user = session.get(User, (device.shop_id, user_id), with_for_update=True)
    if user is None or not user.active:
        raise Unauthorized("Unknown user or wrong PIN.")
    now = utc_now()
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        raise UserLocked(_locked_message(as_utc(user.locked_until), now))
    if not pin_matches(pin, user.pin_hash):
        user.failed_pins += 1
        if user.failed_pins >= settings.pin_attempts:
            user.failed_pins = 0
            user.locked_until = now + timedelta(minutes=settings.pin_lock_minutes)
            raise UserLocked(_locked_message(user.locked_until, now))
        raise Unauthorized("Unknown user or wrong PIN.")
    user.failed_pins = 0
    user.locked_until = None
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=token_hash(token),
        shop_id=device.shop_id,
        user_id=user.id,
        device_id=device.id,
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    session.add(row)
    return user, row, token


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    return f"Too many wrong PINs: this user is locked for {minutes} more minute(s)."


def log_out(session: Session, token: str) -> UserSession | None:
    """End the session; the session ended, or None when it was unknown or already ended."""
    row = session.get(UserSession, token_hash(token))
    if row is None or row.ended_at is not None:
        return None
    row.ended_at = utc_now()
    return row


@dataclass(frozen=True)
class Actor:
    """Who is asking: a user logged in on an enrolled till of a shop."""

    shop_id: str
    user_id: str
    user_name: str
    role: Role
    device_id: str

    @property
    def can_write(self) -> bool:
        return self.role in WRITERS

    def require(self, roles: frozenset[Role], what: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"Your role ({self.role.value}) may not {what}.")


# Who is asking, in one query: the session by its token, with its device and its user. Columns of
# the tables rather than of the mapped classes: it runs without the ORM's machinery, as it does
# for every request.
_DEVICES, _SESSIONS, _USERS = (
    cast(Table, model.__table__) for model in (Device, UserSession, User)
)
_SIGNED_IN = (
    select(
        _DEVICES.c.id.label("device_id"),
        _DEVICES.c.token_hash.label("device_hash"),
        _DEVICES.c.shop_id,
        _DEVICES.c.revoked_at,
        _SESSIONS.c.token_hash.label("session_hash"),
        _SESSIONS.c.ended_at,
        _SESSIONS.c.expires_at,
        _USERS.c.id.label("user_id"),
        _USERS.c.name,
        _USERS.c.role,
        _USERS.c.active,
    )
    .select_from(_SESSIONS)
    .join(_DEVICES, _DEVICES.c.id == _SESSIONS.c.device_id)
    .join(_USERS, (_USERS.c.shop_id == _SESSIONS.c.shop_id) & (_USERS.c.id == _SESSIONS.c.user_id))
)
_ACTOR = _SIGNED_IN.where(
    _SESSIONS.c.token_hash == bindparam("session_hash"),
    _DEVICES.c.token_hash == bindparam("device_hash"),
)
# Several at once, by (device token hash, session token hash).
_ACTORS = _SIGNED_IN.where(
    tuple_(_DEVICES.c.token_hash, _SESSIONS.c.token_hash).in_(bindparam("pairs", expanding=True))
)


def _signed_in(found: Row[*tuple[Any, ...]] | None, now: datetime) -> Actor | None:
    """The actor of a session found and valid now, or None."""
    if (
        found is None
        or found.revoked_at is not None
        or found.ended_at is not None
        or as_utc(found.expires_at) <= now
        or not found.active
    ):
        return None
    return Actor(found.shop_id, found.user_id, found.name, Role(found.role), found.device_id)


def actor_for(session: Session, device_token: str | None, session_token: str | None) -> Actor:
    """The user logged in with `session_token` on the till holding `device_token`: one query
    when all is well; when not, the checks one by one, to say what is wrong."""
    if not session_token:
        raise Unauthorized("Log in with your PIN first.")
    if device_token:
        found = session.execute(
            _ACTOR,
            {"session_hash": token_hash(session_token), "device_hash": token_hash(device_token)},
        ).first()
        actor = _signed_in(found, utc_now())
        if actor is not None:
            return actor
    device = device_for(session, device_token)
    row = session.execute(
        select(UserSession, User)
        .join(User, (User.shop_id == UserSession.shop_id) & (User.id == UserSession.user_id))
        .where(UserSession.token_hash == token_hash(session_token))
    ).first()
    if row is None:
        raise Unauthorized("Your session is unknown: log in again.")
    user_session, user = row
    if (
        user_session.device_id != device.id
        or user_session.ended_at is not None
        or as_utc(user_session.expires_at) <= utc_now()
        or not user.active
    ):
        raise Unauthorized("Your session has ended: log in again.")
    return Actor(device.shop_id, user.id, user.name, Role(user.role), device.id)


def actors_for(
    session: Session, tokens: Sequence[tuple[str | None, str | None]]
) -> list[Actor | ApiError]:
    """`actor_for` each (device token, session token): who is asking, or why not; one query for
    them all when all is well."""
    pairs = [
        (token_hash(device), token_hash(user)) if device and user else None
        for device, user in tokens
    ]
    wanted = [pair for pair in pairs if pair is not None]
    found = (
        {
            (row.device_hash, row.session_hash): row
            for row in session.execute(_ACTORS, {"pairs": wanted})
        }
        if wanted
        else {}
    )
    now = utc_now()
    actors: list[Actor | ApiError] = []
    for (device_token, session_token), pair in zip(tokens, pairs, strict=True):
        actor = _signed_in(found.get(pair), now) if pair is not None else None
        if actor is None:
            try:
                actor = actor_for(session, device_token, session_token)
            except ApiError as error:
                actors.append(error)
                continue
        actors.append(actor)
    return actors


def add_user(
    session: Session,
    shop_id: str,
    user_id: str,
    name: str,
    role: Role,
    pin: str,
    pin_cost: int = PIN_COST,
) -> User:
    if session.get(User, (shop_id, user_id)) is not None:
        raise Invalid(f"There is already a user {user_id}.")
    user = User(
        shop_id=shop_id,
        id=user_id,
        name=name,
        role=role.value,
        pin_hash=hash_pin(pin, pin_cost),
        active=True,  # set here, not left to the column default: the answer shows it unflushed
    )
    session.add(user)
    return user


def get_user(session: Session, shop_id: str, user_id: str) -> User:
    user = session.get(User, (shop_id, user_id))
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user
