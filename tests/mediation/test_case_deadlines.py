"""The time limits a mediator sees for a stored case."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from mediation.audit.chain import Actor
from mediation.cases.deadlines import case_deadlines, overdue_condition
from mediation.cases.service import advance
from mediation.tables import CASE
from tests.factories import make_case

RECEIVED = date(2026, 3, 2)


def test_case_deadlines_day_15_is_within_window_day_16_is_overdue(database, actor):
    case_id, _ = make_case(database, state="finding_crux", received_on=RECEIVED, today=RECEIVED)
    with database.read_session() as session:
        on_day_15 = case_deadlines(session, case_id, RECEIVED + timedelta(days=15))
        on_day_16 = case_deadlines(session, case_id, RECEIVED + timedelta(days=16))
    assert on_day_15.mediation_deadline == date(2026, 3, 17)
    assert (on_day_15.overdue, on_day_15.mediation_days_left) == (False, 0)
    assert (on_day_16.overdue, on_day_16.mediation_days_left) == (True, -1)
    assert not on_day_16.consent_to_continue


def test_overdue_condition_counts_only_cases_still_in_mediation(database, actor):
    make_case(database, state="finding_crux", received_on=RECEIVED, today=RECEIVED)
    make_case(database, state="registered", received_on=RECEIVED, today=RECEIVED)
    make_case(database, state="ensuring_performance", received_on=RECEIVED, today=RECEIVED)
    make_case(
        database,
        state="seizing_opening",
        received_on=RECEIVED + timedelta(days=10),
        today=RECEIVED + timedelta(days=10),
    )
    day = RECEIVED + timedelta(days=16)
    with database.read_session() as session:
        overdue = session.execute(
            select(func.count()).select_from(CASE).where(overdue_condition(day))
        ).scalar_one()
    assert overdue == 2


def test_consent_of_both_parties_is_shown(database, actor):
    case_id, version = make_case(
        database, state="finding_crux", received_on=RECEIVED, today=RECEIVED
    )
    for role in ("worker", "employer"):
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action="record_overdue_consent",
                expected_version=version,
                actor=actor,
                data={"party_role": role},
            )
        version += 1
    with database.read_session() as session:
        deadlines = case_deadlines(session, case_id, RECEIVED + timedelta(days=20))
    assert deadlines.overdue and deadlines.consent_to_continue


def test_signed_case_shows_instalments_conversion_windows_and_payment_order_terms(database):
    case_id, version = make_case(
        database,
        state="ensuring_performance",
        received_on=RECEIVED,
        today=RECEIVED,
        agreed_fen=1_000_000,
    )
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_payment",
            expected_version=version,
            actor=Actor(None, "t"),
            data={"amount_fen": 600_000},
            today=RECEIVED,
        )
    with database.read_session() as session:
        deadlines = case_deadlines(session, case_id, RECEIVED + timedelta(days=40))
    first, second = deadlines.instalments
    assert (first.due_on, first.amount_fen, first.paid_fen, first.settled) == (
        RECEIVED + timedelta(days=7),
        500_000,
        500_000,
        True,
    )
    assert (second.paid_fen, second.overdue) == (100_000, True)
    assert deadlines.next_instalment == second
    # Effective on the day of signing: 15 days for arbitral review (办案规则 Art. 74),
    # 30 days for judicial confirmation (人民调解法 Art. 33).
    assert deadlines.arbitral_review_deadline == RECEIVED + timedelta(days=15)
    assert deadlines.judicial_confirmation_deadline == RECEIVED + timedelta(days=30)
    assert [(t.category, t.payment_order_eligible) for t in deadlines.terms] == [("wages", True)]
    assert not deadlines.overdue


def test_limitation_warning_when_worker_knew_almost_a_year_ago(database):
    case_id, _ = make_case(
        database,
        state="registered",
        received_on=RECEIVED,
        today=RECEIVED,
        overrides={"knew_on": date(2025, 3, 20)},
    )
    with database.read_session() as session:
        deadlines = case_deadlines(session, case_id, RECEIVED)
    assert deadlines.limitation is not None
    assert deadlines.limitation.deadline == date(2026, 3, 20)
    assert (deadlines.limitation.expired, deadlines.limitation.days_left) == (False, 18)
    assert "第二十七条" in deadlines.limitation.message


def test_limitation_restarts_when_mediation_fails(database):
    case_id, _ = make_case(
        database,
        state="failed",
        received_on=RECEIVED,
        today=RECEIVED,
        overrides={"knew_on": date(2025, 2, 1)},
    )
    with database.read_session() as session:
        near_end = case_deadlines(session, case_id, date(2027, 2, 15))
        fresh = case_deadlines(session, case_id, RECEIVED)
    # Interrupted by mediation, the year runs afresh from the failure (Art. 27, para. 2).
    assert near_end.limitation is not None and near_end.limitation.deadline == date(2027, 3, 2)
    assert fresh.limitation is None
