"""The server benchmark still runs and prints its figures (a tiny run: no timing asserted).

It starts real server processes. The PostgreSQL figures are null where PostgreSQL cannot be
reached, except under CI=true, where the benchmark fails instead.
"""

from __future__ import annotations

import json

import pytest

from bench import bench_server

KEYS = {
    "add_line_p50_ms",
    "add_line_p99_ms",
    "add_line_vs_health",
    "validations_per_s_sqlite",
    "validations_per_s_pg",
    "validations_per_s_pg_4shops",
    "sales_per_s_pg",
}
POSTGRES_KEYS = {"validations_per_s_pg", "validations_per_s_pg_4shops", "sales_per_s_pg"}


@pytest.mark.slow
def test_prints_its_figures_as_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_server.main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == KEYS
    postgres = bench_server.postgres_reachable()
    for name, value in figures.items():
        if name in POSTGRES_KEYS and not postgres:
            assert value is None, name
        else:
            assert isinstance(value, float) and value > 0, name
