"""The screen's benchmark still runs and prints its figures (a tiny run: no timing asserted). It
starts a real `till-server serve` process and till processes offscreen."""

from __future__ import annotations

import json

import pytest

from bench import bench_ui


@pytest.mark.slow
def test_prints_its_figures_as_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_ui.main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == {"cold_start_s", "tap_p50_ms", "tap_p99_ms", "rss_mb_after_500"}
    for name, value in figures.items():
        assert isinstance(value, float) and value > 0, name
