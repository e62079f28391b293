"""The server run as a process of its own: it answers once started, and when it cannot start the
error says why (the port taken, the server stopping at once)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from server.process import HOST, ServerError, ServerProcess, environment, stop_left_over


@pytest.mark.slow
def test_starts_answers_and_stops(tmp_path: Path) -> None:
    server = ServerProcess(environment(tmp_path, pin_cost="10"), tmp_path / "server.log")
    server.start()
    try:
        assert server.healthy()
    finally:
        server.stop()
    assert not server.healthy()


def test_a_port_in_use_is_said_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        server = ServerProcess(
            environment(tmp_path), tmp_path / "server.log", port=taken.getsockname()[1]
        )
        with pytest.raises(ServerError, match="already in use"):
            server.start()
    assert server.process is None


def test_a_server_stopping_at_start_shows_the_end_of_its_log(tmp_path: Path) -> None:
    env = environment(tmp_path, database_url="nonsense://nowhere")
    server = ServerProcess(env, tmp_path / "server.log")
    with pytest.raises(ServerError, match="stopped as it started") as failure:
        server.start()
    assert "nonsense" in str(failure.value)


@pytest.mark.slow
def test_a_server_left_over_by_a_killed_launcher_is_stopped_at_the_next_start(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path, pin_cost="10")
    pid_file = tmp_path / "server.pid"
    left = ServerProcess(env, tmp_path / "server.log", pid_file=pid_file)
    left.start()  # its launcher then dies with kill -9: nobody stops it
    assert left.process is not None and pid_file.read_text().strip() == str(left.process.pid)
    again = ServerProcess(env, tmp_path / "server.log", pid_file=pid_file)
    try:
        again.start()
        assert left.process.wait(timeout=5) is not None and not left.healthy()
        assert again.healthy()
        assert again.process is not None
        assert pid_file.read_text().strip() == str(again.process.pid)
    finally:
        again.stop()
        left.stop()
    assert not pid_file.exists()


def test_a_pid_file_naming_another_program_stops_nothing(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # this test's own process: not a server of tmp_path
    assert not stop_left_over(pid_file, str(tmp_path))
    assert not pid_file.exists()
    pid_file.write_text("not a number\n")
    assert not stop_left_over(pid_file, str(tmp_path))
