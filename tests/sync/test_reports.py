"""Reports, exports and archives as the till fetches them: the usual periods, the JSON report,
files saved whole in a folder (each journaled by the server as an export), an archive saved with
its signature and key beside it and verified, and nothing left behind when the server refuses
or the file is cut half-way."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync.client import attachment_name
from sync.errors import Forbidden, Rejected, ServerUnreachable
from sync.reports import Period, QuickPeriod
from sync.service import TillSync
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.servers import Site, enrolled_till
from tests.sync.test_screen_calls import sold
from till.fiscal.archive import ArchiveVerifier
from till.fiscal.keys import PublicKey
from till.periods import business_day

WEDNESDAY = date(2026, 3, 18)


@pytest.mark.parametrize(
    ("choice", "start", "end"),
    [
        (QuickPeriod.TODAY, WEDNESDAY, WEDNESDAY),
        (QuickPeriod.YESTERDAY, date(2026, 3, 17), date(2026, 3, 17)),
        (QuickPeriod.THIS_WEEK, date(2026, 3, 16), WEDNESDAY),
        (QuickPeriod.THIS_MONTH, date(2026, 3, 1), WEDNESDAY),
        (QuickPeriod.LAST_MONTH, date(2026, 2, 1), date(2026, 2, 28)),
        (QuickPeriod.THIS_YEAR, date(2026, 1, 1), WEDNESDAY),
    ],
)
def test_the_usual_periods(choice: QuickPeriod, start: date, end: date) -> None:
    assert Period.quick(choice, WEDNESDAY) == Period(start, end)


def test_a_period_covers_a_year_at_most() -> None:
    assert Period(date(2025, 1, 1), date(2025, 12, 31)).valid
    assert not Period(date(2025, 1, 1), date(2026, 1, 1)).valid
    assert not Period(date(2025, 1, 2), date(2025, 1, 1)).valid
    assert Period(date(2024, 2, 29), date(2025, 2, 28)).latest_end == date(2025, 2, 28)
    assert Period.quick(QuickPeriod.LAST_MONTH, date(2026, 1, 5)) == Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )


def test_a_business_day_starts_at_the_opening_hour() -> None:
    paris = ZoneInfo("Europe/Paris")
    early = datetime(2026, 3, 18, 5, 59, tzinfo=paris)
    assert business_day(early, "Europe/Paris", 6) == date(2026, 3, 17)
    assert business_day(early.replace(hour=6, minute=0), "Europe/Paris", 6) == WEDNESDAY


def test_file_names_from_the_server_are_kept_plain() -> None:
    assert attachment_name('attachment; filename="rapport_1.pdf"', "x") == "rapport_1.pdf"
    assert attachment_name('attachment; filename="../../etc/passwd"', "x") == "passwd"
    assert attachment_name('attachment; filename=".."', "rapport.csv") == "rapport.csv"
    assert attachment_name(None, "FEC.txt") == "FEC.txt"


@pytest.fixture
def manager(site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path) -> Iterator[TillSync]:
    till = enrolled_till(site, shop_id, proxy.url, tmp_path / "manager", user_id="u-claire")
    yield till
    till.close()


def today_of(till: TillSync) -> Period:
    shop = till.client.get("/shop")
    day = business_day(till.clock.wall(), shop["timezone"], shop["opening_hour"])
    return Period(day, day)


def test_reports_and_exports_are_saved_whole_and_journaled(
    site: Site, shop_id: str, till: TillSync, manager: TillSync, tmp_path: Path
) -> None:
    sold(till)
    today = today_of(manager)
    report = manager.client.report(today)
    assert report["summary"]["sales_count"] == 1 and report["summary"]["revenue"] == "2.40"
    assert manager.client.report(today, "R2")["summary"]["sales_count"] == 0
    shown = manager.client.report(today, sections=("vat", "payments"))
    assert shown["summary"] == report["summary"]
    assert list(shown["sections"]) == ["vat", "payments"]
    events = site.records(shop_id, "event")
    folder = tmp_path / "saved"
    folder.mkdir()
    day = f"{today.start:%Y%m%d}"
    saved = manager.client.save_report("csv", today, None, None, folder)
    assert saved == folder / f"rapport_{day}_{day}.csv"
    with saved.open(encoding="utf-8-sig", newline="") as file:
        assert any("Croissant" in cell for row in csv.reader(file, delimiter=";") for cell in row)
    by_register = manager.client.save_report("pdf", today, "R1", "u-karim", folder)
    assert by_register.name == f"rapport_{day}_{day}_caisse-R1_vendeur-u-karim.pdf"
    assert by_register.read_bytes().startswith(b"%PDF")
    fec = manager.client.save_export("fec", today, folder)
    assert fec.suffix == ".txt"
    assert all(line.count(b"|") == 17 for line in fec.read_bytes().splitlines())
    assert manager.client.save_export("saft", today, folder).suffix == ".xml"
    assert [path.name for path in folder.iterdir() if path.suffix == ".part"] == []
    assert site.records(shop_id, "event") == events + 4


def test_an_archive_is_saved_with_its_signature_and_key(
    manager: TillSync, till: TillSync, tmp_path: Path
) -> None:
    sold(till)
    today = today_of(manager)
    manager.client.call("POST", "/archives", {"start": str(today.start), "end": str(today.end)})
    [archive] = manager.client.archives()
    zip_path, signature, key = manager.client.save_archive(archive, tmp_path)
    assert zip_path.name == archive["file_name"]
    assert (signature.name, key.name) == (f"{zip_path.name}.sig", f"{zip_path.name}.pub")
    verifier = ArchiveVerifier(
        zip_path, signature.read_text(), [PublicKey.from_hex(key.read_text().strip())]
    )
    assert list(verifier.defects()) == []
    assert verifier.report.records > 0


def test_nothing_is_left_when_the_server_refuses(
    till: TillSync, manager: TillSync, tmp_path: Path
) -> None:
    today = today_of(till)
    folder = tmp_path / "saved"
    folder.mkdir()
    with pytest.raises(Forbidden):
        till.client.save_report("csv", today, None, None, folder)
    too_long = Period(date(2025, 1, 1), date(2026, 1, 1))
    with pytest.raises(Rejected):
        manager.client.save_export("fec", too_long, folder)
    assert list(folder.iterdir()) == []


def test_a_file_cut_half_way_leaves_nothing_and_is_asked_once(
    site: Site, shop_id: str, proxy: FaultProxy, manager: TillSync, tmp_path: Path
) -> None:
    today = today_of(manager)
    events = site.records(shop_id, "event")
    folder = tmp_path / "saved"
    folder.mkdir()
    proxy.decide = lambda _method, path: (
        Fault.RESET_MID_RESPONSE if path.startswith("/reports") else Fault.PASS
    )
    with pytest.raises(ServerUnreachable):
        manager.client.save_report("pdf", today, None, None, folder)
    assert list(folder.iterdir()) == []
    assert site.records(shop_id, "event") == events + 1  # journaled by the server, once
