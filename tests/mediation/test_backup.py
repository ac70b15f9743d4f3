"""`mediation backup` and `mediation restore`, on SQLite and PostgreSQL; production checks."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from mediation import production
from mediation.audit.verify import verify
from mediation.backup import restore
from mediation.cli import main
from mediation.db import Database
from mediation.errors import InvalidInput
from mediation.people.sealing import DEVELOPMENT_KEY
from mediation.tables import CASE
from tests.factories import make_case


def case_count(database: Database) -> int:
    with Session(database.engine) as session:
        return int(session.execute(select(func.count()).select_from(CASE)).scalar_one())


def chain_ok(database: Database) -> bool:
    with Session(database.engine) as session:
        return verify(session).ok


def cli(database: Database, *args: str):
    return CliRunner().invoke(main, ["--database-url", database.url, *args])


def test_backup_then_restore_brings_back_that_moment(database: Database, tmp_path: Path) -> None:
    if not database.is_sqlite and shutil.which("pg_dump") is None:
        pytest.skip("needs pg_dump and pg_restore (apt-get install postgresql-client)")
    make_case(database, state="seizing_opening")
    make_case(database, state="registered")
    file = tmp_path / "backups" / "mediation.backup"
    result = cli(database, "backup", str(file))
    assert result.exit_code == 0, result.output
    assert "backed up" in result.output and file.is_file() and file.stat().st_size > 0
    assert not file.with_name(file.name + ".partial").exists()

    make_case(database, state="ensuring_performance")  # after the backup: to be lost
    assert case_count(database) == 3
    database.dispose()
    result = cli(database, "restore", "--yes", str(file))
    assert result.exit_code == 0, result.output
    assert "verify-audit" in result.output
    assert case_count(database) == 2
    assert chain_ok(database)
    # The restored database takes new work and its chain still holds.
    make_case(database, state="finding_crux")
    assert case_count(database) == 3 and chain_ok(database)
    assert cli(database, "verify-audit").exit_code == 0


def test_backup_refuses_to_overwrite(database: Database, tmp_path: Path) -> None:
    file = tmp_path / "existing.backup"
    file.write_bytes(b"keep me")
    result = cli(database, "backup", str(file))
    assert result.exit_code != 0 and "exists already" in result.output
    assert file.read_bytes() == b"keep me"


def test_restore_asks_first(sqlite_database: Database, tmp_path: Path) -> None:
    file = tmp_path / "b.sqlite3"
    assert cli(sqlite_database, "backup", str(file)).exit_code == 0
    result = CliRunner().invoke(
        main, ["--database-url", sqlite_database.url, "restore", str(file)], input="n\n"
    )
    assert result.exit_code != 0 and "Aborted" in result.output


def test_restore_refuses_what_is_not_a_backup(sqlite_database: Database, tmp_path: Path) -> None:
    make_case(sqlite_database)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InvalidInput, match="not an SQLite database"):
        restore(sqlite_database.url, junk)
    result = cli(sqlite_database, "restore", "--yes", str(junk))
    assert result.exit_code != 0 and "not an SQLite database" in result.output
    assert case_count(sqlite_database) == 1


@pytest.mark.parametrize("revision", [None, "9999", "0006' OR 1"])
def test_restore_refuses_a_file_with_an_unknown_schema_version(
    sqlite_database: Database, tmp_path: Path, revision: str | None
) -> None:
    make_case(sqlite_database)
    lookalike = tmp_path / "lookalike.sqlite3"
    with closing(sqlite3.connect(lookalike)) as connection:
        connection.executescript(
            "CREATE TABLE alembic_version(version_num TEXT);"
            "CREATE TABLE mediation_case(id INTEGER); CREATE TABLE audit_event(id INTEGER);"
        )
        if revision is not None:
            connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
        connection.commit()
    result = cli(sqlite_database, "restore", "--yes", str(lookalike))
    assert result.exit_code == 1
    assert "which this release does not know" in result.output
    assert case_count(sqlite_database) == 1


def test_pg_restore_refuses_a_non_dump(postgres_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"SQLite format 3\x00")
    with pytest.raises(InvalidInput, match="not a pg_dump archive"):
        restore(postgres_url, junk)


# --------------------------------------------------------------------------- production


GOOD = {
    "MEDIATION_ENV": "production",
    "SECRET_KEY": "9f" * 32,
    "PUBLIC_BASE_URL": "https://tiaojie.example.gov.cn",
    "MEDIATION_DATA_KEY": "q83vEjRWeJC7zN3u/wARIjNEVWZ3iJmqu8zd7v8AESI=",
}


def test_production_refuses_a_missing_or_placeholder_key() -> None:
    assert production.problems(GOOD) == []
    for key in ("", "change-me", "short-key"):
        with pytest.raises(production.ConfigurationError, match="SECRET_KEY"):
            production.secret_key({**GOOD, "SECRET_KEY": key})
    with pytest.raises(production.ConfigurationError, match="PUBLIC_BASE_URL"):
        production.check({**GOOD, "PUBLIC_BASE_URL": "http://tiaojie.example.gov.cn"})
    assert production.secret_key(GOOD) == GOOD["SECRET_KEY"]
    for data_key, reason in (
        ("", "MEDIATION_DATA_KEY is not set"),
        (DEVELOPMENT_KEY, "published development key"),
        ("not base64!", "not base64"),
        ("c2hvcnQ=", "must be 32 bytes in base64, not 5"),
    ):
        with pytest.raises(production.ConfigurationError, match=reason):
            production.check({**GOOD, "MEDIATION_DATA_KEY": data_key})
    # Outside production an unset key is a random one.
    assert len(production.secret_key({})) == 64


def test_create_app_and_serve_refuse_to_start_in_production_with_the_default_key(
    monkeypatch: pytest.MonkeyPatch, sqlite_database: Database
) -> None:
    from mediation.app import create_app

    monkeypatch.setenv("MEDIATION_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tiaojie.example.gov.cn")
    with pytest.raises(production.ConfigurationError, match="SECRET_KEY is not set"):
        create_app({"DATABASE_URL": sqlite_database.url})
    result = cli(sqlite_database, "serve", "--workers", "1")
    assert result.exit_code != 0
    assert "refusing to start with MEDIATION_ENV=production" in result.output


def test_serve_shares_one_random_key_among_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from mediation.server import prepare_environment

    monkeypatch.delenv("MEDIATION_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    prepare_environment("sqlite:///x.sqlite3")
    import os

    assert len(os.environ["SECRET_KEY"]) == 64
    assert os.environ["DATABASE_URL"] == "sqlite:///x.sqlite3"
