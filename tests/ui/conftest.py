"""The cashier's screen driven like a finger would, offscreen, against the real server on
loopback (through the fault proxy of the till core's tests, so the network can be cut).

The screenshots of every main screen are kept in build/screenshots/ (git-ignored), to be looked
at after a run; `--screenshots DIR` (or TILL_UI_SCREENSHOTS) puts them elsewhere."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from sync.clock import Clock
from sync.credentials import MemoryCredentials
from sync.service import SyncSettings
from tests.sync.conftest import proxy, shop_id, site  # noqa: F401
from tests.sync.faultproxy import FaultProxy
from tests.sync.servers import FAST_RETRY, Site, till_settings
from tests.ui.driver import Driver
from ui.app import application, open_window, sync_factory
from ui.context import TillContext
from ui.settings import ScreenSettings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots", default=None, help="folder to keep the UI screenshots in")


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    chosen = request.config.getoption("--screenshots") or os.environ.get("TILL_UI_SCREENSHOTS")
    folder = Path(chosen) if chosen else SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_driver(
    qtbot: QtBot,
    server: str,
    folder: Path,
    *,
    language: str = "fr",
    enrolled_with: str | None,
    clock: Clock | None = None,
) -> Driver:
    base: SyncSettings = till_settings(folder, server, register_id=None)
    settings = ScreenSettings(server=server, register_id="R1", language=language)
    application(language)
    context = TillContext(
        folder,
        settings,
        sync_factory(base, MemoryCredentials(), FAST_RETRY, clock),
        lambda _e: None,
    )
    if enrolled_with is not None:
        context.connect(server).enroll(enrolled_with)
    window = open_window(context)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    return Driver(qtbot, window)


@pytest.fixture
def driver(
    qtbot: QtBot,
    site: Site,  # noqa: F811
    shop_id: str,  # noqa: F811
    proxy: FaultProxy,  # noqa: F811
    tmp_path: Path,
) -> Iterator[Driver]:
    """The window of an enrolled till of the test's shop (registers R1 and R2 open), at log-in."""
    driver = make_driver(
        qtbot, proxy.url, tmp_path / "till", enrolled_with=site.enrollment_code(shop_id)
    )
    yield driver
    driver.close()
