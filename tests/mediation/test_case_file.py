"""The case page's read model computes the guards' facts and the deadlines from its own rows.

They must say exactly what the service's SQL (``load_facts``) and ``case_deadlines`` say, or
the page would offer an action the service then refuses (or hide one it would allow).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mediation.audit.chain import Actor
from mediation.cases.case_file import load_case_file
from mediation.cases.deadlines import case_deadlines, next_unpaid_due
from mediation.cases.facts import load_facts, load_term_categories
from mediation.cases.service import PartyInput, advance, register_case
from mediation.db import Database
from mediation.tables import CASE
from tests.factories import ensure_organization, make_case, path_to

TODAY = date(2026, 3, 20)
STATES = [
    "registered",
    "rejected",
    "finding_crux",
    "seizing_opening",
    "ensuring_performance",
    "awaiting_conversion",
    "failed",
    "withdrawn",
    "closed",
    "archived",
]


def _same_as_the_service(database: Database, case_id: int, today: date) -> None:
    with database.read_session() as session:
        page = load_case_file(session, case_id, today=today)
        _row, facts = load_facts(session, case_id, today)
        if page.agreement is not None:
            facts = replace(facts, term_categories=load_term_categories(session, case_id))
        assert page.facts == facts
        assert page.deadlines == case_deadlines(session, case_id, today)


@pytest.mark.parametrize("state", STATES)
def test_facts_and_deadlines_of_every_state_match_the_service(database, state):
    case_id, _version = make_case(database, state=state, today=TODAY)
    for today in (TODAY, TODAY + timedelta(days=8), TODAY + timedelta(days=40)):
        _same_as_the_service(database, case_id, today)


def test_facts_of_an_incomplete_case_match_the_service(database):
    org_id, town_id = ensure_organization(database)
    actor = Actor(None, "测试调解员")
    with database.writing() as session:
        case_id, _ = register_case(
            session,
            actor=actor,
            organization_id=org_id,
            town_id=town_id,
            category="wages",
            received_on=TODAY,
            # No phone for the worker, no credit code for the employer, no claim.
            worker=PartyInput(name="张伟", id_number="11010519491231002X"),
            employer=PartyInput(name="北京兴旺建筑工程有限公司"),
            claims=[],
        )
    _same_as_the_service(database, case_id, TODAY)


def test_facts_of_a_partly_paid_agreement_with_a_missed_instalment(database):
    case_id, version = make_case(database, state="ensuring_performance", today=TODAY)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_payment",
            expected_version=version,
            actor=Actor(None, "测试调解员"),
            data={"amount_fen": 200_000},
            today=TODAY,
        )
    for days in (0, 7, 8, 31):
        _same_as_the_service(database, case_id, TODAY + timedelta(days=days))


# --------------------------------------------------------------------------- next_due_on


def _next_due_on(database: Database, case_id: int) -> date | None:
    with database.read_session() as session:
        value: date | None = session.execute(
            select(CASE.c.next_due_on).where(CASE.c.id == case_id)
        ).scalar_one()
    return value


def test_next_unpaid_due_settles_instalments_in_due_date_order():
    first, second = date(2026, 4, 1), date(2026, 5, 1)
    # Given out of order: payments still settle the earlier due date first.
    instalments = [(second, 2, 500), (first, 1, 300)]
    assert next_unpaid_due(instalments, 0) == first
    assert next_unpaid_due(instalments, 299) == first
    assert next_unpaid_due(instalments, 300) == second
    assert next_unpaid_due(instalments, 799) == second
    assert next_unpaid_due(instalments, 800) is None
    assert next_unpaid_due([], 0) is None
    assert next_unpaid_due([(first, 1, 0)], 0) is None


def test_the_service_keeps_next_due_on_as_payments_are_recorded(database):
    # The factory's agreement: 5 000 yuan due TODAY+7, 5 000 yuan due TODAY+30.
    case_id, version = make_case(database, state="seizing_opening", today=TODAY)
    assert _next_due_on(database, case_id) is None
    actor = Actor(None, "测试调解员")
    steps = path_to("ensuring_performance", today=TODAY)[len(path_to("seizing_opening")) :]
    payments = [100_000, 400_000, 499_999, 1]
    for action, data in [*steps, *(("record_payment", {"amount_fen": a}) for a in payments)]:
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=actor,
                data=data,
                today=TODAY,
            )
        version += 1
        if action == "draft_agreement":
            assert _next_due_on(database, case_id) == TODAY + timedelta(days=7)
    # 1 000 + 4 000 paid the first instalment; 4 999.99 + 0.01 the second.
    with database.read_session() as session:
        page = load_case_file(session, case_id, today=TODAY)
    assert page.deadlines.next_instalment is None
    assert _next_due_on(database, case_id) is None


def test_next_due_on_follows_the_first_unpaid_instalment(database):
    case_id, version = make_case(database, state="ensuring_performance", today=TODAY)
    assert _next_due_on(database, case_id) == TODAY + timedelta(days=7)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_payment",
            expected_version=version,
            actor=Actor(None, "测试调解员"),
            data={"amount_fen": 500_000},
            today=TODAY,
        )
    assert _next_due_on(database, case_id) == TODAY + timedelta(days=30)
