"""Reads sealed records from a file, one at a time: a JSON array or JSON lines, of any length.

Records must be I-JSON (RFC 7493), as RFC 8785 requires: no member name twice, no NaN or
infinities, no floating-point numbers, integers within 2^53. A record that breaks these rules is
yielded as a MalformedRecord, so that the verifier reports it and goes on.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from till.errors import TillError
from till.fiscal.canonical import MAX_SAFE_INTEGER, encode
from till.fiscal.verify import MalformedRecord

CHUNK_SIZE = 1 << 20
MAX_RECORD_SIZE = 64 << 20
_WHITESPACE = b" \t\r\n"


class UnreadableInput(TillError):
    code = "unreadable_input"


class ByteStream(Protocol):
    """What records are read from: an open file, or a file inside an archive's ZIP."""

    def peek(self, size: int = ..., /) -> bytes: ...
    def read(self, size: int = ..., /) -> bytes: ...
    def readline(self, size: int = ..., /) -> bytes: ...


def read_records(path: Path) -> Iterator[Any]:
    """Yield the records of `path`; raises UnreadableInput with the place where reading failed."""
    try:
        stream = path.open("rb")
    except OSError as error:
        raise UnreadableInput(f"cannot open {path}: {error.strerror}") from None
    with stream:
        try:
            yield from read_stream(stream, str(path))
        except OSError as error:
            raise UnreadableInput(f"cannot read {path}: {error.strerror}") from None


def read_stream(stream: ByteStream, path: str) -> Iterator[Any]:
    """Yield the records of an open binary stream; `path` names it in messages."""
    first = _first_significant_byte(stream, path)
    if first == b"[":
        yield from _array_records(stream, path)
    elif first == b"{":
        yield from _json_lines(stream, path)
    elif first:
        raise UnreadableInput(f"{path} is neither a JSON array nor JSON lines of records")


def _first_significant_byte(stream: ByteStream, path: str) -> bytes:
    """Skip a UTF-8 byte order mark and whitespace; peek (not read) the first byte after them."""
    head = stream.peek(3)[:3]
    if head.startswith(codecs.BOM_UTF8):
        stream.read(3)
    elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise UnreadableInput(f"{path} is UTF-16 text: records must be UTF-8")
    while True:
        byte = stream.peek(1)[:1]
        if byte == b"" or byte not in _WHITESPACE:
            return byte
        stream.read(1)


def _json_lines(stream: ByteStream, path: str) -> Iterator[Any]:
    number = 0
    while line := stream.readline(MAX_RECORD_SIZE + 1):
        number += 1
        where = f"{path}, line {number}"
        if len(line) > MAX_RECORD_SIZE:
            raise UnreadableInput(f"{where}: a record longer than {MAX_RECORD_SIZE >> 20} MiB")
        if line.isspace():
            continue
        yield _one_line(line, where)


def _one_line(line: bytes, where: str) -> Any:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        record = None
        fast_error: str | None = str(error)
    else:
        fast_error = None
        # Lines as the till writes them are canonical; only others need the slower strict parse.
        try:
            if encode(record) == line.strip(_WHITESPACE):
                return record
        except TypeError:
            pass
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableInput(f"{where}: not UTF-8 text") from None
    strict = _StrictDecoder()
    try:
        value, end = strict.raw_decode(text.strip())
    except (json.JSONDecodeError, RecursionError) as error:
        detail = fast_error or getattr(error, "msg", "nested too deeply")
        raise UnreadableInput(f"{where}: not valid JSON ({detail})") from None
    if end != len(text.strip()):
        raise UnreadableInput(f"{where}: more than one JSON value on the line")
    return strict.result(value)


def _array_records(stream: ByteStream, path: str) -> Iterator[Any]:
    text = _Buffer(stream, path)
    text.expect("[")
    index = 0
    if text.peek() == "]":
        text.advance(1)
    else:
        while True:
            index += 1
            yield text.decode(f"{path}, record {index}")
            separator = text.peek()
            text.advance(1)
            if separator == "]":
                break
            if separator != ",":
                raise UnreadableInput(
                    f"{path}, after record {index}: expected ',' or ']', found {separator!r}"
                )
    if text.peek() != "":
        raise UnreadableInput(f"{path}: unexpected data after the closing ']'")


class _StrictDecoder(json.JSONDecoder):
    """Python's decoder that notes what I-JSON forbids instead of silently accepting it."""

    def __init__(self) -> None:
        super().__init__(
            object_pairs_hook=self._object,
            parse_float=self._float,
            parse_int=self._int,
            parse_constant=self._constant,
        )
        self.problems: list[str] = []

    def result(self, value: Any) -> Any:
        """The decoded value, or a MalformedRecord naming what is wrong with it."""
        if not self.problems:
            return value
        reason = "; ".join(dict.fromkeys(self.problems))
        self.problems.clear()
        return MalformedRecord(reason)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            repeated = sorted({k for k, _ in pairs if sum(1 for n, _ in pairs if n == k) > 1})
            self.problems.append(f"member {', '.join(map(repr, repeated))} appears twice")
        return result

    def _float(self, text: str) -> None:
        self.problems.append(f"holds the floating-point number {text[:40]}")

    def _int(self, text: str) -> int | None:
        if len(text) > 17 or abs(int(text)) > MAX_SAFE_INTEGER:
            self.problems.append(f"holds the integer {text[:40]}, beyond 2^53")
            return None
        return int(text)

    def _constant(self, text: str) -> None:
        self.problems.append(f"holds {text}, which is not a JSON number")


class _Buffer:
    """Decoded text read in growing chunks; only the part not yet parsed is kept."""

    def __init__(self, stream: ByteStream, path: str) -> None:
        self._stream = stream
        self._path = path
        self._text = ""
        self._pos = 0
        self._eof = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._strict = _StrictDecoder()

    def _fill(self, size: int = CHUNK_SIZE) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(size)
        self._eof = not chunk
        try:
            decoded = self._decoder.decode(chunk, final=self._eof)
        except UnicodeDecodeError:
            raise UnreadableInput(f"{self._path} is not UTF-8 text") from None
        self._text = self._text[self._pos :] + decoded
        self._pos = 0
        return bool(chunk)

    def peek(self) -> str:
        """The next character that is not whitespace, or "" at the end."""
        while True:
            text, pos = self._text, self._pos
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            self._pos = pos
            if pos < len(text):
                return text[pos]
            if not self._fill():
                return ""

    def advance(self, count: int) -> None:
        self._pos += count

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise UnreadableInput(f"{self._path}: expected {char!r} at the start of the array")
        self.advance(1)

    def decode(self, where: str) -> Any:
        self.peek()
        while True:
            self._strict.problems.clear()
            try:
                value, end = self._strict.raw_decode(self._text, self._pos)
            except RecursionError:
                raise UnreadableInput(f"{where}: nested too deeply") from None
            except json.JSONDecodeError as error:
                pending = len(self._text) - self._pos
                if pending > MAX_RECORD_SIZE:
                    raise self._too_large(where) from None
                # Read as much again as is pending, so that a large record is re-parsed only
                # a logarithmic number of times.
                if not self._fill(max(CHUNK_SIZE, pending)):
                    raise UnreadableInput(f"{where}: not valid JSON ({error.msg})") from None
                continue
            if end - self._pos > MAX_RECORD_SIZE:
                raise self._too_large(where)
            self._pos = end
            return self._strict.result(value)

    @staticmethod
    def _too_large(where: str) -> UnreadableInput:
        return UnreadableInput(f"{where}: a record larger than {MAX_RECORD_SIZE >> 20} MiB")
