"""Reading records from files: arrays and JSON lines, streamed, with clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from till.fiscal import reader
from till.fiscal.reader import UnreadableInput, read_records
from till.fiscal.verify import MalformedRecord

RECORDS = [{"seq": n, "label": "Café crème", "nested": {"x": [1, "]"]}} for n in range(1, 6)]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("indent", [None, 2])
def test_reads_a_json_array(tmp_path: Path, indent: int | None) -> None:
    path = write(tmp_path / "chain.json", json.dumps(RECORDS, indent=indent, ensure_ascii=False))
    assert list(read_records(path)) == RECORDS


def test_reads_an_array_across_many_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "CHUNK_SIZE", 7)
    path = write(tmp_path / "chain.json", json.dumps(RECORDS, ensure_ascii=False))
    assert list(read_records(path)) == RECORDS


def test_reads_json_lines_with_blank_lines(tmp_path: Path) -> None:
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n\n"
    assert list(read_records(write(tmp_path / "chain.jsonl", text))) == RECORDS


@pytest.mark.parametrize("text", ["", "  \n", "[]", " [ ] \n"])
def test_an_empty_file_or_array_has_no_record(tmp_path: Path, text: str) -> None:
    assert list(read_records(write(tmp_path / "chain.json", text))) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("hello", "neither a JSON array nor JSON lines"),
        ('{"seq": 1}\n{"seq": \n', "line 2: not valid JSON"),
        ('[{"seq": 1}, {"seq": 2', "record 2: not valid JSON"),
        ('[{"seq": 1} {"seq": 2}]', "expected ',' or ']'"),
        ('[{"seq": 1}] trailing', "after the closing"),
    ],
)
def test_unreadable_input_says_where(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(UnreadableInput) as raised:
        list(read_records(write(tmp_path / "chain.json", text)))
    assert needle in raised.value.message


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match="cannot open"):
        list(read_records(tmp_path / "absent.json"))


def test_bytes_that_are_not_utf8_are_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "chain.json"
    path.write_bytes(b'[{"label": "\xff\xfe"}]')
    with pytest.raises(UnreadableInput, match="not UTF-8"):
        list(read_records(path))


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"a": 1, "a": 2}', "member 'a' appears twice"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"a": 1.5}', "floating-point number 1.5"),
        ('{"a": 1e400}', "floating-point number 1e400"),
        ('{"a": 9007199254740992}', "beyond 2^53"),
        ('{"a": ' + "9" * 5000 + "}", "beyond 2^53"),
    ],
)
@pytest.mark.parametrize("layout", ["lines", "array"])
def test_what_ijson_forbids_comes_out_as_a_malformed_record(
    tmp_path: Path, line: str, needle: str, layout: str
) -> None:
    good = '{"seq": 1}'
    text = f"{good}\n{line}\n{good}\n" if layout == "lines" else f"[{good}, {line}, {good}]"
    records = list(read_records(write(tmp_path / "chain.json", text)))
    assert records[0] == records[2] == {"seq": 1}
    assert isinstance(records[1], MalformedRecord)
    assert needle in records[1].reason


def test_lines_that_are_not_canonical_are_still_read(tmp_path: Path) -> None:
    text = '{ "seq" : 1 , "label" : "Caf\\u00e9" }\r\n'
    assert list(read_records(write(tmp_path / "chain.jsonl", text))) == [
        {"seq": 1, "label": "Café"}
    ]


def test_a_utf8_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "chain.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"seq":1}\n')
    assert list(read_records(path)) == [{"seq": 1}]


def test_utf16_text_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "chain.jsonl"
    path.write_bytes('{"seq":1}\n'.encode("utf-16"))
    with pytest.raises(UnreadableInput, match="UTF-16"):
        list(read_records(path))


def test_reads_from_a_pipe(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b'  {"seq":1}\n{"seq":2}\n')
    os.close(write_end)
    try:
        assert list(read_records(Path(f"/dev/fd/{read_end}"))) == [{"seq": 1}, {"seq": 2}]
    finally:
        os.close(read_end)


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_deep_nesting_is_unreadable_not_a_crash(tmp_path: Path, layout: str) -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    text = deep + "\n" if layout == "lines" else f"[{deep}]"
    with pytest.raises(UnreadableInput):
        list(read_records(write(tmp_path / "chain.json", text)))


def test_a_line_beyond_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_RECORD_SIZE", 100)
    text = '{"seq":1}\n{"label":"' + "x" * 200 + '"}\n'
    with pytest.raises(UnreadableInput, match="line 2: a record longer than"):
        list(read_records(write(tmp_path / "chain.jsonl", text)))


def test_a_record_beyond_the_size_limit_in_an_array_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_RECORD_SIZE", 100)
    monkeypatch.setattr(reader, "CHUNK_SIZE", 16)
    text = '[{"seq":1}, {"label":"' + "x" * 400 + '"}]'
    with pytest.raises(UnreadableInput, match="record 2: a record larger than"):
        list(read_records(write(tmp_path / "chain.json", text)))
