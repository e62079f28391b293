"""The till core's fixtures: one real server for the session; a shop, a proxy, a till per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.app import create_app
from server.db import Database
from sync.service import TillSync
from tests.server.conftest import make_settings
from tests.sync.faultproxy import FaultProxy
from tests.sync.servers import ServerThread, Site, enrolled_till


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("sync-server")
    settings = make_settings(folder, f"sqlite:///{folder / 'till.sqlite3'}")
    database = Database(settings.url)
    database.migrate()
    app = create_app(settings, database)
    server = ServerThread(app).start()
    try:
        yield Site(app, app.state.services, server, folder)
    finally:
        server.stop()
        database.dispose()


@pytest.fixture
def shop_id(site: Site) -> str:
    return site.new_shop()


@pytest.fixture
def proxy(site: Site) -> Iterator[FaultProxy]:
    """Between the test's till and the server; lets everything through until told otherwise."""
    proxy = FaultProxy(site.server.port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def till(site: Site, shop_id: str, proxy: FaultProxy, tmp_path: Path) -> Iterator[TillSync]:
    """A till of the test's shop, through the proxy, with Karim (cashier) logged in."""
    till = enrolled_till(site, shop_id, proxy.url, tmp_path / "till")
    yield till
    till.close()
