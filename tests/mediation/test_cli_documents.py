"""``mediation verify-document`` and ``mediation issue-document`` as an operator uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from mediation.audit.chain import Actor
from mediation.cli import main
from mediation.db import Database
from mediation.tables import CASE, DOCUMENT
from tests.factories import make_case
from tests.mediation.test_issuing import flip_one_byte


@pytest.fixture
def run(database: Database):
    """Run a CLI command against the test database; return the click result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["--database-url", database.url, *args])

    return invoke


def number_of(database: Database, case_id: int) -> str:
    with database.read_session() as session:
        return session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()


def stored(database: Database, number: str) -> list[bytes]:
    with database.read_session() as session:
        return [
            bytes(c)
            for c in session.execute(
                select(DOCUMENT.c.content)
                .where(DOCUMENT.c.number == number)
                .order_by(DOCUMENT.c.version)
            ).scalars()
        ]


@pytest.mark.parametrize("command", ["verify-document", "issue-document"])
def test_document_commands_have_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_issue_then_verify_the_file(run, database: Database, actor: Actor, tmp_path: Path) -> None:
    case_id, _v = make_case(database, state="rejected", actor=actor)
    case_number = number_of(database, case_id)
    result = run("issue-document", case_number, "rejection_notice")
    assert result.exit_code == 0, result.output
    number = f"{case_number}-BSL"
    assert f"issued {number} v1 (rejection_notice)" in result.output

    [content] = stored(database, number)
    copy = tmp_path / "notice.pdf"
    copy.write_bytes(content)
    result = run("verify-document", str(copy))
    assert result.exit_code == 0, result.output
    assert f"issued document {number} v1, unaltered" in result.output
    assert "kind:      rejection_notice (不予受理通知书)" in result.output
    assert "version:   1 (current)" in result.output
    assert "issued at: " in result.output and "(Asia/Shanghai)" in result.output

    # Issued again: the old file still verifies, as superseded.
    assert run("issue-document", case_number, "rejection_notice").exit_code == 1
    again = run("issue-document", case_number, "rejection_notice", "--reason", "更正笔误")
    assert again.exit_code == 0, again.output
    result = run("verify-document", str(copy))
    assert result.exit_code == 0
    assert "version:   1 (superseded by version 2)" in result.output


def test_verify_an_altered_file_exits_one(
    run, database: Database, actor: Actor, tmp_path: Path
) -> None:
    case_id, _v = make_case(database, state="failed", actor=actor)
    case_number = number_of(database, case_id)
    assert run("issue-document", case_number, "failure_notice").exit_code == 0
    [content] = stored(database, f"{case_number}-BC")
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(flip_one_byte(content))
    result = run("verify-document", str(altered))
    assert result.exit_code == 1
    assert (
        f"claims to be {case_number}-BC v1 but does not match the issued file: "
        "it has been altered" in result.output
    )


def test_verify_a_file_that_is_no_issued_document_exits_one(run, tmp_path: Path) -> None:
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.7\nsomething else\n")
    result = run("verify-document", str(other))
    assert result.exit_code == 1
    assert "not an issued document" in result.output


def test_verify_a_missing_or_unreadable_file_exits_two(
    run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = run("verify-document", str(tmp_path / "nowhere.pdf"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    directory = run("verify-document", str(tmp_path))
    assert directory.exit_code == 2
    assert "is a directory" in directory.output

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(b"%PDF-1.7\n")

    def refuse(_self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = run("verify-document", str(locked))
    assert result.exit_code == 2
    assert f"cannot read {locked}: Permission denied" in result.output


def test_issue_document_refuses_clearly(run, database: Database, actor: Actor) -> None:
    case_id, _v = make_case(database, state="registered", actor=actor)
    case_number = number_of(database, case_id)
    unknown = run("issue-document", "DX-1999-99999", "agreement")
    assert unknown.exit_code == 2 and "no case numbered 'DX-1999-99999'" in unknown.output
    wrong_state = run("issue-document", case_number, "agreement")
    assert wrong_state.exit_code == 1
    assert "cannot be issued while case" in wrong_state.output
    bad_kind = run("issue-document", case_number, "receipt")
    assert bad_kind.exit_code == 2
    rejected, _v = make_case(database, state="rejected", actor=actor)
    bad_url = run(
        "issue-document", number_of(database, rejected), "rejection_notice", "--base-url", "x"
    )
    assert bad_url.exit_code == 1
    assert "PUBLIC_BASE_URL: 'x' is not an absolute http(s) address" in bad_url.output
