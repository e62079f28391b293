"""Reports and exports on the screen, against the real server: after a few sales, a manager sees
the figures of the server's own report and saves the CSV, the PDF and the FEC whole in the folder
chosen; an accountant does the same; a period longer than a year is refused before anything is
asked; a cashier has no such screen."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sync.reports import Period, QuickPeriod
from tests.sync.servers import Site
from tests.ui.driver import Driver
from tests.ui.test_sale import pay_in_cash
from till.money import format_amount, format_rate, from_json_amount, from_json_rate
from till.periods import business_day


def sell_a_few(driver: Driver) -> None:
    driver.sell("croissant", "creme")
    pay_in_cash(driver)
    driver.sell("eclair", "jambon-beurre", "eau")
    pay_in_cash(driver)


def open_reports(driver: Driver, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    driver.context.remember(export_folder=str(folder))
    driver.tap("nav-reports")
    driver.on("reports")
    driver.settle()


def today_of(driver: Driver) -> Period:
    shop = driver.context.shop or {}
    day = business_day(driver.context.core.clock.wall(), shop["timezone"], shop["opening_hour"])
    return Period.quick(QuickPeriod.TODAY, day)


def amount(value: str | None) -> str:
    return "—" if value is None else format_amount(from_json_amount(value))


def assert_shows_the_servers_figures(driver: Driver, site: Site, shop_id: str) -> None:
    server = site.client(shop_id, "u-claire")
    try:
        report = server.report(today_of(driver))
    finally:
        server.close()
    summary = report["summary"]
    assert summary["sales_count"] == 2
    assert driver.text("reports-revenue") == amount(summary["revenue"])
    assert driver.text("reports-sales") == f"2 · {amount(summary['sales_total'])}"
    assert driver.text("reports-refunds") == f"0 · {amount(summary['refunds_total'])}"
    assert driver.text("reports-operations") == "2"
    assert driver.text("reports-average") == amount(summary["average_basket"])
    assert driver.text("reports-vat") == amount(summary["vat"])
    screen = driver.window.page("reports")
    rates = [
        [screen.vat_table.item(row, column).text() for column in range(4)]
        for row in range(screen.vat_table.rowCount())
    ]
    assert rates == [
        [format_rate(from_json_rate(row["rate"])), *(amount(row[key]) for key in keys)]
        for row in report["sections"]["vat"]["rows"]
        for keys in [("excl_vat", "vat", "total")]
    ]
    modes = screen.modes_table
    assert [modes.item(row, 2).text() for row in range(modes.rowCount())] == [
        amount(row["net"]) for row in report["sections"]["payments"]["rows"]
    ]


def save_and_check(driver: Driver, folder: Path) -> None:
    for name in ("csv", "pdf", "fec"):
        driver.tap(f"reports-save-{name}")
        driver.settle()
    [report_csv] = folder.glob("rapport_*.csv")
    with report_csv.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert any("Croissant" in cell for row in rows for cell in row)
    [pdf] = folder.glob("rapport_*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    [fec] = folder.glob("*FEC*.txt")
    lines = fec.read_bytes().splitlines()
    assert len(lines) > 1 and all(len(line.split(b"|")) == 18 for line in lines)
    assert fec.name in driver.text("notice")
    assert not list(folder.glob(".*.part"))


def test_a_manager_sees_the_days_figures_and_saves_files(
    driver: Driver, site: Site, shop_id: str, tmp_path: Path
) -> None:
    driver.log_in("u-claire")
    sell_a_few(driver)
    open_reports(driver, tmp_path / "saved")
    assert driver.window.page("reports").quick_buttons[QuickPeriod.TODAY].isChecked()
    assert_shows_the_servers_figures(driver, site, shop_id)
    accounts = tmp_path / "saved" / "Compta"
    accounts.mkdir()
    driver.tap("reports-folder")
    driver.settle()
    driver.tap_item("folder-list", "Compta")
    driver.settle()
    driver.tap("folder-choose")
    assert driver.context.settings.export_folder == str(accounts)
    assert driver.text("reports-folder-path") == str(accounts)
    save_and_check(driver, accounts)


def test_an_accountant_reads_and_saves_the_same(
    driver: Driver, site: Site, shop_id: str, tmp_path: Path
) -> None:
    driver.log_in("u-karim")
    sell_a_few(driver)
    driver.tap("nav-logout")
    driver.log_in("u-compta")
    driver.on("history")
    driver.settle()
    history = driver.window.page("history").table
    rows = [[history.item(row, column).text() for column in (3, 4)] for row in range(2)]
    # The cashier's next ticket, still empty, is no sale: not listed.
    assert history.rowCount() == 2
    assert [state for _total, state in rows] == ["Validée", "Validée"]
    assert all(total.endswith("€") for total, _state in rows)
    open_reports(driver, tmp_path / "saved")
    assert_shows_the_servers_figures(driver, site, shop_id)
    save_and_check(driver, tmp_path / "saved")
    driver.tap("nav-journal")
    driver.on("journal")
    driver.settle()
    journal = driver.window.page("journal").table
    events = [journal.item(row, 2).text() for row in range(journal.rowCount())]
    assert events[:3] == ["Export · FEC", "Export · PDF", "Export · CSV"]


def test_more_than_a_year_is_refused_on_the_screen(driver: Driver, tmp_path: Path) -> None:
    driver.log_in("u-claire")
    driver.on("sale")
    open_reports(driver, tmp_path / "saved")
    period = today_of(driver)
    driver.tap("reports-from")
    driver.pick_day(period.start - timedelta(days=366))
    driver.settle()
    assert "un an au plus" in driver.text("reports-warning")
    for name in ("reports-show", "reports-save-csv", "reports-save-fec"):
        assert not driver.button(name).isEnabled()
    driver.tap("reports-to")
    driver.pick_day(period.start - timedelta(days=2))
    driver.settle()
    assert not driver.window.page("reports").warning.isVisible()
    assert driver.button("reports-save-csv").isEnabled()


def test_a_cashier_has_no_reports(driver: Driver) -> None:
    driver.log_in("u-karim")
    driver.on("sale")
    assert driver.buttons("nav-history") and not driver.buttons("nav-reports")
