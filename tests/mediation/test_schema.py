"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import mediation.models  # noqa: F401
from mediation.schema import current_revision, head_revision, upgrade


def test_migrations_at_head_match_the_models(database):
    assert current_revision(database.engine) == head_revision()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_upgrade_twice_changes_nothing(database):
    assert upgrade(database.engine) == head_revision()
    assert upgrade(database.engine) == head_revision()
