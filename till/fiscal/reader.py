"""Reads sealed records from a file, one at a time: a JSON array or JSON lines, of any length."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from till.errors import TillError

CHUNK_SIZE = 1 << 20
MAX_RECORD_SIZE = 64 << 20


class UnreadableInput(TillError):
    code = "unreadable_input"


def read_records(path: Path) -> Iterator[Any]:
    """Yield the records of `path`; raises UnreadableInput with the place where reading failed."""
    try:
        stream = path.open("rb")
    except OSError as error:
        raise UnreadableInput(f"cannot open {path}: {error.strerror}") from None
    with stream:
        first = _first_significant_byte(stream)
        if first == b"":
            return
        if first == b"[":
            yield from _array_records(stream, path)
        elif first == b"{":
            yield from _json_lines(stream, path)
        else:
            raise UnreadableInput(f"{path} is neither a JSON array nor JSON lines of records")


def _first_significant_byte(stream: IO[bytes]) -> bytes:
    while True:
        byte = stream.read(1)
        if byte == b"" or not byte.isspace():
            stream.seek(-len(byte), 1)
            return byte


def _json_lines(stream: IO[bytes], path: Path) -> Iterator[Any]:
    for number, line in enumerate(stream, start=1):
        if line.isspace():
            continue
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise UnreadableInput(f"{path}, line {number}: not valid JSON ({error})") from None


def _array_records(stream: IO[bytes], path: Path) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    text = _Buffer(stream)
    text.expect("[")
    index = 0
    if text.peek() == "]":
        text.advance(1)
    else:
        while True:
            index += 1
            yield text.decode(decoder, f"{path}, record {index}")
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


class _Buffer:
    """Decoded text read in chunks; only the part not yet parsed is kept."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._text = ""
        self._pos = 0
        self._eof = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK_SIZE)
        self._eof = not chunk
        try:
            decoded = self._decoder.decode(chunk, final=self._eof)
        except UnicodeDecodeError:
            raise UnreadableInput("the file is not UTF-8 text") from None
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
            raise UnreadableInput(f"expected {char!r} at the start of the array")
        self.advance(1)

    def decode(self, decoder: json.JSONDecoder, where: str) -> Any:
        self.peek()
        while True:
            try:
                value, end = decoder.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as error:
                if len(self._text) - self._pos > MAX_RECORD_SIZE or not self._fill():
                    raise UnreadableInput(f"{where}: not valid JSON ({error.msg})") from None
                continue
            self._pos = end
            return value
