"""Tests of till.vat: VAT of VAT-included amounts, apportioning, and the per-rate breakdown."""

from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from till.money import round_half_up
from till.vat import FRENCH_RATES, VatBreakdown, apportion, break_down_vat, vat_included_to_vat

shares = st.lists(
    st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**4),
    min_size=1,
    max_size=30,
)


def test_french_rates() -> None:
    assert [str(rate) for rate in FRENCH_RATES] == ["20.00", "10.00", "5.50", "2.10", "0.00"]


@pytest.mark.parametrize(
    ("incl", "rate", "vat"),
    [
        (1000, "20", 167),  # 166.67
        (110, "10", 10),
        (1055, "5.5", 55),
        (500, "5.5", 26),  # 26.07
        (500, "10", 45),  # 45.45
        (675, "10", 61),  # 61.36
        (1021, "2.1", 21),  # 20.999
        (1000, "0", 0),
        (-1000, "20", -167),
        (0, "20", 0),
        (6, "20", 1),  # exactly 1
        (3, "20", 1),  # exactly 0.5: half up
        (-3, "20", -1),
    ],
)
def test_vat_included_to_vat(incl: int, rate: str, vat: int) -> None:
    assert vat_included_to_vat(incl, Decimal(rate)) == vat


@pytest.mark.parametrize(
    ("total", "exact", "expected"),
    [
        (1, [Fraction(1, 3)] * 3, [1, 0, 0]),
        (2, [Fraction(2, 3)] * 3, [0, 1, 1]),
        (-1, [Fraction(-1, 3)] * 3, [-1, 0, 0]),
        (1, [Fraction(1, 2)] * 2, [0, 1]),
        (-1, [Fraction(-1, 2)] * 2, [0, -1]),
        (10, [Fraction(13, 10), Fraction(87, 10)], [1, 9]),
        (100, [Fraction(100, 3), Fraction(200, 3)], [33, 67]),
        (100, [Fraction(100, 3)] * 3, [34, 33, 33]),
        (0, [], []),
        (0, [Fraction(5, 2), Fraction(-5, 2)], [3, -3]),
    ],
)
def test_apportion_examples(total: int, exact: list[Fraction], expected: list[int]) -> None:
    assert apportion(total, exact) == expected


@pytest.mark.parametrize(
    ("total", "exact"),
    [
        (1, []),
        (4, [Fraction(1, 3)] * 3),
        (-1, [Fraction(1, 3)] * 3),
        (2, [Fraction(1), Fraction(0)]),
        (-3, [Fraction(-1, 2), Fraction(-1, 2)]),
    ],
)
def test_apportion_refuses_the_impossible(total: int, exact: list[Fraction]) -> None:
    with pytest.raises(ValueError):
        apportion(total, exact)


def _check_apportioned(total: int, exact: list[Fraction], result: list[int]) -> None:
    assert sum(result) == total
    assert all(abs(r - e) < 1 for r, e in zip(result, exact, strict=True))
    assert apportion(-total, [-e for e in exact]) == [-r for r in result]


@settings(deadline=None)
@given(shares)
def test_apportion_of_the_rounded_sum(exact: list[Fraction]) -> None:
    # The docstring's claim: the rounded sum always meets the precondition.
    total = round_half_up(sum(exact))
    _check_apportioned(total, exact, apportion(total, exact))


@settings(deadline=None)
@given(shares, st.data())
def test_apportion_of_any_feasible_total(exact: list[Fraction], data: st.DataObject) -> None:
    low, high = sum(floor(e) for e in exact), sum(ceil(e) for e in exact)
    total = data.draw(st.integers(low, high))
    _check_apportioned(total, exact, apportion(total, exact))
    with pytest.raises(ValueError):
        apportion(data.draw(st.sampled_from([low - 1, high + 1])), exact)


def test_break_down_vat_example() -> None:
    breakdown, line_vat = break_down_vat(
        [(66, Decimal(20)), (500, Decimal("5.5")), (67, Decimal(20)), (67, Decimal(20))]
    )
    assert breakdown == (
        VatBreakdown(rate=Decimal(20), incl=200, vat=33, excl=167),
        VatBreakdown(rate=Decimal("5.5"), incl=500, vat=26, excl=474),
    )
    assert line_vat == [11, 26, 11, 11]


lines = st.lists(
    st.tuples(st.integers(-(10**7), 10**7), st.sampled_from(FRENCH_RATES)), max_size=30
)


@settings(deadline=None)
@given(lines)
def test_break_down_vat_adds_up(amounts: list[tuple[int, Decimal]]) -> None:
    breakdown, line_vat = break_down_vat(amounts)
    assert [row.rate for row in breakdown] == sorted({rate for _, rate in amounts}, reverse=True)
    for row in breakdown:
        at_rate = [i for i, (_, rate) in enumerate(amounts) if rate == row.rate]
        assert row.incl == sum(amounts[i][0] for i in at_rate)
        assert row.vat == vat_included_to_vat(row.incl, row.rate)
        assert row.excl + row.vat == row.incl
        assert sum(line_vat[i] for i in at_rate) == row.vat
    assert sum(row.incl for row in breakdown) == sum(incl for incl, _ in amounts)
    negated = break_down_vat([(-incl, rate) for incl, rate in amounts])
    assert negated[1] == [-vat for vat in line_vat]
    assert [(row.incl, row.vat) for row in negated[0]] == [(-r.incl, -r.vat) for r in breakdown]
