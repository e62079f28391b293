"""Accounting export routes: the FEC and the SAF-T Cash Register of a period (managers and
accountants, tax auditors among them), each journaled; the chart of accounts the FEC uses."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from sqlalchemy.orm import Session

from server.accounts.services import MANAGERS, READERS, Actor
from server.archives.services import Period, today
from server.deps import MutationDep, Reader, ReaderDep, Services, ServicesDep
from server.downloads import attachment, parts
from server.exports import saft
from server.exports.chart import change_chart, load_chart
from server.exports.fec import MEDIA_TYPE, Separator, build_fec
from server.journal.services import EventKind, journal
from server.orders.schemas import Strict
from server.shops.models import get_shop
from till.timestamps import utc_now

router = APIRouter(tags=["exports"])


From = Annotated[date, Query(alias="from", description="First business day, shop's calendar")]
To = Annotated[date, Query(alias="to", description="Last business day, included")]


def _period(reader: Reader, start: date, end: date, what: str) -> Period:
    reader.actor.require(READERS, what)
    shop_today = today(reader.session, reader.actor.shop_id, utc_now())
    return Period.checked(start, end, shop_today, subject="An export")


def _journal(app: Services, actor: Actor, details: Mapping[str, Any]) -> None:
    """The export is journaled before it is handed over: no export leaves unrecorded."""
    with app.database.transaction() as session:
        journal(session, app.keys, actor.shop_id, EventKind.EXPORT, details, actor=actor)


@router.get("/exports/fec")
def export_fec(
    reader: ReaderDep,
    app: ServicesDep,
    start: From,
    end: To,
    separator: Separator = "pipe",
) -> Response:
    """The FEC of the sales of the business days from `from` to `to` (at most one year):
    `<SIREN>FEC<end>.txt`, one entry per day in the sales journal, `|` or tab separated."""
    period = _period(reader, start, end, "export the accounts")
    shop = get_shop(reader.session, reader.actor.shop_id)
    fec = build_fec(reader.session, shop, load_chart(reader.session, shop.id), period, separator)
    _journal(
        app,
        reader.actor,
        {
            "format": "fec",
            "file": fec.name,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "orders": fec.orders,
            "entries": fec.entries,
            "lines": fec.lines,
            "bytes": len(fec.content),
            "sha256": fec.sha256,
        },
    )
    return Response(fec.content, media_type=MEDIA_TYPE, headers=attachment(fec.name))


@router.get("/exports/saft", response_class=StreamingResponse)
def export_saft(reader: ReaderDep, app: ServicesDep, start: From, end: To) -> StreamingResponse:
    """The SAF-T Cash Register XML of the business days from `from` to `to` (at most one year):
    the shop, its master files, and per register its Zs and its sealed orders."""
    period = _period(reader, start, end, "export the cash register data")
    shop = get_shop(reader.session, reader.actor.shop_id)
    chart = load_chart(reader.session, shop.id)
    # A year of a busy shop is hundreds of megabytes: made in a temporary file, then sent.
    with ExitStack() as cleanup:
        file = cleanup.enter_context(tempfile.TemporaryFile())
        made = saft.write_saft(
            reader.session, shop, chart, period, reader.actor.user_id, file, utc_now()
        )
        _journal(
            app,
            reader.actor,
            {
                "format": "saft",
                "file": made.name,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "orders": made.orders,
                "closures": made.closures,
                "bytes": made.size,
                "sha256": made.sha256,
            },
        )
        cleanup.pop_all()  # from here on, the response closes the file once sent
    return StreamingResponse(
        parts(file),
        media_type=saft.MEDIA_TYPE,
        headers={**attachment(made.name), "Content-Length": str(made.size)},
    )


@router.get("/accounting/chart")
def get_chart(reader: ReaderDep) -> dict[str, Any]:
    """The chart of accounts the FEC uses: the manager's accounts, defaults for the others."""
    reader.actor.require(READERS, "read the chart of accounts")
    return load_chart(reader.session, reader.actor.shop_id).as_json()


class AccountIn(Strict):
    account: str = Field(max_length=20, description="Digits only, like 707010")
    label: str | None = Field(default=None, max_length=100)


class ChartIn(Strict):
    """The accounts to use instead of the defaults; whatever is left out takes its default."""

    journal_code: str | None = Field(default=None, max_length=10)
    journal_label: str | None = Field(default=None, max_length=100)
    sales: dict[str, AccountIn] = Field(default_factory=dict, max_length=10)
    vat: dict[str, AccountIn] = Field(default_factory=dict, max_length=10)
    payments: dict[str, AccountIn] = Field(default_factory=dict, max_length=100)


@router.put("/accounting/chart")
def put_chart(body: ChartIn, mutation: MutationDep) -> Response:
    """Set the shop's chart of accounts (managers); journaled as a change of settings."""
    keys = mutation.services.keys

    def produce(session: Session, actor: Actor) -> dict[str, Any]:
        return change_chart(session, keys, actor, body.model_dump())

    return mutation.respond(produce, roles=MANAGERS)
