"""The verifier benchmark still runs and prints its figures (at a tiny size: no timing asserted)."""

from __future__ import annotations

import json

import pytest

from bench import bench_verify


def test_prints_its_figures_as_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_verify.main(
        ["--speed", "90", "--rounds", "1", "--small", "30", "--large", "60"]
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == {
        "records_per_s",
        "bare_per_s",
        "ratio",
        "rss_mb_10k",
        "rss_mb_1m",
        "rss_growth",
    }
    assert all(value > 0 for value in figures.values())
