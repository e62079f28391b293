"""The server run as a process of its own: it answers once started, and when it cannot start the
error says why (the port taken, the server stopping at once)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from server.process import HOST, ServerError, ServerProcess, environment


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
