"""Report routes: a shop's report over a period of at most a year, as JSON or as a file (CSV,
XLSX, HTML, PDF), for managers, administrators and accountants. Each file is journaled as an
export, with its digest, before it is sent."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date
from typing import IO, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from server.accounts.services import READERS
from server.deps import ReaderDep, ServicesDep
from server.downloads import PART_BYTES, attachment, parts
from server.errors import Invalid
from server.journal.services import EventKind, journal
from server.reports import services
from server.reports.files import WRITERS, ReportFormat, file_name
from server.reports.tables import Report, Section
from till.timestamps import utc_now

router = APIRouter(tags=["reports"])

# A report's file stays in memory up to this size, then goes to a temporary file.
IN_MEMORY = 8 << 20


def _digest(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    while part := file.read(PART_BYTES):
        digest.update(part)
    return digest.hexdigest()


def _chosen(report: Report, keys: str) -> list[Section]:
    """The report's sections named in `keys`, in the report's order; an unknown one refused."""
    wanted = {key.strip() for key in keys.split(",") if key.strip()}
    known = {section.key for section in report.sections}
    if unknown := wanted - known:
        raise Invalid(
            f"There is no section {', '.join(sorted(unknown))} in a report; "
            f"its sections are {', '.join(section.key for section in report.sections)}."
        )
    return [section for section in report.sections if section.key in wanted]


@router.get("/reports", response_class=StreamingResponse)
def get_report(
    reader: ReaderDep,
    app: ServicesDep,
    start: Annotated[date, Query(alias="from", description="First business day, YYYY-MM-DD")],
    end: Annotated[date, Query(alias="to", description="Last business day, included")],
    register: Annotated[str | None, Query(max_length=40, description="One register")] = None,
    user: Annotated[str | None, Query(max_length=40, description="One user")] = None,
    format_: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
    sections: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only these sections, by key, comma-separated (`vat,payments`); "
            "an empty value for none: the summary alone",
        ),
    ] = None,
) -> StreamingResponse:
    """The shop's report from the sealed records of the business days `from` to `to` (at most a
    year): summary, breakdowns, closures, cash movements, orders and their lines, charts. A file
    format comes as an attachment, journaled as an export first."""
    actor = reader.actor
    actor.require(READERS, "read reports")
    request = services.prepare(reader.session, actor.shop_id, start, end, register, user, utc_now())
    media_type, write = WRITERS[format_]
    # Closed once sent (`_parts`), or here if anything fails before.
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    try:
        with services.build_report(reader.session, request) as report:
            if sections is not None:
                report.sections = _chosen(report, sections)
            write(report, file)
            operations = next(f.value for f in report.figures if f.key == "operations")
        headers = {"Content-Length": str(file.tell())}
        if format_ is not ReportFormat.JSON:
            name = file_name(start, end, register, user, format_.value)
            details: dict[str, Any] = {
                "report": "sales",
                "format": format_.value,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "register_id": register,
                "user_id": user,
                "file": name,
                "bytes": file.tell(),
                "sha256": _digest(file),
                "orders": operations,
            }
            with app.database.transaction() as session:
                journal(
                    session,
                    app.keys,
                    actor.shop_id,
                    EventKind.EXPORT,
                    details,
                    actor=actor,
                    register_id=register,
                )
            headers.update(attachment(name))
    except BaseException:
        file.close()
        raise
    return StreamingResponse(parts(file), media_type=media_type, headers=headers)
