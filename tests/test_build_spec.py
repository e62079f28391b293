"""build.spec, read as PyInstaller reads it (its build steps recorded instead of run, so neither
PyInstaller nor a build is needed): the app starts where the `till` command does, carries the
files it reads at run time, and leaves out the Qt modules it does not use."""

from __future__ import annotations

import sys
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Step:
    """A build step of the spec, recording what it was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.pure: list[Any] = []
        self.scripts: list[Any] = []
        self.binaries: list[Any] = []
        self.datas: list[Any] = kwargs.get("datas", [])


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    collected: list[str] = []

    def collect_data_files(package: str) -> list[tuple[str, str]]:
        collected.append(package)
        return [(f"{package}/data", package)]

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = collect_data_files  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    namespace: dict[str, Any] = {
        "SPECPATH": str(ROOT),
        "workpath": str(tmp_path / "work"),
        "Analysis": Step,
        "PYZ": Step,
        "EXE": Step,
        "COLLECT": Step,
    }
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    exec(compile(source, "build.spec", "exec"), namespace)
    namespace["collected"] = collected
    return namespace


def test_starts_where_the_till_command_does(spec: dict[str, Any]) -> None:
    with (ROOT / "pyproject.toml").open("rb") as pyproject:
        declared = tomllib.load(pyproject)["project"]["scripts"]["till"]
    assert declared == "ui.app:main"
    (script,) = spec["a"].args[0]
    assert Path(script).read_text(encoding="utf-8") == "from ui.app import main\n\nmain()\n"
    assert spec["exe"].kwargs["name"] == spec["coll"].kwargs["name"] == "till"


def test_carries_the_files_read_at_run_time(spec: dict[str, Any]) -> None:
    assert spec["collected"] == ["escpos"]
    datas = spec["a"].kwargs["datas"]
    assert ("escpos/data", "escpos") in datas
    targets = {target for _source, target in datas}
    for needed in ("resources/fonts", "resources/theme", "resources/translations", "till/fiscal"):
        assert needed in targets
    for source, _target in datas[1:]:
        assert Path(source).exists(), source


def test_leaves_out_what_the_till_does_not_use(spec: dict[str, Any]) -> None:
    excluded = set(spec["a"].kwargs["excludes"])
    for module in ("QtWebEngineCore", "Qt3DCore", "QtQuick", "QtQml", "QtMultimedia"):
        assert f"PySide6.{module}" in excluded
    assert not {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"} & excluded
    assert "server" in excluded
