"""The mediator's pages send a fixed number of SQL statements, however much there is to show.

A page that runs one query per row (an "N+1") is fast in a test with three cases and slow at
a district union with thousands. Each test here counts the statements one request sends —
with a ``before_cursor_execute`` listener on the application's engine — once with a little
data and once with much more, and asserts the counts are equal: for the case list (plain,
filtered, searched) and the dashboard with 3 and with 30 cases, and for the case page of two
cases in the same state, one with a short and one with a long event timeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from mediation import clock
from mediation.app import get_database
from mediation.audit.chain import Actor
from mediation.cases.models import Case
from mediation.cases.service import advance
from mediation.db import Database, Prebuilt
from mediation.people.models import User
from tests.factories import make_case

#: What a case list or dashboard row links to; counted to prove the bigger page shows more.
_CASE_LINK = re.compile(r'href="/m/cases/([^"/?]+)"')
#: The statements of a page, by the rows the pages show per screen (sanity bound).
MAX_STATEMENTS = 30


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the application sends inside the block.

    Both SQLAlchemy's (seen by its engine events) and those run straight on the driver by
    :class:`mediation.db.Prebuilt`, which no engine event sees.
    """
    statements: list[str] = []
    engine = get_database(app).engine

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        statements.append(statement)

    run_prebuilt = Prebuilt.execute

    def record_prebuilt(self: Prebuilt, statement: Any, parameters: Any = None) -> Any:
        statements.append(str(statement))
        return run_prebuilt(self, statement, parameters)

    event.listen(engine, "before_cursor_execute", record)
    Prebuilt.execute = record_prebuilt  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        Prebuilt.execute = run_prebuilt  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", record)


def statements_of(app: Flask, client: FlaskClient, url: str) -> list[str]:
    """Request ``url`` twice (the first warms caches up) and return the second's statements."""
    assert client.get(url).status_code == 200
    with counting(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statements


def _explain(small: list[str], large: list[str]) -> str:
    extra = large[len(small) :] if len(large) > len(small) else small[len(large) :]
    shown = "\n  ".join(s.split("\n")[0][:160] for s in extra[:5])
    return f"{len(small)} statements with little data, {len(large)} with more; extra:\n  {shown}"


def _case_numbers(html: str) -> set[str]:
    return {n for n in _CASE_LINK.findall(html) if n != "new"}


@pytest.fixture
def mediator(make_user: Callable[..., User], login: Callable[[User], FlaskClient]) -> User:
    """A mediator of the organisation the factories put cases in, logged in."""
    user = make_user("mediator")
    login(user)
    return user


def add_cases(database: Database, rounds: int, today: date) -> None:
    """Add ``rounds`` × 3 cases: one overdue, one being performed (a payment due), one closed."""
    for _ in range(rounds):
        make_case(database, state="finding_crux", received_on=today - timedelta(days=20))
        make_case(database, state="ensuring_performance", today=today)
        make_case(database, state="closed", today=today)


@pytest.mark.parametrize(
    "url",
    [
        "/m/cases",
        "/m/cases?state=ensuring_performance",
        "/m/cases?q=%E5%BC%A0%E4%BC%9F",  # 张伟, the worker of every case
        "/m/",
    ],
    ids=["case_list", "case_list_filtered", "case_list_searched", "dashboard"],
)
def test_list_and_dashboard_send_as_many_statements_for_30_cases_as_for_3(
    app: Flask, database: Database, client: FlaskClient, mediator: User, url: str
) -> None:
    today = clock.today()
    add_cases(database, rounds=1, today=today)
    small = statements_of(app, client, url)
    shown_small = _case_numbers(client.get(url).get_data(as_text=True))

    add_cases(database, rounds=9, today=today)
    large = statements_of(app, client, url)
    shown_large = _case_numbers(client.get(url).get_data(as_text=True))

    assert len(shown_large) > len(shown_small), "the page should show more cases with more data"
    assert len(small) == len(large), _explain(small, large)
    assert len(large) <= MAX_STATEMENTS


def _lengthen(database: Database, case_id: int, version: int, actions: list[Any]) -> int:
    actor = Actor(None, "测试调解员")
    for action, data in actions:
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=actor,
                data=data,
                today=clock.today(),
            )
        version += 1
    return version


def _number(database: Database, case_id: int) -> str:
    with database.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.number


def _events(html: str) -> int:
    return html.count('class="event"')


@pytest.mark.parametrize("state", ["seizing_opening", "ensuring_performance"])
def test_case_page_sends_as_many_statements_for_a_long_timeline_as_for_a_short_one(
    app: Flask, database: Database, client: FlaskClient, mediator: User, state: str
) -> None:
    today = clock.today()
    short_id, _ = make_case(database, state=state, today=today)
    long_id, version = make_case(database, state=state, today=today)
    if state == "seizing_opening":
        extra: list[Any] = []
        for i in range(6):
            extra += [
                ("record_joint_session", {"held_on": today, "notes": f"第{i + 1}次联合调解"}),
                ("log_offer", {"by_role": "employer", "amount_fen": 500_000 + 10_000 * i}),
                ("log_offer", {"by_role": "worker", "amount_fen": 1_100_000 - 10_000 * i}),
            ]
    else:
        # Ten partial payments of the 10,000-yuan agreement (each 100 yuan).
        extra = [
            ("record_payment", {"amount_fen": 10_000, "method": "cash", "receipt_ref": f"R{i}"})
            for i in range(10)
        ]
    _lengthen(database, long_id, version, extra)
    short_url = f"/m/cases/{_number(database, short_id)}"
    long_url = f"/m/cases/{_number(database, long_id)}"

    short = statements_of(app, client, short_url)
    long = statements_of(app, client, long_url)

    short_events = _events(client.get(short_url).get_data(as_text=True))
    long_events = _events(client.get(long_url).get_data(as_text=True))
    assert long_events >= short_events + len(extra), (short_events, long_events)
    assert len(short) == len(long), _explain(short, long)
    assert len(long) <= MAX_STATEMENTS
