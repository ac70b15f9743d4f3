"""Verification runs: stored with who ran them and the first broken link; the CLI records too."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text

from mediation.audit.chain import Actor
from mediation.cli import main
from mediation.db import Database
from mediation.supervision.verification import latest_runs, run_verification
from tests.factories import make_case
from tests.mediation.test_audit import tamper


def test_a_run_is_stored_with_who_ran_it(database: Database, actor: Actor) -> None:
    make_case(database, state="closed", actor=actor)
    outcome = run_verification(database, actor=Actor(None, "duda"), source="web")
    assert outcome.run.ok and outcome.verification.ok
    with database.read_session() as session:
        (run,) = latest_runs(session)
    assert (run.actor, run.source, run.ok, run.cases_checked) == ("duda", "web", True, 1)
    assert run.events_checked == outcome.verification.events_checked > 0
    assert run.break_seq is None and run.message == ""
    assert run.started_at <= run.finished_at


def test_a_broken_run_names_the_first_broken_event(database: Database, actor: Actor) -> None:
    make_case(database, state="closed", actor=actor)
    tamper(database, "UPDATE audit_event SET actor = 'someone else' WHERE seq = 3")
    outcome = run_verification(database, actor=Actor(None, "duda"), source="web")
    assert not outcome.run.ok
    assert outcome.run.break_seq == 3
    assert outcome.run.message.startswith("event #3")
    assert outcome.run.break_case


def test_verify_audit_records_its_run(database: Database, actor: Actor) -> None:
    make_case(database, state="closed", actor=actor)
    runner = CliRunner()
    result = runner.invoke(main, ["--database-url", database.url, "verify-audit"])
    assert result.exit_code == 0, result.output
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE mediation_case SET paid_fen = paid_fen - 1"))
    result = runner.invoke(main, ["--database-url", database.url, "verify-audit"])
    assert result.exit_code == 1
    with database.read_session() as session:
        broken, intact = latest_runs(session)
    assert (intact.source, intact.ok) == ("cli", True)
    assert (broken.source, broken.ok) == ("cli", False)
    assert intact.actor.startswith("cli")
    assert "paid_fen is" in broken.message and broken.break_case
