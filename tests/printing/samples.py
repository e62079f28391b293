"""Sealed orders, shops and issuances for the printing tests, built as the server would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from printing.context import Issuance, People, ShopHeader, SoftwareInfo
from till.fiscal.keys import ShopKey
from till.fiscal.proof import sign_receipt
from till.fiscal.records import Chain
from till.order import (
    CARD,
    CASH,
    DeliveryMethod,
    Discount,
    Order,
    OrderLine,
    Payment,
    VatRates,
    to_record,
)

KEY = ShopKey.from_seed_hex("33" * 32)
VALIDATED = datetime(2026, 11, 21, 8, 15, 30, tzinfo=UTC)
SHOP = ShopHeader(
    name="Boulangerie-Café des Tilleuls",
    address=("12 place des Tilleuls", "69003 Lyon"),
    siret="12345678200010",
    vat_number="FR11123456782",
    legal_footer="Merci de votre visite ! Système de caisse conforme (art. 286 I 3° bis du CGI).",
)
SOFTWARE = SoftwareInfo("Till", "1.0.0", "ab" * 32)
PEOPLE = People(register="Comptoir", cashier="Karim")
CAFE = VatRates(Decimal("10"))
BAKERY = VatRates(Decimal("10"), Decimal("5.5"))


def breakfast(lines: int = 4) -> Order:
    """A café order: crèmes, croissants with a line discount, an order discount, paid cash."""
    order = Order(
        id="order-0001",
        created_at=VALIDATED - timedelta(minutes=3),
        shop_id="FR-DEMO-0001",
        register_id="R1",
        user_id="u-karim",
        table="4",
        covers=2,
    )
    catalog = [
        ("Café crème", 320, CAFE, None),
        ("Croissant", 120, BAKERY, Discount.rate(50)),
        ("Jus d'orange pressé", 450, CAFE, None),
        ("Œuf à la coque, pain grillé", 580, CAFE, None),
    ]
    for index in range(lines):
        label, price, vat, discount = catalog[index % len(catalog)]
        order.add_line(
            OrderLine(
                id=f"line-{index + 1}",
                label=label if index < len(catalog) else f"{label} {index + 1}",
                quantity=Decimal(2 if index % 2 == 0 else 1),
                unit_price=price,
                vat=vat,
                discount=discount,
            )
        )
    order.set_order_discount(Discount.amount(100))
    order.add_payment(
        Payment(
            id="p1",
            mode=CASH,
            amount=order.amount_due + 330,
            paid_at=VALIDATED - timedelta(seconds=20),
        )
    )
    return order


def take_away() -> Order:
    order = Order(id="order-0002", created_at=VALIDATED, delivery_method=DeliveryMethod.TAKE_AWAY)
    order.add_line(
        OrderLine(
            id="l1", label="Baguette tradition", quantity=Decimal(2), unit_price=130, vat=BAKERY
        )
    )
    order.add_line(
        OrderLine(
            id="l2",
            label="Pain de campagne (kg)",
            quantity=Decimal("0.750"),
            unit_price=680,
            vat=BAKERY,
        )
    )
    order.add_payment(Payment(id="p2", mode=CARD, amount=order.amount_due, paid_at=VALIDATED))
    return order


def seal(order: Order, number: int = 1) -> dict[str, Any]:
    """The sealed order record, as the server stores and serves it."""
    order.validated_at = VALIDATED
    order.value_date = VALIDATED.date()
    order.internal_number = number
    order.public_number = f"R1-{number:06d}"
    chain = Chain("order", "FR-DEMO-0001", KEY)
    for _ in range(number - 1):
        chain.append({"type": "receipt"}, VALIDATED)
    kind = "refund" if order.is_refund else "receipt"
    return chain.append({"type": kind, **to_record(order)}, VALIDATED).as_json()


def issuance(record: dict[str, Any], copy: int = 1) -> Issuance:
    return Issuance(
        copy=copy,
        issued_at=VALIDATED + timedelta(minutes=copy - 1),
        proof=sign_receipt(record, KEY),
    )
