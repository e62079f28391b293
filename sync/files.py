"""Files written whole or not at all: a power cut or a failure half-way leaves the old file (or
none), never a part of the new one, and no temporary file behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_write(target: Path, *, private: bool = False) -> Iterator[BinaryIO]:
    """A file to write `target`'s new contents to: a temporary file beside it, synced to the disk
    and renamed over `target` once the block ends, or removed if it fails. `private`: readable
    and writable by this user only (tokens)."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    descriptor = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if os.name == "posix":  # the rename itself survives a power cut once its folder is synced
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
