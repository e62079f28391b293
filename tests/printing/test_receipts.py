"""Receipts, duplicata, Z and X tickets, notes and test pages, read back from ESC/POS bytes."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from printing.context import NotPrintable, People
from printing.document import Document
from printing.escpos import render_escpos
from printing.profile import PAPER_58_32, PAPER_80_42, PAPER_80_48, PrinterProfile
from printing.receipts import (
    ClosingReport,
    ModeCount,
    closing_ticket,
    printer_test_page,
    receipt,
    table_note,
)
from tests.printing.escpos_decoder import Paper, decode
from tests.printing.samples import (
    KEY,
    PEOPLE,
    SHOP,
    SOFTWARE,
    VALIDATED,
    breakfast,
    issuance,
    seal,
    take_away,
)
from till.fiscal.keys import KeyRing
from till.fiscal.proof import InvalidProof, verify_receipt
from till.order import CASH, Order, OrderLine, Payment, VatRates, refund_lines

GOLDEN = Path(__file__).with_name("golden")
PROFILES = [PAPER_58_32, PAPER_80_42, PAPER_80_48]


def paper(document: Document, profile: PrinterProfile = PAPER_80_48) -> Paper:
    return decode(render_escpos(document, profile))


def original(order: Order | None = None, copy: int = 1) -> Document:
    record = seal(order or breakfast())
    return receipt(record, issuance(record, copy), SHOP, SOFTWARE, PEOPLE, open_drawer=True)


@pytest.mark.parametrize("columns", [42, 48])
def test_receipt_bytes_match_the_golden_file(columns: int) -> None:
    profile = {42: PAPER_80_42, 48: PAPER_80_48}[columns]
    data = render_escpos(original(), profile)
    golden = GOLDEN / f"receipt_{columns}.bin"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert data == golden.read_bytes()


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p.columns}col")
def test_the_receipt_says_everything_a_receipt_must(profile: PrinterProfile) -> None:
    printed = paper(original(), profile)
    text = "\n".join(printed.text)
    for expected in (
        "Boulangerie-Café des Tilleuls",
        "SIRET 12345678200010",
        "TVA FR11123456782",
        "TICKET DE CAISSE",
        "N° R1-000001",
        "21/11/2026 09:15",  # Paris time of 08:15 UTC
        "Caisse Comptoir",
        "Caissier : Karim",
        "Café crème",
        "3,20 € l'unité",
        "Remise 50 %",
        "Remise sur le ticket",
        "Espèces",
        "Rendu monnaie",
        "Sceau cd36e5cc1f9ca4aa",
        "empreinte",
        "abababababababab",
        "Merci de votre visite",
    ):
        assert expected in text, expected
    assert "DUPLICATA" not in text
    assert all(
        len(line.text) <= (profile.columns // 2 if line.large else profile.columns)
        for line in printed.lines
    )
    assert printed.code_pages == ["cp858"]
    assert (printed.cuts, printed.drawer_kicks) == (1, 1)


def test_accents_euro_and_oe_print_in_cp858() -> None:
    text = "\n".join(paper(original()).text)
    assert "Réimprimé" not in text
    assert "20,80 €" in text
    assert "OEuf à la coque" in text  # CP858 has no Œ: spelled the French way


def test_oe_prints_itself_with_a_code_page_that_has_it() -> None:
    profile = PrinterProfile(code_page="CP1252")
    printed = paper(original(), profile)
    assert printed.code_pages == ["cp1252"]
    assert any("Œuf à la coque" in line for line in printed.text)


def test_the_vat_table_adds_up_on_paper() -> None:
    printed = paper(original())
    header = next(i for i, line in enumerate(printed.text) if line.startswith("TVA  "))
    assert printed.text[header].split() == ["TVA", "HT", "TVA", "TTC"]
    assert printed.text[header + 1].split() == ["10", "%", "18,91", "1,89", "20,80"]
    total = next(line for line in printed.lines if line.text.startswith("TOTAL TTC"))
    assert total.large and total.bold and total.text.endswith("20,80\u00a0€")


def test_two_rates_get_two_rows() -> None:
    printed = paper(original(take_away()))
    rows = [line.split() for line in printed.text if line.startswith("5,5")]
    assert rows == [["5,5", "%", "7,30", "0,40", "7,70"]]


def test_a_duplicata_says_so_with_its_number() -> None:
    printed = paper(original(copy=2))
    duplicata = [line for line in printed.lines if "DUPLICATA" in line.text]
    assert len(duplicata) == 1
    assert duplicata[0].text.strip() == "DUPLICATA n°1"  # the second copy
    assert duplicata[0].large and duplicata[0].bold
    assert any("Réimprimé le 21/11/2026 09:16" in line for line in printed.text)


def test_the_qr_code_verifies_and_a_changed_total_does_not() -> None:
    printed = paper(original())
    [proof] = printed.qr_codes
    keys = KeyRing([KEY.public_key])
    verified = verify_receipt(proof, keys)
    assert (verified.number, verified.total) == ("R1-000001", "20.80")
    with pytest.raises(InvalidProof, match="altered or forged"):
        verify_receipt(proof.replace(";20.80;", ";20.30;"), keys)


def test_a_refund_receipt_says_it_is_one() -> None:
    sale = breakfast()
    seal(sale)
    refund = Order(
        id="refund-1",
        created_at=VALIDATED + timedelta(hours=1),
        order_discount=sale.order_discount,
        corrects_order_id=sale.id,
    )
    for line in refund_lines(sale):
        refund.add_line(line)
    refund.add_payment(Payment(id="pr", mode=CASH, amount=refund.amount_due))
    text = "\n".join(paper(original(refund)).text)
    assert "TICKET DE REMBOURSEMENT" in text


def test_no_receipt_without_a_sealed_order() -> None:
    record = seal(breakfast())
    unsealed = {k: v for k, v in record.items() if k not in ("hash", "signature")}
    with pytest.raises(NotPrintable, match="never offline"):
        receipt(unsealed, issuance(record), SHOP, SOFTWARE, PEOPLE)
    draft = {**record, "validated_at": None}
    with pytest.raises(NotPrintable):
        receipt(draft, issuance(record), SHOP, SOFTWARE, PEOPLE)


def test_a_table_note_is_clearly_not_a_receipt() -> None:
    order = breakfast()
    printed = paper(table_note(order, SHOP))
    text = "\n".join(printed.text)
    assert "NOTE PROVISOIRE" in text
    assert "Ne vaut pas ticket de caisse" in text
    assert "TICKET DE CAISSE" not in text.replace("NE VAUT PAS TICKET", "")
    assert "Table 4 - 2 couvert(s)" in text
    assert printed.qr_codes == []
    assert "Sceau" not in text


def closing(kind: str) -> ClosingReport:
    return ClosingReport(
        kind=kind,
        register="Comptoir",
        cashier="Claire",
        opened_at=VALIDATED - timedelta(hours=9),
        closed_at=VALIDATED + timedelta(hours=9),
        modes=(
            ModeCount("Espèces", 45210, 45000 if kind == "Z" else None),
            ModeCount("Carte bancaire", 120480, 120480 if kind == "Z" else None),
        ),
        cash_movements=(("Achat de lait", -1250),),
        float_at_opening=15000,
        float_left=15000,
        period_total=165690,
        grand_total=9876543,
        sales_count=212,
        number=37 if kind == "Z" else None,
        seal="fe" * 32 if kind == "Z" else None,
        heads={"order": (1204, "aa" * 32), "payment": (1310, "bb" * 32)} if kind == "Z" else {},
    )


def test_a_z_ticket_shows_counts_differences_and_grand_total() -> None:
    text = "\n".join(paper(closing_ticket(closing("Z"), SHOP, SOFTWARE)).text)
    for expected in (
        "CLÔTURE Z n°37",
        "attendu",
        "452,10 €",
        "compté",
        "450,00 €",
        "écart",
        "-2,10 €",
        "Achat de lait",
        "Fond de caisse à l'ouverture",
        "Total général perpétuel",
        "98\u202f765,43 €".replace("\u202f", " "),
        "Sceau fefefefefefefefe",
        "Chaîne order : n°1204",
    ):
        assert expected in text, expected


def test_an_x_report_is_not_a_closure() -> None:
    text = "\n".join(paper(closing_ticket(closing("X"), SHOP, SOFTWARE)).text)
    assert "RAPPORT X (sans remise à zéro)" in text
    assert "compté" not in text and "Sceau" not in text


def test_an_unsealed_z_is_not_printed() -> None:
    report = closing("Z")
    with pytest.raises(NotPrintable):
        closing_ticket(replace(report, seal=None), SHOP, SOFTWARE)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p.columns}col")
def test_the_test_page_shows_the_ruler_and_accents(profile: PrinterProfile) -> None:
    printed = paper(printer_test_page(profile, SHOP, SOFTWARE), profile)
    assert any(len(line) == profile.columns and line.startswith("123") for line in printed.text)
    assert any("é è ê ë à â ç ù" in line for line in printed.text)
    assert printed.qr_codes == ["PAGE DE TEST"]


def test_quantities_of_weighed_goods_print_with_a_comma() -> None:
    text = "\n".join(paper(original(take_away())).text)
    assert "0,75 x Pain de campagne (kg)" in text


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p.columns}col")
def test_a_logo_prints_centred_across_the_paper(tmp_path: Path, profile: PrinterProfile) -> None:
    from PIL import Image

    from printing.document import Logo, Text

    logo = tmp_path / "logo.png"
    Image.new("RGB", (1000, 200), "black").save(logo)
    printed = paper(Document("test", (Logo(logo), Text("Bienvenue"))), profile)
    [(width, height)] = printed.images
    assert width == profile.dots
    assert height == 200 * profile.dots // 1000
    assert "Bienvenue" in printed.text


def test_an_unreadable_logo_is_a_clear_error(tmp_path: Path) -> None:
    from printing.document import Logo

    (tmp_path / "logo.png").write_text("not an image")
    with pytest.raises(NotPrintable, match="cannot be read"):
        paper(Document("test", (Logo(tmp_path / "logo.png"),)))


def test_text_from_a_record_cannot_send_printer_commands() -> None:
    order = breakfast()
    order.lines = (
        replace(order.lines[0], label="Café\x1bp\x00\x19\x19 crème\x1dV\x00\tchaud"),
        *order.lines[1:],
    )
    data = render_escpos(original(order), PAPER_80_48)
    assert data.count(b"\x1bp") == 1  # only the drawer kick the document asks for
    assert data.count(b"\x1dV") == 1  # only the cut at the end
    assert any("Café p    crème V  chaud" in line for line in decode(data).text)


def test_decomposed_accents_print_composed() -> None:
    order = breakfast()
    order.lines = (replace(order.lines[0], label="Cafe\u0301 cre\u0300me"), *order.lines[1:])
    assert any(line.startswith("2 x Café crème") for line in paper(original(order)).text)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p.columns}col")
def test_large_amounts_and_long_names_stay_on_the_paper(profile: PrinterProfile) -> None:
    order = Order(id="big", created_at=VALIDATED)
    order.add_line(
        OrderLine(
            label="Pièce montée de mariage pour cent cinquante invités, livrée et montée",
            quantity=Decimal(3),
            unit_price=12_345_678,
            vat=VatRates(Decimal(20)),
        )
    )
    order.add_payment(Payment(id="p", mode=CASH, amount=order.amount_due))
    record = seal(order)
    people = People(register="Comptoir principal du rez-de-chaussée", cashier="Marie-Christine")
    printed = paper(receipt(record, issuance(record), SHOP, SOFTWARE, people), profile)
    assert all(
        len(line.text) <= (profile.columns // 2 if line.large else profile.columns)
        for line in printed.lines
    )
    text = "\n".join(printed.text)
    assert "370 370,34" in text and "61 728,39" in text  # figures never run together


def test_a_refund_shows_no_savings_and_a_negative_total() -> None:
    sale = breakfast()
    seal(sale)
    refund = Order(id="refund-2", created_at=VALIDATED, order_discount=sale.order_discount)
    for line in refund_lines(sale):
        refund.add_line(line)
    refund.add_payment(Payment(id="pr2", mode=CASH, amount=refund.amount_due))
    printed = paper(original(refund))
    total = next(line for line in printed.text if line.startswith("TOTAL TTC"))
    assert total.endswith("-20,80 €")
    assert not any("Vos économies" in line for line in printed.text)


def test_a_receipt_refuses_another_receipts_proof() -> None:
    record, other = seal(breakfast()), seal(take_away(), number=2)
    with pytest.raises(NotPrintable, match="not this receipt's"):
        receipt(record, issuance(other), SHOP, SOFTWARE, PEOPLE)


def test_a_z_without_its_number_is_not_printed() -> None:
    with pytest.raises(NotPrintable):
        closing_ticket(replace(closing("Z"), number=None), SHOP, SOFTWARE)


@pytest.mark.parametrize("code_page", ["cp1252", "CP437", "UTF-8"])
def test_unknown_or_unfit_code_pages_are_refused(code_page: str) -> None:
    from printing.profile import UnsupportedProfile

    with pytest.raises(UnsupportedProfile):
        PrinterProfile(code_page=code_page)
