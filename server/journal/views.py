"""Journal routes: tills report their offline periods; managers and auditors read the journal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.services import READERS, Actor
from server.deps import MutationDep, ReaderDep
from server.errors import Invalid
from server.journal.models import EventRow
from server.journal.services import EventKind, journal
from server.orders.schemas import Strict
from server.registers.services import get_register
from server.sealing.models import SealedRecordRow
from till.timestamps import as_utc, to_utc_iso, utc_now

router = APIRouter(tags=["journal"])

# Who reads the journal: it names users, tills and failed log-ins.


class OfflinePeriodIn(Strict):
    register_id: str | None = Field(default=None, max_length=40)
    started_at: datetime
    ended_at: datetime
    drafts: int = Field(ge=0, le=1_000_000, description="Drafts made while offline")


@router.post("/offline-periods", status_code=201)
def report_offline_period(body: OfflinePeriodIn, mutation: MutationDep) -> Response:
    """A till reports a period it worked offline (drafts only), once it is back."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        started, ended = as_utc(body.started_at), as_utc(body.ended_at)
        if ended < started:
            raise Invalid("An offline period ends after it starts.")
        if ended > utc_now() + timedelta(minutes=5):
            raise Invalid("An offline period cannot end in the future.")
        if body.register_id is not None:
            get_register(session, actor.shop_id, body.register_id)
        record = journal(
            session,
            keys,
            actor.shop_id,
            EventKind.OFFLINE_PERIOD,
            {
                "started_at": to_utc_iso(started),
                "ended_at": to_utc_iso(ended),
                "seconds": int((ended - started).total_seconds()),
                "drafts": body.drafts,
            },
            actor=actor,
            register_id=body.register_id,
        )
        return {"event": {"seq": record.seq, "hash": record.hash}}

    return mutation.respond(produce, status=201)


@router.get("/events")
def list_events(
    reader: ReaderDep,
    kind: EventKind | None = None,
    before_seq: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The shop's event journal, newest first, each event the sealed record itself."""
    reader.actor.require(READERS, "read the event journal")
    query = select(SealedRecordRow.body).join(
        EventRow,
        (EventRow.shop_id == SealedRecordRow.shop_id)
        & (EventRow.seq == SealedRecordRow.seq)
        & (SealedRecordRow.chain == "event"),
    )
    query = query.where(EventRow.shop_id == reader.actor.shop_id)
    if kind is not None:
        query = query.where(EventRow.kind == kind.value)
    if before_seq is not None:
        query = query.where(EventRow.seq < before_seq)
    bodies = reader.session.scalars(query.order_by(EventRow.seq.desc()).limit(limit))
    return [orjson.loads(body) for body in bodies]
