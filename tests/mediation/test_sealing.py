"""ID and phone numbers sealed at rest: the crypto, the stored rows, key rotation, dumps."""

from __future__ import annotations

import base64
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.cases.case_file import load_case_file
from mediation.cases.disclosure import REVEAL_ACTION, reveal_party_numbers
from mediation.cases.document_data import document_context
from mediation.cases.resealing import count_stale, keys_in_use
from mediation.cli import main
from mediation.db import Database
from mediation.errors import InvalidInput
from mediation.issuing.service import issue_document
from mediation.people import sealing
from mediation.people.sealing import (
    DEVELOPMENT_KEY,
    SealingError,
    key_id,
    key_ring_from,
    party_associated,
)
from mediation.tables import EVENT, PARTY
from tests.factories import EMPLOYER, WORKER, make_case

NEW_KEY = base64.b64encode(bytes(range(32))).decode()
CLEAR_VALUES = (WORKER.id_number, WORKER.phone, EMPLOYER.id_number)


@pytest.fixture
def ring() -> sealing.KeyRing:
    return key_ring_from({})


@pytest.fixture
def rotated_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Make NEW_KEY the current key, with the development key retired."""
    monkeypatch.setenv(sealing.KEY_VARIABLE, NEW_KEY)
    monkeypatch.setenv(sealing.RETIRED_VARIABLE, DEVELOPMENT_KEY)
    sealing.reset_key_ring()
    yield NEW_KEY
    monkeypatch.undo()
    sealing.reset_key_ring()


# --------------------------------------------------------------------------- the crypto


def test_a_sealed_value_opens_only_for_its_own_row_and_column(ring: sealing.KeyRing) -> None:
    here = party_associated(7, "worker", "id_number")
    token = ring.seal(WORKER.id_number, here)
    assert WORKER.id_number not in token
    assert token.startswith(f"v1.{ring.current_id}.")
    assert ring.open(token, here) == WORKER.id_number
    # The same number sealed twice gives two different tokens (a fresh nonce each time).
    assert ring.seal(WORKER.id_number, here) != token
    for elsewhere in (
        party_associated(8, "worker", "id_number"),
        party_associated(7, "employer", "id_number"),
        party_associated(7, "worker", "phone"),
    ):
        with pytest.raises(SealingError, match="does not open"):
            ring.open(token, elsewhere)


def test_an_altered_or_foreign_token_is_refused_not_misread(ring: sealing.KeyRing) -> None:
    here = party_associated(1, "worker", "phone")
    token = ring.seal(WORKER.phone, here)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(SealingError, match="does not open"):
        ring.open(flipped, here)
    with pytest.raises(SealingError, match="not a sealed value"):
        ring.open(WORKER.phone, here)
    other = key_ring_from({sealing.KEY_VARIABLE: NEW_KEY})
    with pytest.raises(SealingError, match=f"sealed with key {ring.current_id}"):
        other.open(token, here)
    assert ring.seal("", here) == "" and ring.open("", here) == ""


def test_retired_keys_still_open_what_they_sealed(ring: sealing.KeyRing) -> None:
    here = party_associated(1, "worker", "id_number")
    old_token = ring.seal(WORKER.id_number, here)
    both = key_ring_from(
        {sealing.KEY_VARIABLE: NEW_KEY, sealing.RETIRED_VARIABLE: f" {DEVELOPMENT_KEY} ,"}
    )
    assert both.current_id == key_id(bytes(range(32)))
    assert both.open(old_token, here) == WORKER.id_number
    assert not both.is_current(old_token)
    assert both.is_current(both.seal(WORKER.id_number, here))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({sealing.KEY_VARIABLE: "not base64!"}, "MEDIATION_DATA_KEY is not base64"),
        ({sealing.KEY_VARIABLE: "c2hvcnQ="}, "must be 32 bytes in base64, not 5"),
        ({sealing.RETIRED_VARIABLE: "c2hvcnQ="}, r"RETIRED \(key 1\) must be 32 bytes"),
    ],
)
def test_a_malformed_key_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SealingError, match=message):
        key_ring_from(env)


# --------------------------------------------------------------------------- stored rows


def stored_parties(database: Database, case_id: int) -> dict[str, dict[str, str]]:
    with database.read_session() as session:
        rows = session.execute(select(PARTY).where(PARTY.c.case_id == case_id))
        return {row.role: dict(row._mapping) for row in rows}


def test_the_numbers_are_stored_sealed_and_read_back_where_needed(database: Database) -> None:
    case_id, _ = make_case(database, state="ensuring_performance")
    stored = stored_parties(database, case_id)
    for role, party in stored.items():
        for column in sealing.SEALED_PARTY_FIELDS:
            value = party[column]
            assert value == "" or value.startswith("v1."), (role, column, value)
    assert stored["worker"]["agent_phone"] == ""  # nothing known stays empty
    flat = repr(stored)
    assert not any(clear in flat for clear in CLEAR_VALUES)
    with database.read_session() as session:
        page = load_case_file(session, case_id, today=date(2026, 11, 21))
        document = document_context(
            session, case_id, "agreement", number="DX-1-XY", today=date(2026, 11, 21)
        )
    worker = next(p for p in page.parties if p.role == "worker")
    assert (worker.id_number, worker.phone) == ("110105********002X", "138****8000")
    assert document["worker"]["id_number"] == WORKER.id_number
    assert document["worker"]["phone"] == WORKER.phone
    assert document["employer"]["id_number"] == EMPLOYER.id_number


def test_a_number_moved_to_another_case_does_not_open(database: Database) -> None:
    first, _ = make_case(database)
    second, _ = make_case(database)
    token = stored_parties(database, first)["worker"]["id_number"]
    with database.writing() as session:
        session.execute(
            update(PARTY)
            .where(PARTY.c.case_id == second, PARTY.c.role == "worker")
            .values(id_number=token)
        )
    with database.read_session() as session, pytest.raises(SealingError, match="does not open"):
        load_case_file(session, second, today=date(2026, 11, 21))


def test_revealing_the_numbers_logs_who_why_and_which_without_the_numbers(
    database: Database,
) -> None:
    case_id, _ = make_case(database)
    actor = Actor(None, "调解员甲")
    with database.writing() as session:
        shown = reveal_party_numbers(
            session, actor=actor, case_id=case_id, role="worker", reason="电话通知履行"
        )
    assert (shown.id_number, shown.phone, shown.agent_phone) == (WORKER.id_number, WORKER.phone, "")
    with database.read_session() as session:
        event = session.execute(
            select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq.desc())
        ).first()
        assert verify(session).ok
    assert event is not None and event.action == REVEAL_ACTION and event.actor == "调解员甲"
    assert '"fields":["id_number","phone"]' in event.payload
    assert "电话通知履行" in event.payload
    assert not any(clear in event.payload for clear in CLEAR_VALUES)


@pytest.mark.parametrize(("role", "reason"), [("worker", ""), ("worker", " "), ("judge", "x")])
def test_a_reveal_without_a_reason_or_party_shows_and_logs_nothing(
    sqlite_database: Database, role: str, reason: str
) -> None:
    case_id, _ = make_case(sqlite_database)
    with sqlite_database.read_session() as session:
        before = session.execute(select(func.count()).select_from(EVENT)).scalar_one()
    with pytest.raises(InvalidInput), sqlite_database.writing() as session:
        reveal_party_numbers(
            session, actor=Actor(None, "x"), case_id=case_id, role=role, reason=reason
        )
    with sqlite_database.read_session() as session:
        assert session.execute(select(func.count()).select_from(EVENT)).scalar_one() == before


# --------------------------------------------------------------------------- rotation


def cli(database: Database, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--database-url", database.url, *args])


def test_rotating_the_key_reseals_every_number_and_keeps_them_readable(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_ids = [make_case(database)[0] for _ in range(3)]
    old_id = sealing.key_ring().current_id
    monkeypatch.setenv(sealing.KEY_VARIABLE, NEW_KEY)
    sealing.reset_key_ring()
    try:
        # Without the old key listed, nothing can be read and nothing is changed.
        result = cli(database, "rotate-data-key")
        assert result.exit_code == 1
        assert f"sealed with key(s) {old_id}" in result.output
        assert "nothing was changed" in result.output
        monkeypatch.setenv(sealing.RETIRED_VARIABLE, DEVELOPMENT_KEY)
        sealing.reset_key_ring()
        result = cli(database, "rotate-data-key")
        assert result.exit_code == 0, result.output
        assert "re-sealed 6 party row(s)" in result.output and "0 left" in result.output
        with database.engine.connect() as connection:
            assert keys_in_use(connection) == {key_id(bytes(range(32)))}
            assert count_stale(connection) == 0
        # The retired key can go: the numbers open with the new key alone.
        monkeypatch.delenv(sealing.RETIRED_VARIABLE)
        sealing.reset_key_ring()
        with database.read_session() as session:
            for case_id in case_ids:
                page = load_case_file(session, case_id, today=date(2026, 11, 21))
                assert page.parties[0].id_number == "110105********002X"
        assert cli(database, "rotate-data-key").output.startswith("re-sealed 0 party row(s)")
    finally:
        monkeypatch.undo()
        sealing.reset_key_ring()


def test_serve_refuses_a_key_that_does_not_open_the_database(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_case(sqlite_database)
    monkeypatch.setenv(sealing.KEY_VARIABLE, NEW_KEY)
    sealing.reset_key_ring()
    try:
        result = cli(sqlite_database, "serve", "--workers", "1")
    finally:
        monkeypatch.undo()
        sealing.reset_key_ring()
    assert result.exit_code == 1
    assert "sealed with key(s)" in result.output and "MEDIATION_DATA_KEY" in result.output


def test_migration_seals_numbers_stored_in_clear_and_downgrade_opens_them(
    sqlite_database: Database,
) -> None:
    from alembic import command

    from mediation.schema import alembic_config

    case_id, _ = make_case(sqlite_database)
    engine = sqlite_database.engine
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert stored_parties(sqlite_database, case_id)["worker"]["id_number"] == WORKER.id_number
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    token = stored_parties(sqlite_database, case_id)["worker"]["id_number"]
    assert token.startswith("v1.") and WORKER.id_number not in token
    with sqlite_database.read_session() as session:
        assert verify(session).ok


# --------------------------------------------------------------------------- dumps


def dump_text(database: Database, tmp_path: Path) -> str:
    """Return a plain-text dump of the whole database, as an administrator would take it."""
    if database.is_sqlite:
        path = urlsplit(database.url).path.lstrip("/")
        connection = sqlite3.connect(f"/{path}" if not Path(path).exists() else path)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    if shutil.which("pg_dump") is None:
        pytest.skip("needs pg_dump (apt-get install postgresql-client)")
    url = database.engine.url
    completed = subprocess.run(
        [
            "pg_dump",
            "--format=plain",
            "--no-owner",
            f"--host={url.host}",
            f"--port={url.port or 5432}",
            f"--username={url.username}",
            str(url.database),
        ],
        capture_output=True,
        check=True,
    )
    return completed.stdout.decode("utf-8", "replace")


def test_a_database_dump_holds_no_clear_id_or_phone_number(
    database: Database, tmp_path: Path
) -> None:
    case_id, _ = make_case(database, state="closed")
    for kind in ("agreement", "archive_bundle"):  # the bundle embeds the JSON case file
        issue_document(
            database,
            case_id,
            kind,
            Actor(None, "调解员"),
            base_url="https://tiaojie.example.gov.cn",
            today=date(2026, 11, 21),
            reason="dump test",
        )
    with database.writing() as session:
        reveal_party_numbers(
            session, actor=Actor(None, "调解员"), case_id=case_id, role="worker", reason="核对"
        )
    text = dump_text(database, tmp_path)
    # A real dump of the tables, in which clear text would show: the names are not sealed.
    assert "audit_event" in text and WORKER.name in text and EMPLOYER.name in text
    for clear in CLEAR_VALUES:
        assert clear not in text
        assert clear.encode().hex() not in text  # nor as a bytea's hex
