"""The archive benchmark still runs and prints its figures (a tiny run: no timing asserted)."""

from __future__ import annotations

import json

import pytest

from bench import bench_archive


@pytest.mark.slow
def test_prints_its_figures_as_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_archive.main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == {"archive_s", "archive_peak_rss_mb", "verify_records_per_s", "fec_s"}
    for name in ("archive_s", "archive_peak_rss_mb", "verify_records_per_s", "fec_s"):
        assert isinstance(figures[name], float) and figures[name] > 0, name
