"""Z and X of a register, and the shop's daily, monthly and yearly closings (seed 000 §3.5).

Every figure is computed from the sealed records themselves (order and payment chains), never
from the editable tables, so a closure says what the chains say. A Z and a shop closing are
sealed on the `closure` chain with the head of every chain at that moment, which later shows
whether records were removed from the end of a chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from server.accounts.services import WRITERS, Actor
from server.catalog.models import PaymentModeRow
from server.closures.models import ClosureKind, ClosureRow
from server.db import lock_shop
from server.errors import Invalid, NotFound
from server.journal.services import EventKind, append_event
from server.orders.models import OrderRow, OrderStatus, PaymentRow
from server.registers.models import CashMovement, RegisterPeriod
from server.registers.services import (
    RegisterClosed,
    business_day,
    current_period,
    get_register,
    movement_json,
)
from server.sealing.keys import KeyStore
from server.sealing.models import SealedRecordRow
from server.sealing.services import Sealer, stored_record
from server.shops.models import get_shop
from till.fiscal.records import ChainHead, SealedRecord
from till.money import from_json_amount, parse_rate, to_json_amount, to_json_rate
from till.timestamps import to_utc_iso, utc_now

# A business day is closed a little after it ends, so that a sale sealed at its last second by
# another server process (clocks a few seconds apart) is never left out of it.
CLOSING_MARGIN = timedelta(minutes=1)


@dataclass
class Figures:
    """Totals of a set of sealed orders and their sealed payments."""

    sales_count: int = 0
    refunds_count: int = 0
    sales_total: int = 0
    refunds_total: int = 0  # zero or negative
    vat: dict[Decimal, list[int]] = field(default_factory=dict)  # rate: [excl, vat, incl]
    modes: dict[str, list[Any]] = field(default_factory=dict)  # code: [label, net amount]

    @property
    def period_total(self) -> int:
        return self.sales_total + self.refunds_total

    def add_order(self, record: Mapping[str, Any]) -> None:
        total = from_json_amount(record["final_price"])
        if total < 0 or record.get("is_refund"):
            self.refunds_count += 1
            self.refunds_total += total
        else:
            self.sales_count += 1
            self.sales_total += total
        for row in record["vat"]:
            sums = self.vat.setdefault(parse_rate(row["rate"]), [0, 0, 0])
            sums[0] += from_json_amount(row["excl"])
            sums[1] += from_json_amount(row["vat"])
            sums[2] += from_json_amount(row["incl"])

    def add_payment(self, record: Mapping[str, Any]) -> None:
        """What stayed in the till: the amount tendered less the change given back."""
        net = from_json_amount(record["amount"]) - from_json_amount(record.get("change", "0.00"))
        self.modes.setdefault(record["mode"], [record["mode_label"], 0])[1] += net

    def merge(self, other: Figures) -> None:
        self.sales_count += other.sales_count
        self.refunds_count += other.refunds_count
        self.sales_total += other.sales_total
        self.refunds_total += other.refunds_total
        for rate, sums in other.vat.items():
            mine = self.vat.setdefault(rate, [0, 0, 0])
            for index in range(3):
                mine[index] += sums[index]
        for code, (label, amount) in other.modes.items():
            self.modes.setdefault(code, [label, 0])[1] += amount

    def as_json(self) -> dict[str, Any]:
        return {
            "sales_count": self.sales_count,
            "refunds_count": self.refunds_count,
            "sales_total": to_json_amount(self.sales_total),
            "refunds_total": to_json_amount(self.refunds_total),
            "period_total": to_json_amount(self.period_total),
            "vat": [
                {
                    "rate": to_json_rate(rate),
                    "excl": to_json_amount(sums[0]),
                    "vat": to_json_amount(sums[1]),
                    "incl": to_json_amount(sums[2]),
                }
                for rate, sums in sorted(self.vat.items(), reverse=True)
            ],
            "payments": [
                {"mode": code, "label": label, "amount": to_json_amount(amount)}
                for code, (label, amount) in sorted(self.modes.items())
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figures:
        return cls(
            sales_count=data["sales_count"],
            refunds_count=data["refunds_count"],
            sales_total=from_json_amount(data["sales_total"]),
            refunds_total=from_json_amount(data["refunds_total"]),
            vat={
                parse_rate(row["rate"]): [
                    from_json_amount(row["excl"]),
                    from_json_amount(row["vat"]),
                    from_json_amount(row["incl"]),
                ]
                for row in data["vat"]
            },
            modes={
                row["mode"]: [row["label"], from_json_amount(row["amount"])]
                for row in data["payments"]
            },
        )


# Seqs per statement when records are read by seq: under every database's parameter limit.
SEQ_BATCH = 500


def _bodies(session: Session, shop_id: str, chain: str, seqs: list[int]) -> Iterator[str]:
    """The stored records of a chain at these seqs, in seq order. Read by seq, the orders
    table leading: the planner never scans the whole chain for one day."""
    for start in range(0, len(seqs), SEQ_BATCH):
        yield from session.scalars(
            select(SealedRecordRow.body)
            .where(
                SealedRecordRow.shop_id == shop_id,
                SealedRecordRow.chain == chain,
                SealedRecordRow.seq.in_(seqs[start : start + SEQ_BATCH]),
            )
            .order_by(SealedRecordRow.seq)
        )


def figures_of(session: Session, shop_id: str, condition: Any) -> Figures:
    """The figures of the shop's validated orders that match `condition` (on `OrderRow`)."""
    validated = and_(
        OrderRow.shop_id == shop_id, OrderRow.status == OrderStatus.VALIDATED, condition
    )
    order_seqs = session.scalars(
        select(OrderRow.internal_number).where(validated).order_by(OrderRow.internal_number)
    ).all()
    payment_seqs = session.scalars(
        select(PaymentRow.record_seq)
        .join(OrderRow, OrderRow.id == PaymentRow.order_id)
        .where(validated)
        .order_by(PaymentRow.record_seq)
    ).all()
    figures = Figures()
    for body in _bodies(session, shop_id, "order", [seq for seq in order_seqs if seq]):
        figures.add_order(orjson.loads(body))
    for body in _bodies(session, shop_id, "payment", [seq for seq in payment_seqs if seq]):
        figures.add_payment(orjson.loads(body))
    return figures


def _heads_json(heads: Mapping[str, ChainHead]) -> dict[str, Any]:
    return {chain: {"seq": head.seq, "hash": head.hash} for chain, head in heads.items()}


# ---------------------------------------------------------------------------- register Z and X


def _drawer_mode(modes: list[PaymentModeRow]) -> PaymentModeRow | None:
    """The mode the float and cash movements belong to: the first that gives change (cash)."""
    return next((mode for mode in modes if mode.gives_change), None)


def _register_fields(
    session: Session,
    actor: Actor,
    register_id: str,
    period: RegisterPeriod,
    now: datetime,
    counted: Mapping[str, int] | None,
    float_left: int | None,
) -> tuple[str | None, dict[str, Any]]:
    """The figures of a register's period so far, a Z's fields or an X's; with the code of the
    mode the float belongs to."""
    register = get_register(session, actor.shop_id, register_id)
    figures = figures_of(session, actor.shop_id, OrderRow.period_id == period.id)
    movements = session.scalars(
        select(CashMovement).where(CashMovement.period_id == period.id).order_by(CashMovement.at)
    ).all()
    cash_in = sum(movement.amount for movement in movements if movement.kind == "in")
    cash_out = sum(movement.amount for movement in movements if movement.kind == "out")
    modes = session.scalars(
        select(PaymentModeRow)
        .where(PaymentModeRow.shop_id == actor.shop_id)
        .order_by(PaymentModeRow.position)
    ).all()
    labels = {mode.code: mode.label for mode in modes}
    expected = {code: amount for code, (_label, amount) in figures.modes.items()}
    drawer = _drawer_mode(list(modes))
    drawer_code = drawer.code if drawer is not None else None
    if drawer is not None:
        expected[drawer.code] = (
            expected.get(drawer.code, 0) + period.float_at_opening + cash_in - cash_out
        )
    counted = dict(counted or {})
    unknown = sorted(set(counted) - set(labels))
    if unknown:
        raise Invalid(f"There is no payment mode {', '.join(unknown)}.")
    order = [mode.code for mode in modes] + sorted(set(expected) - set(labels))
    rows = []
    for code in order:
        if code not in expected and code not in counted:
            continue
        amount = expected.get(code, 0)
        row: dict[str, Any] = {
            "mode": code,
            "label": labels.get(code) or figures.modes[code][0],
            "expected": to_json_amount(amount),
            "counted": None,
            "difference": None,
        }
        if code in counted:
            row["counted"] = to_json_amount(counted[code])
            row["difference"] = to_json_amount(counted[code] - amount)
        rows.append(row)
    previous = session.execute(
        select(ClosureRow.grand_total, func.count().over())
        .where(
            ClosureRow.shop_id == actor.shop_id,
            ClosureRow.kind == ClosureKind.REGISTER,
            ClosureRow.register_id == register_id,
        )
        .order_by(ClosureRow.seq.desc())
        .limit(1)
    ).first()
    previous_total, z_count = (previous[0], previous[1]) if previous else (0, 0)
    return drawer_code, {
        "type": "register_z",
        "register_id": register_id,
        "register_name": register.name,
        "z_number": z_count + 1,
        "period_id": period.id,
        "opened_at": to_utc_iso(period.opened_at),
        "opened_by": period.opened_by,
        "closed_at": to_utc_iso(now),
        "closed_by": actor.user_id,
        "closed_by_name": actor.user_name,
        **figures.as_json(),
        "modes": rows,
        "cash_movements": [
            {key: value for key, value in movement_json(movement).items() if key != "period_id"}
            for movement in movements
        ],
        "cash_in": to_json_amount(cash_in),
        "cash_out": to_json_amount(cash_out),
        "float_at_opening": to_json_amount(period.float_at_opening),
        "float_left": to_json_amount(float_left) if float_left is not None else None,
        "previous_grand_total": to_json_amount(previous_total),
        "grand_total": to_json_amount(previous_total + figures.period_total),
    }


def _open_period(session: Session, actor: Actor, register_id: str) -> RegisterPeriod:
    register = get_register(session, actor.shop_id, register_id)
    period = current_period(session, actor.shop_id, register_id)
    if period is None:
        raise RegisterClosed(f"Register {register.name} is not open.")
    return period


@dataclass(frozen=True)
class Closing:
    record: SealedRecord
    event: SealedRecord


def close_register(
    session: Session,
    keys: KeyStore,
    actor: Actor,
    register_id: str,
    counted: Mapping[str, int],
    float_left: int,
    *,
    now: datetime | None = None,
) -> Closing:
    """The Z: seal the period's figures with what was counted, and close the register."""
    actor.require(WRITERS, "close a register")
    if float_left < 0 or any(amount < 0 for amount in counted.values()):
        raise Invalid("Counted amounts and the float left cannot be negative.")
    lock_shop(session, actor.shop_id)
    now = now or utc_now()
    period = _open_period(session, actor, register_id)
    drawer, fields = _register_fields(session, actor, register_id, period, now, counted, float_left)
    missing = [
        row["label"]
        for row in fields["modes"]
        if row["counted"] is None and from_json_amount(row["expected"]) != 0
    ]
    if missing:
        raise Invalid(f"Count {', '.join(missing)} too before closing the register.")
    cash = counted.get(drawer) if drawer is not None else None
    if cash is not None and float_left > cash:
        raise Invalid(
            f"The float left ({to_json_amount(float_left)} €) is more than the cash counted "
            f"({to_json_amount(cash)} €)."
        )
    with Sealer(session, keys, actor.shop_id) as sealer:
        fields["chain_heads"] = _heads_json(sealer.heads())
        record = sealer.append("closure", fields, now)
        event = append_event(
            sealer,
            EventKind.REGISTER_CLOSED,
            {
                "period_id": period.id,
                "closure_seq": record.seq,
                "closure_hash": record.hash,
                "z_number": fields["z_number"],
                "period_total": fields["period_total"],
            },
            actor=actor,
            register_id=register_id,
            now=now,
        )
    session.add(
        ClosureRow(
            shop_id=actor.shop_id,
            seq=record.seq,
            kind=ClosureKind.REGISTER,
            period=period.id,
            register_id=register_id,
            closed_at=now,
            period_total=from_json_amount(fields["period_total"]),
            grand_total=from_json_amount(fields["grand_total"]),
        )
    )
    session.execute(
        update(RegisterPeriod)
        .where(RegisterPeriod.id == period.id)
        .values(
            closed_at=now, closed_by=actor.user_id, float_left=float_left, closure_seq=record.seq
        )
    )
    session.flush()
    return Closing(record, event)


def x_report(
    session: Session,
    keys: KeyStore,
    actor: Actor,
    register_id: str,
    *,
    now: datetime | None = None,
) -> tuple[dict[str, Any], SealedRecord]:
    """The X: the same figures as a Z so far, nothing closed, nothing reset; journaled."""
    actor.require(WRITERS, "print an X report")
    lock_shop(session, actor.shop_id)
    now = now or utc_now()
    period = _open_period(session, actor, register_id)
    _drawer, fields = _register_fields(session, actor, register_id, period, now, None, None)
    fields["type"] = "register_x"
    fields.pop("z_number")
    with Sealer(session, keys, actor.shop_id) as sealer:
        event = append_event(
            sealer,
            EventKind.X_REPORT,
            {"period_id": period.id, "period_total": fields["period_total"]},
            actor=actor,
            register_id=register_id,
            now=now,
        )
    return fields, event


# ---------------------------------------------------------------------------- shop closings


def _next_day(day: date) -> date:
    return day + timedelta(days=1)


def close_due_periods(
    session: Session, keys: KeyStore, shop_id: str, *, now: datetime | None = None
) -> list[SealedRecord]:
    """Seal every daily closing due up to the last business day that has ended, each followed
    by the monthly and yearly closings it completes, in order; nothing when all are done.

    Run at start (a server that was down closes the days it missed) and then every minute.
    """
    lock_shop(session, shop_id)
    now = now or utc_now()
    shop = get_shop(session, shop_id)
    last_day = business_day(shop, now - CLOSING_MARGIN) - timedelta(days=1)
    last = _last_closing(session, shop_id, ClosureKind.DAILY)
    day = (
        _next_day(date.fromisoformat(last.period))
        if last is not None
        else business_day(shop, shop.created_at)
    )
    if day > last_day:
        return []
    grand_totals = {}
    for kind in (ClosureKind.DAILY, ClosureKind.MONTHLY, ClosureKind.YEARLY):
        previous = _last_closing(session, shop_id, kind)
        grand_totals[kind] = previous.grand_total if previous is not None else 0
    sealed: list[SealedRecord] = []
    with Sealer(session, keys, shop_id) as sealer:
        while day <= last_day:
            figures = figures_of(session, shop_id, OrderRow.value_date == day)
            sealed.append(
                _seal_closing(
                    sealer, ClosureKind.DAILY, day.isoformat(), day, day, figures, grand_totals, now
                )
            )
            following = _next_day(day)
            if following.month != day.month:
                first = day.replace(day=1)
                month = _combined(sealer, ClosureKind.DAILY, first.isoformat(), day.isoformat())
                sealed.append(
                    _seal_closing(
                        sealer,
                        ClosureKind.MONTHLY,
                        f"{day:%Y-%m}",
                        first,
                        day,
                        month,
                        grand_totals,
                        now,
                    )
                )
            if following.year != day.year:
                first = day.replace(month=1, day=1)
                year = _combined(sealer, ClosureKind.MONTHLY, f"{day:%Y}-01", f"{day:%Y-%m}")
                sealed.append(
                    _seal_closing(
                        sealer,
                        ClosureKind.YEARLY,
                        f"{day:%Y}",
                        first,
                        day,
                        year,
                        grand_totals,
                        now,
                    )
                )
            day = following
    return sealed


def _last_closing(session: Session, shop_id: str, kind: ClosureKind) -> ClosureRow | None:
    return session.scalars(
        select(ClosureRow)
        .where(ClosureRow.shop_id == shop_id, ClosureRow.kind == kind)
        .order_by(ClosureRow.seq.desc())
        .limit(1)
    ).first()


def sealed_closures(
    session: Session, shop_id: str, *conditions: ColumnElement[bool]
) -> Iterator[dict[str, Any]]:
    """The sealed records of the shop's closures that meet `conditions` (on `ClosureRow`), in
    their order on the chain."""
    bodies = session.scalars(
        select(SealedRecordRow.body)
        .join(
            ClosureRow,
            and_(
                ClosureRow.shop_id == SealedRecordRow.shop_id,
                ClosureRow.seq == SealedRecordRow.seq,
                SealedRecordRow.chain == "closure",
            ),
        )
        .where(ClosureRow.shop_id == shop_id, *conditions)
        .order_by(ClosureRow.seq)
    )
    return (orjson.loads(body) for body in bodies)


def _combined(sealer: Sealer, kind: ClosureKind, first: str, last: str) -> Figures:
    """The sum of the sealed closings of `kind` whose periods run from `first` to `last`."""
    sealer.write()  # the closings just sealed are read back with the others
    sealer.session.flush()
    total = Figures()
    for body in sealed_closures(
        sealer.session,
        sealer.shop_id,
        ClosureRow.kind == kind,
        ClosureRow.period >= first,
        ClosureRow.period <= last,
    ):
        total.merge(Figures.from_json(body))
    return total


def _seal_closing(
    sealer: Sealer,
    kind: ClosureKind,
    period: str,
    first: date,
    last: date,
    figures: Figures,
    grand_totals: dict[ClosureKind, int],
    now: datetime,
) -> SealedRecord:
    grand_total = grand_totals[kind] + figures.period_total
    grand_totals[kind] = grand_total
    fields = {
        "type": kind.value,
        "period": period,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "closed_at": to_utc_iso(now),
        **figures.as_json(),
        "previous_grand_total": to_json_amount(grand_total - figures.period_total),
        "grand_total": to_json_amount(grand_total),
        "chain_heads": _heads_json(sealer.heads()),
    }
    record = sealer.append("closure", fields, now)
    sealer.session.add(
        ClosureRow(
            shop_id=sealer.shop_id,
            seq=record.seq,
            kind=kind,
            period=period,
            register_id=None,
            closed_at=now,
            period_total=figures.period_total,
            grand_total=grand_total,
        )
    )
    return record


def closure_json(session: Session, shop_id: str, seq: int) -> dict[str, Any]:
    record = stored_record(session, shop_id, "closure", seq)
    if record is None:
        raise NotFound(f"There is no closure {seq}.")
    return record
