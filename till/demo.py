"""The terminal demo of this version: orders from the demo café, their VAT, sealing, verification.

Here the demo plays the server's part in the simplest way (number, seal, record the print); the
real validation rules live in the central server.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from printing.context import Issuance, People, ShopHeader, SoftwareInfo
from printing.layout import render_text
from printing.pdf import invoice_pdf
from printing.preview import render_preview
from printing.profile import PAPER_80_48
from printing.receipts import receipt
from till.about import version_line
from till.fiscal import cli
from till.fiscal.canonical import canonical_json
from till.fiscal.keys import ShopKey
from till.fiscal.proof import sign_receipt
from till.fiscal.records import Chain, SealedRecord
from till.money import parse_amount
from till.order import (
    DeliveryMethod,
    Discount,
    Order,
    OrderLine,
    Payment,
    PaymentMode,
    VatRates,
    refund_lines,
    to_record,
)
from till.timestamps import utc_now

DEMO_SHOP = Path(__file__).resolve().parents[1] / "resources" / "demo" / "shop.json"


@dataclass(frozen=True)
class Catalog:
    shop: dict[str, Any]
    articles: dict[str, dict[str, Any]]
    modes: dict[str, PaymentMode]

    @classmethod
    def load(cls, path: Path = DEMO_SHOP) -> Catalog:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            shop=data["shop"],
            articles={a["id"]: a for a in data["articles"]},
            modes={
                m["code"]: PaymentMode(m["code"], m["label"], m["gives_change"])
                for m in data["payment_modes"]
            },
        )

    def line(
        self, article_id: str, quantity: str = "1", discount: Discount | None = None
    ) -> OrderLine:
        article = self.articles[article_id]
        return OrderLine(
            article_id=article_id,
            label=article["label"],
            quantity=Decimal(quantity),
            unit_price=parse_amount(article["price"]),
            vat=VatRates(Decimal(article["vat_eat_in"]), Decimal(article["vat_take_away"])),
            discount=discount,
            department=article["department"],
        )


class DemoShop:
    """Numbers, seals and journals orders the way the server will, on three chains."""

    def __init__(self, catalog: Catalog, key: ShopKey, start: datetime) -> None:
        shop_id = catalog.shop["id"]
        self.catalog = catalog
        self.chains = {name: Chain(name, shop_id, key) for name in ("order", "payment", "event")}
        self.records: list[SealedRecord] = []
        self.clock = start
        self.timezone = ZoneInfo(catalog.shop["timezone"])

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=47)
        return self.clock

    def validate(self, order: Order) -> dict[str, Any]:
        number = self.chains["order"].head.seq + 1
        order.validated_at = self.tick()
        order.value_date = order.validated_at.astimezone(self.timezone).date()
        order.internal_number = number
        order.public_number = f"R1-{number:06d}"
        record = to_record(order)
        kind = "refund" if order.is_refund else "receipt"
        sealed = self.chains["order"].append({"type": kind, **record}, self.clock)
        order.seal = sealed.hash
        self.records.append(sealed)
        payments = record["payments"]
        assert isinstance(payments, list)
        for payment in payments:
            assert isinstance(payment, dict)
            fields = {"order": order.public_number, **payment}
            self.records.append(self.chains["payment"].append(fields, self.tick()))
        event = {"type": "print", "order": order.public_number, "copy": 1}
        self.records.append(self.chains["event"].append(event, self.tick()))
        return sealed.as_json()


def _pay(order: Order, mode: PaymentMode, amount: int | None = None) -> None:
    order.add_payment(Payment(mode=mode, amount=order.amount_due if amount is None else amount))


def ring_up(catalog: Catalog, shop: DemoShop) -> list[dict[str, Any]]:
    """Four sales a morning at the café might see, the last one refunding the second."""
    modes = catalog.modes
    common = {"shop_id": catalog.shop["id"], "register_id": "R1", "user_id": "u-karim"}

    breakfast = Order(created_at=shop.tick(), table="4", covers=2, **common)
    for article, quantity in (("creme", "2"), ("croissant", "2"), ("jus-orange", "1")):
        breakfast.add_line(catalog.line(article, quantity))
    _pay(breakfast, modes["cash"], 2000)

    bakery = Order(created_at=shop.tick(), delivery_method=DeliveryMethod.TAKE_AWAY, **common)
    bakery.add_line(catalog.line("baguette", "2"))
    bakery.add_line(catalog.line("campagne", "0.750"))
    bakery.add_line(catalog.line("eclair", "2", Discount.rate(10)))
    _pay(bakery, modes["card"])

    lunch = Order(created_at=shop.tick(), delivery_method=DeliveryMethod.TAKE_AWAY, **common)
    lunch.add_line(catalog.line("formule"))
    lunch.add_line(catalog.line("eau"))
    lunch.set_order_discount(Discount.amount(100))
    _pay(lunch, modes["meal_voucher"], 1000)
    _pay(lunch, modes["card"])

    sealed = [shop.validate(order) for order in (breakfast, bakery, lunch)]

    refund = Order(
        created_at=shop.tick(),
        delivery_method=bakery.delivery_method,
        corrects_order_id=bakery.id,
        order_discount=bakery.order_discount,
        **common,
    )
    for line in refund_lines(bakery):
        refund.add_line(line)
    _pay(refund, modes["cash"])
    return [*sealed, shop.validate(refund)]


def write_records(path: Path, records: Sequence[SealedRecord]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(canonical_json(record.as_json()).decode("utf-8") + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="till demo", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    args = parser.parse_args(argv)
    folder: Path = args.data_dir
    folder.mkdir(parents=True, exist_ok=True)

    print(version_line(), "\n")
    catalog = Catalog.load()
    key = ShopKey.generate()
    shop = DemoShop(catalog, key, utc_now())
    header = ShopHeader.from_json(catalog.shop)
    software = SoftwareInfo.current()
    people = People(register="Comptoir", cashier="Karim")
    records = ring_up(catalog, shop)
    for record in records:
        issuance = Issuance(copy=1, issued_at=shop.tick(), proof=sign_receipt(record, key))
        document = receipt(record, issuance, header, software, people)
        print(render_text(document, PAPER_80_48), "\n")
        preview = folder / f"ticket-{record['public_number']}.png"
        preview.write_bytes(render_preview(document, PAPER_80_48))
    lunch = records[2]
    duplicata = Issuance(copy=2, issued_at=shop.tick(), proof=sign_receipt(lunch, key))
    invoice = folder / f"facture-{lunch['public_number']}-duplicata.pdf"
    invoice.write_bytes(invoice_pdf(lunch, duplicata, header, software, people))
    print(f"No printer here: receipt previews are in {folder}/ticket-*.png, and a PDF invoice")
    print(f"(a duplicata, as a second issue of the same receipt) in {invoice}.\n")

    chain_file, key_file = folder / "chain.jsonl", folder / "shop.pub"
    write_records(chain_file, shop.records)
    key_file.write_text(key.public_key.hex + "\n")
    print(f"{len(shop.records)} sealed records written to {chain_file}; public key in {key_file}.")
    print(f"\n$ till-verify {chain_file} --key-file {key_file}")
    cli.run([str(chain_file), "--key-file", str(key_file)])

    tampered = folder / "chain-altered.jsonl"
    lines = chain_file.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["final_price"] = "0.10"
    lines[0] = json.dumps(first, ensure_ascii=False)
    tampered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nThe first receipt's total changed to 0,10 € in {tampered}:")
    print(f"$ till-verify {tampered} --key-file {key_file}")
    cli.run([str(tampered), "--key-file", str(key_file)])

    print(
        "\nThis version holds the domain and fiscal cores, till-verify and printing. The central "
        "server and the cashier's screen come in the next versions; the demo will then start "
        "them instead."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
