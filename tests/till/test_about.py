"""The version line the commands print: version and fiscal fingerprint, on one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from till.about import version_line
from till.fiscal.perimeter import fingerprint
from till.version import __version__


def test_the_version_line_names_version_and_fingerprint() -> None:
    assert version_line() == f"Till {__version__}, fiscal fingerprint {fingerprint()}"


@pytest.mark.parametrize("module", ["ui.app", "server.cli"])
def test_each_command_prints_it_with_version(module: str) -> None:
    code = f"import sys; sys.argv = ['x', '--version']; import {module} as m; m.main()"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout == version_line() + "\n"
