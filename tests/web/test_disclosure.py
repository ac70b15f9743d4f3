"""Showing a party's full numbers from the case page: with a reason, logged, never cached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from mediation.audit.chain import Actor
from mediation.db import Database
from mediation.tables import EVENT
from tests.factories import EMPLOYER, WORKER
from tests.web.conftest import csrf_token
from tests.web.test_case_actions import drive, page


@pytest.fixture
def mediator(make_user: Callable[..., Any], login: Callable[..., FlaskClient]) -> Any:
    user = make_user("mediator")
    login(user)
    return user


def reveal(client: FlaskClient, number: str, role: str, reason: str, html: str = "") -> Any:
    html = html or page(client, number)
    return client.post(
        f"/m/cases/{number}/parties/{role}/numbers",
        data={"reason": reason, "csrf_token": csrf_token(html)},
        headers={"Accept-Language": "en"},
    )


def events(database: Database, action: str | None = None) -> int:
    query = select(func.count()).select_from(EVENT)
    if action:
        query = query.where(EVENT.c.action == action)
    with database.read_session() as session:
        return int(session.execute(query).scalar_one())


def test_a_mediator_sees_the_full_numbers_once_and_the_case_logs_it(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "registered")
    html = page(client, number)
    assert 'id="reveal-worker"' in html and 'id="reveal-employer"' in html
    response = reveal(client, number, "worker", "Phone the worker about the hearing", html)
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    assert f'data-field="id_number">{WORKER.id_number}<' in shown
    assert f'data-field="phone">{WORKER.phone}<' in shown
    assert EMPLOYER.id_number not in shown
    assert "no-store" in response.headers["Cache-Control"]
    assert events(database, "reveal_numbers") == 1
    # Back on the case page the numbers are masked again, and the timeline says who saw them.
    again = page(client, number)
    assert WORKER.id_number not in again and WORKER.phone not in again
    assert 'data-action="reveal_numbers"' in again
    assert "Phone the worker about the hearing" in again


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, "bad\x00reason"])
def test_no_reason_no_numbers_and_nothing_logged(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor, reason: str
) -> None:
    _case_id, number = drive(database, actor, "registered")
    before = events(database)
    response = reveal(client, number, "worker", reason)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The full numbers were not shown" in body
    assert WORKER.id_number not in body and WORKER.phone not in body
    assert events(database) == before


def test_another_organisation_or_an_unknown_party_is_a_404(
    database: Database,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    actor: Actor,
) -> None:
    _case_id, number = drive(database, actor, "registered")
    own = make_user("mediator")
    login(own)
    html = page(client, number)
    assert reveal(client, number, "judge", "check", html).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    stranger = make_user("mediator", organization="西红门镇调解中心")
    login(stranger)
    token = csrf_token(client.get("/m/").get_data(as_text=True))
    response = client.post(
        f"/m/cases/{number}/parties/worker/numbers", data={"reason": "x", "csrf_token": token}
    )
    assert response.status_code == 404
    assert events(database, "reveal_numbers") == 0
