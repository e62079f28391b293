"""Tests of till.money: exact rounding, parsing what cashiers type, French forms, JSON forms."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from till.money import (
    InvalidAmount,
    InvalidQuantity,
    InvalidRate,
    format_amount,
    format_quantity,
    format_rate,
    from_json_amount,
    from_json_quantity,
    from_json_rate,
    parse_amount,
    parse_quantity,
    parse_rate,
    round_half_up,
    to_json_amount,
    to_json_quantity,
    to_json_rate,
)

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"

amounts = st.integers(-(10**12), 10**12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 2), 1),
        (Fraction(-1, 2), -1),
        (Fraction(3, 2), 2),
        (Fraction(-5, 2), -3),
        (Fraction(7, 3), 2),
        (Fraction(-7, 3), -2),
        (Fraction(499, 1000), 0),
        (Decimal("2.5"), 3),
        (Decimal("-2.5"), -3),
        (Decimal("2.4999999999999999999999999999999"), 2),
        (Decimal("0.005"), 0),
        (0, 0),
        (-7, -7),
    ],
)
def test_round_half_up(value: Fraction | Decimal | int, expected: int) -> None:
    assert round_half_up(value) == expected


@settings(deadline=None)
@given(st.fractions())
def test_round_half_up_is_nearest_and_symmetric(value: Fraction) -> None:
    rounded = round_half_up(value)
    assert abs(rounded - value) <= Fraction(1, 2)
    assert round_half_up(-value) == -rounded


@settings(deadline=None)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_round_half_up_matches_decimal_half_up(value: Decimal) -> None:
    assert round_half_up(value) == int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12", 1200),
        ("12,5", 1250),
        ("0,05", 5),
        ("-3,20", -320),
        ("+3", 300),
        ("1 234,56", 123456),
        (f"1{NBSP}234,56", 123456),
        (f"1{NARROW_NBSP}234{NARROW_NBSP}567,89", 123456789),
        ("12,50 €", 1250),
        (f"12,50{NBSP}€", 1250),
        ("€12.50", 1250),
        ("€ -3", -300),
        ("  7,1  ", 710),
        ("-0", 0),
    ],
)
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "€",
        "12,505",
        "1,234",
        "12,50,1",
        "1.234,56",
        "12a",
        "douze",
        "12,",
        ",50",
        "12 34",
        "1234 567",
        "- 3",
        "--3",
        "€12€",
        "12 € €",
        "1e3",
        "\u0661\u0662",  # Arabic-Indic digits
        "1" * 16,
        "1" * 5000,
    ],
)
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(InvalidAmount) as raised:
        parse_amount(text)
    assert raised.value.code == "invalid_amount"
    assert text in raised.value.message


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (1250, f"12,50{NBSP}€"),
        (-320, f"-3,20{NBSP}€"),
        (0, f"0,00{NBSP}€"),
        (5, f"0,05{NBSP}€"),
        (-5, f"-0,05{NBSP}€"),
        (123456, f"1{NARROW_NBSP}234,56{NBSP}€"),
        (100000000, f"1{NARROW_NBSP}000{NARROW_NBSP}000,00{NBSP}€"),
        (99999, f"999,99{NBSP}€"),
    ],
)
def test_format_amount(cents: int, text: str) -> None:
    assert format_amount(cents) == text
    assert format_amount(cents, symbol=False) == text.removesuffix(f"{NBSP}€")


@settings(deadline=None)
@given(amounts)
def test_formatted_amounts_parse_back(cents: int) -> None:
    assert parse_amount(format_amount(cents)) == cents
    assert parse_amount(format_amount(cents, symbol=False)) == cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [(1250, "12.50"), (-5, "-0.05"), (0, "0.00"), (-123456, "-1234.56"), (100, "1.00")],
)
def test_json_amount(cents: int, text: str) -> None:
    assert to_json_amount(cents) == text
    assert from_json_amount(text) == cents


@settings(deadline=None)
@given(amounts)
def test_json_amount_round_trips(cents: int) -> None:
    assert from_json_amount(to_json_amount(cents)) == cents


@pytest.mark.parametrize(
    "text",
    ["12.5", "12", "12,50", "012.50", "-0.00", "+1.00", " 1.00", "1.00\n", "1.000", "-.50", ""],
)
def test_from_json_amount_is_strict(text: str) -> None:
    with pytest.raises(InvalidAmount) as raised:
        from_json_amount(text)
    assert raised.value.code == "invalid_amount"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "1.000"),
        ("0,250", "0.250"),
        ("1.5", "1.500"),
        ("-2", "-2.000"),
        (" 0,005 ", "0.005"),
        ("99999", "99999.000"),
        (Decimal("2.50"), "2.500"),
        (3, "3.000"),
        (-1, "-1.000"),
    ],
)
def test_parse_quantity(value: str | Decimal | int, expected: str) -> None:
    quantity = parse_quantity(value)
    assert quantity == Decimal(expected)
    assert str(quantity) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "0,000",
        "-0",
        "",
        "1,2345",
        "abc",
        "100000",
        "-99999,001",
        0,
        Decimal("0.0001"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("1E+40"),
        True,
        1.5,
    ],
)
def test_parse_quantity_refuses(value: object) -> None:
    with pytest.raises(InvalidQuantity) as raised:
        parse_quantity(value)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_quantity"
    assert str(value) in raised.value.message


@pytest.mark.parametrize(
    ("quantity", "json", "shown"),
    [
        (Decimal(2), "2.000", "2"),
        (Decimal("-0.25"), "-0.250", "-0,25"),
        (Decimal("1.500"), "1.500", "1,5"),
        (Decimal("0.005"), "0.005", "0,005"),
        (Decimal("100.000"), "100.000", "100"),
    ],
)
def test_quantity_forms(quantity: Decimal, json: str, shown: str) -> None:
    assert to_json_quantity(quantity) == json
    assert from_json_quantity(json) == quantity
    assert format_quantity(quantity) == shown


@pytest.mark.parametrize("text", ["2", "2.00", "0.000", "-0.000", "02.000", "1,000", "1e2"])
def test_from_json_quantity_is_strict(text: str) -> None:
    with pytest.raises(InvalidQuantity):
        from_json_quantity(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5,5", "5.50"),
        ("5.5", "5.50"),
        ("20", "20.00"),
        ("20 %", "20.00"),
        (f"2,1{NBSP}%", "2.10"),
        ("0", "0.00"),
        ("-0", "0.00"),
        ("-0,00", "0.00"),
        (Decimal("-0"), "0.00"),
        ("100", "100.00"),
        (Decimal("5.5"), "5.50"),
        (10, "10.00"),
    ],
)
def test_parse_rate(value: str | Decimal | int, expected: str) -> None:
    assert str(parse_rate(value)) == expected


@pytest.mark.parametrize(
    "value",
    ["-1", "100,01", "5,555", "", "cinq", "5 5", -1, 101, Decimal("0.001"), Decimal("NaN"), True],
)
def test_parse_rate_refuses(value: object) -> None:
    with pytest.raises(InvalidRate) as raised:
        parse_rate(value)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_rate"
    assert str(value) in raised.value.message


@pytest.mark.parametrize(
    ("rate", "json", "shown"),
    [
        (Decimal("5.5"), "5.50", f"5,5{NBSP}%"),
        (Decimal(20), "20.00", f"20{NBSP}%"),
        (Decimal("2.10"), "2.10", f"2,1{NBSP}%"),
        (Decimal(0), "0.00", f"0{NBSP}%"),
        (Decimal(100), "100.00", f"100{NBSP}%"),
    ],
)
def test_rate_forms(rate: Decimal, json: str, shown: str) -> None:
    assert to_json_rate(rate) == json
    assert from_json_rate(json) == rate
    assert format_rate(rate) == shown
    assert parse_rate(shown) == rate


@pytest.mark.parametrize("text", ["5.5", "20", "-1.00", "100.01", "020.00", "5,50"])
def test_from_json_rate_is_strict(text: str) -> None:
    with pytest.raises(InvalidRate):
        from_json_rate(text)
