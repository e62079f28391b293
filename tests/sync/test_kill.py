"""kill -9 of a till process in the middle of a re-sync of 500 drafts, then again, then a run to
the end: every draft is imported exactly once, and none is left behind.

The first kill lands at the worst moment, made certain by the proxy: the server has imported a
batch and its answer is held on the way, so the till dies without knowing. The second lands
wherever the re-sync happens to be.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sync.credentials import FileCredentials
from sync.drafts import DraftStore
from sync.store import FILE_NAME, LocalStore
from tests.sync.faultproxy import FaultProxy, Hold
from tests.sync.helpers import made_drafts
from tests.sync.servers import Site, enrolled_till

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DRAFTS = 500
BATCH = 25


def pending(folder: Path) -> int:
    store = LocalStore.open(folder / FILE_NAME)
    try:
        return DraftStore(store).count(None)
    finally:
        store.close()


def test_kill_9_in_the_middle_of_a_resync(
    site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder, credentials = tmp_path / "till", tmp_path / "credentials.json"
    till = enrolled_till(site, shop_id, proxy.url, folder, credentials=FileCredentials(credentials))
    ids = made_drafts(till, DRAFTS, lines=3)
    session = till.client.session_token
    assert session is not None
    till.close()
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("TILL_")},
        "TILL_SYNC_SERVER": proxy.url,
        "TILL_SYNC_DATA_DIR": str(folder),
        "TILL_SYNC_CREDENTIALS": "file",
        "TILL_SYNC_CREDENTIALS_FILE": str(credentials),
        "TILL_SYNC_RESYNC_BATCH": str(BATCH),
        "TILL_TEST_SESSION": session,
    }

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.sync.resync_process"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def kill(child: subprocess.Popen[str]) -> None:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

    # 1. Killed while the server's answer to the 4th batch is on its way.
    hold = Hold("POST", "/drafts/import", nth=4)
    proxy.hold = hold
    child = start()
    assert hold.held.wait(60), child.stderr.read() if child.stderr else ""
    kill(child)
    hold.released.set()
    proxy.hold = None
    assert len(site.draft_ids(shop_id)) == 4 * BATCH  # the server has the 4th batch
    assert pending(folder) == DRAFTS - 3 * BATCH  # the till never heard of it

    # 2. Killed wherever it is once it has made some progress.
    child = start()
    assert child.stdout is not None
    for line in child.stdout:
        done = line.split()
        if done[0] == "progress" and int(done[1]) >= 6 * BATCH:
            break
    kill(child)
    assert 0 < pending(folder) < DRAFTS - 3 * BATCH

    # 3. To the end.
    child = start()
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1].removeprefix("report "))
    assert report["imported"] + report["already_imported"] == report["total"]

    imported = site.draft_ids(shop_id)
    assert len(imported) == DRAFTS, "a draft was imported twice, or lost"
    assert sorted(imported) == sorted(ids)
    assert pending(folder) == 0
