"""Files written whole or not at all (the screen's settings, a credentials file, a download)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sync.files import atomic_write


def test_the_new_contents_replace_the_old_whole(tmp_path: Path) -> None:
    target = tmp_path / "screen.json"
    target.write_bytes(b"old")
    with atomic_write(target) as file:
        file.write(b"new ")
        file.write(b"contents")
    assert target.read_bytes() == b"new contents"
    assert [path.name for path in tmp_path.iterdir()] == ["screen.json"]


def test_a_failure_half_way_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "screen.json"
    target.write_bytes(b"old")
    with pytest.raises(OSError), atomic_write(target) as file:
        file.write(b"half of it")
        raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["screen.json"]


def test_a_private_file_is_for_its_user_only(tmp_path: Path) -> None:
    target = tmp_path / "credentials.json"
    with atomic_write(target, private=True) as file:
        file.write(b"{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
