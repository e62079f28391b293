"""The project's own files are found beside the packages, or inside the frozen app's bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from till.resources import RESOURCES, project_root


def test_in_a_checkout_they_are_beside_the_packages() -> None:
    assert (RESOURCES / "demo" / "shop.json").is_file()
    assert (project_root() / "till" / "resources.py").is_file()


def test_in_the_frozen_app_they_are_in_its_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert project_root() == tmp_path
