"""Headless Chromium for the pages the project ships to run in a browser (the archive verifier).

Needs the system packages `chromium` and `chromium-driver` (scripts/install-system-packages.sh).
Where they are missing the browser tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ARGUMENTS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--window-size=1200,1400",
)


def require_chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        message = "chromium and chromedriver are needed (scripts/install-system-packages.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return browser, driver


@contextmanager
def chromium() -> Iterator[WebDriver]:
    browser, driver_path = require_chromium()
    options = Options()
    for argument in ARGUMENTS:
        options.add_argument(argument)
    options.binary_location = browser
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class PageVerdict:
    """What the verifier page shows: its verdict, the defects it lists, and all its text."""

    state: str  # ok, ko, partial or error
    records: int | None
    defects: list[dict[str, str]]
    text: str


def verify_in_page(
    driver: WebDriver, page: Path, files: list[Path], screenshot: Path | None = None
) -> PageVerdict:
    """Open the page from its folder, pick `files` as a user would, and read what it says."""
    driver.get(page.resolve().as_uri())
    driver.find_element(By.ID, "files").send_keys("\n".join(str(f.resolve()) for f in files))
    verdict = driver.find_element(By.ID, "verdict")
    WebDriverWait(driver, 120).until(
        lambda _: verdict.get_attribute("data-state") not in ("", "running")
    )
    defects: list[dict[str, Any]] = driver.execute_script(
        "return [...document.querySelectorAll('tr.defect')]"
        ".map((row) => ({...row.dataset, text: row.innerText}))"
    )
    if screenshot is not None:
        driver.save_screenshot(str(screenshot))
    records = verdict.get_attribute("data-records")
    return PageVerdict(
        state=verdict.get_attribute("data-state") or "",
        records=int(records) if records else None,
        defects=defects,
        text=driver.find_element(By.TAG_NAME, "main").text,
    )
