"""Reading records from files: arrays and JSON lines, streamed, with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from till.fiscal import reader
from till.fiscal.reader import UnreadableInput, read_records

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
