"""Every main screen, a manager's and an accountant's, with their panels and the on-screen
keyboard's pages, at 1024 x 768 and at 1920 x 1080, in French and in English, kept as screenshots
(to look at for clipped text, overlaps and small targets); and no visible text without its French
translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.sync.faultproxy import FaultProxy
from tests.sync.servers import Site
from tests.ui.conftest import make_driver
from tests.ui.driver import Driver
from tests.ui.test_reports import today_of
from ui.qt import QPushButton
from ui.widgets import TOUCH

SIZES = {"": (1024, 768), "-fhd": (1920, 1080)}


def walk(driver: Driver, folder: Path, language: str) -> list[Path]:
    """A manager's day: log-in, register, sale, payment, receipt, history, drafts, reports and
    their panels, help, the till's settings, the register with cash taken out and an X, closing,
    lock."""
    shots = [driver.shot(folder, f"{language}-login")]
    driver.log_in("u-claire")
    driver.on("register")
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-register-open"))
    driver.tap("float-count-2000")
    driver.type_keys("5")
    driver.tap("register-open")
    driver.sell("croissant", "creme", "jambon-beurre", "eau")
    shots.append(driver.shot(folder, f"{language}-sale"))
    driver.touch("sale-search")
    shots.append(driver.shot(folder, f"{language}-keyboard-search"))
    driver.tap("kb-hide")
    driver.tap("key-details")
    driver.touch("field-0")
    shots.append(driver.shot(folder, f"{language}-keyboard-panel"))
    driver.close_panels()
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
    assert_the_paper_fits(driver)
    driver.window.preview_panel.accept()
    shots.append(driver.shot(folder, f"{language}-done"))
    make_an_archive(driver)
    for name in ("history", "drafts", "reports", "help", "register"):
        driver.tap(f"nav-{name}")
        driver.on(name)
        driver.settle()
        shots.append(driver.shot(folder, f"{language}-{name}"))
        if name == "help":
            driver.tap("help-settings")
            driver.on("settings")
            shots.append(driver.shot(folder, f"{language}-settings"))
        if name == "register":
            shots += cash_and_x(driver, folder, language)
        if name == "history":
            shots += keyboard_pages(driver, folder, language)
            driver.tap("history-register")
            shots.append(driver.shot(folder, f"{language}-history-registers"))
            driver.close_panels()
        if name == "reports":
            for panel in ("reports-from", "reports-user", "reports-folder", "reports-archives"):
                driver.tap(panel)
                driver.settle()
                shots.append(driver.shot(folder, f"{language}-{panel}"))
                driver.close_panels()
    driver.tap("register-close")
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-closing"))
    driver.tap("nav-lock")
    driver.on("lock")
    shots.append(driver.shot(folder, f"{language}-lock"))
    return shots


def cash_and_x(driver: Driver, folder: Path, language: str) -> list[Path]:
    """Cash taken out of the drawer (its slip previewed), then the X: the register's figures."""
    driver.tap("register-cash")
    driver.tap("cash-reason-bank")
    driver.type_keys("40")
    shots = [driver.shot(folder, f"{language}-register-cash")]
    driver.tap("cash-record")
    driver.settle()
    shots.append(driver.shot(folder, f"{language}-register-cash-slip"))
    driver.close_panels()
    driver.tap("register-x")
    driver.settle()
    driver.close_panels()
    shots.append(driver.shot(folder, f"{language}-register-x"))
    return shots


def assert_the_paper_fits(driver: Driver) -> None:
    """The receipt's preview is as wide as its panel allows, never wider (no sideways scroll),
    and hardly reduced (it stays readable); the panel stays within the window."""
    panel = driver.window.preview_panel
    assert panel is not None and panel.isVisible()
    paper = panel.paper
    shown = paper.picture.pixmap()
    assert paper.horizontalScrollBar().maximum() == 0
    assert shown.width() <= paper.viewport().width()
    assert shown.width() >= 0.9 * paper.original.width()
    assert panel.width() <= driver.window.width()


def keyboard_pages(driver: Driver, folder: Path, language: str) -> list[Path]:
    """The on-screen keyboard's pages over history, each key a finger's size with its whole
    label (a key's border and padding take 8 px on each side)."""
    driver.touch("history-customer")
    shots = []
    for page, taps in (
        ("letters", ()),
        ("capitals", ("kb-shift",)),
        ("symbols", ("kb-page-symbols",)),
        ("accents", ("kb-page-accents", "kb-shift")),
    ):
        for tap in taps:
            driver.tap(tap)
        keyboard = driver.keyboard()
        assert keyboard is not None
        for key in keyboard.findChildren(QPushButton):
            if key.isVisible():
                assert key.width() >= TOUCH and key.height() >= TOUCH, key.objectName()
                text = key.text().replace("&&", "&")
                assert key.fontMetrics().horizontalAdvance(text) <= key.width() - 16, text
        shots.append(driver.shot(folder, f"{language}-keyboard-{page}"))
    driver.tap("kb-hide")
    return shots


def make_an_archive(driver: Driver) -> None:
    """Today's fiscal archive, so that the reports screen lists one."""
    client, today = driver.context.core.client, today_of(driver).start.isoformat()
    client.call("POST", "/archives", {"start": today, "end": today})


def walk_as_accountant(driver: Driver, folder: Path, language: str) -> list[Path]:
    driver.tap("lock-switch")
    driver.log_in("u-compta")
    shots = []
    for name in ("history", "closures", "journal", "verification", "reports", "help"):
        driver.tap(f"nav-{name}")
        driver.on(name)
        driver.settle()
        if name == "verification":
            driver.tap("verification-run")
            driver.settle()
        shots.append(driver.shot(folder, f"{language}-accountant-{name}"))
    return shots


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_screen_in_both_languages(
    qtbot: QtBot,
    site: Site,
    proxy: FaultProxy,
    tmp_path: Path,
    screenshots: Path,
    language: str,
    size: str,
) -> None:
    shop_id = site.new_shop(open_registers=())
    driver = make_driver(
        qtbot,
        proxy.url,
        tmp_path / "till",
        language=language,
        enrolled_with=site.enrollment_code(shop_id),
    )
    driver.window.resize(*SIZES[size])
    driver.context.remember(export_folder=str(tmp_path))
    try:
        shots = walk(driver, screenshots, language + size)
        shots += walk_as_accountant(driver, screenshots, language + size)
        assert all(path.stat().st_size > 10_000 for path in shots)
        assert driver.window.size().width() == SIZES[size][0]  # nothing forced it wider
        if language == "fr":
            assert driver.missing_translations() == set()
    finally:
        driver.close()


def test_first_run_screen(qtbot: QtBot, tmp_path: Path, screenshots: Path) -> None:
    driver = make_driver(qtbot, "http://127.0.0.1:9", tmp_path / "till", enrolled_with=None)
    try:
        driver.on("setup")
        driver.shot(screenshots, "fr-setup")
        for name in ("setup-server", "setup-printer-device"):  # the lowest slides up
            driver.touch(name)
            driver.shot(screenshots, f"fr-{name}-keyboard")
        driver.tap("kb-hide")
        driver.tap("setup-test-page")
        driver.settle()
        paper = driver.last_paper("test")
        assert "PAGE DE TEST" in paper.text[0]
    finally:
        driver.close()
