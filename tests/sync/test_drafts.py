"""A ticket of the server that goes on as a draft when the server goes away: the draft is the
order as the server had it, with what the cashier typed over the catalog, not the catalog again."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sync import ticket as changes
from sync.drafts import Draft, order_fields
from sync.service import TillSync
from tests.sync.helpers import articles
from till.money import to_json_amount
from till.order import DeliveryMethod, Discount


def test_a_server_order_becomes_a_draft_with_nothing_lost(till: TillSync) -> None:
    ticket = till.new_ticket(
        delivery_method="take_away",
        table="9",
        covers=3,
        customer_account="C-7",
        public_note="Bon appétit",
        private_note="Paie souvent par carte",
    )
    croissant = changes.add_line("croissant", quantity="2")
    eclair = changes.add_line("eclair", discount=Discount.rate("15"))
    assert croissant.body is not None
    ticket.submit(croissant)
    ticket.submit(eclair)
    ticket.submit(changes.change_line(croissant.body["id"], unit_price="0.95"))  # typed over
    ticket.submit(
        changes.add_line(label="Gâteau d'anniversaire", unit_price="24.00", vat_rate="5.5")
    )
    ticket.submit(changes.change_order(order_discount=Discount.amount(150)))
    assert ticket.wait(10) and ticket.acknowledged
    order = ticket.order
    now = datetime.now(UTC)
    draft = Draft(
        created_at=now, updated_at=now, register_id="R1", **order_fields(order, articles(till))
    )

    assert draft.delivery_method is DeliveryMethod.TAKE_AWAY
    assert (draft.table, draft.covers, draft.customer_account) == ("9", 3, "C-7")
    assert (draft.public_note, draft.private_note) == ("Bon appétit", "Paie souvent par carte")
    assert draft.order_discount == Discount.amount(150)
    assert [
        (line.article_id, line.label, line.quantity, line.unit_price, line.discount)
        for line in draft.lines
    ] == [
        ("croissant", "Croissant", Decimal(2), 95, None),
        ("eclair", "Éclair au café", Decimal(1), 340, Discount.rate("15")),
        (None, "Gâteau d'anniversaire", Decimal(1), 2400, None),
    ]
    # The catalog's pair of rates where it gives the rate applied, the free line's own rate.
    assert [(line.vat_rate, line.vat_take_away) for line in draft.lines] == [
        (Decimal(10), Decimal("5.5")),
        (Decimal(10), Decimal("5.5")),
        (Decimal("5.5"), None),
    ]
    # What the fiscal core works out for the draft is what the server had.
    assert to_json_amount(draft.totals.final_price) == order["final_price"]
    assert to_json_amount(draft.totals.total_vat) == order["total_vat"]
    assert [line.id for line in draft.lines] != [line["id"] for line in order["lines"]]
