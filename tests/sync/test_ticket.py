"""Online tickets against the real server: the ticket is the server's last answer, changes go in
order, a refused change is rolled back with its reason, payments and validation wait for every
change to be acknowledged, and a change that got no answer makes the ticket read the server again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from sync import ticket as changes
from sync.client import RetryPolicy, Timeouts
from sync.errors import ChangesPending, Conflict, ServerUnreachable
from sync.events import ChangeRolledBack, TicketChanged
from sync.service import TillSync
from sync.ticket import Ticket
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import Recorder, server_done, server_view
from tests.sync.servers import Site


def labels(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(line["label"], line["quantity"]) for line in order["lines"]]


def test_the_ticket_is_the_servers_answer(site: Site, shop_id: str, till: TillSync) -> None:
    ticket = till.new_ticket(table="4", covers=2)
    ticket.submit(changes.add_line("croissant", quantity="2"))
    ticket.submit(changes.add_line("creme"))
    ticket.submit(changes.change_order(public_note="sans sucre"))
    assert ticket.wait(10)
    assert ticket.acknowledged
    assert ticket.order == server_view(site, shop_id, ticket.id)
    assert labels(ticket.order) == [("Croissant", "2.000"), ("Café crème", "1.000")]
    assert ticket.order["final_price"] == "5.60"  # computed by the server, not here
    assert ticket.order["table"] == "4" and ticket.order["public_note"] == "sans sucre"


def test_changes_are_sent_in_order(site: Site, shop_id: str, till: TillSync) -> None:
    ticket = till.new_ticket()
    first = changes.add_line("croissant")
    second = changes.add_line("eclair")
    assert first.body is not None and second.body is not None
    ticket.submit(first)
    ticket.submit(second)
    # Each depends on the ones before it: sent out of order, they would fail.
    ticket.submit(changes.change_line(first.body["id"], quantity="3"))
    ticket.submit(changes.remove_line(second.body["id"]))
    ticket.submit(changes.change_order(order_discount=None, table="12"))
    assert ticket.wait(10)
    assert labels(ticket.order) == [("Croissant", "3.000")]
    assert ticket.order == server_view(site, shop_id, ticket.id)


def test_a_refused_change_is_rolled_back_with_its_reason(
    site: Site, shop_id: str, till: TillSync
) -> None:
    recorder = Recorder(till)
    ticket = till.new_ticket()
    ticket.submit(changes.add_line("croissant"))
    ticket.submit(changes.add_line("no-such-article"))
    ticket.submit(changes.add_line("eclair"))
    assert ticket.wait(10)
    (rolled_back,) = recorder.of(ChangeRolledBack)
    assert rolled_back.label == "+ no-such-article"
    assert rolled_back.code == "not_found"
    assert "no-such-article" in rolled_back.message  # the server's words, for the cashier
    assert labels(ticket.order) == [("Croissant", "1.000"), ("Éclair au café", "1.000")]
    assert ticket.acknowledged
    assert ticket.order == server_view(site, shop_id, ticket.id)
    # While it was on its way, the screen showed it as pending; never after.
    shown = recorder.of(TicketChanged)
    assert any("+ no-such-article" in event.pending for event in shown)
    assert shown[-1].pending == ()


def test_payment_and_validation_wait_for_every_change(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    ticket = till.new_ticket()
    proxy.decide = lambda method, path: Fault.DELAY if path.endswith("/lines") else Fault.PASS
    proxy.delay = 0.5
    ticket.submit(changes.add_line("croissant"))
    ticket.submit(changes.add_line("creme"))
    with pytest.raises(ChangesPending):
        ticket.submit(changes.add_payment("card", "4.40"))
    with pytest.raises(ChangesPending) as refused:
        ticket.validate()
    assert "server's version" in refused.value.message
    assert ticket.wait(10)
    ticket.submit(changes.add_payment("card", ticket.order["final_price"]))
    assert ticket.wait(10)
    validated = ticket.validate()
    assert validated.order["status"] == "validated"
    assert validated.order["internal_number"] == 1
    assert validated.alarms == []
    assert till.heads.remembered(shop_id)["order"]["seq"] == 1
    assert validated.order == server_view(site, shop_id, ticket.id) | {
        "copies": validated.order["copies"]
    }


def test_a_change_without_answer_makes_the_ticket_read_the_server_again(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    """The server recorded the line, but its answer was lost each time: the till cannot know
    what happened, so it rolls the change back from the screen, stops, and reads the order again
    before sending anything else. The line the server has then appears: the screen is the server's
    order, never a guess."""
    recorder = Recorder(till)
    till.client.retry = RetryPolicy(attempts=2, first_delay=0.01, budget=5.0)
    till.client.timeouts = Timeouts(connect=1.0, read=0.5)
    ticket = till.new_ticket()
    ticket.submit(changes.add_line("croissant"))
    assert ticket.wait(10)
    proxy.decide = lambda method, path: Fault.LOSE_ANSWER if path.endswith("/lines") else Fault.PASS
    ticket.submit(changes.add_line("eclair"))
    ticket.submit(changes.add_line("creme"))
    assert ticket.wait(20)
    assert ticket.out_of_step and not ticket.acknowledged
    server_done(proxy)
    first, second = recorder.of(ChangeRolledBack)
    assert first.code == "server_unreachable" and "may not have been recorded" in first.message
    assert second.label == "+ creme" and "earlier change" in second.message
    proxy.decide = lambda method, path: Fault.PASS
    ticket.submit(changes.change_order(table="7"))
    assert ticket.wait(10)
    assert ticket.acknowledged
    assert labels(ticket.order) == [("Croissant", "1.000"), ("Éclair au café", "1.000")]
    assert ticket.order == server_view(site, shop_id, ticket.id)
    assert site.lines(ticket.id) == 2  # the lost answer's line once, however often it was sent


def test_a_ticket_can_be_resumed_and_cancelled(site: Site, shop_id: str, till: TillSync) -> None:
    ticket = till.new_ticket()
    ticket.submit(changes.add_line("the"))
    assert ticket.wait(10)
    again = till.resume_ticket(ticket.id)
    assert again.order == ticket.order
    again.cancel()
    assert again.order["status"] == "cancelled"
    with pytest.raises(Conflict) as refused:
        Ticket.resume(till.client, till.events, ticket.id).validate()
    assert refused.value.code == "order_not_open"


def test_opening_again_after_a_lost_answer_gives_the_same_order(
    site: Site, shop_id: str, till: TillSync, proxy: FaultProxy
) -> None:
    till.client.retry = RetryPolicy(attempts=1)
    till.client.timeouts = Timeouts(connect=1.0, read=0.5)
    proxy.decide = lambda method, path: Fault.LOSE_ANSWER if path == "/orders" else Fault.PASS
    with pytest.raises(ServerUnreachable):
        till.new_ticket(table="5")
    server_done(proxy)
    assert site.orders(shop_id) == 1  # the server made it; the till never heard
    proxy.decide = lambda method, path: Fault.PASS
    ticket = till.new_ticket(table="5")
    assert site.orders(shop_id) == 1
    assert proxy.exchanges[-1].replayed and ticket.order["table"] == "5"
    assert till.new_ticket(table="5").id != ticket.id  # once answered, the next is a new one


def test_validated_as_soon_as_the_screen_shows_the_last_change_done(till: TillSync) -> None:
    """The screen learns that a change is done from the sender's own event, a moment before the
    sender is through with it: a validation asked at once waits for that moment."""
    ticket = till.new_ticket()
    shown = threading.Event()

    def slow_screen(event: Any) -> None:
        paid = isinstance(event, TicketChanged) and bool(event.order["payments"])
        if paid and not event.pending:
            shown.set()
            time.sleep(0.3)  # the sender is held in its event a while

    ticket.submit(changes.add_line("croissant"))
    assert ticket.wait(10)
    till.events.subscribe(slow_screen)
    ticket.submit(changes.add_payment("cash", ticket.order["final_price"]))
    assert shown.wait(10)
    assert ticket.validate().order["status"] == "validated"


def test_a_sender_that_never_finishes_refuses_the_validation_with_a_reason(
    till: TillSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender is stuck in its event after the last answer: a validation does not hang with
    the payment screen, it is refused with a message the cashier can read."""
    monkeypatch.setattr("sync.ticket.SETTLING_S", 0.2)
    ticket = till.new_ticket()
    ticket.submit(changes.add_line("croissant"))
    assert ticket.wait(10)
    shown, release = threading.Event(), threading.Event()

    def stuck_screen(event: Any) -> None:
        paid = isinstance(event, TicketChanged) and bool(event.order["payments"])
        if paid and not event.pending:
            shown.set()
            release.wait(10)

    till.events.subscribe(stuck_screen)
    ticket.submit(changes.add_payment("cash", ticket.order["final_price"]))
    assert shown.wait(10)
    started = time.monotonic()
    with pytest.raises(ChangesPending) as refused:
        ticket.validate()
    assert time.monotonic() - started < 5
    assert "still being sent" in refused.value.message
    release.set()
    assert ticket.wait(10)
    assert ticket.validate().order["status"] == "validated"


def test_a_session_starts_on_the_users_empty_order(
    site: Site, shop_id: str, till: TillSync
) -> None:
    """Left by a session that ended on an empty ticket, or by a till stopped half-way: the next
    session of that user on that register starts on the newest one; the others are cancelled."""
    older, newer = till.new_ticket(), till.new_ticket()
    parked = till.new_ticket()
    parked.submit(changes.add_line("croissant"))
    assert parked.wait(10)
    noted = till.new_ticket(table="7")
    elsewhere = till.new_ticket("R2")
    lea = site.client(shop_id, "u-lea")
    try:
        leas = lea.call("POST", "/orders", {"register_id": "R1"}).body["id"]
        orders = site.orders(shop_id)
        first = till.first_ticket("u-karim", "R1")
        assert first.id == newer.id and first.order["status"] == "open"
        assert site.orders(shop_id) == orders  # none made
        states = {
            order_id: lea.get(f"/orders/{order_id}")["status"]
            for order_id in (older.id, parked.id, noted.id, elsewhere.id, leas)
        }
        assert states == {
            older.id: "cancelled",
            parked.id: "open",
            noted.id: "open",
            elsewhere.id: "open",
            leas: "open",
        }
        assert till.first_ticket("u-karim", "R1").id == newer.id  # still empty: the same
        first.submit(changes.add_line("eclair"))
        assert first.wait(10)
        made = till.first_ticket("u-karim", "R1")
        assert made.id not in states and made.id != newer.id
        assert site.orders(shop_id) == orders + 1
    finally:
        lea.close()
