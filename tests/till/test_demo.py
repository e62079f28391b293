"""The demo rings up, seals and verifies; the altered copy is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from till.demo import main


def test_the_demo_seals_verifies_and_catches_an_alteration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "TICKET R1-000001  (sur place)" in out
    assert "REMBOURSEMENT R1-000004  (à emporter)" in out
    assert "Rendu                                     6,70\u00a0€" in out
    assert "OK: 13 record(s) intact; order up to seq 4" in out
    assert "record 1, order #1: altered" in out
    assert (tmp_path / "chain.jsonl").read_text().count("\n") == 13
    assert len((tmp_path / "shop.pub").read_text().strip()) == 64
