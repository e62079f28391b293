#!/usr/bin/env python3
"""Set up the project's virtual environment, then start the demo or run the whole test suite.

    python3 run.py demo    # set everything up and start the demo: the server and the till
    python3 run.py test    # set everything up and run lint, types and tests

Needs only Python 3.11+; everything else is installed into `.venv` from `pyproject.toml`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_environment() -> Path:
    """Create `.venv` and install the project with its test tools; again when pyproject changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py is what an older Python runs first
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python
    if not python.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the project and its test tools ...", flush=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            f"{ROOT}[test]",
        ],
        check=True,
    )
    STAMP.write_text(wanted + "\n")
    return python


def run_steps(steps: list[list[str]]) -> int:
    for step in steps:
        print("$ " + " ".join(step[2:] if step[1] == "-m" else step), flush=True)
        code = subprocess.run(step, cwd=ROOT).returncode
        if code != 0:
            return code
    return 0


def test(python: Path, pytest_args: list[str]) -> int:
    py = str(python)
    return run_steps(
        [
            [py, "-m", "ruff", "format", "--check", "."],
            [py, "-m", "ruff", "check", "."],
            [py, "-m", "mypy"],
            [py, "-m", "pytest", *pytest_args],
        ]
    )


def demo(python: Path, demo_args: list[str]) -> int:
    with subprocess.Popen([str(python), "-m", "ui.demo", *demo_args], cwd=ROOT) as child:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # The demo has its Ctrl-C too: it closes its window and stops its server.
                continue


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        print(__doc__)
        return 2
    python = ensure_environment()
    command, rest = sys.argv[1], sys.argv[2:]
    return test(python, rest) if command == "test" else demo(python, rest)


if __name__ == "__main__":
    sys.exit(main())
