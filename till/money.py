"""Money, quantities and percentage rates: exact rounding, parsing what cashiers type, formatting
for French receipts and screens, and the decimal-string forms used in JSON and sealed records."""

import re
from decimal import Decimal
from fractions import Fraction

from till.errors import TillError

Cents = int

# Cents must fit a SQL BIGINT with room for sums: 15 integer digits of euros is far beyond any till.
MAX_EURO_DIGITS = 15
MAX_QUANTITY = Decimal(99999)
QUANTITY_PLACES = 3
RATE_PLACES = 2

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"

# Digits are ASCII only (`\d` would accept other scripts); thousands groups are optional but, when
# used, must be whole groups of three.
_HUMAN_NUMBER = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<units>[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)"
    r"(?:[.,](?P<decimals>[0-9]+))?"
)


class InvalidAmount(TillError):
    code = "invalid_amount"

    def __init__(
        self, text: object, reason: str = "write it like 12,50 (2 decimals at most)"
    ) -> None:
        super().__init__(f"“{text}” is not a valid amount: {reason}.")


class InvalidQuantity(TillError):
    code = "invalid_quantity"

    def __init__(self, text: object) -> None:
        super().__init__(
            f"“{text}” is not a valid quantity: use a number other than 0, up to 99 999, "
            "with 3 decimals at most (like 2 or 0,250)."
        )


class InvalidRate(TillError):
    code = "invalid_rate"

    def __init__(self, text: object) -> None:
        super().__init__(
            f"“{text}” is not a valid rate: use a percentage from 0 to 100 "
            "with 2 decimals at most (like 5,5)."
        )


def round_half_up(value: Fraction | Decimal | int) -> int:
    """The nearest integer, halves away from zero, so that round(-x) == -round(x); exact."""
    fraction = Fraction(value)
    whole, remainder = divmod(abs(fraction.numerator), fraction.denominator)
    if 2 * remainder >= fraction.denominator:
        whole += 1
    return whole if fraction >= 0 else -whole


def _parse_human(text: str, places: int, unit: str = "") -> Decimal | None:
    """A number as people type it (comma or point, thousands spaces, `unit` at either end), or
    None when `text` is not one or has more than `places` decimals."""
    stripped = text.strip()
    if unit and stripped.startswith(unit):
        stripped = stripped[len(unit) :].lstrip()
    elif unit and stripped.endswith(unit):
        stripped = stripped[: -len(unit)].rstrip()
    match = _HUMAN_NUMBER.fullmatch(stripped)
    if match is None:
        return None
    decimals = match["decimals"]
    if decimals is not None and not 1 <= len(decimals) <= places:
        return None
    units = re.sub(r"\D", "", match["units"])
    return Decimal(f"{match['sign']}{units}.{decimals or '0'}")


def _parse_json(text: str, places: int) -> Decimal | None:
    """The canonical record form: optional "-", digits without leading zeros, exactly `places`
    decimals, and no "-0.00", so that each value has exactly one spelling."""
    pattern = rf"-?(?:0|[1-9][0-9]*)\.[0-9]{{{places}}}"
    if not re.fullmatch(pattern, text) or re.fullmatch(r"-[0.]+", text):
        return None
    return Decimal(text)


def _to_decimal(value: str | Decimal | int, places: int, unit: str = "") -> Decimal | None:
    """A finite Decimal from typed text, a Decimal or an int; None for anything else (floats and
    bools included, whatever the annotations say)."""
    if isinstance(value, str):
        return _parse_human(value, places, unit)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


def _has_places(value: Decimal, places: int) -> bool:
    # Callers bound the magnitude first: rounding a huge Decimal exceeds the context's precision.
    return value == round(value, places)


def _format_human(value: Decimal) -> str:
    """Without trailing zeros and with a decimal comma: "2", "0,25", "5,5"."""
    return f"{value.normalize():f}".replace(".", ",")


def _split_cents(cents: Cents) -> tuple[str, int, int]:
    euros, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else ""), euros, rest


def _amount_to_cents(value: Decimal | None, text: str) -> Cents:
    if value is None or abs(value) >= 10**MAX_EURO_DIGITS:
        raise InvalidAmount(text)
    return int(value * 100)


def parse_amount(text: str) -> Cents:
    """Cents from what a cashier types: "12,50", "12.5", "-3,20", "1 234,56 €"."""
    return _amount_to_cents(_parse_human(text, 2, "€"), text)


def format_amount(cents: Cents, *, symbol: bool = True) -> str:
    """French form: "1 234,56 €" with a narrow no-break space between thousands."""
    sign, euros, rest = _split_cents(cents)
    digits = str(euros)
    head = len(digits) % 3 or 3
    groups = [digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))]
    text = f"{sign}{NARROW_NBSP.join(groups)},{rest:02d}"
    return f"{text}{NBSP}€" if symbol else text


def to_json_amount(cents: Cents) -> str:
    """The JSON and sealed-record form: "12.50", "-0.05", "0.00"."""
    sign, euros, rest = _split_cents(cents)
    return f"{sign}{euros}.{rest:02d}"


def from_json_amount(text: str) -> Cents:
    """Cents from the exact form `to_json_amount` writes; anything else is refused."""
    return _amount_to_cents(_parse_json(text, 2), text)


def parse_quantity(value: str | Decimal | int) -> Decimal:
    """A quantity with 3 decimals at most, non-zero (negative for refunds and corrections), up to
    99 999 either way; returned with exactly 3 decimals."""
    quantity = _to_decimal(value, QUANTITY_PLACES)
    if (
        quantity is None
        or not 0 < abs(quantity) <= MAX_QUANTITY
        or not _has_places(quantity, QUANTITY_PLACES)
    ):
        raise InvalidQuantity(value)
    return round(quantity, QUANTITY_PLACES)


def to_json_quantity(quantity: Decimal) -> str:
    """The JSON and sealed-record form: "2.000", "-0.250"."""
    return f"{parse_quantity(quantity):.{QUANTITY_PLACES}f}"


def from_json_quantity(text: str) -> Decimal:
    quantity = _parse_json(text, QUANTITY_PLACES)
    if quantity is None:
        raise InvalidQuantity(text)
    return parse_quantity(quantity)


def format_quantity(quantity: Decimal) -> str:
    """For people: "2", "0,25", "-1,5"."""
    return _format_human(quantity)


def parse_rate(value: str | Decimal | int) -> Decimal:
    """A percentage from 0 to 100 with 2 decimals at most ("5,5", "20 %"); returned with exactly
    2 decimals."""
    rate = _to_decimal(value, RATE_PLACES, "%")
    if rate is None or not 0 <= rate <= 100 or not _has_places(rate, RATE_PLACES):
        raise InvalidRate(value)
    # copy_abs: "-0" is a valid zero rate, but must not be spelled "-0.00" in records.
    return round(rate.copy_abs(), RATE_PLACES)


def to_json_rate(rate: Decimal) -> str:
    """The JSON and sealed-record form: "5.50", "20.00"."""
    return f"{parse_rate(rate):.{RATE_PLACES}f}"


def from_json_rate(text: str) -> Decimal:
    rate = _parse_json(text, RATE_PLACES)
    if rate is None:
        raise InvalidRate(text)
    return parse_rate(rate)


def format_rate(rate: Decimal) -> str:
    """French form: "5,5 %", "20 %", with a no-break space before the sign."""
    return f"{_format_human(rate)}{NBSP}%"
