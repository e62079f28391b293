"""The till core's benchmark still runs and prints its figures (a tiny run: no timing asserted).
It starts a real `till-server serve` process."""

from __future__ import annotations

import json

import pytest

from bench import bench_sync


@pytest.mark.slow
def test_prints_its_figures_as_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_sync.main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == {"resync_1000_s", "client_overhead_ratio"}
    for name, value in figures.items():
        assert isinstance(value, float) and value > 0, name
