"""Registering a dispute through the intake form."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from mediation import clock
from mediation.errors import InvalidInput
from mediation.people.sealing import open_party
from mediation.tables import CASE, CLAIM, EVENT, PARTY
from mediation.web.mediator import intake
from tests.factories import ensure_organization
from tests.web.conftest import csrf_token

URL = "/m/cases/new"
EN = {"Accept-Language": "en"}


def _today() -> date:
    return clock.today()


def valid_form(town_id: int, **changes: str) -> dict[str, str]:
    """A complete, valid intake form as the browser sends it."""
    data = {
        "worker-name": "李娜",
        "worker-id_number": "11010519491231002x",
        "worker-phone": "138 0013 8000",
        "worker-address": "北京市大兴区黄村镇",
        "worker-agent_name": "",
        "worker-agent_phone": "",
        "employer-name": "北京兴旺建筑工程有限公司",
        "employer-credit_code": "91350100M000100Y43",
        "employer-legal_representative": "王强",
        "employer-address": "北京市大兴区黄村镇兴华大街1号",
        "town": str(town_id),
        "category": "wages",
        "source": "hotline",
        "received_on": _today().isoformat(),
        "knew_on": (_today() - timedelta(days=30)).isoformat(),
        "summary": "拖欠三个月工资，多次催要未果。",
        "claims-0-category": "wages",
        "claims-0-amount": "12,000",
        "claims-0-description": "2025年10月至12月工资",
        "claims-1-category": "overtime",
        "claims-1-amount": "3500.5",
        "claims-1-description": "",
        "claims-2-category": "wages",
        "claims-2-amount": "",
        "claims-2-description": "",
        "register": "1",
    }
    data.update(changes)
    return data


@pytest.fixture
def mediator_client(client, make_user, login):
    login(make_user("mediator"))
    return client


@pytest.fixture
def town_id(database) -> int:
    return ensure_organization(database)[1]


def _post(client, data: dict[str, str]):
    token = csrf_token(client.get(URL).get_data(as_text=True))
    return client.post(URL, data={**data, "csrf_token": token}, headers=EN)


def _case_count(database) -> int:
    with database.read_session() as session:
        return session.execute(select(func.count()).select_from(CASE)).scalar_one()


def _field_error(page: str, name: str) -> str:
    match = re.search(rf'data-error-for="{re.escape(name)}">(.*?)</div>', page, re.S)
    assert match, f"no error shown for {name}"
    return match.group(1)


def test_intake_form_defaults_to_today_and_the_organisations_town(mediator_client, town_id):
    response = mediator_client.get(URL, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<option selected value="{town_id}">' in page
    assert f'value="{_today().isoformat()}"' in page
    assert page.count('class="row g-2 align-items-start pb-2 mb-2 border-bottom claim-row"') == 3
    assert 'value="import"' not in page
    assert 'name="csrf_token"' in page


def test_intake_registers_the_case_with_parties_and_claims(
    database, mediator_client, town_id, make_user
):
    response = _post(mediator_client, valid_form(town_id))
    assert response.status_code == 302, response.get_data(as_text=True)
    number = f"DX-{_today().year}-00001"
    assert response.location == f"/m/cases/{number}"
    with database.read_session() as session:
        case = session.execute(select(CASE).where(CASE.c.number == number)).one()
        parties = {
            p.role: p for p in session.execute(select(PARTY).where(PARTY.c.case_id == case.id))
        }
        claims = session.execute(
            select(CLAIM.c.category, CLAIM.c.amount_fen, CLAIM.c.description)
            .where(CLAIM.c.case_id == case.id)
            .order_by(CLAIM.c.id)
        ).all()
        events = session.execute(
            select(EVENT.c.action, EVENT.c.actor).where(EVENT.c.case_id == case.id)
        ).all()
    org_id, _ = ensure_organization(database)
    assert (case.state, case.organization_id, case.town_id) == ("registered", org_id, town_id)
    assert (case.category, case.source, case.claimed_fen) == ("wages", "hotline", 1_550_050)
    assert case.received_on == _today()
    assert case.knew_on == _today() - timedelta(days=30)
    assert case.mediator_id is not None
    assert case.summary == "拖欠三个月工资，多次催要未果。"
    # Stored sealed (mediation.people.sealing); opened here to compare.
    worker, employer = (
        SimpleNamespace(**open_party(case.id, role, parties[role]._mapping))
        for role in ("worker", "employer")
    )
    assert parties["worker"].id_number.startswith("v1.")
    assert (worker.name, worker.id_number, worker.phone) == (
        "李娜",
        "11010519491231002X",
        "13800138000",
    )
    assert (employer.name, employer.id_number, employer.legal_representative) == (
        "北京兴旺建筑工程有限公司",
        "91350100M000100Y43",
        "王强",
    )
    assert [tuple(c) for c in claims] == [
        ("wages", 1_200_000, "2025年10月至12月工资"),
        ("overtime", 350_050, ""),
    ]
    assert [e.action for e in events] == ["register"]
    assert events[0].actor.startswith("mediator")


def test_second_registration_gets_the_next_number(database, mediator_client, town_id):
    assert _post(mediator_client, valid_form(town_id)).status_code == 302
    response = _post(mediator_client, valid_form(town_id, **{"worker-name": "王芳"}))
    assert response.location == f"/m/cases/DX-{_today().year}-00002"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("worker-id_number", "110105194912310021", "resident ID"),
        ("worker-id_number", "", "resident ID"),
        ("employer-credit_code", "91350100M000100Y44", "credit code"),
        ("worker-phone", "12345", "phone number"),
        ("worker-agent_phone", "abc", "phone number"),
        ("claims-0-amount", "12.345", "at most two decimals"),
        ("claims-0-amount", "-5", "at most two decimals"),
        ("claims-0-amount", "1e99", "at most two decimals"),
        ("claims-0-amount", "0", "more than zero"),
        ("claims-0-amount", "9999999999999999", "too large"),
        ("worker-name", "", "worker's name"),
        ("worker-name", "   ", "worker's name"),
        ("employer-name", "", "employer's name"),
        ("summary", "", "Describe the dispute"),
        ("received_on", "2026-02-30", "Not a valid date"),
        ("received_on", "", "Enter the date"),
        ("knew_on", "yesterday", "Not a valid date"),
        ("town", "0", "town"),
        ("town", "abc", ""),
        ("category", "bogus", ""),
        ("source", "import", ""),
    ],
)
def test_intake_invalid_field_is_400_next_to_the_field_and_writes_nothing(
    database, mediator_client, town_id, name, value, message
):
    response = _post(mediator_client, valid_form(town_id, **{name: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in _field_error(page, name)
    assert 'id="form-errors"' in page
    assert _case_count(database) == 0


def test_intake_refuses_a_received_date_in_the_future(database, mediator_client, town_id):
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    response = _post(mediator_client, valid_form(town_id, received_on=tomorrow, knew_on=""))
    assert response.status_code == 400
    assert "future" in _field_error(response.get_data(as_text=True), "received_on")
    assert _case_count(database) == 0


def test_intake_refuses_a_knew_date_after_the_received_date(database, mediator_client, town_id):
    response = _post(
        mediator_client,
        valid_form(
            town_id,
            received_on=(_today() - timedelta(days=5)).isoformat(),
            knew_on=(_today() - timedelta(days=2)).isoformat(),
        ),
    )
    assert response.status_code == 400
    assert "after the application" in _field_error(response.get_data(as_text=True), "knew_on")
    assert _case_count(database) == 0


def test_intake_needs_at_least_one_claim_with_an_amount(database, mediator_client, town_id):
    data = valid_form(
        town_id,
        **{"claims-0-amount": "", "claims-0-description": "", "claims-1-amount": ""},
    )
    response = _post(mediator_client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="claims-error"' in page
    assert "at least one claim" in page
    assert _case_count(database) == 0


def test_intake_claim_row_with_text_but_no_amount_is_refused(database, mediator_client, town_id):
    data = valid_form(town_id, **{"claims-2-description": "加班费"})
    response = _post(mediator_client, data)
    assert response.status_code == 400
    assert "Enter the amount" in _field_error(response.get_data(as_text=True), "claims-2-amount")
    assert _case_count(database) == 0


def test_intake_keeps_what_was_typed_when_refused(mediator_client, town_id):
    response = _post(mediator_client, valid_form(town_id, **{"worker-phone": "12345"}))
    page = response.get_data(as_text=True)
    assert 'value="李娜"' in page
    assert 'value="12,000"' in page
    assert 'value="12345"' in page


def test_add_a_row_shows_one_more_claim_row_and_writes_nothing(database, mediator_client, town_id):
    data = valid_form(town_id)
    del data["register"]
    data["add_claim"] = "1"
    data["worker-phone"] = "not checked yet"
    response = _post(mediator_client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="claims-3-amount"' in page
    assert 'name="claims-4-amount"' not in page
    assert 'value="3500.5"' in page
    assert "field-error" not in page
    assert _case_count(database) == 0
    # The grown form registers as usual, the new row included.
    data = valid_form(town_id, **{"claims-3-category": "damages", "claims-3-amount": "100"})
    assert _post(mediator_client, data).status_code == 302
    with database.read_session() as session:
        assert session.execute(select(func.count()).select_from(CLAIM)).scalar_one() == 3


@pytest.mark.parametrize(
    ("message", "where"),
    [
        ("knew_on: cannot be later than the day received", 'data-error-for="knew_on"'),
        ("claims: the claims add up to too much", 'id="form-errors"'),
    ],
)
def test_intake_shows_a_service_refusal_on_the_form(
    database, mediator_client, town_id, monkeypatch, message, where
):
    def refuse(*_args, **_kwargs):
        raise InvalidInput(message)

    monkeypatch.setattr(intake, "register_case", refuse)
    response = _post(mediator_client, valid_form(town_id))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert where in page
    assert message in page
    assert _case_count(database) == 0


def test_intake_without_csrf_token_is_refused(database, mediator_client, town_id):
    response = mediator_client.post(URL, data=valid_form(town_id))
    assert response.status_code == 400
    assert _case_count(database) == 0


@pytest.mark.parametrize("role", ["lawyer", "supervisor", "admin"])
def test_intake_is_forbidden_to_other_roles(client, make_user, login, role, town_id):
    login(make_user(role))
    assert client.get(URL).status_code == 403
    token = csrf_token(client.get("/overview").get_data(as_text=True))
    response = client.post(URL, data={**valid_form(town_id), "csrf_token": token})
    assert response.status_code == 403


def test_intake_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.location.startswith("/login")
