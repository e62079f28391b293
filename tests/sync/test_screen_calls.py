"""The calls the cashier's screen makes beyond tickets, against the real server: the X and the Z of
a register, cash put in and taken out, the issuance asked before a receipt is printed, the order
list, and a refund opened under a manager's PIN and completed by the cashier."""

from __future__ import annotations

import pytest

from sync import ticket as changes
from sync.errors import Conflict, Forbidden, Rejected, Unauthorized
from sync.service import TillSync
from tests.sync.servers import Site


def sold(till: TillSync) -> str:
    ticket = till.new_ticket()
    ticket.submit(changes.add_line("croissant", quantity="2"))
    assert ticket.wait(10)
    ticket.submit(changes.add_payment("cash", "5.00"))
    assert ticket.wait(10)
    return str(ticket.validate().order["id"])


def test_issuance_x_and_z(till: TillSync) -> None:
    order_id = sold(till)
    first = till.client.issue(order_id)
    again = till.client.issue(order_id)
    assert (first["copy"], again["copy"]) == (1, 2)
    assert first["proof"].startswith("TILL1;")
    x = till.client.x_report("R1")
    assert x["sales_count"] == 1 and x["modes"][0]["expected"] == "152.40"
    closed = till.client.close_register("R1", {"cash": "150.00"}, "100.00")
    closure = closed["closure"]
    assert closure["z_number"] == 1 and closure["modes"][0]["difference"] == "-2.40"
    assert closed["register"]["open"] is False


def test_orders_are_listed_with_filters(till: TillSync) -> None:
    order_id = sold(till)
    number = till.client.get(f"/orders/{order_id}")["public_number"]
    assert [order["id"] for order in till.client.orders(public_number=number)] == [order_id]
    assert till.client.orders(register_id="R2") == []


def test_a_refund_is_opened_under_a_managers_pin(site: Site, shop_id: str, till: TillSync) -> None:
    order_id = sold(till)
    with pytest.raises(Forbidden):
        till.client.refund(order_id, "R1")  # Karim is a cashier
    with pytest.raises(Unauthorized):
        till.open_refund(order_id, "R1", "u-claire", "0000")
    refund = till.open_refund(order_id, "R1", "u-claire", "1234")
    assert refund.order["corrects_order_id"] == order_id
    assert refund.order["amount_due"] == "-2.40"
    refund.submit(changes.add_payment("cash", "-2.40"))
    assert refund.wait(10)
    sealed = refund.validate().order
    assert sealed["is_refund"] and sealed["public_number"]
    assert till.client.get("/me")["user"]["id"] == "u-karim"


def test_the_register_chosen_on_the_screen_is_used(till: TillSync) -> None:
    till.use_register("R2")
    assert till.new_ticket().order["register_id"] == "R2"
    assert till.offline._register_id == "R2"


def test_cash_in_and_out_are_journaled_and_counted_in_the_x_and_the_z(till: TillSync) -> None:
    out = till.client.move_cash("R1", "out", "20.00", "Dépôt en banque")
    assert (out["kind"], out["amount"], out["reason"]) == ("out", "20.00", "Dépôt en banque")
    assert out["event_seq"] >= 1 and out["user_id"] == "u-karim"
    kept = till.client.move_cash("R1", "in", "5.00", "Apport de monnaie")
    assert [movement["id"] for movement in till.cash_movements("R1")] == [out["id"], kept["id"]]
    assert till.cash_movements("R2") == []
    with pytest.raises(Rejected) as refused:
        till.client.move_cash("R1", "out", "0.00", "Rien")
    assert "positive" in refused.value.message
    x = till.client.x_report("R1")
    assert (x["cash_in"], x["cash_out"]) == ("5.00", "20.00")
    assert x["modes"][0]["expected"] == "135.00"  # the float of 150.00, less 20, plus 5
    closure = till.client.close_register("R1", {"cash": "135.00"}, "100.00")["closure"]
    assert (closure["cash_in"], closure["cash_out"]) == ("5.00", "20.00")
    assert [movement["reason"] for movement in closure["cash_movements"]] == [
        "Dépôt en banque",
        "Apport de monnaie",
    ]
    assert closure["modes"][0]["difference"] == "0.00"
    with pytest.raises(Conflict):
        till.client.move_cash("R1", "in", "1.00", "Après la clôture")  # the register is closed
