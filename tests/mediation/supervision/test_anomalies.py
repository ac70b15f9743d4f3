"""The anomaly list: each kind finds its cases and no other."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, text

from mediation.audit.chain import Actor
from mediation.db import Database
from mediation.supervision import corrections
from mediation.supervision.anomalies import KINDS, all_anomalies
from mediation.tables import CASE
from tests.factories import make_case
from tests.mediation.supervision.helpers import add_user, signed_case

TODAY = date(2026, 3, 2)


def _number(database: Database, case_id: int) -> str:
    with database.read_session() as session:
        return str(session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one())


def test_each_kind_lists_its_cases(database: Database) -> None:
    mediator = add_user(database, "tiaojie", "mediator")
    supervisor = add_user(database, "duda", "supervisor")
    # Agreed 13000.00 on a claim of 12000.00.
    above, _ = signed_case(
        database, actor=mediator, today=TODAY, agreed_fen=1_300_000, claimed_fen=1_200_000
    )
    # Signed 40 days ago: the first instalment (due 7 days after signing) is past due.
    late, _ = signed_case(database, actor=mediator, today=TODAY - timedelta(days=40))
    # Received 50 days ago and still finding the crux (with both parties' consent).
    stale, _ = make_case(
        database, state="registered", actor=mediator, received_on=TODAY - timedelta(days=50)
    )
    # Received 40 days ago: past the 15-day period, but not far beyond it (45 days).
    make_case(database, state="registered", actor=mediator, received_on=TODAY - timedelta(days=40))
    # A signed case corrected with a supervisor's approval.
    corrected, _ = signed_case(database, actor=mediator, today=TODAY)
    with database.writing() as session:
        correction_id = corrections.request_correction(
            session,
            case_id=corrected,
            terms=[900_000],
            instalments=[450_000, 450_000],
            reason="笔误",
            actor=mediator,
        )
    with database.writing() as session:
        corrections.approve_correction(session, correction_id=correction_id, actor=supervisor)
    # Paid beyond the agreement: only possible behind the application's back.
    beyond, _ = signed_case(database, actor=mediator, today=TODAY)
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE mediation_case SET paid_fen = agreed_fen + 1 WHERE id = :id"),
            {"id": beyond},
        )

    with database.read_session() as session:
        lists = {found.kind: found for found in all_anomalies(session, TODAY)}
    assert list(lists) == list(KINDS)
    expected = {
        "agreed_above_claimed": [above],
        "paid_above_agreed": [beyond],
        "performance_overdue": [late],
        "open_far_beyond": [stale],
        "corrected_after_signing": [corrected],
    }
    for kind, ids in expected.items():
        numbers = sorted(_number(database, case_id) for case_id in ids)
        assert sorted(c.number for c in lists[kind].cases) == numbers, kind
        assert lists[kind].count == len(ids), kind
    assert lists["corrected_after_signing"].cases[0].corrections == 1
    assert lists["performance_overdue"].cases[0].next_due_on == TODAY - timedelta(days=33)


def test_nothing_is_anomalous_in_an_orderly_district(database: Database, actor: Actor) -> None:
    make_case(database, state="closed", actor=actor, today=TODAY)
    make_case(database, state="finding_crux", actor=actor, today=TODAY)
    with database.read_session() as session:
        assert all(found.count == 0 for found in all_anomalies(session, TODAY))
