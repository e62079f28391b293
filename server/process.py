"""The central server as a process of its own on this machine: `till-server serve` on a loopback
port, waited for until `/health` answers, and stopped; and `till-server demo` for the demo shop and
an enrollment code. For the demo, the benchmarks and the tests that need real server processes.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

HOST = "127.0.0.1"
LOG_TAIL_LINES = 15


class ServerError(RuntimeError):
    """The server could not be set up or started; the message says why, for a person."""


def command(*arguments: str) -> list[str]:
    """`till-server` beside this interpreter, or the same entry point through it."""
    script = Path(sys.executable).with_name("till-server")
    if script.exists():
        return [str(script), *arguments]
    return [sys.executable, "-c", "from server.cli import main; main()", *arguments]


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any server setting of its own (`TILL_*`,
    `DATABASE_URL`), then the data folder and `settings`: `pin_cost="10"` is `TILL_PIN_COST`,
    `database_url` is `DATABASE_URL`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TILL_") and name != "DATABASE_URL"
    }
    env["TILL_DATA_DIR"] = str(data_dir)
    for name, value in settings.items():
        env["DATABASE_URL" if name == "database_url" else f"TILL_{name.upper()}"] = value
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        # As the server binds: a port left in TIME_WAIT by an earlier run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def demo_enrollment_code(env: Mapping[str, str]) -> str:
    """`till-server demo`: the demo shop, made the first time only, and a new one-time code to
    enroll a till in it."""
    try:
        done = subprocess.run(
            command("demo"), env=dict(env), capture_output=True, text=True, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerError(f"`till-server demo` could not run: {error}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise ServerError(f"`till-server demo` failed: {said}")
    found = re.search(r"Enrollment code for \S+: (\S+)", done.stdout)
    if found is None:
        raise ServerError(f"`till-server demo` gave no enrollment code: {done.stdout.strip()}")
    return found.group(1)


def _serves(pid: int, data_dir: str) -> bool:
    """Whether process `pid` is alive and a server of `data_dir` (read from its environment where
    the system shows it, /proc; elsewhere nothing is taken for granted: a pid may be reused)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"TILL_DATA_DIR={data_dir}".encode() in environ.split(b"\0")


def stop_left_over(pid_file: Path, data_dir: str) -> bool:
    """Stop the server a pid file names, left running by a launcher that was killed before it
    could stop it (kill -9 spares the children); whether there was one."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    pid_file.unlink(missing_ok=True)
    if not hasattr(os, "killpg") or not _serves(pid, data_dir):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)  # its own group: its workers go too
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _serves(pid, data_dir):
        time.sleep(0.05)
    return True


class ServerProcess:
    """`till-server serve` on a loopback port (a free one unless given), logging into a file, in
    a process group of its own with its workers; its pid in `pid_file` while it runs, if given,
    so that a later start stops one left over."""

    def __init__(
        self,
        env: Mapping[str, str],
        log: Path,
        *,
        port: int | None = None,
        workers: int = 1,
        pid_file: Path | None = None,
    ) -> None:
        self.env = dict(env)
        self.log = log
        self.workers = workers
        self.port = port or free_port()
        self.pid_file = pid_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start (or start again, on the same port) and wait until `/health` answers."""
        if self.pid_file is not None:
            stop_left_over(self.pid_file, self.env.get("TILL_DATA_DIR", ""))
        if port_in_use(self.port):
            raise ServerError(
                f"the port {self.port} of {HOST} is already in use by another program"
            )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            start_of_run = log.tell()
            self.process = subprocess.Popen(
                command("serve", "--port", str(self.port), "--workers", str(self.workers)),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers go with it when it is stopped
            )
        if self.pid_file is not None:
            self.pid_file.write_text(f"{self.process.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status is not None:
                raise ServerError(
                    f"the server stopped as it started (exit status {status}); the end of "
                    f"{self.log}:\n{self._log_since(start_of_run)}"
                )
            if self.healthy():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"the server did not answer within {timeout:.0f} s; see {self.log}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1.0) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _log_since(self, offset: int) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def _signal(self, kill: bool) -> None:
        assert self.process is not None
        if hasattr(os, "killpg"):
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        elif kill:
            self.process.kill()
        else:
            self.process.terminate()

    def kill(self) -> None:
        """Kill -9 of the server and its workers: a crash, nothing flushed, nothing said."""
        if self.process is not None and self.process.poll() is None:
            self._signal(kill=True)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(kill=False)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
