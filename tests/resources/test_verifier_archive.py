"""`verifier_archive.html` in headless Chromium, opened from the unzipped archive's folder as an
auditor would: a clean archive passes, a changed amount names its record, a removed record and a
wrong ZIP signature are reported; and the page fetches nothing."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.browser import PageVerdict, chromium, verify_in_page
from tests.till.fiscal.archive_samples import PAGE, SampleArchive
from till.fiscal.keys import ShopKey

ORDERS = "factures-20260301-20260331.jsonl"
PAYMENTS = "reglements-20260301-20260331.jsonl"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def sample() -> SampleArchive:
    return SampleArchive.make(ShopKey.from_seed_hex("33" * 32))


def open_archive(driver: WebDriver, zip_path: Path, *, unzipped: bool = False) -> PageVerdict:
    """Unzip the archive beside itself, open its page, and give it the ZIP, .sig and .pub (or,
    `unzipped`, the folder's files)."""
    folder = zip_path.parent
    with zipfile.ZipFile(zip_path) as zipped:
        zipped.extractall(folder)
    if unzipped:
        files = sorted(p for p in folder.iterdir() if p.suffix in (".json", ".jsonl"))
    else:
        files = [zip_path, zip_path.with_name(zip_path.name + ".sig")]
        files.append(zip_path.with_name(zip_path.name + ".pub"))
    return verify_in_page(driver, folder / "verifier_archive.html", files, folder / "page.png")


def test_a_clean_archive_passes(browser: WebDriver, sample: SampleArchive, tmp_path: Path) -> None:
    verdict = open_archive(browser, sample.write(tmp_path))
    assert verdict.state == "ok", verdict.text
    assert verdict.records == 19 and verdict.defects == []
    assert "Archive intègre : signature valide, 19 enregistrement(s)" in verdict.text
    assert "The archive is intact" in verdict.text


def test_the_unzipped_folder_alone_is_checked_but_said_unsigned(
    browser: WebDriver, sample: SampleArchive, tmp_path: Path
) -> None:
    verdict = open_archive(browser, sample.write(tmp_path), unzipped=True)
    assert verdict.state == "partial", verdict.text
    assert verdict.records == 19 and verdict.defects == []
    assert "la signature de l'archive n'a pas été vérifiée" in verdict.text


def test_one_amount_changed_names_that_record(
    browser: WebDriver, sample: SampleArchive, tmp_path: Path
) -> None:
    path = sample.write(tmp_path, lines=sample.altered("order", 1, final_price="0.01"))
    verdict = open_archive(browser, path)
    assert verdict.state == "ko"
    [defect] = verdict.defects
    assert {k: defect[k] for k in ("file", "line", "chain", "seq", "kind")} == {
        "file": ORDERS,
        "line": "2",
        "chain": "order",
        "seq": "5",
        "kind": "altered",
    }
    assert "T00000005" in defect["text"] and "modifié après scellement" in defect["text"]


def test_a_record_removed_is_detected(
    browser: WebDriver, sample: SampleArchive, tmp_path: Path
) -> None:
    verdict = open_archive(browser, sample.write(tmp_path, lines=sample.without("payment", 2)))
    assert verdict.state == "ko"
    kinds = [(d["file"], d["seq"], d["kind"]) for d in verdict.defects]
    assert kinds == [(PAYMENTS, "6", "gap"), (PAYMENTS, "", "count")]
    assert "le numéro 6 manque" in verdict.defects[0]["text"]

    verdict = open_archive(
        browser, sample.write(tmp_path / "end", lines=sample.without("order", -1))
    )
    assert [(d["seq"], d["kind"]) for d in verdict.defects] == [("9", "truncated"), ("", "count")]


def test_a_wrong_zip_signature_is_reported(
    browser: WebDriver, sample: SampleArchive, tmp_path: Path
) -> None:
    path = sample.write(tmp_path, signed_by=ShopKey.from_seed_hex("44" * 32))
    verdict = open_archive(browser, path)
    assert verdict.state == "ko"
    assert verdict.defects == []  # every record is intact: only the ZIP's signature is wrong
    assert f"Signature de l'archive {path.name} invalide" in verdict.text
    assert "1 défaut(s)" in verdict.text


def test_the_page_loads_nothing_from_anywhere() -> None:
    html = PAGE.read_text(encoding="utf-8")
    assert "default-src 'none'" in html  # the browser itself refuses any fetch
    assert re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", html) is None
    assert re.search(r"\b(fetch|XMLHttpRequest|WebSocket|import)\s*\(", html) is None
    assert "http://" not in html and "https://" not in html
