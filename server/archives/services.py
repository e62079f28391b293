"""Making, keeping and serving a shop's fiscal archives (docs/archives.md, seed 003).

An archive is built from what is stored, away from the shop's lock (a year of a busy shop takes a
while and sales go on meanwhile), into a temporary file, then signed; it is then kept, chained to
the shop's previous archive and journaled in one short write transaction under the lock.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import TracebackType
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from server.accounts.services import Actor
from server.archives.models import ArchivePart, ArchiveRow
from server.db import lock_shop
from server.errors import Conflict, Invalid, NotFound
from server.journal.services import EventKind, journal
from server.registers.services import business_day
from server.sealing.keys import KeyStore, public_keys
from server.sealing.models import SealedRecordRow
from server.shops.models import Shop, get_shop
from till.fiscal.archive import (
    KEYS,
    MANIFEST,
    README,
    VERIFIER,
    ArchiveWriter,
    ChainExtract,
    Manifest,
    PreviousArchive,
    archive_name,
    keys_json,
    records_name,
    seal_file,
)
from till.fiscal.perimeter import ROOT, current_fingerprint
from till.fiscal.records import CHAINS, ChainHead
from till.periods import one_year_after
from till.timestamps import to_utc_iso
from till.version import SOFTWARE_NAME, __version__

README_SOURCE = ROOT / "docs" / "archives.md"
VERIFIER_PAGE = ROOT / "resources" / "archive" / "verifier_archive.html"
PART_BYTES = 1 << 20
BATCH = 2_000
# No record of this software is older (and a ZIP cannot date its files before 1980).
EARLIEST = date(2000, 1, 1)
# Generic names in docs/archives.md, replaced by the archive's own in its README.
GENERIC_DAYS = "AAAAMMJJ"


class ConcurrentArchive(Conflict):
    code = "archive_conflict"


@dataclass(frozen=True)
class Period:
    """Business days from `start` to `end`, both included; a day starts at the opening hour."""

    start: date
    end: date

    @classmethod
    def checked(
        cls, start: date, end: date, today: date | None, *, subject: str = "An archive"
    ) -> Period:
        """The period, if it is one an archive, export or report (`subject`, in the messages)
        may cover: at most a year, and not after `today` when given."""
        if start < EARLIEST:
            raise Invalid(f"{subject} cannot start before {EARLIEST}.")
        if end < start:
            raise Invalid(f"The period ends ({end}) before it starts ({start}).")
        if today is not None and end > today:
            raise Invalid(f"The period ends on {end}, after today ({today}).")
        limit = one_year_after(start)
        if end >= limit:
            raise Invalid(
                f"{subject} covers at most one year: from {start}, it ends on "
                f"{limit - timedelta(days=1)} at the latest."
            )
        return cls(start, end)

    def bounds(self, shop: Shop) -> tuple[datetime, datetime]:
        """The instants (UTC) the period's records are sealed from, and until (excluded)."""
        zone = ZoneInfo(shop.timezone)
        opening = time(shop.opening_hour)

        def begins(day: date) -> datetime:
            return datetime.combine(day, opening, zone)

        return begins(self.start), begins(self.end + timedelta(days=1))


def today(session: Session, shop_id: str, now: datetime) -> date:
    return business_day(get_shop(session, shop_id), now)


class BuiltArchive:
    """An archive made and signed, in a temporary file, not kept yet."""

    def __init__(self, manifest: Manifest, file: IO[bytes], sha256: str, signature: str) -> None:
        self.manifest = manifest
        self.file = file
        self.size = file.seek(0, 2)
        self.sha256 = sha256
        self.signature = signature

    def __enter__(self) -> BuiltArchive:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.file.close()

    def parts(self) -> Iterator[bytes]:
        self.file.seek(0)
        while part := self.file.read(PART_BYTES):
            yield part


def build_archive(session: Session, keys: KeyStore, shop_id: str, period: Period) -> BuiltArchive:
    """Write and sign the archive of the period from the records as stored, following the last
    archive kept. Reads only; the records of a chain in the period are a run of seqs, since a
    chain's seal times never go back."""
    shop = get_shop(session, shop_id)
    sealed_from, sealed_until = period.bounds(shop)
    previous = session.scalars(
        select(ArchiveRow)
        .where(ArchiveRow.shop_id == shop_id)
        .order_by(ArchiveRow.number.desc())
        .limit(1)
    ).first()
    key = keys.signing_key(session, shop_id)
    with ExitStack() as cleanup:
        # Handed over to the BuiltArchive once it is complete; closed here on any failure.
        file = cleanup.enter_context(tempfile.TemporaryFile())
        writer = ArchiveWriter(file, period.end)
        writer.add(README, readme(shop, period))
        writer.add(VERIFIER, VERIFIER_PAGE.read_bytes())
        writer.add(KEYS, keys_json(_keys(session, shop_id)))
        chains: dict[str, ChainExtract] = {}
        for chain in CHAINS:
            start = _last_before(session, shop_id, chain, sealed_from)
            end = _last_before(session, shop_id, chain, sealed_until)
            tail = _Tail(start)
            name = records_name(chain, period.start, period.end)
            count = writer.add_records(name, tail.bodies(session, shop_id, chain, end.seq))
            chains[chain] = ChainExtract(name, count, start, tail.head)
        manifest = Manifest(
            number=previous.number + 1 if previous else 1,
            file=archive_name(period.start, period.end),
            previous=None
            if previous is None
            else PreviousArchive(
                previous.number, previous.file_name, previous.sha256, previous.signature
            ),
            shop={
                "id": shop.id,
                "name": shop.name,
                "siret": shop.siret,
                "vat_number": shop.vat_number,
                "address": shop.address.split("\n") if shop.address else [],
            },
            start=period.start,
            end=period.end,
            sealed_from=to_utc_iso(sealed_from),
            sealed_until=to_utc_iso(sealed_until),
            timezone=shop.timezone,
            opening_hour=shop.opening_hour,
            software={
                "name": SOFTWARE_NAME,
                "version": __version__,
                "fiscal_fingerprint": current_fingerprint(),
            },
            signing_key=key.public_key,
            chains=chains,
        )
        writer.add(MANIFEST, manifest.to_bytes())
        writer.close()
        sha256, signature = seal_file(key, file)
        cleanup.pop_all()
    return BuiltArchive(manifest, file, sha256, signature)


def readme(shop: Shop, period: Period) -> bytes:
    """The archive's README: the auditor's manual of docs/archives.md, with this archive's names."""
    title, _, body = README_SOURCE.read_text(encoding="utf-8").partition("\n")
    days = f"{period.start:%Y%m%d}", f"{period.end:%Y%m%d}"
    body = body.replace(f"{GENERIC_DAYS}_{GENERIC_DAYS}", "_".join(days))
    body = body.replace(f"{GENERIC_DAYS}-{GENERIC_DAYS}", "-".join(days))
    about = (
        f"Archive de **{shop.name}** (SIRET {shop.siret}), enregistrements scellés du "
        f"{period.start:%d/%m/%Y} au {period.end:%d/%m/%Y} inclus."
    )
    return f"{title}\n\n{about}\n{body}".encode()


def _keys(session: Session, shop_id: str) -> Iterator[dict[str, Any]]:
    for row in public_keys(session, shop_id):
        yield {
            "key_id": row.key_id,
            "public_key": row.public_key,
            "created_at": to_utc_iso(row.created_at),
            "retired_at": to_utc_iso(row.retired_at) if row.retired_at else None,
        }


def _last_before(session: Session, shop_id: str, chain: str, moment: datetime) -> ChainHead:
    row = session.execute(
        select(SealedRecordRow.seq, SealedRecordRow.hash)
        .where(
            SealedRecordRow.shop_id == shop_id,
            SealedRecordRow.chain == chain,
            SealedRecordRow.sealed_at < moment,
        )
        .order_by(SealedRecordRow.seq.desc())
        .limit(1)
    ).first()
    return ChainHead.genesis() if row is None else ChainHead(row.seq, row.hash)


class _Tail:
    """Reads a chain's stored records after `head` in batches, keeping the last one read."""

    def __init__(self, head: ChainHead) -> None:
        self.head = head

    def bodies(self, session: Session, shop_id: str, chain: str, upto: int) -> Iterator[list[str]]:
        while self.head.seq < upto:
            rows = session.execute(
                select(SealedRecordRow.seq, SealedRecordRow.hash, SealedRecordRow.body)
                .where(
                    SealedRecordRow.shop_id == shop_id,
                    SealedRecordRow.chain == chain,
                    SealedRecordRow.seq > self.head.seq,
                    SealedRecordRow.seq <= upto,
                )
                .order_by(SealedRecordRow.seq)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            yield [row.body for row in rows]
            self.head = ChainHead(rows[-1].seq, rows[-1].hash)


_STORE_PART = insert(cast(Table, ArchivePart.__table__))


def store_archive(
    session: Session, keys: KeyStore, built: BuiltArchive, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Keep a built archive and journal it, under the shop's lock; it must follow the shop's last
    archive still, or another one was kept meanwhile and this one is refused."""
    manifest = built.manifest
    lock_shop(session, manifest.shop_id)
    last = session.scalar(
        select(ArchiveRow.number)
        .where(ArchiveRow.shop_id == manifest.shop_id)
        .order_by(ArchiveRow.number.desc())
        .limit(1)
    )
    if (last or 0) != manifest.number - 1:
        raise ConcurrentArchive(
            "Another archive of this shop was made at the same moment: ask for this one again."
        )
    row = ArchiveRow(
        shop_id=manifest.shop_id,
        number=manifest.number,
        period_start=manifest.start,
        period_end=manifest.end,
        file_name=manifest.file,
        size=built.size,
        sha256=built.sha256,
        signature=built.signature,
        key_id=manifest.signing_key.key_id,
        public_key=manifest.signing_key.hex,
        records=manifest.records,
        manifest=manifest.to_bytes().decode(),
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    for index, data in enumerate(built.parts()):
        session.execute(_STORE_PART, {"archive_id": row.id, "part": index, "data": data})
    journal(
        session,
        keys,
        manifest.shop_id,
        EventKind.ARCHIVE_CREATED,
        {
            "archive_id": row.id,
            "number": row.number,
            "file": row.file_name,
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(),
            "records": row.records,
            "size": row.size,
            "sha256": row.sha256,
            "signature": row.signature,
            "key_id": row.key_id,
        },
        actor=actor,
        now=now,
    )
    return archive_json(row)


def archive_json(row: ArchiveRow) -> dict[str, Any]:
    previous = Manifest.from_json(json.loads(row.manifest)).previous
    base = f"/archives/{row.id}"
    return {
        "id": row.id,
        "number": row.number,
        "file_name": row.file_name,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "records": row.records,
        "size": row.size,
        "sha256": row.sha256,
        "signature": row.signature,
        "key_id": row.key_id,
        "public_key": row.public_key,
        "previous": None
        if previous is None
        else {"number": previous.number, "sha256": previous.sha256},
        "created_at": to_utc_iso(row.created_at),
        "created_by": row.created_by,
        "downloads": {"zip": f"{base}/zip", "sig": f"{base}/sig", "pub": f"{base}/pub"},
    }


def list_archives(session: Session, shop_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ArchiveRow).where(ArchiveRow.shop_id == shop_id).order_by(ArchiveRow.number)
    )
    return [archive_json(row) for row in rows]


def get_archive(session: Session, shop_id: str, archive_id: int) -> ArchiveRow:
    row = session.get(ArchiveRow, archive_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound(f"There is no archive {archive_id} in this shop.")
    return row


def archive_bytes(session: Session, archive_id: int, size: int) -> Iterator[bytes]:
    """The kept ZIP, part after part: never more than one part in memory."""
    for part in range((size + PART_BYTES - 1) // PART_BYTES):
        data = session.scalar(
            select(ArchivePart.data).where(
                ArchivePart.archive_id == archive_id, ArchivePart.part == part
            )
        )
        if data is None:
            raise NotFound(f"Part {part} of archive {archive_id} is missing.")
        yield bytes(data)
