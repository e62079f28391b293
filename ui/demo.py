"""`python3 run.py demo`: the till as a shop would have it, on this machine. The central server
runs as a process of its own on its embedded SQLite default, with the demo shop and catalog
(`till-server demo`); the till's window is connected to it, enrolled, register R1, receipts
previewed on screen. Everything stays in demo-data/ (the server's data in `server/`, the till's
in `till/`), so the next run finds the same shop, the same enrolled till and the same sales. The
server stops when the window is closed.

The launcher is the one place that runs the server beside the till, so it starts it as a command
and reaches it only through the till's core, like any till.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.process import ServerError, ServerProcess, demo_enrollment_code, environment
from sync.credentials import CredentialStore
from sync.service import SyncSettings, TillSync, credentials_for
from till.errors import TillError
from till.resources import RESOURCES, project_root
from ui.app import run
from ui.settings import ScreenSettings, load, save

FOLDER = project_root() / "demo-data"
DEMO_SHOP = RESOURCES / "demo" / "shop.json"
REGISTER = "R1"
DEVICE_NAME = "Caisse de démonstration"


@dataclass
class Demo:
    """The demo once set up: its server running, and the till it enrolled."""

    server: ServerProcess
    till: SyncSettings
    screen: ScreenSettings


def till_settings(folder: Path, server: str) -> SyncSettings:
    """The demo till's core: its device token in a private file beside its data, since a demo
    machine may well have no keyring (a real till refuses to start without one)."""
    return SyncSettings(
        server=server,
        data_dir=folder,
        credentials="file",
        credentials_file=folder / "device-token.json",
        register_id=REGISTER,
        device_name=DEVICE_NAME,
    )


def _carry_enrollment(credentials: CredentialStore, before: str | None, now: str) -> bool:
    """Whether the till is enrolled with the demo's server, at its address of this run: the
    server is the same from one run to the next, only its port may change."""
    token = credentials.device_token(before) if before else None
    if before is None or token is None:
        return False
    if before != now:
        credentials.save_device_token(now, token)
        credentials.forget_device_token(before)
    return True


def prepare(folder: Path = FOLDER, port: int | None = None) -> Demo:
    """Start the demo's server (the shop made the first time) and enroll the till once; the
    caller stops the server. Raises ServerError or TillError with a message for a person."""
    server_folder, till_folder = folder / "server", folder / "till"
    if not server_folder.is_dir() and till_folder.exists():
        # The server's data is gone: a till enrolled with it would only meet refusals and a
        # chain that seems rolled back. Both start afresh.
        shutil.rmtree(till_folder)
    env = environment(server_folder)
    server = ServerProcess(
        env, server_folder / "server.log", port=port, pid_file=server_folder / "server.pid"
    )
    till = till_settings(till_folder, server.url)
    screen = load(till_folder)
    enrolled = _carry_enrollment(credentials_for(till), screen.server, server.url)
    code = None
    if not enrolled:
        print("Setting up the demo shop and its catalog ...", flush=True)
        code = demo_enrollment_code(env)
    print(f"Starting the central server on {server.url} ...", flush=True)
    server.start()
    try:
        if code is not None:
            core = TillSync(till)
            try:
                core.enroll(code)
            finally:
                core.close()
        screen = screen.changed(server=server.url, register_id=screen.register_id or REGISTER)
        save(till_folder, screen)
    except BaseException:
        server.stop()
        raise
    return Demo(server, till, screen)


def welcome(demo: Demo) -> str:
    """Who can log in, and what to do first."""
    users = json.loads(DEMO_SHOP.read_text(encoding="utf-8"))["users"]
    people = "\n".join(
        f"  {user['name']:<16} {user['role']:<11} PIN {user['pin']}" for user in users
    )
    return (
        f"The central server is at {demo.server.url} (its API: {demo.server.url}/docs); "
        f"its log is {demo.server.log}.\n"
        f"Log in on the till as:\n{people}\n"
        "Open the register by counting its float, then sell: receipts are shown on screen, as "
        "no printer is set up. Closing the window stops the server; the next run goes on with "
        f"the same shop and sales. To start afresh, delete {demo.till.data_dir.parent}."
    )


def main(argv: Sequence[str] | None = None, folder: Path = FOLDER) -> int:
    parser = argparse.ArgumentParser(prog="run.py demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        demo = prepare(folder, args.port)
    except (ServerError, TillError) as error:
        print(f"The demo could not start: {error}", file=sys.stderr)
        return 1
    try:
        print(welcome(demo), flush=True)
        return run(demo.till, demo.screen)
    finally:
        demo.server.stop()


if __name__ == "__main__":
    sys.exit(main())
