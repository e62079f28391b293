"""Canonical JSON: RFC 8785 for every value a record may hold, and a clear refusal otherwise."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from till.fiscal.canonical import MAX_SAFE_INTEGER, NotCanonicalizable, canonical_json

record_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), children, max_size=4)
    ),
    max_leaves=20,
)


@given(record_values)
def test_matches_an_independent_rfc8785_implementation(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_members_are_sorted_by_utf16_code_units() -> None:
    value = {"\ue000": 1, "\U0001f600": 2, "é": 3, "a": 4}
    assert canonical_json(value).decode() == '{"a":4,"é":3,"\U0001f600":2,"\ue000":1}'


def test_compact_and_utf8() -> None:
    assert canonical_json({"b": [1, None, True], "a": "Café 12,50 €"}) == (
        '{"a":"Café 12,50 €","b":[1,null,true]}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"price": 12.5}, "floats are not allowed"),
        ({"n": 2**53}, "too large"),
        ({1: "x"}, "keys must be strings"),
        ({"x": b"bytes"}, "bytes cannot be sealed"),
        ({"x": "\ud800"}, "unpaired surrogate"),
        ([{"deep": [1.0]}], "$[0].deep[0]"),
    ],
)
def test_values_a_record_may_not_hold_are_refused_with_their_place(value: Any, needle: str) -> None:
    with pytest.raises(NotCanonicalizable, match=None) as raised:
        canonical_json(value)
    assert needle in raised.value.message
    assert raised.value.code == "not_canonicalizable"
