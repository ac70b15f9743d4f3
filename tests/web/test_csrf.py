"""Every POST route refuses a request without a valid CSRF token, and writes nothing.

The routes come from the URL map (see test_access_matrix), so a POST route added later is
covered without editing this file.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from mediation.tables import CASE, EVENT, ORGANIZATION, TOWN, USER, ZONE
from mediation.web.access import PUBLIC, policy_of
from tests.web.test_access_matrix import (
    build_world,
    routes,
    send,
    url_of,
    visit,
)

#: Whom to send: the first visitor of this list the route's policy allows. Public routes
#: get a logged-in user, so that a write to the user's row (the language) would show.
PREFERRED = ("mediator", "lawyer", "supervisor", "admin")


def snapshot(database: Any) -> dict[str, Any]:
    """What a refused request must leave as it was."""
    with database.engine.connect() as connection:
        return {
            "events": connection.execute(select(func.count()).select_from(EVENT)).scalar_one(),
            "users": connection.execute(
                select(
                    USER.c.id,
                    USER.c.active,
                    USER.c.session_epoch,
                    USER.c.locale,
                    USER.c.password_hash,
                    USER.c.role,
                ).order_by(USER.c.id)
            ).all(),
            "cases": connection.execute(
                select(CASE.c.id, CASE.c.state, CASE.c.version).order_by(CASE.c.id)
            ).all(),
            "places": [
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (ORGANIZATION, TOWN, ZONE)
            ],
        }


def visitor_for(app: Flask, endpoint: str) -> str:
    """Return a visitor the endpoint's policy lets through."""
    policy = policy_of(app.view_functions[endpoint])
    if policy == PUBLIC:
        return PREFERRED[0]
    assert policy is not None
    return next(v for v in PREFERRED if v in policy)


@pytest.mark.parametrize("token", ["missing", "forged"])
def test_every_post_without_a_valid_csrf_token_is_refused(app, database, make_user, token):
    world = build_world(database, make_user)
    post_rules = [rule for rule in routes(app) if "POST" in (rule.methods or ())]
    assert post_rules, "the URL map has no POST route at all?"
    problems = []
    for rule in post_rules:
        url = url_of(rule, world)
        visitor = visitor_for(app, rule.endpoint)
        client = visit(app, visitor, world)
        before = snapshot(database)
        if token == "missing":
            response = send(client, "POST", url, with_token=False)
        else:
            response = client.post(url, data={"csrf_token": "forged-token", "locale": "en"})
        if response.status_code != 400:
            problems.append(f"POST {url} as {visitor}: {response.status_code}, not 400")
        if snapshot(database) != before:
            problems.append(f"POST {url} as {visitor}: wrote to the database")
    assert not problems, "\n".join(problems)


def test_a_refused_post_says_why(app, database, make_user):
    world = build_world(database, make_user)
    client = visit(app, "mediator", world)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/logout")
    assert response.status_code == 400
    assert "The form has expired or was not sent from this site." in response.get_data(as_text=True)
    # Still logged in: the refused logout did nothing.
    assert client.get("/overview").status_code == 200
