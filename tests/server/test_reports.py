"""Reports: a realistic day on two registers, every figure of the report recomputed here from the
sealed records alone (never by the report's code) and compared to the cent; each format read
back (CSV parsed, XLSX opened, HTML self-contained, PDF opened and drawn); refusals; journaling.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from server.deps import Services
from server.registers.services import business_day
from server.reports import pdf
from server.reports.tables import Column, Kind
from server.sealing.services import stored_records
from server.shops.models import Shop
from tests.server.helpers import Till, enroll, error_of, new_shop, other_shop_till
from till.money import from_json_amount
from till.timestamps import from_utc_iso, utc_now

PARIS = ZoneInfo("Europe/Paris")
FORMULA = "=2+3"  # a free line's label that a spreadsheet must not run
# (register, till, articles with take-away flag, payments, table, covers)
BASKETS: list[tuple[str, str, list[tuple[str, str]], bool, str | None, int | None]] = [
    ("R1", "karim", [("creme", "2"), ("croissant", "2")], False, "T4", 2),
    ("R1", "karim", [("baguette", "3"), ("campagne", "0.750")], True, None, None),
    ("R1", "karim", [("biere", "2"), ("jambon-beurre", "1")], False, "T7", 1),
    ("R2", "lea", [("eclair", "1"), ("eau", "2"), ("espresso", "1")], True, None, None),
    ("R2", "lea", [("formule", "2"), ("biere", "1")], False, "T12", 2),
    ("R2", "lea", [("pain-choc", "4"), ("tarte-citron", "1")], True, None, None),
    ("R1", "karim", [("cappuccino", "1"), ("quiche", "1")], False, "T4", 1),
]


# ---------------------------------------------------------------------------- the day


@dataclass
class Day:
    services: Services
    shop_id: str
    today: date
    cashier: Till
    lea: Till
    manager: Till
    accountant: Till
    admin: Till
    foreign: Till  # another shop's manager
    foreign_hash: str

    def report(self, **params: str) -> dict[str, Any]:
        result: dict[str, Any] = self.manager.ok("GET", "/reports", params=self.params(**params))
        return result

    def params(self, **params: str) -> dict[str, str]:
        return {"from": f"{self.today - timedelta(days=1)}", "to": f"{self.today}", **params}

    def file(self, format_: str, till: Till | None = None, **params: str) -> bytes:
        response = (till or self.manager).request(
            "GET", "/reports", params=self.params(format=format_, **params)
        )
        assert response.status_code == 200, response.text
        return response.content


def _pay(till: Till, order: dict[str, Any], index: int) -> None:
    total = from_json_amount(order["final_price"])
    if index % 3 == 0:  # cash, with change
        till.pay(order["id"], "cash", f"{(total + 500 - total % 500) / 100:.2f}")
    elif index % 3 == 1:
        till.pay(order["id"], "card", order["final_price"])
    else:  # split: meal voucher and cash with change
        till.pay(order["id"], "meal_voucher", f"{total // 2 / 100:.2f}")
        till.pay(order["id"], "cash", f"{(total - total // 2 + 100) / 100:.2f}")


@pytest.fixture(scope="module")
def day(app: FastAPI, client: TestClient) -> Day:
    services: Services = app.state.services
    shop_id = new_shop(services)
    device = enroll(client, services, shop_id)
    cashier, lea, manager = (device.log_in(u) for u in ("u-karim", "u-lea", "u-claire"))
    tills = {"karim": cashier, "lea": lea}
    sales = []
    for index, (register, who, articles, take_away, table, covers) in enumerate(BASKETS):
        till = tills[who]
        fields: dict[str, Any] = {"delivery_method": "take_away" if take_away else "eat_in"}
        if table:
            fields |= {"table": table, "covers": covers}
        order = till.new_order(register, **fields)
        for position, (article, quantity) in enumerate(articles):
            extra = {"discount": {"rate": "10"}} if index == 2 and position == 0 else {}
            order = till.add(order["id"], article, quantity=quantity, **extra)
        if index == 4:
            order = till.ok(
                "PATCH", f"/orders/{order['id']}", json={"order_discount": {"amount": "1.50"}}
            )
        if index == 6:
            order = till.ok(
                "POST",
                f"/orders/{order['id']}/lines",
                json={"label": FORMULA, "unit_price": "5.00", "vat_rate": "20", "quantity": "1"},
            )
        _pay(till, order, index)
        sales.append(till.validate(order["id"]))
    # A refund of the second sale, paid back in cash.
    refund = manager.ok("POST", f"/orders/{sales[1]['id']}/refund", json={"register_id": "R1"})
    cashier.pay(refund["id"], "cash", refund["final_price"])
    cashier.validate(refund["id"])
    # Prints: the original and two duplicata, and an invoice.
    for _ in range(3):
        cashier.ok("POST", f"/orders/{sales[0]['id']}/issuances", json={"channel": "print"})
    cashier.ok(
        "POST",
        f"/orders/{sales[4]['id']}/issuances",
        json={"document": "invoice", "channel": "download"},
    )
    cashier.ok(
        "POST",
        "/registers/R1/cash-movements",
        json={"kind": "out", "amount": "20.00", "reason": "Achat de lait"},
    )
    lea.ok(
        "POST",
        "/registers/R2/cash-movements",
        json={"kind": "in", "amount": "50.00", "reason": "Monnaie"},
    )
    # The Z of R2, everything counted as expected.
    x = lea.ok("POST", "/registers/R2/x-report")
    counted = {row["mode"]: row["expected"] for row in x["modes"]}
    lea.ok("POST", "/registers/R2/close", json={"counted": counted, "float_left": "100.00"})

    foreign = other_shop_till(client, services, "u-claire")
    foreign_sale = foreign.sale("creme", "biere")
    with services.database.reader() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        today = business_day(shop, utc_now())
    return Day(
        services,
        shop_id,
        today,
        cashier,
        lea,
        manager,
        device.log_in("u-compta"),
        device.log_in("u-admin"),
        foreign,
        foreign_sale["record"]["hash"],
    )


# ---------------------------------------------------------------------------- recomputation


def records(day: Day, chain: str) -> list[dict[str, Any]]:
    with day.services.database.reader() as session:
        return list(stored_records(session, day.shop_id, chain))


def cents(text: str) -> int:
    return from_json_amount(text)


def half_up(total: int, count: int) -> int:
    return int((Decimal(total) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def is_refund(order: dict[str, Any]) -> bool:
    return order["is_refund"] or cents(order["final_price"]) < 0


def group_orders(
    orders: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> dict[Any, dict[str, int]]:
    groups: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for order in orders:
        group = groups[key(order)]
        total = cents(order["final_price"])
        kind = "refunds" if is_refund(order) else "sales"
        group[f"{kind}_count"] += 1
        group[f"{kind}_total"] += total
        group["total"] += total
        group["excl_vat"] += cents(order["total_excl_vat"])
        group["vat"] += cents(order["total_vat"])
        group["covers"] += order["covers"] or 0
    return groups


def group_lines(
    orders: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> dict[Any, dict[str, Any]]:
    groups: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for order in orders:
        for line in order["lines"]:
            group = groups[key(line)]
            group["lines"] += 1
            group["quantity"] += Decimal(line["quantity"])
            group["total"] += cents(line["final"])
            group["excl_vat"] += cents(line["excl_vat"])
            group["vat"] += cents(line["vat"])
            group["discounts"] += cents(line["line_discount"]) + cents(line["order_discount_share"])
    return groups


def as_cents(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, int]:
    return {name: cents(row[name]) if isinstance(row[name], str) else row[name] for name in names}


ORDER_FIGURES = (
    "sales_count",
    "sales_total",
    "refunds_count",
    "refunds_total",
    "total",
    "excl_vat",
    "vat",
    "covers",
)


def check_groups(rows: list[dict[str, Any]], key: str, expected: dict[Any, dict[str, int]]) -> None:
    shown = {
        row[key]: as_cents(row, ORDER_FIGURES)
        for row in rows
        if row["sales_count"] or row["refunds_count"]
    }
    wanted = {k: {name: group[name] for name in ORDER_FIGURES} for k, group in expected.items()}
    assert shown == wanted


def local_hour(moment: str) -> int:
    return from_utc_iso(moment).astimezone(PARIS).hour


def hour_label(hour: int) -> str:
    return f"{hour:02d} h - {(hour + 1) % 24:02d} h"


# ---------------------------------------------------------------------------- JSON: every figure


def test_every_figure_is_the_sealed_records_own(day: Day) -> None:
    report = day.report()
    orders = records(day, "order")
    payments = records(day, "payment")
    assert len(orders) == len(BASKETS) + 1
    summary = report["summary"]
    sales = [cents(o["final_price"]) for o in orders if not is_refund(o)]
    refunds = [cents(o["final_price"]) for o in orders if is_refund(o)]
    vat_by_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for order in orders:
        for row in order["vat"]:
            for index, name in enumerate(("excl", "vat", "incl")):
                vat_by_rate[row["rate"]][index] += cents(row[name])
    assert {"20.00", "10.00", "5.50"} <= set(vat_by_rate)
    assert refunds and all(r < 0 for r in refunds)
    net_payments = sum(cents(p["amount"]) - cents(p["change"]) for p in payments)
    events = [e for e in records(day, "event") if e["kind"] == "cash_movement"]
    expected_summary = {
        "revenue": sum(sales) + sum(refunds),
        "revenue_excl_vat": sum(cents(o["total_excl_vat"]) for o in orders),
        "vat": sum(cents(o["total_vat"]) for o in orders),
        **{f"vat_{rate}": sums[1] for rate, sums in vat_by_rate.items()},
        "sales_count": len(sales),
        "sales_total": sum(sales),
        "refunds_count": len(refunds),
        "refunds_total": sum(refunds),
        "operations": len(orders),
        "average_basket": half_up(sum(sales), len(sales)),
        "covers": sum(o["covers"] or 0 for o in orders),
        "line_discounts": sum(cents(line["line_discount"]) for o in orders for line in o["lines"]),
        "order_discounts": sum(cents(o["order_discount_amount"]) for o in orders),
        "payments_total": net_payments,
        "cash_in": sum(
            cents(e["details"]["amount"]) for e in events if e["details"]["kind"] == "in"
        ),
        "cash_out": sum(
            cents(e["details"]["amount"]) for e in events if e["details"]["kind"] == "out"
        ),
        "closures": len([c for c in records(day, "closure") if c["type"] == "register_z"]),
    }
    assert as_cents(summary, tuple(expected_summary)) == expected_summary
    assert set(summary) == set(expected_summary)
    assert expected_summary["revenue"] == net_payments  # every order fully paid
    assert expected_summary["cash_in"] == 5000 and expected_summary["cash_out"] == 2000
    assert expected_summary["line_discounts"] > 0 and expected_summary["order_discounts"] == 150

    sections = {key: section["rows"] for key, section in report["sections"].items()}
    assert {
        row["rate"]: [cents(row[n]) for n in ("excl_vat", "vat", "total")]
        for row in sections["vat"]
    } == dict(vat_by_rate)
    check_groups(sections["days"], "day", group_orders(orders, lambda o: o["value_date"]))
    assert [row["day"] for row in sections["days"]] == [
        f"{day.today - timedelta(days=1)}",
        f"{day.today}",
    ]
    hours = group_orders(
        orders,
        lambda o: hour_label(local_hour(o["validated_at"])),
    )
    check_groups(sections["hours"], "hour", hours)
    assert len(sections["hours"]) == 24
    check_groups(
        sections["registers"], "register_id", group_orders(orders, lambda o: o["register_id"])
    )
    check_groups(sections["users"], "user_id", group_orders(orders, lambda o: o["user_id"]))
    delivery = {"eat_in": "Sur place", "take_away": "À emporter"}
    check_groups(
        sections["delivery"],
        "delivery",
        group_orders(orders, lambda o: delivery[o["delivery_method"]]),
    )
    check_groups(
        sections["tables"], "table", group_orders(orders, lambda o: o["table"] or "Sans table")
    )
    for row in sections["users"]:
        group = group_orders(orders, lambda o: o["user_id"])[row["user_id"]]
        if group["sales_count"]:
            assert cents(row["average_basket"]) == half_up(
                group["sales_total"], group["sales_count"]
            )

    line_figures = ("lines", "total", "excl_vat", "vat", "discounts")
    by_department = group_lines(orders, lambda line: line["department"])
    assert {
        row["department_id"]: {**as_cents(row, line_figures), "quantity": Decimal(row["quantity"])}
        for row in sections["departments"]
    } == {
        k: {**{n: g[n] for n in line_figures}, "quantity": g["quantity"]}
        for k, g in by_department.items()
    }
    by_article = group_lines(orders, lambda line: (line["article_id"], line["label"]))
    assert {
        (row["article_id"], row["label"]): as_cents(row, line_figures)
        for row in sections["articles"]
    } == {k: {n: g[n] for n in line_figures} for k, g in by_article.items()}
    assert (None, FORMULA) in by_article

    modes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for payment in payments:
        mode = modes[payment["mode"]]
        mode[0] += 1
        mode[1] += cents(payment["amount"])
        mode[2] += cents(payment["change"])
        mode[3] += cents(payment["amount"]) - cents(payment["change"])
    assert {
        row["mode"]: [row["count"], *(cents(row[n]) for n in ("tendered", "change", "net"))]
        for row in sections["payments"]
    } == dict(modes)

    discounted = [o for o in orders if cents(o["total_discount"])]
    assert {
        row["internal_number"]: cents(row["total_discount"]) for row in sections["discounts"]
    } == {o["internal_number"]: cents(o["total_discount"]) for o in discounted}
    assert [
        (row["kind"], cents(row["amount"]), row["reason"], row["hash"])
        for row in sections["cash_movements"]
    ] == [
        ("Sortie", -2000, "Achat de lait", events[0]["hash"]),
        ("Entrée", 5000, "Monnaie", events[1]["hash"]),
    ]
    [z] = [c for c in records(day, "closure") if c["type"] == "register_z"]
    assert [(row["hash"], cents(row["period_total"])) for row in sections["closures"]] == [
        (z["hash"], cents(z["period_total"]))
    ]

    listed = sections["orders"]
    assert [row["hash"] for row in listed] == [o["hash"] for o in orders]
    for row, order in zip(listed, orders, strict=True):
        assert row["internal_number"] == order["internal_number"]
        assert row["public_number"] == order["public_number"]
        assert cents(row["final_price"]) == cents(order["final_price"])
        assert cents(row["vat"]) == cents(order["total_vat"])
        for vat in order["vat"]:
            assert cents(row[f"vat_{vat['rate']}"]) == cents(vat["vat"])
        assert row["register"] == order["register_name"] and row["user"] == order["user_name"]
        assert row["type"] == ("Remboursement" if is_refund(order) else "Vente")
        assert row["corrects"] == order["corrects_public_number"]
        assert row["validated_at"] == order["validated_at"]
    assert (listed[0]["receipts"], listed[0]["invoices"]) == (3, 0)
    assert (listed[4]["receipts"], listed[4]["invoices"]) == (0, 1)
    assert len(sections["lines"]) == sum(len(o["lines"]) for o in orders)
    assert sum(cents(line["final"]) for line in sections["lines"]) == expected_summary["revenue"]
    assert sum(report["charts"]["revenue_per_day"]["values"]) == expected_summary["revenue"]
    assert sum(report["charts"]["sales_per_hour"]["values"]) == len(sales)
    assert day.foreign_hash not in str(report)


def test_one_register_or_one_user(day: Day) -> None:
    orders = records(day, "order")
    cases: list[tuple[dict[str, str], Callable[[dict[str, Any]], bool]]] = [
        ({"register": "R2"}, lambda o: o["register_id"] == "R2"),
        ({"user": "u-lea"}, lambda o: o["user_id"] == "u-lea"),
        (
            {"register": "R1", "user": "u-claire"},
            lambda o: o["register_id"] == "R1" and o["user_id"] == "u-claire",
        ),
    ]
    for params, keep in cases:
        report = day.report(**params)
        kept = [o for o in orders if keep(o)]
        assert kept
        assert [row["hash"] for row in report["sections"]["orders"]["rows"]] == [
            o["hash"] for o in kept
        ]
        assert cents(report["summary"]["revenue"]) == sum(cents(o["final_price"]) for o in kept)
    assert day.report(register="R2")["report"]["register"] == "Terrasse"
    # The Z of R2 is in R2's report, not in R1's.
    assert len(day.report(register="R2")["sections"]["closures"]["rows"]) == 1
    assert day.report(register="R1")["sections"]["closures"]["rows"] == []
    moves = day.report(register="R1")["sections"]["cash_movements"]["rows"]
    assert [row["reason"] for row in moves] == ["Achat de lait"]


# ---------------------------------------------------------------------------- files


def csv_sections(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV's blocks, by their title: each a title row, then its rows."""
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    blocks: dict[str, list[list[str]]] = {}
    title = None
    for row in rows:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            blocks[title] = []
        else:
            blocks[title].append(row)
    return blocks


def french_cents(text: str) -> int:
    return from_json_amount(text.replace(",", "."))


def test_the_csv_reads_back_with_the_same_totals(day: Day) -> None:
    report = day.report()
    blocks = csv_sections(day.file("csv"))
    summary = dict(blocks["Synthèse"])
    assert french_cents(summary["Chiffre d'affaires TTC"]) == cents(report["summary"]["revenue"])
    assert french_cents(summary["TVA collectée"]) == cents(report["summary"]["vat"])
    header, *rows = blocks["Liste des commandes"]
    assert len(rows) == len(report["sections"]["orders"]["rows"])
    total = header.index("Total TTC")
    assert sum(french_cents(row[total]) for row in rows) == cents(report["summary"]["revenue"])
    assert rows[0][header.index("Validée le")].count("/") == 2  # 21/11/2026 15:46:21
    header, *rows = blocks["Par taux de TVA"]
    assert {row[0] for row in rows} == {"20", "10", "5,5"}
    header, *lines = blocks["Détail des commandes"]
    labels = [row[header.index("Libellé")] for row in lines]
    assert f"'{FORMULA}" in labels  # text, not a formula


def test_the_workbook_holds_numbers(day: Day) -> None:
    report = day.report()
    workbook = load_workbook(io.BytesIO(day.file("xlsx")))
    assert workbook.sheetnames[0] == "Synthèse"
    assert "Liste des commandes" in workbook.sheetnames
    sheet = workbook["Liste des commandes"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    column = header.index("Total TTC") + 1
    values = [sheet.cell(row, column).value for row in range(2, sheet.max_row + 1)]
    assert all(isinstance(value, int | float) for value in values)
    assert round(sum(Decimal(str(v)) for v in values) * 100) == cents(report["summary"]["revenue"])
    assert "€" in sheet.cell(2, column).number_format
    validated = sheet.cell(2, header.index("Validée le") + 1).value
    assert isinstance(validated, datetime)
    summary = {
        row[0].value: row[1].value for row in workbook["Synthèse"].iter_rows() if len(row) > 1
    }
    assert round(Decimal(str(summary["TVA collectée"])) * 100) == cents(report["summary"]["vat"])
    lines = workbook["Détail des commandes"]
    labels = [row[3].value for row in lines.iter_rows(min_row=2)]
    assert FORMULA in labels
    formula_cell = next(row[3] for row in lines.iter_rows(min_row=2) if row[3].value == FORMULA)
    assert formula_cell.data_type == "s"


def test_the_html_page_stands_alone(day: Day, tmp_path: Path) -> None:
    page = day.file("html").decode()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 4
    lowered = page.lower()
    for outside in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert outside not in lowered, outside
    assert "Liste des commandes" in page and "Chiffre d&#x27;affaires TTC" in page
    path = tmp_path / "rapport.html"
    path.write_text(page, encoding="utf-8")
    screenshot(path, Path(os.environ.get("TILL_REPORT_SHOTS", tmp_path)) / "rapport_html.png")


def screenshot(page: Path, png: Path) -> None:
    """The page as headless Chromium draws it (skipped where there is no Chromium)."""
    if shutil.which("chromedriver") is None:
        pytest.skip("no chromedriver here")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(page.as_uri())
        assert driver.find_elements("css selector", "svg rect")
        driver.save_screenshot(str(png))
    finally:
        driver.quit()
    assert png.stat().st_size > 10_000


def test_the_pdf_opens_with_its_charts(day: Day, tmp_path: Path) -> None:
    data = day.file("pdf")
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) >= 2
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for words in ("Rapport des ventes", "Synthèse", "Liste des commandes", "Par taux de TVA"):
        assert words in text
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    image = document[0].render(scale=1.5).to_pil()
    target = Path(os.environ.get("TILL_REPORT_SHOTS", tmp_path))
    image.save(target / "rapport_pdf_1.png")
    (target / "rapport.pdf").write_bytes(data)
    # The charts are drawn: page 1 is far from blank.
    assert len(image.convert("L").getcolors()) > 20


# ---------------------------------------------------------------------------- journal


def test_each_file_is_journaled_with_its_digest(day: Day) -> None:
    before = day.accountant.ok("GET", "/events", params={"kind": "export"})
    data = day.file("csv", till=day.accountant, register="R1")
    day.report()  # JSON is an answer of the API, not an export
    events = day.accountant.ok("GET", "/events", params={"kind": "export"})
    assert len(events) == len(before) + 1
    details = events[0]["details"]
    assert details["sha256"] == hashlib.sha256(data).hexdigest()
    assert details["format"] == "csv" and details["register_id"] == "R1"
    assert (
        details["file"]
        == f"rapport_{day.today - timedelta(days=1):%Y%m%d}_{day.today:%Y%m%d}_caisse-R1.csv"
    )
    assert events[0]["user_id"] == "u-compta"


def test_files_are_attachments(day: Day) -> None:
    for format_, media in (
        ("csv", "text/csv"),
        ("xlsx", "spreadsheetml"),
        ("html", "text/html"),
        ("pdf", "application/pdf"),
    ):
        response = day.admin.request(
            "GET", "/reports", params=day.params(format=format_, user="u-lea")
        )
        assert response.status_code == 200
        assert media in response.headers["content-type"]
        assert response.headers["content-disposition"].endswith(f'_vendeur-u-lea.{format_}"')


# ---------------------------------------------------------------------------- refusals


def test_what_a_report_refuses(day: Day) -> None:
    def get(till: Till, **params: str) -> Any:
        return till.request("GET", "/reports", params=params)

    message = error_of(
        get(day.manager, **{"from": "2025-01-01", "to": "2026-01-01"}), 422, "invalid"
    )
    assert "at most one year" in message and "2025-12-31" in message
    assert get(day.manager, **{"from": "2025-01-01", "to": "2025-12-31"}).status_code == 200
    error_of(get(day.manager, **{"from": "2025-02-01", "to": "2025-01-31"}), 422, "invalid")
    error_of(get(day.manager, **{"from": "2025-02-30", "to": "2025-03-01"}), 422, "invalid_request")
    error_of(get(day.manager, **{"from": "hier", "to": "2025-03-01"}), 422, "invalid_request")
    error_of(get(day.manager, **{"to": "2025-03-01"}), 422, "invalid_request")
    error_of(get(day.manager, **day.params(format="docx")), 422, "invalid_request")
    error_of(get(day.manager, **day.params(register="R9")), 404, "not_found")
    error_of(get(day.manager, **day.params(user="u-nobody")), 404, "not_found")
    for format_ in ("json", "pdf"):
        error_of(get(day.cashier, **day.params(format=format_)), 403, "forbidden")


def test_a_report_of_a_few_sections_or_of_its_summary_alone(day: Day) -> None:
    whole = day.report()
    few = day.report(sections="payments, vat")
    assert list(few["sections"]) == ["vat", "payments"]  # in the report's order
    assert few["summary"] == whole["summary"] and few["charts"] == whole["charts"]
    assert few["sections"]["vat"] == whole["sections"]["vat"]
    assert day.report(sections="")["sections"] == {}
    message = error_of(
        day.manager.request("GET", "/reports", params=day.params(sections="vat,recettes")),
        422,
        "invalid",
    )
    assert "recettes" in message and "payments" in message
    csv_text = day.file("csv", sections="vat").decode()
    assert "Par taux de TVA" in csv_text and "Liste des commandes" not in csv_text


def test_another_shop_sees_nothing_of_this_one(day: Day) -> None:
    report = day.foreign.ok("GET", "/reports", params=day.params())
    assert report["summary"]["operations"] == 1
    text = day.foreign.request("GET", "/reports", params=day.params(format="csv")).text
    for order in records(day, "order"):
        assert order["hash"] not in text and order["hash"] not in str(report)
    assert day.foreign_hash in text


@pytest.mark.parametrize("format_", ["json", "csv", "xlsx", "html", "pdf"])
def test_an_empty_period_is_a_valid_empty_report(day: Day, format_: str) -> None:
    params = {"from": "2024-02-29", "to": "2025-02-28", "format": format_}
    response = day.accountant.request("GET", "/reports", params=params)
    assert response.status_code == 200, response.text
    data = response.content
    if format_ == "json":
        report = response.json()
        assert (
            report["summary"]["revenue"] == "0.00" and report["summary"]["average_basket"] is None
        )
        assert all(report["sections"][key]["rows"] == [] for key in ("orders", "lines", "closures"))
        assert len(report["sections"]["days"]["rows"]) == 366
    elif format_ == "csv":
        assert csv_sections(data)["Liste des commandes"] == [
            csv_sections(data)["Liste des commandes"][0]
        ]
    elif format_ == "xlsx":
        assert (
            load_workbook(io.BytesIO(data))["Liste des commandes"]["A2"].value
            == "Aucune donnée sur la période."
        )
    elif format_ == "html":
        assert "Aucune donnée sur la période." in data.decode() and "<svg" in data.decode()
    else:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert "Aucune donnée sur la période." in text


def test_pdf_columns_hold_their_headings_and_amounts_whole() -> None:
    """A heading wraps between its words, an amount never, a seal in thirds; and everything
    stays within its column (a table cell does not wrap or clip by itself)."""
    pdf._fonts()
    columns = [
        Column("number", "N° de ticket"),
        *(Column(f"n{i}", "Remboursements", Kind.COUNT) for i in range(6)),
        Column("total", "Montant des remboursements", Kind.AMOUNT),
        Column("summary", "Résumé"),
        Column("hash", "Sceau (SHA-256)"),
    ]
    values = ["T00000001", *["7"] * 6, "-12 345,67 €", "2 x Cappuccino, Jambon-beurre", "0" * 64]
    fits = [pdf._Fit.of(column, [value]) for column, value in zip(columns, values, strict=True)]
    size, widths = pdf._layout(fits)
    assert sum(widths) <= pdf.WIDTH + 0.01
    for column, value, width in zip(columns, values, widths, strict=True):
        heading = pdf._wrap(column.label, width, size, pdf.BOLD).split("\n")
        assert " ".join(heading) == column.label  # cut between words only
        cell = pdf._cell(column.kind, value, width, size)
        lines = [*heading, *cell.split("\n")]
        fonts = [pdf.BOLD] * len(heading) + [pdf.SANS] * (len(lines) - len(heading))
        for line, font in zip(lines, fonts, strict=True):
            assert pdf._width(line, size, font) <= width - pdf.PADDING + 0.01, (column, line)
    assert pdf._cell(Kind.TEXT, "0" * 64, widths[-1], size).count("\n") == 2
