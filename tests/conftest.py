"""Shared fixtures: a migrated database on SQLite always, and on PostgreSQL when configured.

Set ``TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``) to run every
database test on PostgreSQL too; a scratch database is created beside it for the run and
dropped at the end. Without it the PostgreSQL runs are skipped — except under CI
(``CI=true``), where a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import hypothesis  # noqa: F401  (loaded before assertion rewriting runs at exit; CPython 3.11.7 AST bug)
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from mediation.audit.chain import Actor
from mediation.db import Database, normalise_url
from mediation.schema import upgrade

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a scratch PostgreSQL database for this run, migrate it, drop it afterwards."""
    if not TEST_DATABASE_URL:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL tests: set TEST_DATABASE_URL")
        pytest.skip(
            "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    base = make_url(normalise_url(TEST_DATABASE_URL))
    name = f"mediation_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        admin.dispose()
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at {base.render_as_string()} is not reachable: {exc}")
    url = base.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database.engine)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(database: Database) -> None:
    with database.engine.begin() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        connection.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    """A freshly migrated, empty database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        upgrade(database.engine)
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        _reset_postgres(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_database(tmp_path) -> Iterator[Database]:
    """A freshly migrated SQLite database, for tests that are about SQLite itself."""
    database = Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def actor() -> Actor:
    """The mediator the tests act as (no user row)."""
    return Actor(None, "测试调解员")
