"""The periods a report or an export covers, as the screen offers them: business days of the shop
(a day starts at its opening hour), at most one year (seed 000 §4.1). The server checks every
period it is asked for; the screen uses these to offer the usual ones and to say, before asking,
that a period is too long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from till.periods import one_year_after

ONE_DAY = timedelta(days=1)


class QuickPeriod(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_YEAR = "this_year"


@dataclass(frozen=True)
class Period:
    """Business days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def latest_end(self) -> date:
        """The last day a period from `start` may end on: a year later, less a day."""
        return one_year_after(self.start) - ONE_DAY

    @property
    def valid(self) -> bool:
        return self.start <= self.end <= self.latest_end

    def query(self) -> dict[str, str]:
        """As the server's report and export routes take it."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @classmethod
    def quick(cls, choice: QuickPeriod, today: date) -> Period:
        """The usual periods, those still running ending today (exports stop there)."""
        if choice is QuickPeriod.TODAY:
            return cls(today, today)
        if choice is QuickPeriod.YESTERDAY:
            return cls(today - ONE_DAY, today - ONE_DAY)
        if choice is QuickPeriod.THIS_WEEK:
            return cls(today - timedelta(days=today.weekday()), today)
        if choice is QuickPeriod.THIS_MONTH:
            return cls(today.replace(day=1), today)
        if choice is QuickPeriod.LAST_MONTH:
            last = today.replace(day=1) - ONE_DAY
            return cls(last.replace(day=1), last)
        return cls(today.replace(month=1, day=1), today)
