"""Business days and the one-year limit, as the server and the till both count them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from till.periods import business_day, one_year_after


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 21, 4, 59, tzinfo=UTC), date(2026, 11, 20)),  # 05:59 in Paris
        (datetime(2026, 11, 21, 5, 0, tzinfo=UTC), date(2026, 11, 21)),  # 06:00: the day begins
        (datetime(2026, 7, 1, 3, 59, tzinfo=UTC), date(2026, 6, 30)),  # 05:59, summer time
        (datetime(2026, 7, 1, 4, 0, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_a_day_starts_at_the_opening_hour_in_the_shops_time_zone(
    moment: datetime, day: date
) -> None:
    assert business_day(moment, "Europe/Paris", 6) == day


def test_a_year_after_a_29_february_is_the_1_march() -> None:
    assert one_year_after(date(2025, 3, 14)) == date(2026, 3, 14)
    assert one_year_after(date(2028, 2, 29)) == date(2029, 3, 1)
