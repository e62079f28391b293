"""Server fixtures: every test runs on SQLite and on PostgreSQL, each test in a shop of its own.

PostgreSQL is at `TILL_TEST_POSTGRES` (default: the local server, database `test`); each test run
makes its own database there and drops it at the end. Where PostgreSQL cannot be reached its tests
are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.db import Database
from server.deps import Services
from tests.server.helpers import TEST_PIN_COST, Till, enroll, new_shop

POSTGRES = os.environ.get("TILL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def require_postgres() -> None:
    if not postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and {POSTGRES} is unreachable")
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES}")


class PostgresDatabases:
    """Creates throwaway databases on the test server and drops them afterwards."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        name = f"till_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return (
            POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + "/"
            + name
        )

    def drop_all(self) -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            for name in self.created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    if databases.created:
        databases.drop_all()


def make_settings(data_dir: Path, url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=url,
        master_key=secrets.token_hex(32),
        pin_cost=TEST_PIN_COST,
        log_level="WARNING",
        closing_check_seconds=0,
    )


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return str(request.param)


@pytest.fixture(scope="session")
def app(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_databases: PostgresDatabases,
) -> Iterator[FastAPI]:
    data_dir = tmp_path_factory.mktemp(f"server-{backend}")
    url = (
        f"sqlite:///{data_dir / 'till.sqlite3'}"
        if backend == "sqlite"
        else postgres_databases.create()
    )
    settings = make_settings(data_dir, url)
    database = Database(settings.url)
    database.migrate()
    application = create_app(settings, database)
    yield application
    database.dispose()


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def services(app: FastAPI) -> Services:
    result: Services = app.state.services
    return result


@pytest.fixture
def shop_id(services: Services) -> str:
    return new_shop(services)


@pytest.fixture
def device(client: TestClient, services: Services, shop_id: str) -> Till:
    """An enrolled till of the test's shop, nobody logged in."""
    return enroll(client, services, shop_id)


@pytest.fixture
def cashier(device: Till) -> Till:
    return device.log_in("u-karim")


@pytest.fixture
def manager(device: Till) -> Till:
    return device.log_in("u-claire")


@pytest.fixture
def accountant(device: Till) -> Till:
    return device.log_in("u-compta")
