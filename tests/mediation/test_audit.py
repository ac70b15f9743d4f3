"""The hash-chained audit log: it verifies after real work and names the first tampered link.

To tamper, a test first lifts the append-only triggers as an attacker with database rights
would: SQLite drops them, PostgreSQL disables them for the tampering transaction only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from mediation.audit.chain import event_hash
from mediation.audit.verify import Break, verify
from mediation.cases.service import advance
from mediation.db import Database
from mediation.tables import CASE, EVENT
from tests.factories import make_case

TODAY = date(2026, 3, 2)


@dataclass(frozen=True)
class Lifecycle:
    """Three cases worked through the service: performed and archived, failed, part-paid."""

    archived: int
    failed: int
    paying: int


@pytest.fixture
def lifecycle(database: Database, actor) -> Lifecycle:  # type: ignore[no-untyped-def]
    archived, _ = make_case(database, state="archived", actor=actor, today=TODAY)
    failed, _ = make_case(database, state="failed", actor=actor, today=TODAY)
    paying, version = make_case(database, state="ensuring_performance", actor=actor, today=TODAY)

    for amount in (300_000, 200_000):
        with database.writing() as session:
            advance(
                session,
                case_id=paying,
                action="record_payment",
                expected_version=version,
                actor=actor,
                data={"amount_fen": amount, "receipt_ref": f"R{amount}"},
                today=TODAY,
            )
        version += 1
    return Lifecycle(archived, failed, paying)


def number(database: Database, case_id: int) -> str:
    with database.read_session() as session:
        return session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()


def seqs(database: Database, case_id: int | None = None, action: str | None = None) -> list[int]:
    query = select(EVENT.c.seq).order_by(EVENT.c.seq)
    if case_id is not None:
        query = query.where(EVENT.c.case_id == case_id)
    if action is not None:
        query = query.where(EVENT.c.action == action)
    with database.read_session() as session:
        return list(session.execute(query).scalars())


def tamper(database: Database, *statements: str, **params: object) -> None:
    """Run SQL behind the application's back, with the append-only triggers lifted."""
    with database.writing() as session:
        if database.is_sqlite:
            session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        else:
            session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        for statement in statements:
            session.execute(text(statement), params)
        if not database.is_sqlite:
            session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def first_break(database: Database) -> Break:
    with database.read_session() as session:
        result = verify(session)
    assert not result.ok
    assert result.first_break is not None
    return result.first_break


# --------------------------------------------------------------------------- the chain holds


def test_verify_after_a_lifecycle_is_ok(database, lifecycle):
    with database.read_session() as session:
        result = verify(session)
        total = session.execute(select(func.count()).select_from(EVENT)).scalar_one()
    assert result.ok, result.breaks
    assert result.first_break is None
    assert (result.events_checked, result.cases_checked) == (total, 3)
    assert seqs(database) == list(range(1, total + 1))


def test_verify_empty_database_is_ok(database):
    with database.read_session() as session:
        result = verify(session)
    assert (result.ok, result.events_checked, result.cases_checked) == (True, 0, 0)


def test_events_link_each_to_the_one_before(database, lifecycle):
    with database.read_session() as session:
        rows = session.execute(select(EVENT).order_by(EVENT.c.seq)).all()
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in pairwise(rows))


# --------------------------------------------------------------------------- the database refuses


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET payload = '{}' WHERE seq = 2",
        "UPDATE audit_event SET action = 'accept'",
        "DELETE FROM audit_event WHERE seq = 2",
        "DELETE FROM audit_event",
    ],
)
def test_change_to_audit_event_is_refused_by_the_database(database, lifecycle, statement):
    with pytest.raises(DBAPIError, match="append-only"), database.writing() as session:
        session.execute(text(statement))
    with database.read_session() as session:
        assert verify(session).ok


def test_empty_audit_log_is_refused_by_the_database(database, lifecycle):
    # SQLite has no TRUNCATE (and skips its truncate shortcut for a table with triggers).
    statement = "DELETE FROM audit_event" if database.is_sqlite else "TRUNCATE audit_event CASCADE"
    with pytest.raises(DBAPIError, match="append-only"), database.writing() as session:
        session.execute(text(statement))
    with database.read_session() as session:
        assert verify(session).ok


# --------------------------------------------------------------------------- amounts and states


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("paid_fen", "paid_fen - 100"),
        ("agreed_fen", "agreed_fen + 1"),
        ("claimed_fen", "claimed_fen * 2"),
        ("version", "version + 1"),
        ("state", "'closed'"),
    ],
)
def test_verify_case_column_edited_by_sql_names_the_case(database, lifecycle, column, change):
    tamper(
        database,
        f"UPDATE mediation_case SET {column} = {change} WHERE id = :id",
        id=lifecycle.paying,
    )
    broken = first_break(database)
    assert broken.seq is None
    assert broken.case_number == number(database, lifecycle.paying)
    assert broken.message.startswith(f"{column} is ")
    assert "changed outside the application" in broken.message
    assert f"case {broken.case_number}" in str(broken)


def test_verify_state_edited_by_sql_says_what_the_log_says(database, lifecycle):
    tamper(
        database, "UPDATE mediation_case SET state = 'closed' WHERE id = :id", id=lifecycle.paying
    )
    assert first_break(database).message == (
        "state is 'closed' but the log says 'ensuring_performance' "
        "(changed outside the application)"
    )


@pytest.mark.parametrize(
    ("statement", "what", "case"),
    [
        (
            "UPDATE payment SET amount_fen = amount_fen - 100 "
            "WHERE id = (SELECT MIN(id) FROM payment WHERE case_id = :id)",
            "the payments stored ([200000, 299900]) differ from those in the log "
            "([200000, 300000]) (changed outside the application)",
            "paying",
        ),
        (
            "UPDATE claim_item SET amount_fen = 1 WHERE case_id = :id",
            "the claim amounts stored ([1]) differ from those in the log ([1200000]) "
            "(changed outside the application)",
            "paying",
        ),
        (
            "UPDATE agreement_term SET amount_fen = 900000 WHERE agreement_id = "
            "(SELECT id FROM agreement WHERE case_id = :id)",
            "the agreement terms stored ([('wages', 900000)]) differ from those in the log "
            "([('wages', 1000000)]) (changed outside the application)",
            "archived",
        ),
    ],
    ids=["payment", "claim", "term"],
)
def test_verify_detail_amount_edited_by_sql_names_the_case(
    database, lifecycle, statement, what, case
):
    case_id = getattr(lifecycle, case)
    tamper(database, statement, id=case_id)
    broken = first_break(database)
    assert (broken.seq, broken.case_number, broken.message) == (
        None,
        number(database, case_id),
        what,
    )


def test_verify_deleted_payment_row_names_the_case(database, lifecycle):
    tamper(
        database,
        "DELETE FROM payment WHERE case_id = :id AND amount_fen = 200000",
        id=lifecycle.paying,
    )
    broken = first_break(database)
    assert broken.case_number == number(database, lifecycle.paying)
    assert "payments stored ([300000]) differ from those in the log ([200000, 300000])" in (
        broken.message
    )


def test_verify_added_zero_payment_row_names_the_case(database, lifecycle):
    tamper(
        database,
        "INSERT INTO payment (case_id, paid_on, amount_fen, method, receipt_ref) "
        "VALUES (:id, '2026-03-01', 0, 'cash', 'forged')",
        id=lifecycle.paying,
    )
    broken = first_break(database)
    assert broken.case_number == number(database, lifecycle.paying)
    assert "payments stored" in broken.message


def test_verify_instalment_moved_after_signing_names_the_case(database, lifecycle):
    tamper(
        database,
        "UPDATE instalment SET due_on = '2030-01-01' WHERE agreement_id = "
        "(SELECT id FROM agreement WHERE case_id = :id)",
        id=lifecycle.archived,
    )
    broken = first_break(database)
    assert broken.case_number == number(database, lifecycle.archived)
    assert "instalments stored" in broken.message


# --------------------------------------------------------------------------- the events


def test_verify_event_deleted_in_the_middle_names_the_gap(database, lifecycle):
    middle = seqs(database)[len(seqs(database)) // 2]
    tamper(database, "DELETE FROM audit_event WHERE seq = :seq", seq=middle)
    broken = first_break(database)
    assert broken.seq == middle + 1
    assert broken.message.startswith(f"event #{middle} is missing")
    assert str(broken).startswith(f"event #{middle + 1}")


def test_verify_last_event_deleted_is_caught_by_the_chain_head(database, lifecycle):
    last = seqs(database)[-1]
    tamper(database, "DELETE FROM audit_event WHERE seq = :seq", seq=last)
    broken = first_break(database)
    assert broken.seq == last
    assert f"the log ends at event #{last - 1} but the chain head names #{last}" in broken.message


def test_verify_last_events_of_a_case_deleted_is_caught(database, lifecycle):
    payments = seqs(database, lifecycle.paying, "record_payment")
    tamper(database, "DELETE FROM audit_event WHERE seq >= :seq", seq=payments[0])
    assert first_break(database).seq == payments[-1]


def test_verify_two_events_swapped_names_the_first(database, lifecycle):
    a, b = seqs(database, lifecycle.failed)[2:4]
    assert b == a + 1
    tamper(
        database,
        "UPDATE audit_event SET seq = -1 WHERE seq = :a",
        "UPDATE audit_event SET seq = :a WHERE seq = :b",
        "UPDATE audit_event SET seq = :b WHERE seq = -1",
        a=a,
        b=b,
    )
    broken = first_break(database)
    assert broken.seq == a
    assert broken.case_number == number(database, lifecycle.failed)
    assert "does not link to the event before it" in broken.message


def test_verify_two_events_payloads_swapped_names_the_first(database, lifecycle):
    a, b = seqs(database, lifecycle.paying, "record_payment")
    with database.read_session() as session:
        rows = session.execute(select(EVENT.c.seq, EVENT.c.payload).where(EVENT.c.seq.in_([a, b])))
        payloads = {row.seq: row.payload for row in rows}
    tamper(
        database,
        "UPDATE audit_event SET payload = :pb WHERE seq = :a",
        "UPDATE audit_event SET payload = :pa WHERE seq = :b",
        a=a,
        b=b,
        pa=payloads[a],
        pb=payloads[b],
    )
    broken = first_break(database)
    assert broken.seq == a
    assert broken.message == "record_payment: content does not match its hash (edited)"


def test_verify_edited_event_payload_names_the_event(database, lifecycle):
    seq = seqs(database, lifecycle.paying, "record_payment")[0]
    tamper(
        database,
        "UPDATE audit_event SET payload = REPLACE(payload, '300000', '3000') WHERE seq = :seq",
        seq=seq,
    )
    broken = first_break(database)
    assert (broken.seq, broken.case_number) == (seq, number(database, lifecycle.paying))
    assert str(broken) == (
        f"event #{seq}, case {broken.case_number}: "
        "record_payment: content does not match its hash (edited)"
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "'supervisor'"), ("to_state", "'closed'"), ("case_id", "NULL")],
)
def test_verify_edited_event_column_names_the_event(database, lifecycle, column, value):
    seq = seqs(database, lifecycle.failed, "declare_failure")[0]
    tamper(database, f"UPDATE audit_event SET {column} = {value} WHERE seq = :seq", seq=seq)
    assert first_break(database).seq == seq


def test_verify_consistent_forgery_of_a_payment_is_caught_at_its_event(database, lifecycle):
    seq = seqs(database, lifecycle.paying, "record_payment")[-1]
    tamper(
        database,
        "UPDATE payment SET amount_fen = 20000 WHERE case_id = :id AND amount_fen = 200000",
        "UPDATE mediation_case SET paid_fen = 320000 WHERE id = :id",
        "UPDATE audit_event SET payload = REPLACE(REPLACE(payload, '200000', '20000'), "
        "'500000', '320000') WHERE seq = :seq",
        id=lifecycle.paying,
        seq=seq,
    )
    broken = first_break(database)
    assert broken.seq == seq
    assert "content does not match its hash" in broken.message


def test_verify_event_appended_by_sql_is_caught_by_the_chain_head(database, lifecycle):
    # Even with a correctly computed hash, an event the application did not append leaves
    # the chain head behind.
    with database.read_session() as session:
        last = session.execute(select(EVENT).order_by(EVENT.c.seq.desc()).limit(1)).one()
    payload = json.dumps({"amount_fen": 1}, sort_keys=True, separators=(",", ":"))
    forged = event_hash(
        prev_hash=last.hash,
        seq=last.seq + 1,
        case_id=last.case_id,
        actor_id=None,
        actor="intruder",
        action="record_payment",
        from_state=last.to_state,
        to_state=last.to_state,
        payload=payload,
        created_at=last.created_at,
    )
    with database.writing() as session:
        session.execute(
            EVENT.insert().values(
                seq=last.seq + 1,
                case_id=last.case_id,
                actor_id=None,
                actor="intruder",
                action="record_payment",
                from_state=last.to_state,
                to_state=last.to_state,
                payload=payload,
                created_at=last.created_at,
                prev_hash=last.hash,
                hash=forged,
            )
        )
    broken = first_break(database)
    assert broken.seq == last.seq
    assert f"the log ends at event #{last.seq + 1}" in broken.message


def test_verify_chain_head_rewound_is_caught(database, lifecycle):
    last = seqs(database)[-1]
    tamper(database, "UPDATE audit_head SET seq = seq - 1")
    broken = first_break(database)
    assert broken.seq == last - 1
    assert "chain head" in broken.message
