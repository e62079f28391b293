"""The migrations build exactly the schema the models describe, on both databases, and run twice."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI

from server.deps import Services
from server.models import Base


def test_migrations_match_the_models(app: FastAPI) -> None:
    services: Services = app.state.services
    services.database.migrate()  # a second run changes nothing
    with services.database.write_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
