"""Receipts and invoices are issued by the server before any print or sending: the first copy is
the original, every later one a duplicata with its number (seed 000 §3.3), even when two tills
reprint at the same moment."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from server.deps import Services
from server.receipts.services import Channel, Document, issue
from tests.server.helpers import Till, enroll, error_of, manager
from till.fiscal.keys import KeyRing, PublicKey
from till.fiscal.proof import verify_receipt


def issue_copy(till: Till, order_id: str, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = till.ok("POST", f"/orders/{order_id}/issuances", json=body)
    return result


def test_the_first_copy_is_the_original_then_numbered_duplicata(cashier: Till) -> None:
    sale = cashier.sale("creme", "croissant")
    copies = [issue_copy(cashier, sale["id"]) for _ in range(4)]
    assert [c["copy"] for c in copies] == [1, 2, 3, 4]
    assert [c["duplicata"] for c in copies] == [False, True, True, True]
    assert [c["duplicata_number"] for c in copies] == [0, 1, 2, 3]
    # An invoice is its own document: its first copy is an original.
    invoice = issue_copy(
        cashier, sale["id"], document="invoice", channel="email", recipient="a@b.fr"
    )
    assert (invoice["copy"], invoice["duplicata"], invoice["channel"]) == (1, False, "email")

    order = cashier.ok("GET", f"/orders/{sale['id']}")
    assert order["copies"] == {"receipt": 4, "invoice": 1}
    listed = cashier.ok("GET", f"/orders/{sale['id']}/issuances")
    assert [(i["document"], i["copy"]) for i in listed] == [
        ("receipt", 1),
        ("receipt", 2),
        ("receipt", 3),
        ("receipt", 4),
        ("invoice", 1),
    ]


def test_the_proof_checks_with_the_shop_key(cashier: Till) -> None:
    sale = cashier.sale("espresso")
    issued = issue_copy(cashier, sale["id"])
    keys = cashier.ok("GET", f"/shops/{cashier.shop_id}/public-keys")
    ring = KeyRing(PublicKey.from_hex(key["public_key"]) for key in keys)
    proof = verify_receipt(issued["proof"], ring)
    assert (proof.number, proof.total, proof.hash) == (
        sale["public_number"],
        sale["final_price"],
        sale["record"]["hash"],
    )


def test_a_replayed_request_is_the_same_copy(cashier: Till) -> None:
    sale = cashier.sale("espresso")
    headers = {"Idempotency-Key": "print-1"}
    first = cashier.ok("POST", f"/orders/{sale['id']}/issuances", json={}, headers=headers)
    again = cashier.request("POST", f"/orders/{sale['id']}/issuances", json={}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    assert issue_copy(cashier, sale["id"])["copy"] == 2


def test_only_a_validated_order_has_a_receipt(cashier: Till) -> None:
    order = cashier.new_order()
    message = error_of(
        cashier.request("POST", f"/orders/{order['id']}/issuances", json={}),
        409,
        "order_not_validated",
    )
    assert "validate" in message
    error_of(
        cashier.request("POST", f"/orders/{order['id']}/issuances", json={"channel": "fax"}),
        422,
        "invalid_request",
    )


def test_reprints_at_the_same_moment_get_distinct_numbers(
    client: TestClient, services: Services, cashier: Till
) -> None:
    sale = cashier.sale("creme")
    copies: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def reprint() -> None:
        try:
            start.wait()
            with services.database.transaction() as session:
                issued = issue(
                    session,
                    services.keys,
                    manager(cashier.shop_id),
                    sale["id"],
                    Document.RECEIPT,
                    Channel.PRINT,
                    None,
                )
                copies.append(issued.row.copy)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reprint) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(copies) == list(range(1, 9))
    # And two tills through the API, one after the other, carry on the numbering.
    other = enroll(client, services, cashier.shop_id).log_in("u-lea")
    assert issue_copy(other, sale["id"])["copy"] == 9
    assert issue_copy(cashier, sale["id"])["copy"] == 10
