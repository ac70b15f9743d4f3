"""Read queries behind the case lists and the dashboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mediation.audit.chain import Actor
from mediation.cases.queries import (
    CaseFilter,
    Page,
    Scope,
    instalments_due,
    list_cases,
    organization_summary,
    overdue_cases,
    recently_changed,
    state_counts,
    town_options,
)
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import Database
from mediation.people.service import ensure_town
from tests.factories import ensure_organization, make_case

TODAY = date(2026, 3, 20)
HOME = "黄村镇调解中心"
OTHER = "西红门镇调解中心"
WORKER_ID = "11010519491231002X"


def add_case(
    database: Database,
    *,
    organization: str = HOME,
    town: str | None = None,
    worker: str = "张伟",
    worker_id: str = WORKER_ID,
    employer: str = "北京兴旺建筑工程有限公司",
    category: str = "wages",
    received_on: date = TODAY,
    claimed_fen: int = 1_200_000,
) -> str:
    """Register a case in a registered state; return its number."""
    org_id, town_id = ensure_organization(database, name=organization)
    with database.writing() as session:
        if town is not None:
            town_id = ensure_town(session, name=town).id
        _case_id, event = register_case(
            session,
            actor=Actor(None, "测试调解员"),
            organization_id=org_id,
            town_id=town_id,
            category=category,
            received_on=received_on,
            worker=PartyInput(name=worker, id_number=worker_id, phone="13800138000"),
            employer=PartyInput(name=employer, id_number="91350100M000100Y43"),
            claims=[ClaimInput(category, claimed_fen, "")],
        )
    return str(event.payload["number"])


def _numbers(page: Page) -> list[str]:
    return [item.number for item in page.items]


def _list(
    database: Database, *, scope: Scope | None = None, page: int = 1, per_page: int = 25, **filters
):
    org_id, _ = ensure_organization(database)
    with database.read_session() as session:
        return list_cases(
            session,
            scope=scope or Scope.organization(org_id),
            filters=CaseFilter(**filters),
            today=TODAY,
            page=page,
            per_page=per_page,
        )


def test_list_cases_newest_received_first_with_parties_and_masked_id(database):
    older = add_case(database, received_on=TODAY - timedelta(days=3), worker="李娜")
    newer = add_case(database, received_on=TODAY, employer="北京顺达物流有限公司")
    page = _list(database)
    assert _numbers(page) == [newer, older]
    first = page.items[0]
    assert first.employer_name == "北京顺达物流有限公司"
    assert first.worker_name == "张伟"
    assert first.worker_id_masked == "110105********002X"
    assert first.claimed_fen == 1_200_000
    assert first.town_name == f"{HOME}所在镇"
    assert first.days_left == 15
    assert page.items[1].worker_name == "李娜"
    assert page.items[1].days_left == 12


def test_list_cases_never_shows_another_organisations_cases(database):
    mine = add_case(database)
    theirs = add_case(database, organization=OTHER, worker="外单位劳动者")
    assert _numbers(_list(database)) == [mine]
    assert _numbers(_list(database, search="外单位")) == []
    assert _numbers(_list(database, scope=Scope.organization(None))) == []
    assert sorted(_numbers(_list(database, scope=Scope.district()))) == sorted([mine, theirs])


def test_list_cases_filters_by_state_town_category_and_dates(database):
    registered = add_case(database, received_on=TODAY - timedelta(days=10))
    elsewhere = add_case(database, town="庞各庄镇", category="overtime")
    accepted, _ = make_case(database, state="finding_crux", today=TODAY)
    _org_id, home_town = ensure_organization(database)
    with database.read_session() as session:
        towns = {t.name: t.id for t in town_options(session)}
    assert _numbers(_list(database, state="registered")) == [elsewhere, registered]
    assert len(_numbers(_list(database, state="finding_crux"))) == 1
    assert _numbers(_list(database, town_id=towns["庞各庄镇"])) == [elsewhere]
    assert elsewhere not in _numbers(_list(database, town_id=home_town))
    assert _numbers(_list(database, category="overtime")) == [elsewhere]
    between = _list(
        database,
        received_from=TODAY - timedelta(days=11),
        received_to=TODAY - timedelta(days=9),
    )
    assert _numbers(between) == [registered]
    assert accepted


def test_list_cases_filters_overdue_yes_and_no(database):
    late = add_case(database, received_on=TODAY - timedelta(days=16))
    last_day = add_case(database, received_on=TODAY - timedelta(days=15))
    assert _numbers(_list(database, overdue=True)) == [late]
    assert _numbers(_list(database, overdue=False)) == [last_day]
    item = _list(database, overdue=True).items[0]
    assert item.overdue and item.days_left == -1
    assert _list(database, overdue=False).items[0].days_left == 0


def test_ended_cases_are_not_overdue(database):
    make_case(database, state="withdrawn", received_on=TODAY - timedelta(days=40), today=TODAY)
    page = _list(database, overdue=True)
    assert page.total == 0
    assert _list(database).items[0].days_left is None


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("DX-2026-00002", ["DX-2026-00002"]),
        ("dx-2026-00002", ["DX-2026-00002"]),
        ("李娜", ["DX-2026-00002"]),
        ("顺达", ["DX-2026-00003"]),
        ("张", ["DX-2026-00003", "DX-2026-00001"]),
        ("%", []),
        ("_", []),
    ],
)
def test_list_cases_searches_number_worker_and_employer(database, search, expected):
    add_case(database, worker="张伟", received_on=TODAY - timedelta(days=2))
    add_case(database, worker="李娜", received_on=TODAY - timedelta(days=1))
    add_case(database, worker="张强", employer="北京顺达物流有限公司")
    assert _numbers(_list(database, search=search)) == expected


def test_list_cases_paginates_and_clamps_past_the_end(database):
    numbers = [add_case(database, received_on=TODAY - timedelta(days=i)) for i in range(5)]
    first = _list(database, per_page=2)
    assert (first.total, first.pages, first.number) == (5, 3, 1)
    assert _numbers(first) == numbers[:2]
    assert (first.first, first.last, first.has_previous, first.has_next) == (1, 2, False, True)
    last = _list(database, per_page=2, page=3)
    assert _numbers(last) == numbers[4:]
    assert (last.first, last.last, last.has_next) == (5, 5, False)
    assert _list(database, per_page=2, page=99).number == 3


def test_state_counts_cover_every_state_of_the_scope(database):
    make_case(database, state="finding_crux", today=TODAY)
    make_case(database, today=TODAY)
    make_case(database, today=TODAY)
    add_case(database, organization=OTHER)
    org_id, _ = ensure_organization(database)
    with database.read_session() as session:
        counts = state_counts(session, scope=Scope.organization(org_id))
    assert counts["registered"] == 2
    assert counts["finding_crux"] == 1
    assert counts["closed"] == 0
    assert sum(counts.values()) == 3


def test_overdue_cases_oldest_first_with_days_over_and_total(database):
    add_case(database, received_on=TODAY - timedelta(days=15))
    a = add_case(database, received_on=TODAY - timedelta(days=20), worker="李娜")
    b = add_case(database, received_on=TODAY - timedelta(days=30))
    add_case(database, organization=OTHER, received_on=TODAY - timedelta(days=40))
    org_id, _ = ensure_organization(database)
    with database.read_session() as session:
        overdue = overdue_cases(session, scope=Scope.organization(org_id), today=TODAY, limit=1)
    assert overdue.total == 2
    assert [(i.number, i.days_over) for i in overdue.items] == [(b, 15)]
    with database.read_session() as session:
        both = overdue_cases(session, scope=Scope.organization(org_id), today=TODAY)
    assert [(i.number, i.days_over, i.worker_name) for i in both.items][1] == (a, 5, "李娜")
    with database.read_session() as session:
        counted = overdue_cases(session, scope=Scope.organization(org_id), today=TODAY, limit=0)
        none = overdue_cases(session, scope=Scope.organization(org_id), today=TODAY - timedelta(30))
    assert (counted.total, counted.items) == (2, ())
    assert (none.total, none.items) == (0, ())


def _pay(database: Database, case_id: int, version: int, amount_fen: int) -> int:
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_payment",
            expected_version=version,
            actor=Actor(None, "测试调解员"),
            data={"amount_fen": amount_fen},
            today=TODAY,
        )
    return version + 1


def test_instalments_due_this_week_count_payments_in_due_date_order(database):
    # Agreed 10 000 yuan: 5 000 due TODAY+7, 5 000 due TODAY+30.
    case_id, version = make_case(database, state="ensuring_performance", today=TODAY)
    org_id, _ = ensure_organization(database)
    scope = Scope.organization(org_id)
    with database.read_session() as session:
        due = instalments_due(session, scope=scope, today=TODAY)
        assert [(d.seq, d.outstanding_fen, d.days_left) for d in due] == [(1, 500_000, 7)]
        assert instalments_due(session, scope=scope, today=TODAY - timedelta(days=1)) == []
    version = _pay(database, case_id, version, 300_000)
    with database.read_session() as session:
        due = instalments_due(session, scope=scope, today=TODAY)
        assert [(d.amount_fen, d.outstanding_fen) for d in due] == [(500_000, 200_000)]
    version = _pay(database, case_id, version, 400_000)
    with database.read_session() as session:
        assert instalments_due(session, scope=scope, today=TODAY) == []
        later = instalments_due(session, scope=scope, today=TODAY + timedelta(days=25))
        assert [(d.seq, d.outstanding_fen, d.days_left) for d in later] == [(2, 300_000, 5)]
        assert instalments_due(session, scope=Scope.organization(None), today=TODAY) == []


def test_missed_instalments_stay_on_the_list_as_late(database):
    make_case(database, state="ensuring_performance", today=TODAY)
    org_id, _ = ensure_organization(database)
    with database.read_session() as session:
        due = instalments_due(
            session, scope=Scope.organization(org_id), today=TODAY + timedelta(days=10)
        )
    assert [(d.seq, d.days_left, d.late) for d in due] == [(1, -3, True)]


def test_closed_cases_have_no_instalments_due(database):
    make_case(database, state="closed", today=TODAY)
    org_id, _ = ensure_organization(database)
    with database.read_session() as session:
        assert (
            instalments_due(
                session, scope=Scope.organization(org_id), today=TODAY + timedelta(days=7)
            )
            == []
        )


def test_recently_changed_latest_first(database):
    first, version = make_case(database, today=TODAY)
    second = add_case(database)
    with database.writing() as session:
        advance(
            session,
            case_id=first,
            action="accept",
            expected_version=version,
            actor=Actor(None, "测试调解员"),
            today=TODAY,
        )
    org_id, _ = ensure_organization(database)
    with database.read_session() as session:
        recent = recently_changed(session, scope=Scope.organization(org_id))
    assert [r.number for r in recent][1] == second
    assert (recent[0].state, recent[0].worker_name) == ("finding_crux", "张伟")


def test_organization_summary(database):
    org_id, town_id = ensure_organization(database)
    with database.read_session() as session:
        summary = organization_summary(session, org_id)
        assert summary is not None
        assert (summary.name, summary.town_id) == (HOME, town_id)
        assert organization_summary(session, None) is None
        assert organization_summary(session, 999_999) is None
