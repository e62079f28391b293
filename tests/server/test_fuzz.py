"""Schemathesis over the server's OpenAPI spec: whatever a client sends, no answer is a 5xx.

Every operation is called with generated input on both databases, logged in as a cashier of a shop
that has made a sale, and with no credentials at all. As a cashier, the coverage phase (boundary
values, wrong types, missing fields: deterministic) runs before a few random examples; without
credentials almost everything stops at the 401, so a few random examples are enough. The numbers
are small so the file runs well under a minute; under CI the generation is derandomized (the "ci"
Hypothesis profile of tests/conftest.py does the same for the other property tests).

The schema is read from an app built like the fixtures' (routes do not depend on the database),
and each case is sent to the backend's app of the test.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from server.app import create_app
from server.config import Settings
from server.db import Database
from server.deps import Services
from tests.server.helpers import Till, enroll, new_shop

EXAMPLES = 5
IN_CI = os.environ.get("CI") == "true"


def _spec() -> dict[str, Any]:
    """The API description, from an app on a throwaway database (the app needs one to start)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'spec.sqlite3'}"
        options = Settings(database_url=url, master_key="0" * 64, log_level="WARNING")
        database = Database(url)
        try:
            return create_app(options, database).openapi()
        finally:
            database.dispose()


SPEC = _spec()

authenticated = schemathesis.openapi.from_dict(SPEC)
authenticated.config.phases.update(phases=["examples", "coverage", "fuzzing"])
# Methods the spec does not declare are answered by the router alone: nothing to learn there.
authenticated.config.phases.coverage.unexpected_methods = set()

anonymous = schemathesis.openapi.from_dict(SPEC)
anonymous.config.phases.update(phases=["fuzzing"])

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=IN_CI,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def busy_till(app: FastAPI, client: TestClient) -> Till:
    """One shop per backend for the whole file, with a validated sale so that lists and
    verification have something to show (fuzzed ids never name its objects anyway)."""
    services: Services = app.state.services
    till = enroll(client, services, new_shop(services))
    till.log_in("u-karim").sale("creme", "croissant", mode="cash")
    return till


@pytest.fixture
def busy_cashier(busy_till: Till) -> Till:
    """A fresh session each time: a fuzzed `DELETE /sessions/current` ends the one it is given."""
    return busy_till.log_in("u-karim")


@authenticated.parametrize()
@FUZZ
def test_no_server_error_for_a_cashier(case: Any, app: FastAPI, busy_cashier: Till) -> None:
    response = case.call(app=app, headers=busy_cashier.headers)
    case.validate_response(response, checks=[not_a_server_error])


@anonymous.parametrize()
@FUZZ
def test_no_server_error_without_credentials(case: Any, app: FastAPI) -> None:
    response = case.call(app=app)
    case.validate_response(response, checks=[not_a_server_error])
