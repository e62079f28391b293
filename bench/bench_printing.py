"""Benchmark of receipt rendering: a 30-line receipt to ESC/POS bytes and to a preview PNG.

Targets: at most 5 ms for the ESC/POS bytes and 50 ms for the preview PNG.
Run: python bench/bench_printing.py [--rounds N]
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from printing.context import Issuance, People, ShopHeader, SoftwareInfo
from printing.document import Document
from printing.escpos import render_escpos
from printing.preview import render_preview
from printing.profile import PAPER_80_48
from printing.receipts import receipt
from till.fiscal.keys import ShopKey
from till.fiscal.proof import sign_receipt
from till.fiscal.records import Chain
from till.order import CARD, Discount, Order, OrderLine, Payment, VatRates, to_record

SHOP = ShopHeader(
    name="Boulangerie-Café des Tilleuls",
    address=("12 place des Tilleuls", "69003 Lyon"),
    siret="12345678200010",
    vat_number="FR11123456782",
    legal_footer="Merci de votre visite !",
)
LABELS = ("Café crème", "Croissant", "Œuf à la coque", "Jus d'orange pressé", "Éclair au café")


def thirty_line_receipt() -> Document:
    key = ShopKey.generate()
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    order = Order(created_at=now - timedelta(minutes=5), table="12", covers=6)
    for n in range(30):
        order.add_line(
            OrderLine(
                label=f"{LABELS[n % len(LABELS)]} {n + 1}",
                quantity=Decimal(1 + n % 3),
                unit_price=150 + 37 * n,
                vat=VatRates(Decimal("10"), Decimal("5.5")),
                discount=Discount.rate(10) if n % 7 == 0 else None,
            )
        )
    order.add_payment(Payment(mode=CARD, amount=order.amount_due, paid_at=now))
    order.validated_at = now
    order.internal_number = 1
    order.public_number = "R1-000001"
    record = Chain("order", "FR-BENCH", key).append(to_record(order), now).as_json()
    issuance = Issuance(copy=1, issued_at=now, proof=sign_receipt(record, key))
    software = SoftwareInfo("Till", "1.0.0", "ab" * 32)
    return receipt(record, issuance, SHOP, software, People("Comptoir", "Karim"))


def median_ms(work: Callable[[], Any], rounds: int) -> float:
    work()  # warm caches (fonts, code pages) once, as a till does at start
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    document = thirty_line_receipt()
    escpos_ms = median_ms(lambda: render_escpos(document, PAPER_80_48), args.rounds)
    preview_ms = median_ms(lambda: render_preview(document, PAPER_80_48), args.rounds)
    print(f"30-line receipt: ESC/POS bytes {escpos_ms:.2f} ms, preview PNG {preview_ms:.1f} ms")
    figures = {"escpos_ms": round(escpos_ms, 2), "preview_ms": round(preview_ms, 1)}
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
