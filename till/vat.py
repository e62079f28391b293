"""VAT on VAT-included prices: per-rate totals, and their exact spreading over lines so that lines
add up to the rates and the rates to the order, to the cent."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

from till.money import Cents, parse_rate, round_half_up

VatRate = Decimal
"""A VAT rate in percent, with 2 decimals at most (see `till.money.parse_rate`)."""

FRENCH_RATES: tuple[VatRate, ...] = tuple(parse_rate(r) for r in ("20", "10", "5.5", "2.1", "0"))


@dataclass(frozen=True)
class VatBreakdown:
    """One rate's row of a receipt's VAT table: VAT-included total, its VAT, and the rest."""

    rate: VatRate
    incl: Cents
    vat: Cents
    excl: Cents


def vat_share(incl: Cents, rate: VatRate) -> Fraction:
    """The exact VAT contained in a VAT-included amount."""
    fraction = Fraction(rate)
    return incl * fraction / (100 + fraction)


def vat_included_to_vat(incl: Cents, rate: VatRate) -> Cents:
    return round_half_up(vat_share(incl, rate))


def apportion(total: int, exact: Sequence[Fraction]) -> list[int]:
    """Integers that sum to `total`, each the floor or the ceiling of its exact share.

    Each item starts at its share rounded half up; the difference d left to `total` goes, one unit
    each, to the |d| items whose rounding moved them furthest against d's direction (lower index
    first on ties). Rounding is symmetric and so are the choices, so negating `total` and every
    share negates the result.

    Such integers exist exactly when sum(floor(e)) <= total <= sum(ceil(e)); otherwise ValueError.
    Then there are always enough items to move: with v_i the rounded shares, P items have
    e_i > v_i (their ceiling is v_i + 1) and N items have e_i < v_i (their floor is v_i - 1), so
    the bounds say -N <= d <= P, and the |d| items with the most room are among them.

    total = round_half_up(sum(exact)), which is how VAT and discounts call this, always meets the
    bounds: with f_i = e_i - v_i in [-1/2, 1/2], d = (total - sum(e)) + sum(f) <= 1/2 + P/2 (only
    the P positive f_i add, at most 1/2 each), and an integer d <= (1 + P)/2 is at most P. The
    lower bound is the mirror image.
    """
    if not sum(floor(e) for e in exact) <= total <= sum(ceil(e) for e in exact):
        raise ValueError(f"{total} cannot be apportioned over shares summing to {sum(exact)}")
    result = [round_half_up(e) for e in exact]
    difference = total - sum(result)
    step = 1 if difference > 0 else -1
    room = [step * (e - v) for e, v in zip(exact, result, strict=True)]
    # sorted() is stable: among equal room the lower index comes first.
    for index in sorted(range(len(result)), key=lambda i: -room[i])[: abs(difference)]:
        result[index] += step
    return result


def break_down_vat(
    lines: Sequence[tuple[Cents, VatRate]],
) -> tuple[tuple[VatBreakdown, ...], list[Cents]]:
    """The VAT table (rates descending) of lines given as (VAT-included amount, rate), and each
    line's VAT: the rate's VAT spread over its lines in proportion to their exact VAT."""
    by_rate: dict[VatRate, list[int]] = {}
    for index, (_, rate) in enumerate(lines):
        by_rate.setdefault(rate, []).append(index)
    line_vat = [0] * len(lines)
    breakdown = []
    for rate in sorted(by_rate, reverse=True):
        indexes = by_rate[rate]
        incl = sum(lines[i][0] for i in indexes)
        vat = vat_included_to_vat(incl, rate)
        shares = apportion(vat, [vat_share(lines[i][0], rate) for i in indexes])
        for index, share in zip(indexes, shares, strict=True):
            line_vat[index] = share
        breakdown.append(VatBreakdown(rate=rate, incl=incl, vat=vat, excl=incl - vat))
    return tuple(breakdown), line_vat
