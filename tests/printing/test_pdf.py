"""A4 invoices: what they say, read back from the PDF, and how they look once rendered."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageStat
from pypdf import PdfReader

from printing.context import NotPrintable, People
from printing.pdf import invoice_pdf
from tests.printing.samples import (
    BAKERY,
    PEOPLE,
    SHOP,
    SOFTWARE,
    VALIDATED,
    breakfast,
    issuance,
    seal,
    take_away,
)
from till.order import CARD, CASH, Order, OrderLine, Payment, refund_lines, to_record


def _pdf(record: dict[str, Any], copy: int = 1, people: People = PEOPLE) -> bytes:
    return invoice_pdf(record, issuance(record, copy), SHOP, SOFTWARE, people)


def _pages(pdf: bytes) -> list[str]:
    """Each page's text with whitespace runs as one space: amounts hold no-break spaces, and
    table cells come out one per line."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def _render(pdf: bytes, page: int = 0) -> Image.Image:
    image: Image.Image = pypdfium2.PdfDocument(pdf)[page].render(scale=2).to_pil()
    return image


@pytest.fixture(scope="module")
def breakfast_record() -> dict[str, Any]:
    return seal(breakfast())


@pytest.fixture(scope="module")
def original(breakfast_record: dict[str, Any]) -> str:
    return _text(_pdf(breakfast_record))


def _refund() -> dict[str, Any]:
    sale = breakfast()
    refund = Order(
        id="order-0003",
        created_at=VALIDATED,
        corrects_order_id=sale.id,
        order_discount=sale.order_discount,
    )
    for line in refund_lines(sale):
        refund.add_line(line)
    refund.add_payment(Payment(id="p3", mode=CASH, amount=refund.amount_due, paid_at=VALIDATED))
    return seal(refund, number=2)


def _on_account() -> dict[str, Any]:
    """A caterer's order paid a deposit, the rest due later."""
    order = Order(id="order-0004", created_at=VALIDATED)
    order.add_line(
        OrderLine(id="l1", label="Pièce montée", quantity=Decimal(1), unit_price=24000, vat=BAKERY)
    )
    order.add_payment(Payment(id="p4", mode=CARD, amount=5000, paid_at=VALIDATED))
    return seal(order, number=3)


def test_the_invoice_names_seller_buyer_and_order(original: str) -> None:
    for expected in [
        "Boulangerie-Café des Tilleuls",
        "12 place des Tilleuls 69003 Lyon",
        "SIRET : 12345678200010",
        "N° TVA intracommunautaire : FR11123456782",
        "FACTURE N° R1-000001",
        # Validated at 08:15 UTC: 09:15 in Lyon in November.
        "Date : 21/11/2026 à 09:15",
        "Client comptoir",
        "N° interne : 1",
        "Caisse : Comptoir · caissier : Karim",
        "Service : sur place · table 4 · 2 couverts",
    ]:
        assert expected in original
    assert "AVOIR" not in original


def test_lines_show_quantity_price_discount_vat_and_totals(original: str) -> None:
    assert "Café crème 2 3,20 € -0,29 € 10 % 5,55 € 6,11 €" in original
    assert "Croissant remise 50 % 1 1,20 € -0,63 € 10 % 0,52 € 0,57 €" in original
    assert "Œuf à la coque, pain grillé 1 5,80 € -0,27 € 10 % 5,03 € 5,53 €" in original
    assert "Remise sur la commande (1,00 €) répartie sur les lignes" in original


def test_vat_table_totals_and_payments(original: str) -> None:
    for expected in [
        "Taux Base HT TVA TTC 10 % 18,91 € 1,89 € 20,80 € Total 18,91 € 1,89 € 20,80 €",
        "Total avant remises 22,40 €",
        "Remises sur les lignes -0,60 €",
        "Remise sur la commande -1,00 €",
        "Total HT 18,91 €",
        "Total TVA 1,89 €",
        "Total TTC 20,80 €",
        "Espèces 21/11/2026 à 09:15 24,10 €",
        "Rendu monnaie 3,30 €",
        "Facture acquittée",
    ]:
        assert expected in original
    assert "Reste à payer" not in original


def test_seal_software_and_legal_footer(breakfast_record: dict[str, Any], original: str) -> None:
    assert f"Sceau : {breakfast_record['hash'][:16]} " in original
    assert "enregistrement n° 1" in original
    assert "Logiciel : Till 1.0.0" in original
    assert f"Empreinte fiscale : {SOFTWARE.fingerprint[:16]} " in original
    assert "Système de caisse conforme (art. 286 I 3° bis du CGI)." in original
    # Late-payment mentions concern what is still owed; this invoice is paid.
    assert "Pénalités de retard" not in original


def test_the_legal_footer_is_printed_only_when_configured(
    breakfast_record: dict[str, Any],
) -> None:
    shop = replace(SHOP, legal_footer=None)
    pdf = invoice_pdf(breakfast_record, issuance(breakfast_record), shop, SOFTWARE, PEOPLE)
    assert "CGI" not in _text(pdf)


def test_only_later_copies_say_duplicata(breakfast_record: dict[str, Any], original: str) -> None:
    assert "DUPLICATA" not in original
    copy = _text(_pdf(breakfast_record, copy=2))
    assert "DUPLICATA n°1" in copy  # the second copy
    assert "Document édité le 21/11/2026 à 09:16" in copy


def test_a_named_customer_replaces_the_counter_customer(breakfast_record: dict[str, Any]) -> None:
    people = replace(
        PEOPLE,
        customer="Dupont & Fils <SARL>",
        customer_address=("3 rue de la République", "69002 Lyon"),
    )
    text = _text(_pdf(breakfast_record, people=people))
    assert "CLIENT Dupont & Fils <SARL> 3 rue de la République 69002 Lyon" in text
    assert "Client comptoir" not in text


def test_take_away_weighed_goods_and_card() -> None:
    text = _text(_pdf(seal(take_away())))
    assert "Service : à emporter" in text
    assert "Pain de campagne (kg) 0,75 6,80 € 5,5 %" in text
    assert "Carte bancaire" in text
    assert "Rendu monnaie" not in text
    assert "Remise sur la commande" not in text


def test_an_unpaid_balance_carries_the_late_payment_mentions() -> None:
    text = _text(_pdf(_on_account()))
    assert "Reste à payer 190,00 €" in text
    assert "Pénalités de retard : trois fois le taux d'intérêt légal." in text
    assert "Indemnité forfaitaire pour frais de recouvrement : 40 €." in text
    assert "Facture acquittée" not in text


def test_a_refund_is_a_credit_note() -> None:
    pdf = _pdf(_refund())
    text = _text(pdf)
    assert "FACTURE D'AVOIR N° R1-000002" in text
    assert "Café crème -2 3,20 € 0,29 € 10 % -5,55 € -6,11 €" in text
    assert "Total TTC -20,80 €" in text
    assert "Rectifie la commande : order-0001" in text
    assert "Avoir remboursé" in text
    assert "Pénalités de retard" not in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Facture d'avoir R1-000002"


def test_a_long_order_repeats_the_header_and_duplicata_on_every_page() -> None:
    record = seal(breakfast(60))
    pages = _pages(_pdf(record, copy=3))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "DUPLICATA n°2" in page
        assert f"page {number} / {len(pages)}" in page
    # The lines table's header starts again on the page where the lines go on.
    assert all("Désignation Qté P.U. TTC" in page for page in pages[:2])
    assert "Café crème 57 2 3,20 €" in " ".join(pages)
    assert "Total TTC 326,00 €" in " ".join(pages)


def test_metadata_fonts_and_determinism(breakfast_record: dict[str, Any]) -> None:
    pdf = _pdf(breakfast_record)
    assert pdf == _pdf(breakfast_record)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Facture R1-000001"
    assert reader.metadata.author == SHOP.name
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "DejaVu" in font["/BaseFont"]
            # Embedded: the font program travels in the file.
            assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_the_rendered_page_shows_a_readable_proof(
    breakfast_record: dict[str, Any], tmp_path: Path
) -> None:
    proof = issuance(breakfast_record, 2).proof
    image = _render(_pdf(breakfast_record, copy=2))
    image.save(tmp_path / "invoice_page1.png")
    ink = 255 - ImageStat.Stat(image.convert("L")).mean[0]
    assert 2 < ink < 60, "the page is blank or black"
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [proof]


@pytest.mark.parametrize("missing", ["hash", "signature", "seq"])
def test_an_unsealed_record_is_refused(breakfast_record: dict[str, Any], missing: str) -> None:
    record = {name: value for name, value in breakfast_record.items() if name != missing}
    with pytest.raises(NotPrintable):
        invoice_pdf(record, issuance(breakfast_record), SHOP, SOFTWARE, PEOPLE)


def test_an_order_record_never_sealed_is_refused(breakfast_record: dict[str, Any]) -> None:
    with pytest.raises(NotPrintable):
        invoice_pdf(to_record(breakfast()), issuance(breakfast_record), SHOP, SOFTWARE, PEOPLE)
