"""Opening a register, cash in and out, and the checks before an order is made or sealed
(seed 000 §3.2, `article_add_check.php`: the register is open, and the shop's closure obligation
is met, a day starting at the shop's opening hour)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.services import WRITERS, Actor
from server.db import lock_shop
from server.errors import Conflict, Invalid, NotFound
from server.journal.services import EventKind, journal
from server.registers.models import CashMovement, RegisterPeriod
from server.sealing.keys import KeyStore
from server.shops.models import Register, Shop, get_shop
from till import periods
from till.money import to_json_amount
from till.timestamps import as_utc, to_utc_iso, utc_now


class RegisterClosed(Conflict):
    code = "register_closed"


class ClosureOverdue(Conflict):
    code = "closure_overdue"


class RegisterAlreadyOpen(Conflict):
    code = "register_open"


def business_day(shop: Shop, moment: datetime) -> date:
    """The shop's business day of a moment: a day starts at the shop's opening hour."""
    return periods.business_day(moment, shop.timezone, shop.opening_hour)


def get_register(session: Session, shop_id: str, register_id: str) -> Register:
    register = session.get(Register, (shop_id, register_id))
    if register is None or not register.active:
        raise NotFound(f"There is no register {register_id}.")
    return register


def current_period(session: Session, shop_id: str, register_id: str) -> RegisterPeriod | None:
    return session.scalars(
        select(RegisterPeriod).where(
            RegisterPeriod.shop_id == shop_id,
            RegisterPeriod.register_id == register_id,
            RegisterPeriod.closed_at.is_(None),
        )
    ).one_or_none()


def _a_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def overdue(shop: Shop, register: Register, opened_at: datetime, now: datetime) -> str | None:
    """Why the register must be closed before anything more is sold on it, or None.

    Daily: opened on an earlier business day. Monthly: in an earlier month. Yearly: more than a
    year ago (as `article_add_check.php` has it).
    """
    opened_day, today = business_day(shop, opened_at), business_day(shop, now)
    since = f"Register {register.name} has been open since {opened_day:%d/%m/%Y}"
    if shop.closure_obligation == "daily" and opened_day < today:
        return f"{since}: close it (Z) before selling today."
    if shop.closure_obligation == "monthly" and (opened_day.year, opened_day.month) < (
        today.year,
        today.month,
    ):
        return f"{since}: close it (Z) before selling this month."
    if shop.closure_obligation == "yearly":
        local = as_utc(opened_at).astimezone(ZoneInfo(shop.timezone))
        if _a_year_after(local) < now:
            return f"{since}, more than a year: close it (Z) before selling again."
    return None


def require_selling(
    session: Session, shop: Shop, register: Register, now: datetime
) -> RegisterPeriod:
    """The register's open period, when orders may be made and sealed on it now."""
    return selling_period(shop, register, current_period(session, shop.id, register.id), now)


def selling_period(
    shop: Shop, register: Register, period: RegisterPeriod | None, now: datetime
) -> RegisterPeriod:
    """`require_selling` for the register's open period as read by the caller (or None)."""
    if period is None:
        raise RegisterClosed(f"Register {register.name} is closed: open it with its float first.")
    reason = overdue(shop, register, as_utc(period.opened_at), now)
    if reason is not None:
        raise ClosureOverdue(reason)
    return period


def last_float_left(session: Session, shop_id: str, register_id: str) -> int | None:
    return session.scalar(
        select(RegisterPeriod.float_left)
        .where(
            RegisterPeriod.shop_id == shop_id,
            RegisterPeriod.register_id == register_id,
            RegisterPeriod.closed_at.is_not(None),
        )
        .order_by(RegisterPeriod.closed_at.desc())
        .limit(1)
    )


def open_register(
    session: Session,
    keys: KeyStore,
    actor: Actor,
    register_id: str,
    counted_float: int,
    *,
    now: datetime | None = None,
) -> RegisterPeriod:
    """Open the register with the float counted in its drawer; journaled with the difference
    from the float left at the last Z."""
    actor.require(WRITERS, "open a register")
    if counted_float < 0:
        raise Invalid("A float cannot be negative.")
    register = get_register(session, actor.shop_id, register_id)
    lock_shop(session, actor.shop_id)
    now = now or utc_now()
    period = current_period(session, actor.shop_id, register_id)
    if period is not None:
        raise RegisterAlreadyOpen(
            f"Register {register.name} is already open, since {to_utc_iso(period.opened_at)}."
        )
    period = RegisterPeriod(
        id=uuid.uuid4().hex,
        shop_id=actor.shop_id,
        register_id=register_id,
        opened_at=now,
        opened_by=actor.user_id,
        float_at_opening=counted_float,
    )
    session.add(period)
    left = last_float_left(session, actor.shop_id, register_id)
    journal(
        session,
        keys,
        actor.shop_id,
        EventKind.REGISTER_OPENED,
        {
            "period_id": period.id,
            "float": to_json_amount(counted_float),
            "float_left_at_last_z": to_json_amount(left) if left is not None else None,
            "difference": to_json_amount(counted_float - left) if left is not None else None,
        },
        actor=actor,
        register_id=register_id,
        now=now,
    )
    session.flush()
    return period


MOVEMENT_KINDS = ("in", "out")


def move_cash(
    session: Session,
    keys: KeyStore,
    actor: Actor,
    register_id: str,
    kind: str,
    amount: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> CashMovement:
    """Cash put into or taken out of the drawer of an open register, with its reason."""
    actor.require(WRITERS, "put cash in or take it out")
    if kind not in MOVEMENT_KINDS:
        raise Invalid("A cash movement is `in` or `out`.")
    if amount <= 0:
        raise Invalid("A cash movement is a positive amount.")
    if not reason.strip():
        raise Invalid("Say why the cash goes in or out.")
    register = get_register(session, actor.shop_id, register_id)
    lock_shop(session, actor.shop_id)
    now = now or utc_now()
    period = current_period(session, actor.shop_id, register_id)
    if period is None:
        raise RegisterClosed(f"Register {register.name} is closed: open it first.")
    record = journal(
        session,
        keys,
        actor.shop_id,
        EventKind.CASH_MOVEMENT,
        {
            "period_id": period.id,
            "kind": kind,
            "amount": to_json_amount(amount),
            "reason": reason,
        },
        actor=actor,
        register_id=register_id,
        now=now,
    )
    movement = CashMovement(
        id=uuid.uuid4().hex,
        shop_id=actor.shop_id,
        register_id=register_id,
        period_id=period.id,
        kind=kind,
        amount=amount,
        reason=reason,
        user_id=actor.user_id,
        at=now,
        event_seq=record.seq,
    )
    session.add(movement)
    session.flush()
    return movement


@dataclass(frozen=True)
class RegisterState:
    register: Register
    period: RegisterPeriod | None
    overdue: str | None


def register_states(session: Session, shop_id: str, now: datetime) -> list[RegisterState]:
    shop = get_shop(session, shop_id)
    registers = session.scalars(
        select(Register)
        .where(Register.shop_id == shop_id, Register.active.is_(True))
        .order_by(Register.id)
    ).all()
    periods = {
        period.register_id: period
        for period in session.scalars(
            select(RegisterPeriod).where(
                RegisterPeriod.shop_id == shop_id, RegisterPeriod.closed_at.is_(None)
            )
        )
    }
    states = []
    for register in registers:
        period = periods.get(register.id)
        late = overdue(shop, register, as_utc(period.opened_at), now) if period else None
        states.append(RegisterState(register, period, late))
    return states


def register_json(state: RegisterState) -> dict[str, Any]:
    period = state.period
    return {
        "id": state.register.id,
        "name": state.register.name,
        "open": period is not None,
        "period_id": period.id if period else None,
        "opened_at": to_utc_iso(period.opened_at) if period else None,
        "opened_by": period.opened_by if period else None,
        "float": to_json_amount(period.float_at_opening) if period else None,
        "closure_due": state.overdue,
    }


def period_movements(session: Session, shop_id: str, register_id: str) -> list[CashMovement]:
    """The cash movements of the register's open period, oldest first."""
    get_register(session, shop_id, register_id)
    period = current_period(session, shop_id, register_id)
    if period is None:
        return []
    return list(
        session.scalars(
            select(CashMovement)
            .where(CashMovement.period_id == period.id)
            .order_by(CashMovement.at, CashMovement.event_seq)
        )
    )


def movement_json(movement: CashMovement) -> dict[str, Any]:
    return {
        "id": movement.id,
        "register_id": movement.register_id,
        "period_id": movement.period_id,
        "kind": movement.kind,
        "amount": to_json_amount(movement.amount),
        "reason": movement.reason,
        "user_id": movement.user_id,
        "at": to_utc_iso(movement.at),
        "event_seq": movement.event_seq,
    }
