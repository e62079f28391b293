"""`till-verify`: exit 0 when intact, 1 with one line per defect, 2 on unreadable input."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.till.fiscal.chains import BuildChain
from till.fiscal.cli import run
from till.fiscal.keys import ShopKey


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_an_intact_chain_exits_0(
    tmp_path: Path, build_chain: BuildChain, shop_key: ShopKey, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(tmp_path / "chain.jsonl", build_chain(12))
    assert run([str(path), "--key", shop_key.public_key.hex]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 12 record(s) intact; order up to seq 12")


def test_an_array_file_and_a_key_file_work_too(
    tmp_path: Path, build_chain: BuildChain, shop_key: ShopKey, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(build_chain(3)))
    key_file = tmp_path / "shop.pub"
    key_file.write_text(ShopKey.generate().public_key.hex + "\n" + shop_key.public_key.hex + "\n")
    assert run([str(path), "--key-file", str(key_file)]) == 0


def test_defects_exit_1_with_one_line_each(
    tmp_path: Path, build_chain: BuildChain, shop_key: ShopKey, capsys: pytest.CaptureFixture[str]
) -> None:
    records = build_chain(10)
    records[2]["final_price"] = "0.00"
    head = f"order:10:{records[-1]['hash']}"
    del records[5]
    del records[-1]
    path = write_lines(tmp_path / "chain.jsonl", records)
    assert run([str(path), "--key", shop_key.public_key.hex, "--head", head]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "record 3, order #3: altered: its content was changed after sealing: "
        "it no longer matches its signed hash",
        "record 6, order #6: gap: seq 6 missing before record 6",
        "order #10: truncated: the chain ends at seq 9 but a head at seq 10 was recorded: "
        "records were removed from its end",
        "FAILED: 3 defect(s) in 8 record(s)",
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["{chain}"], "give the shop's public key"),
        (["{chain}", "--key", "xyz"], "not hexadecimal"),
        (["{chain}", "--key-file", "{missing}"], "cannot read the key file"),
        (["{missing}", "--key", "{key}"], "cannot open"),
        (["{garbage}", "--key", "{key}"], "neither a JSON array nor JSON lines"),
        (["{chain}", "--key", "{key}", "--head", "order:x:y"], "expected CHAIN:SEQ:HASH"),
    ],
)
def test_unreadable_input_exits_2_with_a_message(
    tmp_path: Path,
    build_chain: BuildChain,
    shop_key: ShopKey,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    names = {
        "chain": str(write_lines(tmp_path / "chain.jsonl", build_chain(2))),
        "missing": str(tmp_path / "absent"),
        "garbage": str(garbage),
        "key": shop_key.public_key.hex,
    }
    assert run([a.format(**names) for a in args]) == 2
    captured = capsys.readouterr()
    assert needle in captured.err
    assert captured.err.startswith("till-verify: ")
    assert "Traceback" not in captured.err + captured.out


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    command = shutil.which("till-verify") or str(
        Path(__file__).parents[3] / ".venv/bin/till-verify"
    )
    (tmp_path / "bad.jsonl").write_text('{"seq": 1}\n{oops\n')
    result = subprocess.run(
        [command, str(tmp_path / "bad.jsonl"), "--key", "ab" * 32],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "line 2: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_file_is_not_called_intact(
    tmp_path: Path, shop_key: ShopKey, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    assert run([str(tmp_path / "empty.jsonl"), "--key", shop_key.public_key.hex]) == 2
    assert "holds no record" in capsys.readouterr().err


@pytest.mark.parametrize("head", ["order:\u00b2:" + "ab" * 32, "order:3:" + "zz" * 32])
def test_a_bad_head_is_a_usage_error(
    tmp_path: Path, build_chain: BuildChain, shop_key: ShopKey, head: str
) -> None:
    path = write_lines(tmp_path / "chain.jsonl", build_chain(2))
    assert run([str(path), "--key", shop_key.public_key.hex, "--head", head]) == 2


def test_a_key_file_with_a_byte_order_mark_is_read(
    tmp_path: Path, build_chain: BuildChain, shop_key: ShopKey
) -> None:
    path = write_lines(tmp_path / "chain.jsonl", build_chain(2))
    key_file = tmp_path / "shop.pub"
    key_file.write_bytes(b"\xef\xbb\xbf" + shop_key.public_key.hex.encode() + b"\r\n")
    assert run([str(path), "--key-file", str(key_file)]) == 0


def test_a_closed_pipe_ends_quietly(tmp_path: Path, build_chain: BuildChain) -> None:
    records = build_chain(3000)
    for record in records:
        record["final_price"] = "0.00"
    path = write_lines(tmp_path / "chain.jsonl", records)
    command = shutil.which("till-verify") or str(
        Path(__file__).parents[3] / ".venv/bin/till-verify"
    )
    other = ShopKey.generate().public_key.hex
    result = subprocess.run(
        f"'{command}' '{path}' --key {other} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr
