"""Who may open what: every route of the URL map × every kind of visitor.

The routes come from ``app.url_map``, so a route added later is checked without anyone
editing this file — unless it takes a URL parameter this file does not know yet: then the
test fails and asks for a line in ``PARAMETERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from mediation.app import create_app, get_database
from mediation.cases.enums import Role
from mediation.cases.models import Case
from mediation.people.models import Town, User
from mediation.web.access import PUBLIC, allow, policy_of
from tests.factories import ensure_organization, make_case
from tests.web.conftest import PASSWORD, csrf_token

#: Endpoints that serve files and need no policy.
EXEMPT = frozenset({"static", "bootstrap.static"})

#: Who knocks: anonymous, one user of each role, and a mediator of another organisation.
VISITORS = ("anonymous", "mediator", "other_mediator", "lawyer", "supervisor", "admin")
ROLE_OF = {
    "mediator": Role.MEDIATOR.value,
    "other_mediator": Role.MEDIATOR.value,
    "lawyer": Role.LAWYER.value,
    "supervisor": Role.SUPERVISOR.value,
    "admin": Role.ADMIN.value,
}

#: The other mediator's organisation: it sees none of the first organisation's cases.
OTHER_ORGANIZATION = "礼贤镇调解中心"


@dataclass(frozen=True)
class World:
    """What the requests refer to: users of every kind and the rows named in URLs."""

    users: dict[str, User]
    case_number: str
    organization_id: int
    town_id: int
    zone_id: int
    target_user_id: int


#: URL parameter name → its value in the world. A route with a parameter not listed here
#: fails the matrix until one is added.
PARAMETERS: dict[str, Callable[[World], object]] = {
    "number": lambda w: w.case_number,  # a case of the first organisation
    "action": lambda w: "accept",
    "user_id": lambda w: w.target_user_id,  # a user nobody logs in as
    "organization_id": lambda w: w.organization_id,
    "town_id": lambda w: w.town_id,
    "zone_id": lambda w: w.zone_id,
}

#: Parameters that name a case: a mediator of another organisation gets 404 there.
CASE_PARAMETERS = frozenset({"number"})

#: Endpoints that send an allowed user to the login page on purpose.
ENDS_SESSION = frozenset({"auth.logout"})


def build_world(database: Any, make_user: Callable[..., User]) -> World:
    """Create the users and the case the matrix requests refer to."""
    case_id, _version = make_case(database)
    organization_id, town_id = ensure_organization(database)
    users = {
        "mediator": make_user("mediator"),
        "other_mediator": make_user("mediator", organization=OTHER_ORGANIZATION),
        "lawyer": make_user("lawyer"),
        "supervisor": make_user("supervisor"),
        "admin": make_user("admin"),
    }
    target = make_user("mediator", username="matrix.target")
    with Session(database.engine) as session:
        number = session.execute(select(Case.number).where(Case.id == case_id)).scalar_one()
        town = session.get(Town, town_id)
        assert town is not None and town.zone_id is not None
        zone_id = town.zone_id
    assert target.id is not None
    return World(users, number, organization_id, town_id, zone_id, target.id)


def routes(app: Flask) -> list[Rule]:
    """Every rule of the URL map with a policy to check, in a stable order."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint not in EXEMPT),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def methods(rule: Rule) -> list[str]:
    """The methods the matrix sends to a rule: GET for GET rules, POST for POST rules."""
    return [m for m in ("GET", "POST") if m in (rule.methods or ())]


def url_of(rule: Rule, world: World) -> str:
    """Build the rule's URL with every parameter taken from ``PARAMETERS``."""
    unknown = sorted(set(rule.arguments) - set(PARAMETERS))
    if unknown:
        pytest.fail(
            f"route {rule.rule} ({rule.endpoint}) takes {', '.join(unknown)}, which the access "
            "matrix does not know: add it to PARAMETERS in tests/web/test_access_matrix.py"
        )
    built = rule.build({name: PARAMETERS[name](world) for name in rule.arguments})
    assert built is not None, rule.rule
    return built[1]


def is_case_url(rule: Rule) -> bool:
    """Tell whether the rule names a case."""
    return bool(CASE_PARAMETERS & set(rule.arguments))


def visit(app: Flask, visitor: str, world: World) -> FlaskClient:
    """A fresh browser, logged in as the visitor (or not, for ``anonymous``)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if visitor != "anonymous":
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login",
            data={
                "username": world.users[visitor].username,
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 302, f"{visitor} could not log in"
    return client


def send(client: FlaskClient, method: str, url: str, *, with_token: bool = True) -> TestResponse:
    """GET the URL, or POST to it with (or without) a valid CSRF token of this session."""
    if method == "GET":
        return client.get(url)
    data = {}
    if with_token:
        data["csrf_token"] = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(url, data=data)


def problem(app: Flask, rule: Rule, visitor: str, response: TestResponse) -> str | None:
    """Say what is wrong with the response to a visitor, or None if it is as it should be."""
    policy = policy_of(app.view_functions[rule.endpoint])
    status = response.status_code
    to_login = status in (301, 302, 303, 307) and (response.location or "").startswith("/login")
    if status >= 500:
        return f"server error {status}"
    if policy == PUBLIC:
        return f"public page answered {status}" if status in (401, 403) else None
    assert policy is not None
    if visitor == "anonymous":
        return None if to_login else f"anonymous got {status}, not a redirect to the login page"
    if ROLE_OF[visitor] not in policy:
        return None if status == 403 else f"got {status}, not 403 (policy {sorted(policy)})"
    if visitor == "other_mediator" and is_case_url(rule):
        return None if status == 404 else f"another organisation's case answered {status}, not 404"
    if visitor == "mediator" and is_case_url(rule) and status == 404:
        # Otherwise the other mediator's 404 could come from a wrong parameter, not the scope.
        return "the organisation's own case answered 404: is PARAMETERS right for this route?"
    if status in (401, 403):
        return f"allowed role refused with {status}"
    if to_login and rule.endpoint not in ENDS_SESSION:
        return "allowed role sent to the login page"
    return None


# --------------------------------------------------------------------------- policies


def undeclared(app: Flask) -> list[str]:
    """Return the endpoints without an access policy."""
    return sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in EXEMPT and policy_of(view) is None
    )


@pytest.fixture(scope="module")
def bare_app() -> Iterator[Flask]:
    """The application on a throwaway database: enough to read its URL map."""
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    yield app
    get_database(app).dispose()


def test_every_endpoint_declares_its_policy(bare_app):
    missing = undeclared(bare_app)
    assert not missing, (
        "these endpoints have no access policy; decorate each view with @allow(Role.…) or "
        f"@public (mediation/web/access.py): {', '.join(missing)}"
    )


def test_every_policy_names_real_roles(bare_app):
    roles = {r.value for r in Role}
    for endpoint, view in bare_app.view_functions.items():
        policy = policy_of(view)
        if endpoint in EXEMPT or policy == PUBLIC:
            continue
        assert policy and policy <= roles, endpoint


def test_a_route_without_policy_is_caught():
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})

    @app.get("/forgotten")
    def forgotten() -> str:
        return "no policy"

    @app.get("/remembered")
    @allow(Role.ADMIN)
    def remembered() -> str:
        return "admin only"

    assert undeclared(app) == ["forgotten"]
    get_database(app).dispose()


def test_every_parameter_of_every_route_is_known(bare_app):
    unknown = {
        f"{rule.rule}: {name}"
        for rule in routes(bare_app)
        for name in rule.arguments
        if name not in PARAMETERS
    }
    assert not unknown, (
        "add these URL parameters to PARAMETERS in tests/web/test_access_matrix.py: "
        + ", ".join(sorted(unknown))
    )


# --------------------------------------------------------------------------- the matrix


@pytest.mark.parametrize("visitor", VISITORS)
def test_access_matrix(app, database, make_user, visitor):
    world = build_world(database, make_user)
    problems = []
    for rule in routes(app):
        url = url_of(rule, world)
        for method in methods(rule):
            # A fresh login per request: a POST (logout, a password change) may end it.
            client = visit(app, visitor, world)
            response = send(client, method, url)
            found = problem(app, rule, visitor, response)
            if found:
                problems.append(f"{method} {url} [{rule.endpoint}] as {visitor}: {found}")
    assert not problems, "\n".join(problems)
