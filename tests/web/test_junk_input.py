"""Junk in any field of the intake form, the login form or the list filters never yields a 500."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mediation.tables import CASE
from tests.factories import ensure_organization
from tests.web.conftest import csrf_token
from tests.web.test_intake import valid_form

JUNK = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "'; DROP TABLE mediation_case; --",
            "1e99",
            "-0",
            "12.345",
            "NaN",
            "2026-02-30",
            "\x00\x01\x1b[31m",
            "９９９",
            "x" * 100_000,
            "",
        ]
    ),
)
INTAKE_FIELDS = sorted(k for k in valid_form(1) if k != "register")
LIST_PARAMETERS = [
    "q",
    "state",
    "town",
    "category",
    "overdue",
    "received_from",
    "received_to",
    "page",
]
QUICK = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _cases(database) -> int:
    with database.read_session() as session:
        return session.execute(select(func.count()).select_from(CASE)).scalar_one()


@QUICK
@given(field=st.sampled_from(INTAKE_FIELDS), junk=JUNK)
def test_intake_with_junk_in_one_field_never_fails_and_writes_at_most_a_valid_case(
    database, client, make_user, login, field, junk
):
    if not getattr(client, "_logged_in", False):
        login(make_user("mediator"))
        client._logged_in = True
    before = _cases(database)
    token = csrf_token(client.get("/m/cases/new").get_data(as_text=True))
    data = {**valid_form(_town_id(database)), field: junk, "csrf_token": token}
    response = client.post("/m/cases/new", data=data)
    assert response.status_code < 500
    if response.status_code != 302:
        assert _cases(database) == before


@QUICK
@given(parameter=st.sampled_from(LIST_PARAMETERS), junk=JUNK)
def test_case_list_with_junk_filter_is_never_a_server_error(
    client, make_user, login, parameter, junk
):
    if not getattr(client, "_logged_in", False):
        login(make_user("mediator"))
        client._logged_in = True
    response = client.get("/m/cases", query_string={parameter: junk})
    assert response.status_code in (200, 400)


@QUICK
@given(username=JUNK, password=JUNK)
def test_login_with_junk_is_refused_not_crashed(client, username, password):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code in (400, 401)


def _town_id(database) -> int:
    return ensure_organization(database)[1]
