"""Timestamps as records carry them: UTC, ISO 8601, microseconds, a trailing "Z".

The fixed width makes the text order the time order, which the chain verifier relies on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from till.errors import TillError


class InvalidTimestamp(TillError):
    code = "invalid_timestamp"


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidTimestamp("a timestamp needs a time zone; naive local times are ambiguous")
    return moment.astimezone(UTC)


def to_utc_iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_utc_iso(text: str) -> datetime:
    if not isinstance(text, str) or len(text) != 27 or not text.endswith("Z"):
        raise InvalidTimestamp(f"{text!r} is not a UTC timestamp like 2026-01-31T12:00:00.000000Z")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidTimestamp(f"{text!r} is not a valid date and time") from None


def utc_now() -> datetime:
    return datetime.now(UTC)
