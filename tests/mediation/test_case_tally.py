"""``case_tally`` always says what counting the cases would say (migration 0005's triggers).

The case list and the dashboard show these counters instead of counting; whatever writes a
case — the service, the import, a direct SQL statement — must leave them right, in the same
transaction.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from mediation.audit.chain import Actor
from mediation.cases.queries import (
    TALLY_EVERY_CATEGORY,
    TALLY_EVERY_TOWN,
    CaseFilter,
    Scope,
    list_cases,
    state_counts,
)
from mediation.db import Database
from mediation.imports import import_cases
from mediation.people.service import ensure_town
from mediation.tables import CASE, CASE_TALLY
from tests.factories import ensure_organization, make_case

TODAY = date(2026, 3, 20)
IMPORTS = Path(__file__).resolve().parent.parent / "data" / "import_cases.csv"


def _recount(database: Database) -> dict[tuple[int, str, int, str], int]:
    """Count the cases for every counter the tally keeps (roll-ups included)."""
    counts: dict[tuple[int, str, int, str], int] = {}
    with database.read_session() as session:
        rows = session.execute(
            select(CASE.c.organization_id, CASE.c.category, CASE.c.town_id, CASE.c.state)
        ).all()
    for org, category, town, state in rows:
        town_key = town if town is not None else 0
        for key_category in (category, TALLY_EVERY_CATEGORY):
            for key_town in (town_key, TALLY_EVERY_TOWN):
                key = (org, key_category, key_town, state)
                counts[key] = counts.get(key, 0) + 1
    return counts


def _tally(database: Database) -> dict[tuple[int, str, int, str], int]:
    with database.read_session() as session:
        rows = session.execute(
            select(
                CASE_TALLY.c.organization_id,
                CASE_TALLY.c.category,
                CASE_TALLY.c.town_key,
                CASE_TALLY.c.state,
                CASE_TALLY.c.cases,
            )
        ).all()
    return {(o, c, t, s): n for o, c, t, s, n in rows if n != 0}


def _assert_right(database: Database) -> None:
    assert _tally(database) == _recount(database)


def test_the_service_and_the_import_keep_the_tally(database):
    for state in ("registered", "finding_crux", "ensuring_performance", "closed", "archived"):
        make_case(database, state=state, today=TODAY)
    _assert_right(database)
    with database.writing() as session:
        import_cases(session, IMPORTS, actor=Actor(None, "导入"))
    _assert_right(database)


def test_direct_sql_changes_keep_the_tally(database):
    case_id, _ = make_case(database, state="finding_crux", today=TODAY)
    org_id, _town_id = ensure_organization(database)
    other_org, _ = ensure_organization(database, name="西红门镇调解中心")
    with database.writing() as session:
        elsewhere = ensure_town(session, name="庞各庄镇").id
    for values in (
        {"state": "failed"},
        {"town_id": elsewhere},
        {"town_id": None},
        {"category": "overtime", "state": "withdrawn"},
        {"organization_id": other_org},
        {"version": 99},  # no counted column: nothing to change
    ):
        with database.writing() as session:
            session.execute(update(CASE).where(CASE.c.id == case_id).values(**values))
        _assert_right(database)
    with database.writing() as session:
        bare = session.execute(
            insert(CASE)
            .values(
                number="T-1",
                organization_id=org_id,
                category="wages",
                state="registered",
                received_on=TODAY,
            )
            .returning(CASE.c.id)
        ).scalar_one()
    _assert_right(database)
    with database.writing() as session:
        session.execute(delete(CASE).where(CASE.c.id == bare))
    _assert_right(database)


def test_a_failed_transaction_leaves_the_tally_as_it_was(database):
    make_case(database, today=TODAY)
    before = _tally(database)
    try:
        with database.writing() as session:
            session.execute(update(CASE).values(state="closed"))
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert _tally(database) == before
    _assert_right(database)


def test_list_counts_and_state_counts_come_out_of_the_tally(database):
    for state in ("registered", "registered", "finding_crux", "closed"):
        make_case(database, state=state, today=TODAY)
    org_id, town_id = ensure_organization(database)
    scope = Scope.organization(org_id)
    with database.read_session() as session:
        counts = state_counts(session, scope=scope)
        total = session.execute(
            select(func.count()).where(CASE.c.organization_id == org_id)
        ).scalar_one()
        assert sum(counts.values()) == total == 4
        assert counts["registered"] == 2
        for filters, expected in (
            (CaseFilter(), 4),
            (CaseFilter(state="registered"), 2),
            (CaseFilter(category="wages", town_id=town_id), 4),
            (CaseFilter(category="overtime"), 0),
            (CaseFilter(state="closed", category="wages", town_id=town_id), 1),
            (CaseFilter(town_id=town_id + 1000), 0),
        ):
            page = list_cases(session, scope=scope, filters=filters, today=TODAY)
            assert page.total == expected, filters
            assert len(page.items) == expected
