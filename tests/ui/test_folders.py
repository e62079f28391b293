"""Where reports and exports are saved: the folders the chooser shows, the default one when the
folder chosen is gone, and a save that cannot be done said in words rather than as a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.folders import default_folder, look_at
from ui.screens.reports import CannotSave, save_into


def test_a_folder_shows_its_folders_not_its_files_nor_hidden_ones(tmp_path: Path) -> None:
    for name in ("b", "A", ".cache"):
        (tmp_path / name).mkdir()
    (tmp_path / "rapport.csv").write_text("x")
    view = look_at(tmp_path)
    assert [folder.name for folder in view.folders] == ["A", "b"]
    assert view.readable and view.writable


def test_a_folder_gone_gives_way_to_the_default(tmp_path: Path) -> None:
    assert look_at(tmp_path / "clé USB retirée").path == default_folder()


def test_a_save_that_cannot_be_done_is_said(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    with pytest.raises(CannotSave) as missing:
        save_into(gone, lambda folder: folder / "never")
    assert str(gone) in missing.value.message

    def refused(folder: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    with pytest.raises(CannotSave) as denied:
        save_into(tmp_path, refused)
    assert "Permission denied" in denied.value.message
    assert save_into(tmp_path, lambda folder: folder / "saved.csv") == [tmp_path / "saved.csv"]
