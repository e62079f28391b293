"""`run.py demo`: the server started on the demo's own data, the demo shop made once, the till
enrolled once and still enrolled at the next run (on another port), a sale made on it; and a
clear message when the server cannot start."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from server.process import HOST, ServerError
from sync.credentials import FileCredentials
from sync.service import TillSync
from tests.ui.driver import Driver
from ui import demo
from ui.app import application, open_window, sync_factory
from ui.context import TillContext


def device_token(prepared: demo.Demo) -> str | None:
    assert prepared.till.credentials_file is not None
    return FileCredentials(prepared.till.credentials_file).device_token(prepared.server.url)


def shops(folder: Path) -> int:
    with sqlite3.connect(folder / "server" / "till.sqlite3") as database:
        count: int = database.execute("SELECT count(*) FROM shops").fetchone()[0]
    return count


def sell_a_croissant(qtbot: QtBot, prepared: demo.Demo) -> None:
    """Log in, open the register with an empty drawer, sell, pay cash: the receipt is previewed."""
    application(prepared.screen.language)
    context = TillContext(
        prepared.till.data_dir, prepared.screen, sync_factory(prepared.till), lambda _e: None
    )
    window = open_window(context)
    qtbot.addWidget(window)
    window.show()
    driver = Driver(qtbot, window)
    try:
        driver.log_in("u-karim")
        driver.on("register")
        driver.tap("register-open")
        driver.sell("croissant")
        driver.tap("sale-pay")
        driver.on("payment")
        driver.tap("mode-cash")
        driver.settle()
        driver.tap("payment-validate")
        qtbot.waitUntil(lambda: window.page("payment").validated is not None, timeout=20_000)
        driver.settle()
        preview = context.printer.printouts[-1].preview
        assert preview is not None and preview.stat().st_size > 0
    finally:
        driver.close()


@pytest.mark.slow
def test_set_up_once_then_reused_and_a_sale_made(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "demo-data"
    first = demo.prepare(folder)
    try:
        assert first.server.healthy()
        token = device_token(first)
        assert token
        till = TillSync(first.till)
        try:
            till.log_in("u-karim", "1111")
            assert till.client.get("/shop")["id"] == "FR-DEMO-0001"
        finally:
            till.close()
    finally:
        first.server.stop()

    def no_second_shop(_env: object) -> str:
        raise AssertionError("the demo set itself up again")

    monkeypatch.setattr(demo, "demo_enrollment_code", no_second_shop)
    second = demo.prepare(folder)
    try:
        assert device_token(second) == token
        assert shops(folder) == 1
        assert second.screen.server == second.server.url and second.screen.register_id == "R1"
        sell_a_croissant(qtbot, second)
    finally:
        second.server.stop()
    assert not second.server.healthy()


@pytest.mark.slow
def test_a_taken_port_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port} .* already in use"):
            demo.prepare(tmp_path / "first", port)
        assert demo.main(["--port", str(port)], tmp_path / "second") == 1
    said = capsys.readouterr().err
    assert said.startswith("The demo could not start:") and "already in use" in said
