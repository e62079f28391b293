"""The shop's business days, as closings, reports, exports and archives count them: a day starts at
the shop's opening hour in its time zone, and a period covers at most one year (seed 000 §4.1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def business_day(moment: datetime, timezone: str, opening_hour: int) -> date:
    """The business day a moment belongs to: at 02:00 with a 06:00 opening, the day before's."""
    local = moment.astimezone(ZoneInfo(timezone))
    return (local - timedelta(hours=opening_hour)).date()


def one_year_after(day: date) -> date:
    """The same day a year later (1 March after a 29 February): the first day a period that
    starts on `day` may no longer reach."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 3, 1)
