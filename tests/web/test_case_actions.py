"""Taking actions on the case page: one POST endpoint, every form, every refusal.

Each action form is submitted as a browser would (the fields of the form as rendered on the
page, then the test's values): a valid submission moves the case and redirects; each bad
field is refused with 4xx, named next to the field, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.models import Case
from mediation.cases.service import advance
from mediation.db import Database
from mediation.issuing.service import ISSUED_ON
from mediation.money import format_yuan
from mediation.tables import CASE, EVENT, INTERVIEW, PAYMENT
from tests.factories import STUB_PDF, make_case, path_to
from tests.web.conftest import csrf_token

TODAY = clock.today()
PAST = TODAY - timedelta(days=40)

# --------------------------------------------------------------------------- helpers


class _FormReader(HTMLParser):
    """Collect the fields of one ``<form id="form-ACTION">`` with their rendered values."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._selected: set[str] = set()
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = self.found = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            self.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select:
            # A browser sends the selected option, or else the first one.
            if self._select not in self._selected or "selected" in a:
                self.fields[self._select] = a.get("value", "")
                self._selected.add(self._select)
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None


def rendered_form(page: str, action: str) -> dict[str, str]:
    """Return the fields of an action's form as the page renders them (fails if absent)."""
    reader = _FormReader(f"form-{action}")
    reader.feed(page)
    assert reader.found, f"no form for {action} on the page"
    return reader.fields


def number_of(database: Database, case_id: int) -> str:
    with database.read_session() as session:
        return session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()


def version_of(database: Database, case_id: int) -> tuple[str, int]:
    with database.read_session() as session:
        row = session.execute(
            select(CASE.c.state, CASE.c.version).where(CASE.c.id == case_id)
        ).one()
        return row.state, row.version


def events_of(database: Database, case_id: int) -> list[str]:
    with database.read_session() as session:
        return list(
            session.execute(
                select(EVENT.c.action).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
            ).scalars()
        )


def count_events(database: Database) -> int:
    with database.read_session() as session:
        return session.execute(select(func.count()).select_from(EVENT)).scalar_one()


def drive(
    database: Database,
    actor: Actor,
    state: str,
    steps: list[tuple[str, dict[str, Any]]] | None = None,
    *,
    today: date = TODAY,
) -> tuple[int, str]:
    """Make a case in ``state`` and apply further steps through the service."""
    case_id, version = make_case(database, state=state, actor=actor, today=today, received_on=today)
    for action, data in steps or []:
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=actor,
                data=data,
                today=today,
            )
        version += 1
    return case_id, number_of(database, case_id)


def page(client: FlaskClient, number: str) -> str:
    response = client.get(f"/m/cases/{number}", headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def submit(
    client: FlaskClient, number: str, action: str, values: dict[str, str], *, html: str = ""
) -> Any:
    """Fill the action's form as rendered on the case page with ``values`` and post it."""
    html = html or page(client, number)
    fields = rendered_form(html, action)
    fields.update(values)
    return client.post(
        f"/m/cases/{number}/actions/{action}",
        data=fields,
        headers={"Accept-Language": "en"},
    )


def as_form_fields(action: str, data: dict[str, Any]) -> dict[str, str]:
    """Turn a service ``data`` dict (as in ``tests.factories.path_to``) into form fields."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        if key == "terms":
            for i, term in enumerate(value):
                fields[f"terms-{i}-category"] = term["category"]
                fields[f"terms-{i}-amount"] = format_yuan(term["amount_fen"])
                fields[f"terms-{i}-description"] = term.get("description", "")
        elif key == "instalments":
            for i, instalment in enumerate(value):
                fields[f"instalments-{i}-due_on"] = instalment["due_on"].isoformat()
                fields[f"instalments-{i}-amount"] = format_yuan(instalment["amount_fen"])
        elif key == "amount_fen":
            fields["amount"] = format_yuan(value)
        elif isinstance(value, date):
            fields[key] = value.isoformat()
        else:
            fields[key] = str(value)
    return fields


@pytest.fixture
def mediator(make_user: Callable[..., Any], login: Callable[..., FlaskClient]) -> Any:
    user = make_user("mediator")
    login(user)
    return user


# --------------------------------------------------------------------------- the table of forms

SEIZING = path_to("seizing_opening", today=TODAY)
ENSURING = path_to("ensuring_performance", today=TODAY)


@dataclass(frozen=True)
class Spec:
    """How to reach an action, a valid submission, and bad values of each field."""

    state: str
    valid: dict[str, str]
    then: str
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: (field, bad value, the field the error is shown next to if not the same)
    invalid: list[tuple[str, str] | tuple[str, str, str]] = field(default_factory=list)
    today: date = TODAY


def _reason(limit: int) -> list[tuple[str, str] | tuple[str, str, str]]:
    return [("reason", "   "), ("reason", "长" * (limit + 1)), ("reason", "拖欠\x00工资")]


_VERSION_JUNK: list[tuple[str, str] | tuple[str, str, str]] = [
    ("version", ""),
    ("version", "abc"),
    ("version", "0"),
    ("version", "99999999999999999999"),
]

SPECS: dict[str, Spec] = {
    "accept": Spec("registered", {}, "finding_crux", invalid=_VERSION_JUNK),
    "reject": Spec("registered", {"reason": "不属于劳动争议"}, "rejected", invalid=_reason(2000)),
    "withdraw": Spec("registered", {"reason": "申请人撤回"}, "withdrawn", invalid=_reason(2000)),
    "update_party": Spec(
        "registered",
        {"role": "worker", "phone": "13900139000", "address": "北京市大兴区黄村镇"},
        "registered",
        invalid=[
            ("role", "mediator"),
            ("phone", "12345"),
            ("id_number", "110105194912310021"),
            ("name", "名" * 201),
            ("address", "\x07"),
        ],
    ),
    "add_claim_item": Spec(
        "registered",
        {"category": "overtime", "amount": "1,500.50", "description": "周末加班费"},
        "registered",
        invalid=[
            ("category", "bribe"),
            ("amount", ""),
            ("amount", "-5"),
            ("amount", "0"),
            ("amount", "12.345"),
            ("amount", "1e99"),
            ("amount", "1000000000000"),
            ("description", "x" * 501),
        ],
    ),
    "record_interview": Spec(
        "finding_crux",
        {"party_role": "worker", "held_on": TODAY.isoformat(), "notes": "劳动者称三个月未发工资"},
        "finding_crux",
        invalid=[
            ("party_role", "lawyer"),
            ("held_on", "2026-02-30"),
            ("held_on", (TODAY + timedelta(days=3)).isoformat()),
            ("held_on", "1999-12-31"),
            ("notes", ""),
            ("notes", "x" * 5001),
        ],
    ),
    "record_crux": Spec(
        "finding_crux",
        {"text": "工资结算周期争议"},
        "finding_crux",
        invalid=[("text", ""), ("text", "x" * 10_001), ("text", "a\x1bb")],
    ),
    "record_plan": Spec(
        "finding_crux",
        {"text": "先核对考勤，再分期支付"},
        "finding_crux",
        invalid=[("text", " \n "), ("text", "x" * 10_001)],
    ),
    "record_overdue_consent": Spec(
        "finding_crux",
        {"party_role": "employer"},
        "finding_crux",
        invalid=[("party_role", ""), ("party_role", "both")],
    ),
    "open_mediation": Spec(
        "finding_crux", {}, "seizing_opening", steps=SEIZING[1:-1], invalid=_VERSION_JUNK
    ),
    "record_joint_session": Spec(
        "seizing_opening",
        {
            "held_on": TODAY.isoformat(),
            "attendees": "张伟、公司人事",
            "notes": "双方同意分两期支付",
        },
        "seizing_opening",
        invalid=[("held_on", "yesterday"), ("notes", ""), ("attendees", "x" * 501)],
    ),
    "log_offer": Spec(
        "seizing_opening",
        {"by_role": "employer", "amount": "8000", "made_on": TODAY.isoformat(), "notes": ""},
        "seizing_opening",
        invalid=[
            ("by_role", "mediator"),
            ("amount", "-0"),
            ("amount", "八千"),
            ("made_on", "2026-13-01"),
            ("notes", "x" * 1001),
        ],
    ),
    "draft_agreement": Spec(
        "seizing_opening",
        {
            "method": "bank_transfer",
            "notes": "双方无其他争议",
            "terms-0-category": "wages",
            "terms-0-amount": "10000",
            "terms-0-description": "拖欠工资",
            "instalments-0-due_on": (TODAY + timedelta(days=7)).isoformat(),
            "instalments-0-amount": "6000",
            "instalments-1-due_on": (TODAY + timedelta(days=30)).isoformat(),
            "instalments-1-amount": "4000.00",
        },
        "seizing_opening",
        invalid=[
            ("method", "bitcoin"),
            ("terms-0-amount", "abc"),
            ("terms-0-amount", "0"),
            ("terms-0-category", ""),
            ("terms-0-category", "fine"),
            ("terms-0-description", "x" * 501),
            ("instalments-0-due_on", "2026-02-30"),
            ("instalments-0-due_on", "", "instalments-0-due_on"),
            ("instalments-1-amount", "1.00", "instalments"),
            ("instalments-0-due_on", (TODAY + timedelta(days=4000)).isoformat()),
        ],
    ),
    "record_signature": Spec(
        "seizing_opening",
        {"signer": "worker"},
        "seizing_opening",
        steps=[ENSURING[6]],
        invalid=[("signer", "lawyer"), ("signer", "")],
    ),
    "sign_agreement": Spec(
        "seizing_opening", {}, "ensuring_performance", steps=ENSURING[6:-1], invalid=_VERSION_JUNK
    ),
    "declare_failure": Spec(
        "seizing_opening", {"reason": "双方分歧过大"}, "failed", invalid=_reason(2000)
    ),
    "record_payment": Spec(
        "ensuring_performance",
        {"amount": "5000.00", "paid_on": TODAY.isoformat(), "method": "cash", "receipt_ref": "R-1"},
        "ensuring_performance",
        invalid=[
            ("amount", "-0"),
            ("amount", "10000.01"),
            ("paid_on", ""),
            ("method", "gold"),
            ("receipt_ref", "x" * 101),
        ],
    ),
    "confirm_performance": Spec(
        "ensuring_performance",
        {},
        "closed",
        steps=[("record_payment", {"amount_fen": 1_000_000})],
        invalid=_VERSION_JUNK,
    ),
    "apply_conversion": Spec(
        "ensuring_performance",
        {"conversion_kind": "judicial_confirmation", "applied_on": TODAY.isoformat()},
        "awaiting_conversion",
        invalid=[("conversion_kind", "mediation"), ("applied_on", "2026-02-30")],
    ),
    "record_conversion": Spec(
        "awaiting_conversion",
        {
            "document_number": "（2026）京0115民特123号",
            "issuing_body": "北京市大兴区人民法院",
            "decided_on": TODAY.isoformat(),
        },
        "closed",
        invalid=[("document_number", ""), ("issuing_body", " "), ("decided_on", "x")],
    ),
    "conversion_refused": Spec(
        "awaiting_conversion",
        {"reason": "协议内容不明确", "decided_on": TODAY.isoformat()},
        "ensuring_performance",
        invalid=[*_reason(1000), ("decided_on", "")],
    ),
    "declare_breach": Spec(
        "ensuring_performance",
        {"reason": "用人单位逾期未支付第一期款项"},
        "closed",
        invalid=_reason(2000),
        today=PAST,
    ),
    "produce_archive_bundle": Spec("closed", {}, "closed", invalid=_VERSION_JUNK),
    "archive": Spec(
        "closed",
        {},
        "archived",
        steps=[("produce_archive_bundle", {"content": STUB_PDF})],
        invalid=_VERSION_JUNK,
    ),
}


def _setup(database: Database, actor: Actor, spec: Spec) -> tuple[int, str]:
    return drive(database, actor, spec.state, spec.steps, today=spec.today)


def test_every_action_has_a_spec() -> None:
    from forms.case_actions import ACTION_FORMS

    assert set(SPECS) == set(ACTION_FORMS)


# --------------------------------------------------------------------------- every form


@pytest.mark.parametrize("action", sorted(SPECS))
def test_action_valid_submission_moves_the_case(
    action: str, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    spec = SPECS[action]
    case_id, number = _setup(database, actor, spec)
    _state, version = version_of(database, case_id)
    before = events_of(database, case_id)

    response = submit(client, number, action, spec.valid)

    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.location.endswith(f"/m/cases/{number}")
    # A trigger that calls for a document issues it once its own transaction has committed.
    issued = ["issue_document"] if action in ISSUED_ON else []
    assert version_of(database, case_id) == (spec.then, version + 1 + len(issued))
    assert events_of(database, case_id) == [*before, action, *issued]
    followed = client.get(response.location, headers={"Accept-Language": "en"})
    assert followed.status_code == 200
    assert 'class="alert alert-success"' in followed.get_data(as_text=True)


@pytest.mark.parametrize("action", sorted(SPECS))
def test_action_bad_field_is_refused_next_to_it_and_nothing_written(
    action: str, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    spec = SPECS[action]
    assert spec.invalid, f"no bad values listed for {action}"
    case_id, number = _setup(database, actor, spec)
    before = version_of(database, case_id)
    events = count_events(database)
    html = page(client, number)
    for bad in spec.invalid:
        name, value = bad[0], bad[1]
        shown_at = bad[2] if len(bad) == 3 else name  # type: ignore[misc]
        response = submit(client, number, action, {**spec.valid, name: value}, html=html)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (name, value, response.status_code)
        assert f'id="error-{action}-{shown_at}"' in body, (name, value)
        assert 'id="form-' + action + '"' in body
        assert version_of(database, case_id) == before, (name, value)
        assert count_events(database) == events, (name, value)


def test_service_refusal_is_shown_on_the_form(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "ensuring_performance")
    response = submit(
        client,
        number,
        "record_payment",
        {"amount": "9000", "paid_on": TODAY.isoformat(), "method": "cash"},
    )
    assert response.status_code == 302
    # 1,000 yuan is outstanding: the service refuses more and says so next to the amount.
    response = submit(
        client,
        number,
        "record_payment",
        {"amount": "2000", "paid_on": TODAY.isoformat(), "method": "cash"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-record_payment-amount"' in body
    assert "outstanding" in body
    with database.read_session() as session:
        assert session.execute(select(func.count()).select_from(PAYMENT)).scalar_one() == 1


def test_blocked_trigger_posted_anyway_answers_409_with_the_guard_messages(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "finding_crux")
    before = version_of(database, case_id)
    html = page(client, number)
    fields = rendered_form(html, "open_mediation")
    response = client.post(
        f"/m/cases/{number}/actions/open_mediation",
        data=fields,
        headers={"Accept-Language": "en"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Record a separate interview with the worker first." in body
    assert 'id="blockers-open_mediation"' in body
    assert version_of(database, case_id) == before


def test_conversion_kind_not_allowed_for_terms_is_refused_with_the_article(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    agreement = {
        "method": "bank_transfer",
        "terms": [{"category": "social_insurance", "amount_fen": 1_000_000}],
        "instalments": [{"due_on": TODAY + timedelta(days=7), "amount_fen": 1_000_000}],
    }
    steps = [
        ("draft_agreement", agreement),
        *[("record_signature", {"signer": s}) for s in ("worker", "employer", "mediator")],
        ("record_signature", {"signer": "organization"}),
        ("sign_agreement", {}),
    ]
    case_id, number = drive(database, actor, "seizing_opening", steps)
    before = version_of(database, case_id)
    response = submit(
        client,
        number,
        "apply_conversion",
        {"conversion_kind": "payment_order", "applied_on": TODAY.isoformat()},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "A payment order (Art. 16) covers only" in body
    assert "social_insurance" in body
    assert version_of(database, case_id) == before


def test_action_not_possible_in_this_state_is_409(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "registered")
    _state, version = version_of(database, case_id)
    token = csrf_token(page(client, number))
    response = client.post(
        f"/m/cases/{number}/actions/confirm_performance",
        data={"csrf_token": token, "version": str(version)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 409
    assert 'id="page-error"' in response.get_data(as_text=True)
    assert version_of(database, case_id) == ("registered", version)


def test_unknown_action_is_404(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "registered")
    token = csrf_token(page(client, number))
    response = client.post(
        f"/m/cases/{number}/actions/set_state", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 404
    assert version_of(database, case_id) == ("registered", 1)


def test_post_without_csrf_token_is_refused(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "registered")
    response = client.post(f"/m/cases/{number}/actions/accept", data={"version": "1"})
    assert response.status_code == 400
    assert version_of(database, case_id) == ("registered", 1)


def test_get_of_the_action_endpoint_changes_nothing(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "registered")
    response = client.get(f"/m/cases/{number}/actions/accept?version=1")
    assert response.status_code == 405
    assert version_of(database, case_id) == ("registered", 1)


# --------------------------------------------------------------------------- conflicts


def test_stale_version_gets_the_conflict_page_and_nothing_is_written(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "finding_crux")
    html = page(client, number)  # the mediator sees version 2
    _state, seen = version_of(database, case_id)
    # Meanwhile a colleague records the crux: the case moves to version 3.
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_crux",
            expected_version=seen,
            actor=actor,
            data={"text": "加班费计算基数争议"},
            today=TODAY,
        )
    events = count_events(database)
    response = submit(
        client,
        number,
        "record_interview",
        {"party_role": "worker", "held_on": TODAY.isoformat(), "notes": "单独约谈"},
        html=html,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="conflict"' in body
    assert 'id="conflict-state" data-state="finding_crux"' in body
    assert f'data-version="{seen + 1}"' in body
    assert "Nothing was saved." in body
    assert f'id="reload-case" href="/m/cases/{number}"' in body
    assert version_of(database, case_id) == ("finding_crux", seen + 1)
    assert count_events(database) == events
    with database.read_session() as session:
        assert session.execute(select(func.count()).select_from(INTERVIEW)).scalar_one() == 0


def test_stale_version_on_a_trigger_shows_the_state_it_moved_to(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "registered")
    html = page(client, number)
    with database.writing() as session:
        advance(
            session, case_id=case_id, action="accept", expected_version=1, actor=actor, today=TODAY
        )
    response = submit(client, number, "reject", {"reason": "不属于受理范围"}, html=html)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'data-state="finding_crux"' in body
    assert version_of(database, case_id) == ("finding_crux", 2)


# --------------------------------------------------------------------------- the agreement form


def test_add_a_row_without_javascript_keeps_what_was_typed_and_writes_nothing(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "seizing_opening")
    before = version_of(database, case_id)
    html = page(client, number)
    assert 'data-rows="2"' in html
    response = submit(
        client,
        number,
        "draft_agreement",
        {"terms-0-category": "wages", "terms-0-amount": "3000", "add_row": "terms"},
        html=html,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    fields = rendered_form(body, "draft_agreement")
    assert "terms-2-category" in fields
    assert fields["terms-0-amount"] == "3000"
    assert version_of(database, case_id) == before


def test_draft_agreement_with_several_rows_and_blank_ones(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "seizing_opening")
    html = page(client, number)
    response = submit(
        client,
        number,
        "draft_agreement",
        {"add_row": "instalments", "terms-0-category": "wages", "terms-0-amount": "100"},
        html=html,
    )
    values = {
        "method": "cash",
        "terms-0-category": "wages",
        "terms-0-amount": "8000",
        "terms-1-category": "compensation",
        "terms-1-amount": "2000.50",
        "instalments-0-due_on": (TODAY + timedelta(days=3)).isoformat(),
        "instalments-0-amount": "5000",
        "instalments-2-due_on": (TODAY + timedelta(days=20)).isoformat(),
        "instalments-2-amount": "5000.50",
    }
    response = submit(
        client, number, "draft_agreement", values, html=response.get_data(as_text=True)
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    body = page(client, number)
    assert 'id="agreement-terms-total">10000.50<' in body
    assert 'id="agreement-instalments-total">10000.50<' in body
    # The redraft form starts from the current draft.
    fields = rendered_form(body, "draft_agreement")
    assert fields["terms-1-amount"] == "2000.50"
    assert fields["method"] == "cash"


# --------------------------------------------------------------------------- the full walk


@pytest.mark.parametrize("end", ["closed", "archived"])
def test_full_walk_from_registered_through_the_web_forms_only(
    end: str, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "registered")
    steps = path_to(end, today=TODAY)
    for action, data in steps:
        response = submit(client, number, action, as_form_fields(action, data))
        assert response.status_code == 302, (action, response.get_data(as_text=True)[:3000])
    state, version = version_of(database, case_id)
    # Signing and confirming performance each issue their document once they have committed.
    expected = ["register"]
    for action, _data in steps:
        expected += [action, "issue_document"] if action in ISSUED_ON else [action]
    assert (state, version) == (end, len(expected))
    assert events_of(database, case_id) == expected
    body = page(client, number)
    assert f'id="case-state" data-state="{end}"' in body
    with database.read_session() as session:
        case = session.execute(select(Case).where(Case.id == case_id)).scalar_one()
        assert case.paid_fen == case.agreed_fen == 1_000_000
        assert case.closed_as == "performed"


# --------------------------------------------------------------------------- who may act


def test_other_organisations_case_is_404_for_get_and_post(
    database: Database,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    actor: Actor,
) -> None:
    case_id, number = drive(database, actor, "registered")
    login(make_user("mediator", organization="西红门镇调解中心"))
    assert client.get(f"/m/cases/{number}").status_code == 404
    token = csrf_token(client.get("/overview").get_data(as_text=True))
    response = client.post(
        f"/m/cases/{number}/actions/accept", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 404
    assert version_of(database, case_id) == ("registered", 1)


@pytest.mark.parametrize("role", ["lawyer", "supervisor", "admin"])
def test_other_roles_find_no_case(
    role: str,
    database: Database,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    actor: Actor,
) -> None:
    case_id, number = drive(database, actor, "registered")
    login(make_user(role))
    # The case's URL does not even say that the case exists.
    assert client.get(f"/m/cases/{number}").status_code == 404
    token = csrf_token(client.get("/password").get_data(as_text=True))
    response = client.post(
        f"/m/cases/{number}/actions/accept", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 404
    assert version_of(database, case_id) == ("registered", 1)


def test_anonymous_is_sent_to_login(database: Database, client: FlaskClient, actor: Actor) -> None:
    _case_id, number = drive(database, actor, "registered")
    response = client.get(f"/m/cases/{number}")
    assert response.status_code == 302
    assert "/login" in response.location


# --------------------------------------------------------------------------- junk


_CONTROL = st.characters(min_codepoint=0, max_codepoint=31).filter(lambda c: c not in "\t\n\r")
_JUNK_TEXT = st.one_of(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "'; DROP TABLE mediation_case; --",
            '" OR 1=1 --',
            "1e99",
            "-0",
            "12.345",
            "2026-02-30",
            "NaN",
            "Infinity",
            "０",
            "",
            " ",
        ]
    ),
    st.text(max_size=40),
)
#: Values certainly refused by a field of each kind.
_BAD: dict[str, st.SearchStrategy[str]] = {
    "text": st.one_of(
        st.builds(lambda c, s: s + c + s, _CONTROL, st.text(max_size=10)),
        st.integers(min_value=10_001, max_value=60_000).map(lambda n: "长" * n),
    ),
    "amount": st.sampled_from(
        ["1e99", "-0", "12.345", "-5", "abc", "0", "1000000000000", "¥-1", "1,2.3.4", "\x00"]
    ),
    "date": st.sampled_from(
        ["2026-02-30", "2026-13-01", "30/01/2026", "1999-12-31", "9999-12-31", "", "\x00"]
    ),
    "choice": st.sampled_from(["<script>", "' OR '1'='1", "WORKER", "worker\x00", ""]),
    "version": st.sampled_from(["", "abc", "0", "-1", "1e99", "99999999999999999999", "\x00"]),
}

_FORM_FIELDS: dict[str, dict[str, str]] = {
    "record_interview": {"party_role": "choice", "held_on": "date", "notes": "text"},
    "log_offer": {"by_role": "choice", "amount": "amount", "made_on": "date", "notes": "text"},
    "draft_agreement": {
        "method": "choice",
        "terms-0-category": "choice",
        "terms-0-amount": "amount",
        "terms-0-description": "text",
        "instalments-0-due_on": "date",
        "instalments-0-amount": "amount",
    },
    "add_claim_item": {"category": "choice", "amount": "amount", "description": "text"},
    "declare_failure": {"reason": "text"},
    "record_joint_session": {"held_on": "date", "attendees": "text", "notes": "text"},
    "update_party": {"role": "choice", "name": "text", "phone": "text", "id_number": "text"},
    "sign_agreement": {"version": "version"},
}


@st.composite
def junk_submissions(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    action = draw(st.sampled_from(sorted(_FORM_FIELDS)))
    kinds = _FORM_FIELDS[action]
    values = {name: draw(_JUNK_TEXT) for name in kinds if name != "version"}
    # One field is certainly wrong, so nothing may ever be written.
    certain = draw(st.sampled_from(sorted(kinds)))
    values[certain] = draw(_BAD[kinds[certain]])
    return action, values


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(submission=junk_submissions())
def test_junk_never_500_and_never_writes(
    submission: tuple[str, dict[str, str]],
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
) -> None:
    number = _junk_case(database, actor)
    case_id = _junk_case.ids[database.url]
    before = version_of(database, case_id)
    events = count_events(database)
    action, values = submission
    html = _junk_case.pages.get(database.url) or page(client, number)
    _junk_case.pages[database.url] = html
    fields = rendered_form(html, action)
    fields.update(values)
    response = client.post(f"/m/cases/{number}/actions/{action}", data=fields)
    assert response.status_code in (400, 409), (action, values, response.status_code)
    assert version_of(database, case_id) == before
    assert count_events(database) == events


class _JunkCase:
    """One case in ``seizing_opening`` per database, shared by the examples of a test."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.numbers: dict[str, str] = {}
        self.pages: dict[str, str] = {}

    def __call__(self, database: Database, actor: Actor) -> str:
        if database.url not in self.numbers or not self._exists(database):
            case_id, number = drive(database, actor, "seizing_opening")
            self.ids[database.url] = case_id
            self.numbers[database.url] = number
            self.pages.pop(database.url, None)
        return self.numbers[database.url]

    def _exists(self, database: Database) -> bool:
        with database.read_session() as session:
            found = session.execute(
                select(CASE.c.number).where(CASE.c.id == self.ids[database.url])
            ).scalar_one_or_none()
        return found == self.numbers[database.url]


_junk_case = _JunkCase()


@pytest.mark.parametrize(
    "number",
    ["%00", "<script>", "x" * 300, "DX-2026-00001%00", "'; DROP TABLE mediation_case; --"],
)
def test_junk_case_numbers_are_404(
    number: str, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    drive(database, actor, "registered")
    assert client.get(f"/m/cases/{number}").status_code == 404
    token = csrf_token(client.get("/overview").get_data(as_text=True))
    response = client.post(
        f"/m/cases/{number}/actions/accept", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 404


def test_a_full_disk_is_a_clear_507_and_nothing_is_saved(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mediation.errors import StorageFull
    from mediation.web.mediator import case_page

    case_id, number = drive(database, actor, "finding_crux")
    before = version_of(database, case_id)
    html = page(client, number)

    def full(*_args: Any, **_kwargs: Any) -> Any:
        raise StorageFull('the database\'s disk is full ("database or disk is full")')

    monkeypatch.setattr(case_page, "advance", full)
    response = submit(client, number, "record_crux", {"text": "欠薪三个月"}, html=html)
    assert response.status_code == 507
    assert "nothing was saved" in response.get_data(as_text=True)
    assert version_of(database, case_id) == before
