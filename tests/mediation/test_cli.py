"""The ``mediation`` command as an operator uses it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from mediation.cli import main
from mediation.db import Database
from mediation.schema import head_revision
from tests.factories import make_case


@pytest.fixture
def run(database: Database):
    """Run a CLI command against the test database; return the click result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, ["--database-url", database.url, *args], input=input)

    return invoke


def _tamper(database: Database, sql: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(sql))


@pytest.mark.parametrize(
    "command",
    ["init-db", "seed-demo", "create-user", "import-cases", "report", "verify-audit", "serve"],
)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage: main" in result.output or "Usage: mediation" in result.output


def test_init_db_twice_is_idempotent(run) -> None:
    first = run("init-db")
    second = run("init-db")
    assert first.exit_code == 0 and second.exit_code == 0
    assert f"schema revision {head_revision()}" in second.output


def test_verify_audit_on_intact_chain_exits_zero(run, database, actor) -> None:
    make_case(database, state="closed", actor=actor)
    result = run("verify-audit")
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output


def test_verify_audit_after_sql_edit_of_amount_exits_nonzero_naming_case(
    run, database, actor
) -> None:
    make_case(database, state="closed", actor=actor)
    _tamper(database, "UPDATE mediation_case SET paid_fen = paid_fen - 100")
    result = run("verify-audit")
    assert result.exit_code == 1
    assert "BROKEN" in result.output
    assert "DX-" in result.output and "paid_fen" in result.output


def test_report_with_bad_date_exits_with_usage_error(run) -> None:
    result = run("report", "--from", "2026-13-01", "--to", "2026-12-31", "--by", "level")
    assert result.exit_code == 2
    assert "not a date in the form YYYY-MM-DD" in result.output


def test_report_with_from_after_to_exits_with_usage_error(run) -> None:
    result = run("report", "--from", "2026-12-01", "--to", "2026-01-01", "--by", "level")
    assert result.exit_code == 2
    assert "--from is after --to" in result.output


def test_report_with_unknown_grouping_exits_with_usage_error(run) -> None:
    result = run("report", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "town")
    assert result.exit_code == 2
    assert "town" in result.output


def test_command_on_empty_database_asks_for_init_db(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(main, ["--database-url", url, "verify-audit"])
    assert result.exit_code == 1
    assert "mediation init-db" in result.output


def test_import_cases_with_missing_file_exits_with_usage_error(run, tmp_path) -> None:
    result = run("import-cases", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_serve_refuses_to_start_without_the_document_fonts(run, monkeypatch) -> None:
    """A machine without HarfBuzz subsetting fails at start, naming the package to install."""
    import documents.render as render
    import mediation.server

    monkeypatch.setattr(render, "harfbuzz_subset_available", lambda: False)
    started: list[object] = []
    monkeypatch.setattr(mediation.server, "run", lambda **kwargs: started.append(kwargs))
    result = run("serve")
    assert result.exit_code != 0
    assert "libharfbuzz-subset0" in result.output
    assert started == []
