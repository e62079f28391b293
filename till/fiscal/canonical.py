"""Canonical JSON (RFC 8785) of sealed records: the exact bytes that are hashed and signed.

Records hold only objects, arrays, strings, integers, booleans and null: amounts are decimal
strings, so no float ever reaches a hash. For such values RFC 8785 is compact JSON with keys sorted
by their UTF-16 code units, strings escaped as ECMAScript's JSON.stringify does, and UTF-8 output.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from till.errors import TillError

# Integers beyond this are not exact in the IEEE doubles RFC 8785 numbers are made of.
MAX_SAFE_INTEGER = 2**53 - 1

# UTF-8 lead bytes of code points U+E000 and above: only keys holding such characters can sort
# differently by code point (orjson) and by UTF-16 code unit (RFC 8785).
_HIGH_LEAD_BYTES = bytes(range(0xEE, 0xF5))


class NotCanonicalizable(TillError):
    code = "not_canonicalizable"


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of `value`, after checking that it holds only what records may hold."""
    _check(value, "$")
    return encode(value)


def encode(value: Any) -> bytes:
    """RFC 8785 bytes of an already-checked value (the verifier's hot path: no type walk)."""
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    # Deleting those bytes changes the length only if some are there (much faster than a regex).
    if data.isascii() or len(data.translate(None, _HIGH_LEAD_BYTES)) == len(data):
        return data
    return _encode_utf16_order(value).encode("utf-8")


def _encode_utf16_order(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return (
            "{" + ",".join(_encode_string(k) + ":" + _encode_utf16_order(v) for k, v in items) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode_utf16_order(v) for v in value) + "]"
    if isinstance(value, str):
        return _encode_string(value)
    return json.dumps(value)


def _encode_string(text: str) -> str:
    # Python's escaping with ensure_ascii=False is JSON.stringify's: \b \t \n \f \r, other control
    # characters as lower-case \u00xx, everything else as itself.
    return json.dumps(text, ensure_ascii=False)


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonicalizable(f"{path}: integer {value} is too large for a sealed record")
        return
    if isinstance(value, str):
        _check_text(value, path)
        return
    if isinstance(value, float):
        raise NotCanonicalizable(
            f"{path}: floats are not allowed in sealed records (use a decimal string)"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonicalizable(f"{path}: object keys must be strings, not {key!r}")
            _check_text(key, path)
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise NotCanonicalizable(f"{path}: {type(value).__name__} cannot be sealed")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonicalizable(f"{path}: text holds an unpaired surrogate") from None
