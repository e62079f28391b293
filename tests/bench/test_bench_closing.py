"""The closing benchmark still runs and prints its figures (a tiny run: no timing asserted)."""

from __future__ import annotations

import json

import pytest

from bench import bench_closing


def test_prints_its_figures_as_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_closing.main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == {"orders", "z_seconds_5000", "x_seconds", "daily_closing_seconds"}
    assert figures["orders"] == 50 and figures["z_seconds_5000"] > 0
