"""Every main screen at 1024 x 768, in French and in English, kept as screenshots (to look at for
clipped text and overlaps); and no visible text without its French translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.sync.faultproxy import FaultProxy
from tests.sync.servers import Site
from tests.ui.conftest import make_driver
from tests.ui.driver import Driver

SCREENS = ("sale", "payment", "history", "drafts", "help", "lock")


def walk(driver: Driver, folder: Path, language: str) -> list[Path]:
    shots = [driver.shot(folder, f"{language}-login")]
    driver.log_in("u-karim")
    driver.on("register")
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-register-open"))
    driver.tap("float-count-2000")
    driver.type_keys("5")
    driver.tap("register-open")
    driver.sell("croissant", "creme", "jambon-beurre", "eau")
    shots.append(driver.shot(folder, f"{language}-sale"))
    driver.tap("sale-pay")
    driver.on("payment")
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-payment"))
    driver.tap("quick-2000")
    driver.settle()
    driver.tap("payment-validate")
    driver.on("payment")
    driver.qtbot.waitUntil(lambda: driver.text("done-title").startswith("Ticket T"), timeout=20_000)
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-receipt-preview"))
    driver.window.preview_panel.accept()
    shots.append(driver.shot(folder, f"{language}-done"))
    for name in ("history", "drafts", "help", "register"):
        driver.tap(f"nav-{name}")
        driver.on(name)
        driver.settle()
        shots.append(driver.shot(folder, f"{language}-{name}"))
    driver.tap("register-close")
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-closing"))
    driver.tap("nav-lock")
    driver.on("lock")
    shots.append(driver.shot(folder, f"{language}-lock"))
    return shots


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_screen_in_both_languages(
    qtbot: QtBot, site: Site, proxy: FaultProxy, tmp_path: Path, screenshots: Path, language: str
) -> None:
    shop_id = site.new_shop(open_registers=())
    driver = make_driver(
        qtbot,
        proxy.url,
        tmp_path / "till",
        language=language,
        enrolled_with=site.enrollment_code(shop_id),
    )
    try:
        shots = walk(driver, screenshots, language)
        assert all(path.stat().st_size > 10_000 for path in shots)
        if language == "fr":
            assert driver.missing_translations() == set()
    finally:
        driver.close()


def test_first_run_screen(qtbot: QtBot, tmp_path: Path, screenshots: Path) -> None:
    driver = make_driver(qtbot, "http://127.0.0.1:9", tmp_path / "till", enrolled_with=None)
    try:
        driver.on("setup")
        driver.shot(screenshots, "fr-setup")
        driver.tap("setup-test-page")
        driver.settle()
        paper = driver.last_paper("test")
        assert "PAGE DE TEST" in paper.text[0]
    finally:
        driver.close()
