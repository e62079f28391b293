"""The slip of a cash movement, read back from ESC/POS bytes: what went in or out, how much, why,
who, when, its journal number, a place to sign, and the drawer opened."""

from __future__ import annotations

import pytest

from printing.escpos import render_escpos
from printing.profile import PAPER_58_32, PAPER_80_48, PrinterProfile
from printing.slips import CashMovement, cash_movement_slip
from tests.printing.escpos_decoder import decode
from tests.printing.samples import SHOP, SOFTWARE, VALIDATED


@pytest.mark.parametrize("profile", [PAPER_80_48, PAPER_58_32], ids=["80mm", "58mm"])
@pytest.mark.parametrize(("kind", "title"), [("out", "SORTIE"), ("in", "ENTRÉE")])
def test_a_cash_movement_slip(profile: PrinterProfile, kind: str, title: str) -> None:
    movement = CashMovement(kind, 2_000, "Dépôt en banque", "Comptoir", "Karim", VALIDATED, 41)
    paper = decode(render_escpos(cash_movement_slip(movement, SHOP, SOFTWARE), profile))
    text = "\n".join(paper.text)
    assert f"{title} D'ESPÈCES" in text
    assert "20,00 €" in text and "Motif : Dépôt en banque" in text
    assert "Comptoir" in text and "Karim" in text and "21/11/2026 09:15" in text  # Paris time
    assert "Journal n°" in text and "41" in text and "Signature" in text
    assert paper.drawer_kicks == 1 and paper.cuts == 1
    assert all(len(line) <= profile.columns for line in paper.text)
