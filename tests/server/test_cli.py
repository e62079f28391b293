"""`till-server` on the command line: demo shop, enrollment codes, verification."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from till.version import __version__


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TILL_DATA_DIR": str(data_dir), "TILL_PIN_COST": "10"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from server.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_demo_creates_the_shop_once_and_prints_a_code(tmp_path: Path) -> None:
    first = run(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "Shop FR-DEMO-0001 created." in first.stdout
    assert re.search(r"Enrollment code for FR-DEMO-0001: [A-Z2-9]{5}-[A-Z2-9]{5}", first.stdout)
    assert (tmp_path / "till.sqlite3").exists()
    key_file = tmp_path / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = run(tmp_path, "demo")
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout.splitlines()[0]
    verify = run(tmp_path, "verify", "--shop", "FR-DEMO-0001")
    assert verify.returncode == 0, verify.stderr
    assert '"ok": true' in verify.stdout


@pytest.mark.parametrize("args", [("enrollment-code", "--shop", "NOPE"), ("create-shop", "/nope")])
def test_bad_requests_are_clear_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(tmp_path, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("till-server:")


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert __version__ in result.stdout
