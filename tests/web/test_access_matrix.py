"""Who may open what: every route of the URL map × every kind of visitor.

The routes come from ``app.url_map``, so a route added later is checked without anyone
editing this file — unless it takes a URL parameter this file does not know yet: then the
test fails and asks for a line in ``PARAMETERS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlmodel import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from mediation import clock
from mediation.app import create_app, get_database
from mediation.assignments.lawyers import create_firm, save_lawyer
from mediation.assignments.service import request_help
from mediation.audit.chain import Actor
from mediation.cases.enums import Role
from mediation.cases.models import Case
from mediation.people.models import Town, User
from mediation.tables import DOCUMENT
from mediation.web.access import PUBLIC, allow, policy_of
from tests.factories import STUB_PDF, ensure_organization, make_case
from tests.web.conftest import PASSWORD, csrf_token

#: Endpoints that serve files and need no policy.
EXEMPT = frozenset({"static", "bootstrap.static"})

#: Who knocks: anonymous, one user of each role, a mediator of another organisation and a
#: volunteer lawyer of another zone.
VISITORS = (
    "anonymous",
    "mediator",
    "other_mediator",
    "lawyer",
    "other_lawyer",
    "supervisor",
    "admin",
)
ROLE_OF = {
    "mediator": Role.MEDIATOR.value,
    "other_mediator": Role.MEDIATOR.value,
    "lawyer": Role.LAWYER.value,
    "other_lawyer": Role.LAWYER.value,
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
    #: Legal help asked for on the case: open in the pool of the lawyer's zone.
    assignment_id: int = 0
    firm_id: int = 0
    #: A supervisor's audit sample of a settled case, its review (a discrepancy) and a
    #: correction request of that case (mediation.supervision).
    sample_id: int = 0
    sampled_case_id: int = 0
    review_id: int = 0
    correction_id: int = 0


#: URL parameter name → its value in the world. A route with a parameter not listed here
#: fails the matrix until one is added.
PARAMETERS: dict[str, Callable[[World], object]] = {
    "number": lambda w: w.case_number,  # a case of the first organisation
    "action": lambda w: "accept",
    "user_id": lambda w: w.target_user_id,  # a user nobody logs in as
    "organization_id": lambda w: w.organization_id,
    "town_id": lambda w: w.town_id,
    "zone_id": lambda w: w.zone_id,
    "assignment_id": lambda w: w.assignment_id,  # open in the lawyer's pool
    "firm_id": lambda w: w.firm_id,
    "lawyer_id": lambda w: w.users["lawyer"].id,
    # An issued document of the case (see _issued_document), to download and to verify.
    "kind": lambda w: "agreement",
    "version": lambda w: 1,
    "document": lambda w: f"{w.case_number}-XY",  # its number, on the public verify page
    # The supervisors' records (see _supervision).
    "sample_id": lambda w: w.sample_id,
    "case_id": lambda w: w.sampled_case_id,
    "review_id": lambda w: w.review_id,
    "correction_id": lambda w: w.correction_id,
    # A party of the case, whose full numbers a mediator may ask to see.
    "role": lambda w: "worker",
}

#: Parameters that name a case: a mediator of another organisation gets 404 there.
CASE_PARAMETERS = frozenset({"number"})

#: Parameters that name a legal-help assignment: a lawyer of another zone gets 404 there.
ASSIGNMENT_PARAMETERS = frozenset({"assignment_id"})

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
        "other_lawyer": make_user("lawyer", username="other.lawyer"),
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
    _issued_document(database, case_id, number)
    firm_id, assignment_id = _legal_help(database, users["lawyer"], case_id, zone_id)
    sample_id, sampled_case_id, review_id, correction_id = _supervision(database, users)
    return World(
        users,
        number,
        organization_id,
        town_id,
        zone_id,
        target.id,
        assignment_id,
        firm_id,
        sample_id,
        sampled_case_id,
        review_id,
        correction_id,
    )


def _supervision(database: Any, users: dict[str, User]) -> tuple[int, int, int, int]:
    """A settled case, sampled and reviewed (a discrepancy), with a correction request."""
    from mediation.supervision import corrections, reviews

    settled_id, _version = make_case(database, state="ensuring_performance")
    supervisor = Actor(users["supervisor"].id, users["supervisor"].username)
    mediator = Actor(users["mediator"].id, users["mediator"].username)
    today = clock.today()
    with database.writing() as session:
        sample_id = reviews.draw_sample(
            session, date_from=today, date_to=today, size=1, seed=1, actor=supervisor
        )
        review_id = reviews.record_review(
            session,
            sample_id=sample_id,
            case_id=settled_id,
            result="discrepancy",
            note="矩阵",
            actor=supervisor,
        )
        correction_id = corrections.request_correction(
            session,
            case_id=settled_id,
            terms=[900_000],
            instalments=[450_000, 450_000],
            reason="矩阵",
            actor=mediator,
        )
    return sample_id, settled_id, review_id, correction_id


def _issued_document(database: Any, case_id: int, number: str) -> None:
    """Store a document of the case, as issued (a stand-in file: access is under test here)."""
    with database.writing() as session:
        session.execute(
            insert(DOCUMENT).values(
                case_id=case_id,
                kind="agreement",
                number=f"{number}-XY",
                version=1,
                sha256=hashlib.sha256(STUB_PDF).hexdigest(),
                media_type="application/pdf",
                issued_by_id=None,
                issued_at=clock.utcnow(),
                content=STUB_PDF,
            )
        )


def _legal_help(database: Any, lawyer: User, case_id: int, zone_id: int) -> tuple[int, int]:
    """Make the lawyer serve the case's zone and ask for legal help on the case."""
    with database.writing() as session:
        firm = create_firm(session, name="矩阵律师事务所", actor=Actor(None, "matrix"))
        assert firm.id is not None and lawyer.id is not None
        save_lawyer(
            session,
            user_id=lawyer.id,
            firm_id=firm.id,
            zone_ids=[zone_id],
            practice_notes="",
            active=True,
            availability="available",
            actor=Actor(None, "matrix"),
        )
        change = request_help(
            session,
            case_id=case_id,
            kind="consultation",
            needed="矩阵",
            due_on=clock.today(),
            actor=Actor(None, "matrix"),
        )
    return firm.id, change.assignment_id


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


def is_assignment_url(rule: Rule) -> bool:
    """Tell whether the rule names a legal-help assignment."""
    return bool(ASSIGNMENT_PARAMETERS & set(rule.arguments))


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
        # A URL that names an object does not tell another role whether it exists.
        refused = 404 if rule.arguments else 403
        return (
            None if status == refused else f"got {status}, not {refused} (policy {sorted(policy)})"
        )
    if visitor == "other_mediator" and is_case_url(rule):
        return None if status == 404 else f"another organisation's case answered {status}, not 404"
    if visitor == "other_lawyer" and is_assignment_url(rule):
        return None if status == 404 else f"another zone's assignment answered {status}, not 404"
    if visitor == "lawyer" and is_assignment_url(rule) and status == 404:
        return "the assignment in the lawyer's own pool answered 404: is PARAMETERS right?"
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
