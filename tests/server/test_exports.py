"""Accounting exports: the FEC checked line by line and against totals recomputed here from the
sealed records alone, the chart of accounts, the SAF-T Cash Register checked against its XSD,
and the requests that must be refused."""

from __future__ import annotations

import hashlib
import random
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from fastapi.testclient import TestClient

from server.deps import Services
from server.exports import fec
from server.registers.services import business_day
from server.sealing.services import stored_records
from server.shops.models import Shop
from tests.server.helpers import Till, enroll, error_of, new_shop, other_shop_till
from tests.server.test_closures import sell
from till.money import from_json_amount, parse_rate
from till.timestamps import utc_now

FEC_COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]
# The default chart, as docs/server.md states it.
SALES = {"20.00": "707020", "10.00": "707010", "5.50": "707055", "2.10": "707021", "0.00": "707000"}
VAT = {"20.00": "44571120", "10.00": "44571110", "5.50": "44571155", "2.10": "44571121"}
MODES = {
    "cash": "530000",
    "card": "511500",
    "contactless": "511500",
    "cheque": "511200",
    "meal_voucher": "511800",
}
REFERENCE = Path("/work/shared/reference/saft-cash-register")
XSD = REFERENCE / "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"
NS = {"s": "urn:StandardAuditFile-Taxation-CashRegister:NO"}


def shop_today(services: Services, shop_id: str) -> date:
    with services.database.reader() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return business_day(shop, utc_now())


def period(day: date, last: date | None = None) -> dict[str, str]:
    return {"from": day.isoformat(), "to": (last or day).isoformat()}


def records(services: Services, shop_id: str, chain: str) -> list[dict[str, Any]]:
    with services.database.reader() as session:
        return list(stored_records(session, shop_id, chain))


def fec_rows(response: Any, separator: str = "|") -> list[list[str]]:
    assert response.status_code == 200, response.text
    text = response.content.decode("iso-8859-15")
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    rows = [line.split(separator) for line in lines]
    assert rows[0] == FEC_COLUMNS
    assert all(len(row) == 18 for row in rows), [row for row in rows if len(row) != 18]
    return rows[1:]


def cents(text: str) -> int:
    euros, decimals = text.split(",")
    assert euros.isdigit() and len(decimals) == 2 and decimals.isdigit(), text
    return int(euros) * 100 + int(decimals)


def account_balances(rows: list[list[str]]) -> dict[str, int]:
    """Debit less credit per account."""
    balances: dict[str, int] = defaultdict(int)
    for row in rows:
        balances[row[4]] += cents(row[11]) - cents(row[12])
    return dict(balances)


def expected_balances(services: Services, shop_id: str, chart: dict[str, Any]) -> dict[str, int]:
    """Debit less credit per account, from the sealed orders and payments alone."""
    balances: dict[str, int] = defaultdict(int)
    for order in records(services, shop_id, "order"):
        for row in order["vat"]:
            rate = f"{parse_rate(row['rate']):.2f}"
            balances[chart["sales"][rate]] -= from_json_amount(row["excl"])
            if from_json_amount(row["vat"]):
                balances[chart["vat"][rate]] -= from_json_amount(row["vat"])
    for payment in records(services, shop_id, "payment"):
        net = from_json_amount(payment["amount"]) - from_json_amount(payment["change"])
        balances[chart["modes"][payment["mode"]]] += net
    return {account: amount for account, amount in balances.items() if amount}


@pytest.fixture
def busy_day(client: TestClient, services: Services) -> dict[str, Any]:
    """A shop's day: 24 sales of every rate and mode, with change given, a refund paid back in
    cash, and a partial refund by card."""
    shop_id = new_shop(services)
    device = enroll(client, services, shop_id)
    cashier, manager = device.log_in("u-karim"), device.log_in("u-claire")
    rng = random.Random(8)
    sales = [sell(cashier, rng, index) for index in range(24)]
    refund = manager.ok("POST", f"/orders/{sales[2]['id']}/refund", json={"register_id": "R1"})
    cashier.pay(refund["id"], "cash", refund["final_price"])
    cashier.validate(refund["id"])
    partial = manager.ok("POST", f"/orders/{sales[5]['id']}/refund", json={"register_id": "R1"})
    for line in partial["lines"][1:]:
        partial = cashier.ok("DELETE", f"/orders/{partial['id']}/lines/{line['id']}")
    cashier.pay(partial["id"], "card", partial["final_price"])
    cashier.validate(partial["id"])
    return {
        "shop_id": shop_id,
        "cashier": cashier,
        "manager": manager,
        "accountant": device.log_in("u-compta"),
        "today": shop_today(services, shop_id),
    }


# ---------------------------------------------------------------------------- FEC


def test_the_fec_of_a_day_is_balanced_and_says_what_the_records_say(
    services: Services, busy_day: dict[str, Any]
) -> None:
    shop_id, today = busy_day["shop_id"], busy_day["today"]
    response = busy_day["accountant"].request("GET", "/exports/fec", params=period(today))
    rows = fec_rows(response)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="123456782FEC{today:%Y%m%d}.txt"'
    )
    assert response.headers["content-type"].startswith("text/plain; charset=iso-8859-15")

    # One entry for the day, in the sales journal, balanced to the cent.
    assert {row[2] for row in rows} == {"1"}
    assert {(row[0], row[1]) for row in rows} == {("VE", "Ventes")}
    stamp = f"{today:%Y%m%d}"
    assert {(row[3], row[9], row[15]) for row in rows} == {(stamp, stamp, stamp)}
    assert sum(cents(row[11]) for row in rows) == sum(cents(row[12]) for row in rows)
    assert all((cents(row[11]) == 0) != (cents(row[12]) == 0) for row in rows)
    orders = records(services, shop_id, "order")
    assert {row[8] for row in rows} == {
        f"{orders[0]['public_number']}-{orders[-1]['public_number']}"
    }

    chart = {"sales": SALES, "vat": VAT, "modes": MODES}
    assert account_balances(rows) == expected_balances(services, shop_id, chart)

    # Change given: the cash account holds what stayed in the till, not what was tendered.
    payments = records(services, shop_id, "payment")
    assert any(from_json_amount(p["change"]) > 0 for p in payments)
    cash_debit = sum(cents(row[11]) for row in rows if row[4] == "530000")
    tendered = sum(
        from_json_amount(p["amount"])
        for p in payments
        if p["mode"] == "cash" and from_json_amount(p["amount"]) > 0
    )
    assert cash_debit < tendered

    # Refunds go the other way, on lines of their own: sales debited, payments credited.
    refunded: dict[str, int] = defaultdict(int)
    for order in orders:
        for row in order["vat"]:
            if from_json_amount(row["excl"]) < 0:
                refunded[SALES[f"{parse_rate(row['rate']):.2f}"]] -= from_json_amount(row["excl"])
    assert refunded
    for account, amount in refunded.items():
        [line] = [row for row in rows if row[4] == account and cents(row[11])]
        assert cents(line[11]) == amount and line[10].startswith("Retours TVA")
    assert [row[10] for row in rows if row[4] == "530000" and cents(row[12])] == [
        "Remboursements Espèces"
    ]

    # Journaled, with what was handed over.
    [event] = [e for e in records(services, shop_id, "event") if e["kind"] == "export"]
    assert event["details"]["format"] == "fec"
    assert event["details"]["orders"] == len(orders)
    assert event["details"]["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event["user_id"] == "u-compta"


def test_the_fec_may_be_tab_separated(busy_day: dict[str, Any]) -> None:
    response = busy_day["manager"].request(
        "GET", "/exports/fec", params={**period(busy_day["today"]), "separator": "tab"}
    )
    rows = fec_rows(response, "\t")
    assert rows and sum(cents(r[11]) for r in rows) == sum(cents(r[12]) for r in rows)


def test_a_changed_chart_of_accounts_is_used(services: Services, busy_day: dict[str, Any]) -> None:
    manager = busy_day["manager"]
    chart = manager.ok("GET", "/accounting/chart")
    assert chart["sales"]["10.00"] == {"account": "707010", "label": "Ventes TVA 10 %"}
    assert chart["payments"]["cash"]["account"] == "530000"
    changed = manager.ok(
        "PUT",
        "/accounting/chart",
        json={
            "journal_code": "VT",
            "journal_label": "Ventes caisse",
            "sales": {"10": {"account": "706100", "label": "Prestations sur place"}},
            "vat": {"5,5": {"account": "44571105"}},
            "payments": {"card": {"account": "512000", "label": "Banque"}},
        },
    )
    assert changed["sales"]["10.00"] == {"account": "706100", "label": "Prestations sur place"}
    assert changed["vat"]["5.50"] == {"account": "44571105", "label": "TVA collectée 5,5 %"}
    assert changed["sales"]["20.00"]["account"] == "707020"  # left out: the default
    assert manager.ok("GET", "/accounting/chart") == changed

    rows = fec_rows(manager.request("GET", "/exports/fec", params=period(busy_day["today"])))
    assert {(row[0], row[1]) for row in rows} == {("VT", "Ventes caisse")}
    chart_now = {
        "sales": {**SALES, "10.00": "706100"},
        "vat": {**VAT, "5.50": "44571105"},
        "modes": {**MODES, "card": "512000"},
    }
    balances = account_balances(rows)
    assert balances == expected_balances(services, busy_day["shop_id"], chart_now)
    assert "706100" in balances and "707010" not in balances and "512000" in balances
    assert {row[5] for row in rows if row[4] == "706100"} == {"Prestations sur place"}

    # Journaled as a change of settings, with the chart before and after.
    [event] = [
        e
        for e in records(services, busy_day["shop_id"], "event")
        if e["kind"] == "settings_changed"
    ]
    change = event["details"]["accounting_chart"]
    assert change["before"]["journal_code"] == "VE" and change["after"]["journal_code"] == "VT"


@pytest.mark.parametrize(
    ("chart", "code"),
    [
        ({"sales": {"10": {"account": "70A100"}}}, "invalid"),
        ({"sales": {"7": {"account": "707070"}}}, "unknown_vat_rate"),
        ({"sales": {"dix": {"account": "707070"}}}, "invalid_rate"),
        ({"vat": {"0": {"account": "44571100"}}}, "invalid"),
        ({"payments": {"bitcoin": {"account": "512000"}}}, "invalid"),
        ({"payments": {"cash": {"account": "53"}}}, "invalid"),
        ({"journal_code": "ve"}, "invalid"),
        ({"sales": {"10": {"account": "706100", "label": "Ventes|sur place"}}}, "invalid"),
    ],
)
def test_a_bad_chart_is_refused(manager: Till, chart: dict[str, Any], code: str) -> None:
    before = manager.ok("GET", "/accounting/chart")
    error_of(manager.request("PUT", "/accounting/chart", json=chart), 422, code)
    assert manager.ok("GET", "/accounting/chart") == before


def test_only_managers_change_the_chart(cashier: Till, accountant: Till) -> None:
    chart = {"sales": {"10": {"account": "706100"}}}
    for till in (cashier, accountant):
        error_of(till.request("PUT", "/accounting/chart", json=chart), 403, "forbidden")
    assert accountant.ok("GET", "/accounting/chart")["sales"]["10.00"]["account"] == "707010"
    error_of(cashier.request("GET", "/accounting/chart"), 403, "forbidden")


# ---------------------------------------------------------------------------- unhappy paths


@pytest.mark.parametrize("route", ["/exports/fec", "/exports/saft"])
def test_cashiers_take_no_export(services: Services, cashier: Till, route: str) -> None:
    today = shop_today(services, cashier.shop_id)
    error_of(cashier.request("GET", route, params=period(today)), 403, "forbidden")
    assert not [e for e in records(services, cashier.shop_id, "event") if e["kind"] == "export"]


@pytest.mark.parametrize("route", ["/exports/fec", "/exports/saft"])
def test_a_period_is_at_most_a_year_and_sensible(
    services: Services, manager: Till, route: str
) -> None:
    today = shop_today(services, manager.shop_id)
    year_ago = today.replace(year=today.year - 1) if (today.month, today.day) != (2, 29) else None
    if year_ago is not None:
        message = error_of(
            manager.request("GET", route, params=period(year_ago, today)), 422, "invalid"
        )
        assert "one year" in message
        assert (
            manager.request(
                "GET", route, params=period(year_ago + timedelta(days=1), today)
            ).status_code
            == 200
        )
    error_of(
        manager.request("GET", route, params=period(today, today - timedelta(days=1))),
        422,
        "invalid",
    )
    error_of(
        manager.request("GET", route, params=period(today + timedelta(days=1))), 422, "invalid"
    )
    error_of(manager.request("GET", route, params=period(date(1999, 12, 31))), 422, "invalid")
    for bad in ({"from": "2026-02-30", "to": "2026-03-01"}, {"from": "hier", "to": "2026-01-01"}):
        error_of(manager.request("GET", route, params=bad), 422, "invalid_request")
    error_of(manager.request("GET", route), 422, "invalid_request")
    if route == "/exports/fec":
        error_of(
            manager.request("GET", route, params={**period(today), "separator": ";"}),
            422,
            "invalid_request",
        )


def test_an_empty_period_gives_a_valid_empty_fec(services: Services, manager: Till) -> None:
    day = shop_today(services, manager.shop_id) - timedelta(days=3)
    response = manager.request("GET", "/exports/fec", params=period(day))
    assert fec_rows(response) == []


def test_no_other_shop_in_the_exports(
    client: TestClient, services: Services, busy_day: dict[str, Any]
) -> None:
    other = other_shop_till(client, services, "u-compta")
    other_sales = [o["public_number"] for o in records(services, busy_day["shop_id"], "order")]
    today = busy_day["today"]
    rows = fec_rows(other.request("GET", "/exports/fec", params=period(today)))
    assert rows == []
    saft = other.request("GET", "/exports/saft", params=period(today))
    assert saft.status_code == 200
    assert busy_day["shop_id"] not in saft.text
    assert not any(number in saft.text for number in other_sales[:3])
    assert "<cashtransaction>" not in saft.text


# ---------------------------------------------------------------------------- SAF-T


@pytest.fixture(scope="module")
def saft_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def test_the_saft_is_valid_and_holds_every_sealed_order(
    services: Services, busy_day: dict[str, Any], saft_schema: xmlschema.XMLSchema
) -> None:
    shop_id, today, cashier = busy_day["shop_id"], busy_day["today"], busy_day["cashier"]
    # A Z of what was sold so far, then a sale in the register's next period.
    expected = cashier.ok("POST", "/registers/R1/x-report")["modes"]
    counted = {row["mode"]: row["expected"] for row in expected}
    z = cashier.ok("POST", "/registers/R1/close", json={"counted": counted, "float_left": "0.00"})[
        "closure"
    ]
    cashier.ok("POST", "/registers/R1/open", json={"float": "50.00"})
    sell(cashier, random.Random(1), 3)
    order = cashier.new_order("R2")
    order = cashier.add(order["id"], "biere", quantity="2")
    cashier.pay(order["id"], "cheque", order["final_price"])
    cashier.validate(order["id"])

    response = busy_day["accountant"].request("GET", "/exports/saft", params=period(today))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'attachment; filename="SAF-T_Caisse_12345678200010_{today:%Y%m%d}_{today:%Y%m%d}.xml"'
    )
    saft_schema.validate(response.content)  # keys and key references included
    root = ET.fromstring(response.content)
    company = root.find("s:company", NS)
    assert company is not None
    assert company.findtext("s:companyIdent", namespaces=NS) == "12345678200010"
    assert company.findtext("s:taxRegIdent", namespaces=NS) == "FR11123456782"
    assert company.findtext("s:streetAddress/s:postalCode", namespaces=NS) == "69003"

    orders = records(services, shop_id, "order")
    payments = records(services, shop_id, "payment")
    transactions = root.findall(".//s:cashtransaction", NS)
    assert len(transactions) == len(orders)
    by_number = {t.findtext("s:transID", namespaces=NS): t for t in transactions}
    for order in orders:
        transaction = by_number[order["public_number"]]
        assert transaction.findtext("s:transAmntIn", namespaces=NS) == order["final_price"]
        assert transaction.findtext("s:transAmntEx", namespaces=NS) == order["total_excl_vat"]
        assert transaction.findtext("s:signature", namespaces=NS) == order["signature"]
        assert len(transaction.findall("s:ctLine", NS)) == len(order["lines"])
        paid = sum(
            Decimal(p.findtext("s:paidAmnt", namespaces=NS) or "")
            for p in transaction.findall("s:payment", NS)
        )
        mine = [p for p in payments if p["order_seq"] == order["seq"]]
        assert (
            paid
            == sum(Decimal(p["amount"]) - Decimal(p["change"]) for p in mine)
            == Decimal(order["final_price"])
        )
        kind = transaction.findtext("s:transType", namespaces=NS)
        assert kind == ("RETURNSAL" if order["is_refund"] else "CASHSAL")
    registers = {
        r.findtext("s:registerID", namespaces=NS): r for r in root.findall(".//s:cashregister", NS)
    }
    assert set(registers) == {"R1", "R2"}
    assert len(registers["R2"].findall("s:cashtransaction", NS)) == 1

    # The Z, with the figures it sealed, and the figures by department of the orders it covers.
    [event] = root.findall(".//s:event", NS)
    report = event.find("s:eventReport", NS)
    assert report is not None
    assert report.findtext("s:reportID", namespaces=NS) == str(z["seq"])
    assert (
        report.findtext("s:reportTotalCashSales/s:totalCashSaleAmnt", namespaces=NS)
        == (z["period_total"])
    )
    groups = sum(
        Decimal(g.findtext("s:artGroupAmnt", namespaces=NS) or "")
        for g in report.findall("s:reportArtGroups/s:reportArtGroup", NS)
    )
    assert groups == Decimal(z["period_total"])
    vat = {
        row.findtext("s:vatPerc", namespaces=NS): row.findtext("s:vatAmnt", namespaces=NS)
        for row in report.findall("s:reportCashSalesVat/s:reportCashSaleVat", NS)
    }
    assert vat == {row["rate"]: row["vat"] for row in z["vat"]}
    assert report.findtext("s:reportReturnNum", namespaces=NS) == str(z["refunds_count"])

    [journaled] = [e for e in records(services, shop_id, "event") if e["kind"] == "export"]
    assert journaled["details"]["format"] == "saft"
    assert journaled["details"]["orders"] == len(orders)
    assert journaled["details"]["bytes"] == len(response.content)


def test_an_empty_period_gives_a_valid_saft(
    services: Services, manager: Till, saft_schema: xmlschema.XMLSchema
) -> None:
    day = shop_today(services, manager.shop_id) - timedelta(days=40)
    response = manager.request("GET", "/exports/saft", params=period(day, day + timedelta(35)))
    assert response.status_code == 200, response.text
    saft_schema.validate(response.content)
    root = ET.fromstring(response.content)
    assert not root.findall(".//s:cashtransaction", NS)
    assert len(root.findall(".//s:period", NS)) in (2, 3)


def test_ids_longer_than_the_xsd_allows_stay_valid_and_distinct(
    services: Services, manager: Till, cashier: Till, saft_schema: xmlschema.XMLSchema
) -> None:
    long = "article-" + "x" * 32  # 40 characters, the catalog's longest
    for suffix in ("1", "2"):
        manager.ok(
            "PUT",
            f"/catalog/departments/{long[:-1]}{suffix}",
            json={"label": f"Rayon {suffix}"},
        )
        manager.ok(
            "PUT",
            f"/catalog/articles/{long[:-1]}{suffix}",
            json={
                "label": f"Article {suffix}",
                "price": "2.00",
                "vat_eat_in": "20",
                "department_id": f"{long[:-1]}{suffix}",
            },
        )
    sale = cashier.sale(f"{long[:-1]}1", f"{long[:-1]}2")
    today = shop_today(services, manager.shop_id)
    response = manager.request("GET", "/exports/saft", params=period(today))
    assert response.status_code == 200, response.text
    saft_schema.validate(response.content)
    root = ET.fromstring(response.content)
    [transaction] = root.findall(".//s:cashtransaction", NS)
    assert transaction.findtext("s:transID", namespaces=NS) == sale["public_number"]
    ids = [
        line.findtext("s:artID", namespaces=NS) or ""
        for line in transaction.iter(f"{{{NS['s']}}}ctLine")
    ]
    assert len(set(ids)) == 2 and all(len(i) == 35 for i in ids)


def test_fec_amounts_have_a_decimal_comma_and_their_sign() -> None:
    assert [fec._amount(cents) for cents in (123450, 5, 0, -150, -5)] == [
        "1234,50",
        "0,05",
        "0,00",
        "-1,50",
        "-0,05",
    ]
