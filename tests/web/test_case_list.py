"""The mediator's case list: filters, search, pages, masking and scope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mediation import clock
from mediation.app import get_database
from mediation.web.mediator import case_list
from tests.factories import make_case
from tests.mediation.test_queries import OTHER, add_case

URL = "/m/cases"
EN = {"Accept-Language": "en"}


@contextmanager
def counting_queries(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements sent through ``engine`` inside the block."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def mediator_client(client, make_user, login):
    login(make_user("mediator"))
    return client


def _shown(client, query: str = "") -> list[str]:
    response = client.get(f"{URL}{query}", headers=EN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.findall(r'<tr data-case="([^"]+)"', response.get_data(as_text=True))


def _days_ago(n: int):
    return clock.today() - timedelta(days=n)


def test_case_list_shows_the_columns_with_masked_id_and_case_links(database, mediator_client):
    number = add_case(database, received_on=_days_ago(2), worker="李娜", category="overtime")
    response = mediator_client.get(URL, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/m/cases/{number}"' in page
    assert _days_ago(2).isoformat() in page
    assert "李娜" in page
    assert "110105********002X" in page
    assert "11010519491231002X" not in page
    assert "北京兴旺建筑工程有限公司" in page
    assert "Overtime pay" in page
    assert '<td class="num d-none d-md-table-cell claimed">12000.00</td>' in page
    assert "Registered" in page
    assert 'data-days-left="13"' in page
    assert 'data-total="1"' in page


def test_case_list_marks_overdue_cases_with_days_over(database, mediator_client):
    add_case(database, received_on=_days_ago(18))
    page = mediator_client.get(URL, headers=EN).get_data(as_text=True)
    assert 'data-overdue-days="3"' in page
    assert "Overdue by 3 days" in page


def test_case_list_never_shows_another_organisations_cases(database, mediator_client):
    mine = add_case(database)
    theirs = add_case(database, organization=OTHER, worker="外单位劳动者")
    assert _shown(mediator_client) == [mine]
    assert _shown(mediator_client, "?q=外单位") == []
    assert _shown(mediator_client, f"?q={theirs}") == []


def test_mediator_of_the_other_organisation_sees_only_its_cases(database, client, make_user, login):
    add_case(database)
    theirs = add_case(database, organization=OTHER)
    login(make_user("mediator", organization=OTHER))
    assert _shown(client) == [theirs]


def test_case_list_filters_by_state(database, mediator_client):
    registered = add_case(database)
    make_case(database, state="finding_crux")
    shown = _shown(mediator_client, "?state=registered")
    assert shown == [registered]
    assert len(_shown(mediator_client, "?state=finding_crux")) == 1
    assert _shown(mediator_client, "?state=closed") == []


def test_case_list_filters_by_town(database, mediator_client):
    home = add_case(database)
    away = add_case(database, town="庞各庄镇")
    page = mediator_client.get(URL, headers=EN).get_data(as_text=True)
    town_id = re.search(r'<option value="(\d+)">庞各庄镇</option>', page).group(1)
    assert _shown(mediator_client, f"?town={town_id}") == [away]
    assert home not in _shown(mediator_client, f"?town={town_id}")
    assert f'<option value="{town_id}" selected>庞各庄镇' in mediator_client.get(
        f"{URL}?town={town_id}"
    ).get_data(as_text=True)


def test_case_list_filters_by_category(database, mediator_client):
    add_case(database)
    injury = add_case(database, category="injury")
    assert _shown(mediator_client, "?category=injury") == [injury]


def test_case_list_filters_overdue_yes_and_no(database, mediator_client):
    late = add_case(database, received_on=_days_ago(16))
    fresh = add_case(database, received_on=_days_ago(15))
    assert _shown(mediator_client, "?overdue=yes") == [late]
    assert _shown(mediator_client, "?overdue=no") == [fresh]


def test_case_list_filters_received_between_two_dates(database, mediator_client):
    add_case(database, received_on=_days_ago(30))
    middle = add_case(database, received_on=_days_ago(20))
    add_case(database, received_on=_days_ago(10))
    query = f"?received_from={_days_ago(25).isoformat()}&received_to={_days_ago(20).isoformat()}"
    assert _shown(mediator_client, query) == [middle]
    assert len(_shown(mediator_client, f"?received_from={_days_ago(20).isoformat()}")) == 2
    assert len(_shown(mediator_client, f"?received_to={_days_ago(20).isoformat()}")) == 2


def test_case_list_empty_filter_values_mean_no_filter(database, mediator_client):
    add_case(database)
    query = "?q=&state=&town=&category=&overdue=&received_from=&received_to=&page="
    assert len(_shown(mediator_client, query)) == 1


def test_case_list_searches_by_case_number(database, mediator_client):
    first = add_case(database, received_on=_days_ago(1))
    add_case(database)
    assert _shown(mediator_client, f"?q={first}") == [first]
    assert _shown(mediator_client, f"?q={first.lower()}") == [first]


def test_case_list_searches_by_worker_or_employer_name(database, mediator_client):
    by_worker = add_case(database, worker="李娜", received_on=_days_ago(1))
    by_employer = add_case(database, worker="王芳", employer="北京顺达物流有限公司")
    assert _shown(mediator_client, "?q=李娜") == [by_worker]
    assert _shown(mediator_client, "?q=顺达") == [by_employer]
    assert _shown(mediator_client, "?q=没有这个人") == []


def test_case_list_paginates_and_page_links_keep_the_filters(
    database, mediator_client, monkeypatch
):
    monkeypatch.setattr(case_list, "PER_PAGE", 2)
    numbers = [add_case(database, received_on=_days_ago(i), worker="李娜") for i in range(5)]
    add_case(database, worker="王芳")
    assert _shown(mediator_client, "?q=李娜") == numbers[:2]
    assert _shown(mediator_client, "?q=李娜&page=2") == numbers[2:4]
    assert _shown(mediator_client, "?q=李娜&page=3") == numbers[4:]
    assert _shown(mediator_client, "?q=李娜&page=9") == numbers[4:]
    page = mediator_client.get(f"{URL}?q=李娜&state=registered", headers=EN).get_data(as_text=True)
    next_link = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', page).group(1)
    assert "page=2" in next_link
    assert "q=%E6%9D%8E%E5%A8%9C" in next_link
    assert "state=registered" in next_link
    last_link = re.search(r'<a class="page-link" href="([^"]+)">3</a>', page).group(1)
    assert "q=%E6%9D%8E%E5%A8%9C" in last_link
    assert "page=3" in last_link
    assert "Cases 1–2 of 5" in page


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("state=bogus", "state"),
        ("town=abc", "town"),
        ("town=-1", "town"),
        ("category=zz", "category"),
        ("overdue=maybe", "overdue"),
        ("received_from=2026-13-01", "received_from"),
        ("received_to=20260101", "received_to"),
        ("received_from=2026-03-02&received_to=2026-03-01", "received_from"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_case_list_bad_parameter_is_400_naming_it(mediator_client, query, name):
    response = mediator_client.get(f"{URL}?{query}", headers=EN)
    assert response.status_code == 400
    assert f"“{name}”" in response.get_data(as_text=True)


def test_case_list_bad_parameter_value_is_escaped(mediator_client):
    response = mediator_client.get(f"{URL}?state=<script>alert(1)</script>", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize("role", ["lawyer", "supervisor", "admin"])
def test_case_list_is_forbidden_to_other_roles(client, make_user, login, role):
    login(make_user(role))
    assert client.get(URL).status_code == 403


def test_case_list_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.location.startswith("/login")


def _add_mixed_cases(database, count: int) -> None:
    for i in range(count):
        if i % 3 == 0:
            make_case(database, state="finding_crux", received_on=_days_ago(20 + i))
        else:
            add_case(database, received_on=_days_ago(i), worker=f"李娜{i}")


def test_case_list_queries_do_not_grow_with_the_cases(app, database, mediator_client):
    engine = get_database(app).engine
    _add_mixed_cases(database, 3)
    with counting_queries(engine) as few:
        assert len(_shown(mediator_client, "?page=1")) == 3
    _add_mixed_cases(database, 27)
    with counting_queries(engine) as many:
        assert len(_shown(mediator_client, "?page=1")) == 25
    assert len(many) == len(few), (few, many)
    with counting_queries(engine) as searched:
        assert len(_shown(mediator_client, "?q=李娜&overdue=no")) == 12
    assert len(searched) == len(few)


@pytest.mark.parametrize(
    "kept",
    [
        {},
        {"state": "closed"},
        {"q": "张伟 & 李娜/100%?#", "state": "registered", "town": "3"},
        {"q": "a+b=c;d'e\"f<g>", "received_from": "2026-01-01", "received_to": "2026-02-01"},
    ],
)
def test_page_links_are_what_url_for_would_write(app, kept):
    with app.test_request_context("/m/cases"):
        page_url = case_list.list_url_builder(kept)
        for number in (1, 2, 40):
            assert page_url(number) == url_for("mediator.case_list", **kept, page=number)


@pytest.mark.parametrize("number", ["DX-2026-00042", "DX 2026/00042", "案-1?x=1#2", "a%b&c'd"])
def test_case_links_are_what_url_for_would_write(app, number):
    with app.test_request_context("/m/cases"):
        assert case_list.case_url_builder()(number) == url_for("mediator.case_page", number=number)
        assert case_list.case_url(number) == url_for("mediator.case_page", number=number)
