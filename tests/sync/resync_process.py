"""A till process that only re-syncs: what the kill -9 test starts, kills and starts again.

It is built like a till, from the environment (`TILL_SYNC_*`: server, data folder, credentials
file, batch size); the session of the user the test logged in comes in `TILL_TEST_SESSION`. It
prints a line per step of progress and, at the end, the report as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import os

from sync.events import Event, ResyncProgress
from sync.service import SyncSettings, TillSync


def main() -> None:
    till = TillSync(SyncSettings())
    till.client.session_token = os.environ["TILL_TEST_SESSION"]

    def show(event: Event) -> None:
        if isinstance(event, ResyncProgress):
            print(f"progress {event.done} {event.total}", flush=True)

    till.events.subscribe(show)
    report = till.resync.run()
    print("report " + json.dumps(dataclasses.asdict(report)), flush=True)
    till.close()


if __name__ == "__main__":
    main()
