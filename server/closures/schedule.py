"""The shop closings' clock: at start, every day, month and year that ended while the server
was down is closed, in order; then the same check runs every minute on a background thread.
Several server processes may run it at once: the shop's lock and one closing per period keep
each closing single."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import select

from server.closures.services import close_due_periods
from server.db import Database
from server.operations import logs
from server.sealing.keys import KeyStore
from server.shops.models import Shop


class ShopClosings:
    def __init__(self, database: Database, keys: KeyStore, interval: float) -> None:
        self.database = database
        self.keys = keys
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, shop_ids: Sequence[str] | None = None) -> int:
        """Close what is due in every shop (or those given); the number of closings sealed. A
        shop that fails is logged and retried next time; the others go on."""
        if shop_ids is None:
            with self.database.reader() as session:
                shop_ids = session.scalars(select(Shop.id).order_by(Shop.id)).all()
        sealed = 0
        for shop_id in shop_ids:
            try:
                with self.database.transaction() as session:
                    sealed += len(close_due_periods(session, self.keys, shop_id))
            except Exception as error:
                logs.logger().error(
                    "shop closing failed",
                    exc_info=error,
                    extra={"event": "closing_failed", "shop_id": shop_id},
                )
        if sealed:
            logs.logger().info("shop closings sealed", extra={"event": "closings", "count": sealed})
        return sealed

    def start(self) -> None:
        self.run_once()
        if self.interval > 0:
            self._thread = threading.Thread(target=self._loop, name="shop-closings", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
