"""The demo rings up, seals, prints to previews and verifies; the altered copy is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from till.demo import main


def test_the_demo_seals_prints_verifies_and_catches_an_alteration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "N° R1-000001" in out
    assert "TICKET DE REMBOURSEMENT" in out
    assert "Rendu monnaie                             6,70\u00a0€" in out
    assert "OK: 13 record(s) intact; order up to seq 4" in out
    assert "record 1, order #1: altered" in out
    assert (tmp_path / "chain.jsonl").read_text().count("\n") == 13
    assert len((tmp_path / "shop.pub").read_text().strip()) == 64
    previews = sorted(tmp_path.glob("ticket-R1-*.png"))
    assert len(previews) == 4
    with Image.open(previews[0]) as image:
        assert image.width > 500
    assert (tmp_path / "facture-R1-000003-duplicata.pdf").read_bytes().startswith(b"%PDF")
