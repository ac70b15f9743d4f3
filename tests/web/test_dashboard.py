"""The mediator's dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mediation import clock
from mediation.app import get_database
from mediation.audit.chain import Actor
from mediation.cases.service import advance
from tests.factories import make_case
from tests.mediation.test_queries import OTHER, add_case
from tests.web.test_case_list import counting_queries

URL = "/m/"
EN = {"Accept-Language": "en"}


@pytest.fixture
def mediator_client(client, make_user, login):
    login(make_user("mediator"))
    return client


def _page(client) -> str:
    response = client.get(URL, headers=EN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    end = page.index("</section>", start)
    return page[start:end]


def _count(page: str, state: str) -> int:
    match = re.search(rf'data-state="{state}" data-count="(\d+)"', page)
    assert match, f"no count for {state}"
    return int(match.group(1))


def _days_ago(n: int):
    return clock.today() - timedelta(days=n)


def test_dashboard_counts_cases_by_state_with_links_to_the_list(database, mediator_client):
    make_case(database)
    make_case(database)
    make_case(database, state="finding_crux")
    make_case(database, state="closed")
    add_case(database, organization=OTHER)
    page = _page(mediator_client)
    assert _count(page, "registered") == 2
    assert _count(page, "finding_crux") == 1
    assert _count(page, "closed") == 1
    assert _count(page, "seizing_opening") == 0
    assert _count(page, "overdue") == 0
    assert 'href="/m/cases?state=registered"' in page
    assert 'href="/m/cases?state=closed"' in page
    assert 'href="/m/cases?overdue=yes"' in page
    assert "4 in all" in page


def test_dashboard_lists_overdue_cases_with_days_over(database, mediator_client):
    make_case(database, state="finding_crux", received_on=_days_ago(20))
    on_time = add_case(database, received_on=_days_ago(15))
    late = add_case(database, received_on=_days_ago(16), worker="李娜")
    add_case(database, organization=OTHER, received_on=_days_ago(30))
    page = _page(mediator_client)
    overdue = _section(page, "overdue-cases")
    rows = re.findall(r'<tr data-case="([^"]+)" data-days-over="(\d+)">', overdue)
    assert [days for _number, days in rows] == ["5", "1"]
    assert rows[1][0] == late
    assert on_time not in overdue
    assert "李娜" in overdue
    assert f'href="/m/cases/{late}"' in overdue
    assert _count(page, "overdue") == 2


def test_dashboard_shows_consent_to_continue_on_overdue_cases(database, mediator_client):
    case_id, version = make_case(database, state="finding_crux", received_on=_days_ago(20))
    for role in ("worker", "employer"):
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action="record_overdue_consent",
                expected_version=version,
                actor=Actor(None, "测试调解员"),
                data={"party_role": role},
            )
        version += 1
    overdue = _section(_page(mediator_client), "overdue-cases")
    assert "continuing with consent" in overdue


def test_dashboard_lists_payments_due_within_a_week(database, mediator_client):
    # Agreed 10 000 yuan in two instalments: 5 000 at signing + 7 days, 5 000 at + 30 days.
    make_case(database, state="ensuring_performance", today=_days_ago(3))
    make_case(database, state="ensuring_performance", today=_days_ago(20))
    make_case(database, state="ensuring_performance", today=clock.today() - timedelta(days=-5))
    page = _page(mediator_client)
    due = _section(page, "due-this-week")
    rows = re.findall(r'<tr data-case="([^"]+)" data-due-on="([^"]+)" data-seq="(\d)"', due)
    assert [(due_on, seq) for _n, due_on, seq in rows] == [
        (_days_ago(13).isoformat(), "1"),
        ((clock.today() + timedelta(days=4)).isoformat(), "1"),
    ]
    assert '<div class="small text-danger fw-semibold">13 days late</div>' in due
    assert '<div class="small text-muted">due in 4 days</div>' in due
    assert due.count(' class="table-danger"') == 1
    assert due.count("5000.00") == 2


def test_dashboard_shows_what_is_still_owed_after_a_part_payment(database, mediator_client):
    case_id, version = make_case(database, state="ensuring_performance", today=_days_ago(1))
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_payment",
            expected_version=version,
            actor=Actor(None, "测试调解员"),
            data={"amount_fen": 120_000},
        )
    due = _section(_page(mediator_client), "due-this-week")
    assert '<td class="num outstanding">3800.00' in due
    assert "of 5000.00" in due


def test_dashboard_lists_recently_changed_cases(database, mediator_client):
    first, version = make_case(database)
    second = add_case(database)
    with database.writing() as session:
        advance(
            session,
            case_id=first,
            action="accept",
            expected_version=version,
            actor=Actor(None, "测试调解员"),
        )
    recent = _section(_page(mediator_client), "recent-cases")
    numbers = re.findall(r'data-case="([^"]+)"', recent)
    assert numbers[1] == second
    assert len(numbers) == 2
    assert "Finding the crux" in recent


def test_empty_dashboard(mediator_client):
    page = _page(mediator_client)
    assert 'id="no-overdue"' in page
    assert 'id="nothing-due"' in page
    assert "0 in all" in page


@pytest.mark.parametrize("role", ["lawyer", "supervisor", "admin"])
def test_dashboard_is_forbidden_to_other_roles(client, make_user, login, role):
    login(make_user(role))
    assert client.get(URL).status_code == 403


def test_dashboard_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_mediator_lands_on_the_dashboard_after_login(client, make_user, login):
    login(make_user("mediator"))
    response = client.get("/")
    assert response.location == "/m/"


def _add_cases(database, count: int) -> None:
    for i in range(count):
        if i % 3 == 0:
            make_case(database, state="ensuring_performance", today=_days_ago(i % 7))
        elif i % 3 == 1:
            add_case(database, received_on=_days_ago(16 + i))
        else:
            add_case(database, received_on=_days_ago(i % 10))


def test_dashboard_queries_do_not_grow_with_the_cases(app, database, mediator_client):
    engine = get_database(app).engine
    _add_cases(database, 3)
    with counting_queries(engine) as few:
        page = _page(mediator_client)
    assert _count(page, "overdue") == 1
    _add_cases(database, 27)
    with counting_queries(engine) as many:
        page = _page(mediator_client)
    assert _count(page, "overdue") == 10
    assert len(re.findall(r"data-due-on=", _section(page, "due-this-week"))) == 10
    assert len(many) == len(few), (few, many)
