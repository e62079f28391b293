"""Files the server hands over: named as attachments, streamed a part at a time from a file
that may be on disk (a year's report or SAF-T is never held in memory whole)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

PART_BYTES = 1 << 20


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def parts(file: IO[bytes]) -> Iterator[bytes]:
    """The file from its start, a part at a time; closed once read or given up on."""
    with file:
        file.seek(0)
        while part := file.read(PART_BYTES):
            yield part
