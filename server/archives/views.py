"""Archive routes: make a period's signed fiscal archive (managers), list and download them again
(managers and accountants): the ZIP, its signature and the public key that checks it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from server.accounts.services import MANAGERS, READERS, Actor, actor_for
from server.archives import services
from server.archives.models import ArchiveRow
from server.db import Database
from server.deps import MutationDep, Reader, ReaderDep, ServicesDep
from server.downloads import attachment
from till.timestamps import utc_now

router = APIRouter(tags=["archives"])


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date


@router.post("/archives", status_code=201)
def create_archive(body: ArchiveIn, mutation: MutationDep) -> Response:
    """Make, sign, keep and journal the archive of the shop's records sealed from `start` to `end`
    (business days, both included; at most one year, not after today)."""
    app = mutation.services
    now = utc_now()
    with app.database.reader() as session:
        actor = actor_for(session, mutation.device_token, mutation.session_token)
        actor.require(MANAGERS, "make a fiscal archive")
        kept = mutation.kept(session, actor.device_id)
        if kept is not None:
            return kept
        today = services.today(session, actor.shop_id, now)
        period = services.Period.checked(body.start, body.end, today)
        built = services.build_archive(session, app.keys, actor.shop_id, period)
    with built:

        def keep(session: Session, writer: Actor) -> dict[str, Any]:
            return services.store_archive(session, app.keys, built, writer, now)

        return mutation.respond(keep, status=201, roles=MANAGERS)


@router.get("/archives")
def list_archives(reader: ReaderDep) -> list[dict[str, Any]]:
    """Every archive made for the shop, oldest first; archives are never deleted."""
    reader.actor.require(READERS, "read the fiscal archives")
    return services.list_archives(reader.session, reader.actor.shop_id)


def _archive(reader: Reader, archive_id: int) -> ArchiveRow:
    reader.actor.require(READERS, "read the fiscal archives")
    return services.get_archive(reader.session, reader.actor.shop_id, archive_id)


@router.get("/archives/{archive_id}/zip", response_class=StreamingResponse)
def download_zip(archive_id: int, reader: ReaderDep, app: ServicesDep) -> StreamingResponse:
    """The archive's ZIP, as made and signed."""
    row = _archive(reader, archive_id)
    return StreamingResponse(
        _parts(app.database, row.id, row.size),
        media_type="application/zip",
        headers={**attachment(row.file_name), "Content-Length": str(row.size)},
    )


def _parts(database: Database, archive_id: int, size: int) -> Iterator[bytes]:
    with database.reader() as session:
        yield from services.archive_bytes(session, archive_id, size)


@router.get("/archives/{archive_id}/sig")
def download_signature(archive_id: int, reader: ReaderDep) -> Response:
    """The Ed25519 signature of the ZIP's bytes by the shop key, in hexadecimal."""
    row = _archive(reader, archive_id)
    return Response(
        row.signature, media_type="text/plain", headers=attachment(f"{row.file_name}.sig")
    )


@router.get("/archives/{archive_id}/pub")
def download_public_key(archive_id: int, reader: ReaderDep) -> Response:
    """The public key that checks the signature, in hexadecimal."""
    row = _archive(reader, archive_id)
    return Response(
        row.public_key, media_type="text/plain", headers=attachment(f"{row.file_name}.pub")
    )
