"""The till's own settings once enrolled, against the real server: a manager, from the help
screen, turns the on-screen keyboard off and on, chooses a printer and prints its test page, puts
the window full screen and back, and changes the language, all kept for the next start; a cashier
has no such screen; and `till --keyboard off` starts without the on-screen keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.printing.escpos_decoder import decode
from tests.ui.driver import Driver
from ui import app
from ui.settings import ScreenSettings, load, save


def test_a_manager_changes_the_tills_settings(driver: Driver, tmp_path: Path) -> None:
    driver.log_in("u-claire")
    driver.on("sale")
    driver.tap("nav-help")
    driver.on("help")
    driver.tap("help-settings")
    driver.on("settings")
    folder = driver.context.data_dir

    driver.tap("keyboard-off")
    assert load(folder).on_screen_keyboard is False
    driver.touch("settings-printer-device")
    assert driver.keyboard() is None
    driver.tap("keyboard-on")
    driver.touch("settings-printer-device")
    assert driver.keyboard() is not None
    driver.tap("kb-hide")

    paper = tmp_path / "printer.bin"
    driver.tap("printer-file")
    driver.fill("settings-printer-device", str(paper))
    driver.tap("settings-test-page")
    driver.settle()
    assert "PAGE DE TEST" in decode(paper.read_bytes()).text[0]
    assert load(folder).printer.kind == "file" and load(folder).printer.device == str(paper)

    driver.tap("window-full")
    driver.qtbot.waitUntil(driver.window.isFullScreen)
    assert load(folder).full_screen is True
    driver.tap("window-framed")
    driver.qtbot.waitUntil(lambda: not driver.window.isFullScreen())
    assert load(folder).full_screen is False

    driver.tap("language-en")
    driver.on("settings")  # the same screen, in English
    assert driver.button("settings-printer").text() == "Use this printer"
    assert load(folder).language == "en"


def test_a_cashier_has_no_settings(driver: Driver) -> None:
    driver.log_in("u-karim")
    driver.on("sale")
    driver.tap("nav-help")
    driver.on("help")
    driver.settle()
    assert not driver.buttons("help-settings")


@pytest.mark.parametrize(("option", "shown"), [("off", False), ("on", True)])
def test_the_keyboard_chosen_on_the_command_line(
    option: str, shown: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(tmp_path, ScreenSettings(on_screen_keyboard=not shown))
    monkeypatch.setenv("TILL_SYNC_DATA_DIR", str(tmp_path))
    started: list[ScreenSettings] = []

    def run(_base: object, settings: ScreenSettings, *, kiosk: bool = False) -> int:
        started.append(settings)
        return 0

    monkeypatch.setattr(app, "run", run)
    with pytest.raises(SystemExit):
        app.main(["--keyboard", option])
    assert [settings.on_screen_keyboard for settings in started] == [shown]
