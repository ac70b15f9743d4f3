"""The case page: header, workflow picture, parties, steps, timeline and the forms of now."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from mediation.app import get_database
from mediation.audit.chain import Actor
from mediation.cases.case_file import mask_phone
from mediation.cases.service import advance
from mediation.clock import LOCAL_TZ
from mediation.db import Database
from mediation.tables import EVENT
from tests.factories import EMPLOYER, WORKER, make_case, path_to
from tests.web.test_case_actions import (
    PAST,
    TODAY,
    drive,
    number_of,
    page,
    rendered_form,
    version_of,
)
from workflows import guards

#: The forms a case page offers in each state, written out by hand (DESIGN §2).
FORMS_BY_STATE: dict[str, set[str]] = {
    "registered": {"accept", "reject", "withdraw", "update_party", "add_claim_item"},
    "finding_crux": {
        "open_mediation",
        "withdraw",
        "update_party",
        "add_claim_item",
        "record_interview",
        "record_crux",
        "record_plan",
        "record_overdue_consent",
    },
    "seizing_opening": {
        "sign_agreement",
        "declare_failure",
        "withdraw",
        "update_party",
        "add_claim_item",
        "record_interview",
        "record_crux",
        "record_plan",
        "record_overdue_consent",
        "record_joint_session",
        "log_offer",
        "draft_agreement",
        "record_signature",
    },
    "ensuring_performance": {
        "confirm_performance",
        "apply_conversion",
        "declare_breach",
        "record_payment",
    },
    "awaiting_conversion": {"record_conversion", "conversion_refused", "record_payment"},
    "closed": {"archive", "produce_archive_bundle"},
    "failed": {"archive", "produce_archive_bundle"},
    "withdrawn": {"archive", "produce_archive_bundle"},
    "rejected": {"archive", "produce_archive_bundle"},
    "archived": set(),
}

_FORM_ID = re.compile(r'<form [^>]*id="form-([a-z_]+)"')


@pytest.fixture
def mediator(make_user: Callable[..., Any], login: Callable[..., FlaskClient]) -> Any:
    user = make_user("mediator")
    login(user)
    return user


def forms_on(html: str) -> set[str]:
    return set(_FORM_ID.findall(html))


def blockers_of(html: str, action: str) -> list[str]:
    match = re.search(rf'<ul [^>]*id="blockers-{action}">(.*?)</ul>', html, re.S)
    if match is None:
        return []
    return [m.strip() for m in re.findall(r"<li [^>]*>(.*?)</li>", match.group(1), re.S)]


# --------------------------------------------------------------------------- header


def test_case_page_shows_the_header(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "finding_crux")
    html = page(client, number)
    assert f'id="case-number">Case {number}<' in html
    assert 'id="case-state" data-state="finding_crux">找症结 · Finding the crux<' in html
    assert "黄村镇调解中心" in html
    assert 'data-category="wages">Unpaid wages<' in html
    assert f'id="case-received-on">{TODAY.isoformat()}<' in html
    assert 'data-amount="claimed">12000.00<' in html
    deadline = (TODAY + timedelta(days=15)).isoformat()
    assert f'id="deadline-mediation" data-overdue="false" data-deadline="{deadline}"' in html
    assert "15 days left" in html


def test_overdue_case_is_flagged_and_open_mediation_names_the_deadline(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    received = TODAY - timedelta(days=20)
    case_id, _v = make_case(
        database, state="finding_crux", actor=actor, today=received, received_on=received
    )
    html = page(client, number_of(database, case_id))
    assert 'id="deadline-mediation" data-overdue="true"' in html
    assert 'id="overdue-flag"' in html
    assert "overdue by 5 days" in html
    deadline = (received + timedelta(days=15)).isoformat()
    assert any(
        f"The 15-day mediation period ended on {deadline}" in b
        for b in blockers_of(html, "open_mediation")
    )


def test_signed_case_shows_instalment_and_conversion_windows(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "ensuring_performance")
    html = page(client, number)
    due = (TODAY + timedelta(days=7)).isoformat()
    assert f'id="deadline-instalment" data-due="{due}" data-overdue="false"' in html
    assert "Next instalment: 5000.00 yuan due" in html
    review = (TODAY + timedelta(days=15)).isoformat()
    confirmation = (TODAY + timedelta(days=30)).isoformat()
    assert f'id="deadline-arbitral-review" data-deadline="{review}"' in html
    assert f'id="deadline-judicial-confirmation" data-deadline="{confirmation}"' in html
    assert 'id="agreement-terms-total">10000.00<' in html
    assert html.count('data-signed="true"') == 4
    assert 'data-amount="agreed">10000.00<' in html


def test_overdue_instalment_is_flagged(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "ensuring_performance", today=PAST)
    html = page(client, number)
    assert 'id="deadline-instalment"' in html
    assert 'data-overdue="true"' in html
    assert "33 days overdue" in html


def test_limitation_warning(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    knew_on = TODAY - timedelta(days=350)
    case_id, _v = make_case(
        database, state="registered", actor=actor, today=TODAY, overrides={"knew_on": knew_on}
    )
    html = page(client, number_of(database, case_id))
    assert 'id="deadline-limitation"' in html
    assert 'data-expired="false"' in html
    assert "one-year limitation for arbitration" in html


# --------------------------------------------------------------------------- the picture


@pytest.mark.parametrize("state", ["registered", "seizing_opening", "awaiting_conversion"])
def test_diagram_highlights_the_current_state(
    state: str, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, state)
    html = page(client, number)
    assert html.count("<svg") == 1
    assert html.count('class="state current"') == 1
    assert f'<g class="state current" data-state="{state}" aria-current="step">' in html
    assert 'data-trigger="archive" data-source="rejected" data-dest="archived"' in html


def test_the_page_carries_no_inline_style_and_the_stylesheet_styles_the_diagram(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    """The Content-Security-Policy refuses inline styles: a browser would drop them."""
    from pathlib import Path

    from workflows.diagram import STYLESHEET

    _case_id, number = drive(database, actor, "seizing_opening")
    html = page(client, number)
    assert "<style" not in html
    assert " style=" not in html
    app_css = (Path(__file__).parents[2] / "mediation/web/static/app.css").read_text()
    assert "".join(STYLESHEET.split()) in "".join(app_css.split()), (
        "app.css lacks the workflow diagram's rules (workflows.diagram.STYLESHEET)"
    )


# --------------------------------------------------------------------------- parties, steps


def test_parties_are_masked_and_claims_shown(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "registered")
    html = page(client, number)
    assert WORKER.id_number not in html
    assert WORKER.phone not in html
    assert EMPLOYER.id_number not in html
    assert "110105********002X" in html
    assert mask_phone(WORKER.phone) == "138****8000"
    assert "138****8000" in html
    assert WORKER.name in html and EMPLOYER.name in html
    assert '<td class="num" data-fen="1200000">12000.00</td>' in html


def test_text_typed_by_users_is_escaped(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("update_party", {"role": "worker", "name": "<script>alert(1)</script>"}),
        ("record_crux", {"text": "<b>工资</b> & 加班"}),
    ]
    _case_id, number = drive(database, actor, "finding_crux", steps)
    html = page(client, number)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;工资&lt;/b&gt; &amp; 加班" in html


def test_steps_show_what_was_recorded(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("record_joint_session", {"notes": "第一次联合调解", "attendees": "双方"}),
        ("log_offer", {"by_role": "employer", "amount_fen": 800_000}),
    ]
    _case_id, number = drive(database, actor, "seizing_opening", steps)
    html = page(client, number)
    assert 'id="step-seizing_opening" data-step="seizing_opening"' in html
    assert re.search(r'class="card mb-3 step current[^"]*" id="step-seizing_opening"', html)
    assert "单独约谈劳动者" in html and "单独约谈用人单位" in html
    assert 'id="crux">工资结算周期争议<' in html
    assert "先核对考勤，再分期支付" in html
    assert "第一次联合调解" in html
    assert '<span class="num">8000.00</span>' in html
    assert 'id="agreement-none"' in html


def test_timeline_shows_local_time_actor_action_and_states(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "finding_crux")
    html = page(client, number)
    with database.read_session() as session:
        created = session.execute(
            select(EVENT.c.created_at).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
        ).scalars()
        times = list(created)
    from datetime import UTC

    local = [(t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(LOCAL_TZ) for t in times]
    timeline = html[html.index('id="timeline"') :]
    for moment in local:
        assert moment.strftime("%Y-%m-%d %H:%M") in timeline
    assert 'data-action="register"' in timeline
    assert 'data-action="accept"' in timeline
    assert "Accept the application" in timeline
    assert actor.name in timeline
    assert (
        '<span data-state="registered">Registered</span> → '
        '<span data-state="finding_crux">Finding the crux</span>'
    ) in timeline


# --------------------------------------------------------------------------- forms of now


@pytest.mark.parametrize("state", sorted(FORMS_BY_STATE))
def test_only_the_forms_available_now_are_shown(
    state: str, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, state)
    html = page(client, number)
    assert forms_on(html) == FORMS_BY_STATE[state]
    _state, version = version_of(database, case_id)
    for action in FORMS_BY_STATE[state]:
        form = html[html.index(f'id="form-{action}"') :]
        form = form[: form.index("</form>")]
        assert f'name="version" type="hidden" value="{version}"' in form
        assert 'name="csrf_token"' in form
    if not FORMS_BY_STATE[state]:
        assert 'id="no-actions"' in html


def test_blocked_trigger_shows_its_guard_messages_above_a_disabled_form(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "finding_crux")
    html = page(client, number)
    assert blockers_of(html, "open_mediation") == [
        "Record a separate interview with the worker first.",
        "Record a separate interview with the employer first.",
        "Record the crux of the dispute first.",
        "Draw up the mediation plan first.",
    ]
    assert 'id="action-open_mediation" data-action="open_mediation" data-kind="trigger"' in html
    form = html[html.index('id="form-open_mediation"') :]
    assert "<fieldset disabled>" in form[: form.index("</form>")]


def test_guard_messages_go_away_as_the_step_is_done(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    steps = [
        ("record_interview", {"party_role": "worker", "notes": "单独约谈劳动者"}),
        ("record_crux", {"text": "加班费争议"}),
    ]
    _case_id, number = drive(database, actor, "finding_crux", steps)
    html = page(client, number)
    assert blockers_of(html, "open_mediation") == [
        "Record a separate interview with the employer first.",
        "Draw up the mediation plan first.",
    ]


def test_unblocked_and_input_only_guards_do_not_disable_the_form(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "seizing_opening")
    html = page(client, number)
    # declare_failure needs a reason: the form asks for it, nothing blocks it.
    assert blockers_of(html, "declare_failure") == []
    assert 'id="action-declare_failure" data-action="declare_failure" data-kind="trigger"' in html
    assert 'data-dest="failed" data-blocked="false"' in html
    # sign_agreement is blocked until the agreement is drafted and signed.
    assert blockers_of(html, "sign_agreement")[0].startswith("Draft the agreement first")


def test_confirm_performance_says_how_much_is_missing(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    steps: list[tuple[str, dict[str, Any]]] = [("record_payment", {"amount_fen": 400_000})]
    _case_id, number = drive(database, actor, "ensuring_performance", steps)
    html = page(client, number)
    assert blockers_of(html, "confirm_performance") == [
        "4000.00 yuan of 10000.00 yuan has been paid: record the remaining payments first."
    ]


def test_archive_needs_the_bundle_first(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "withdrawn")
    html = page(client, number)
    assert blockers_of(html, "archive") == ["Produce the archive bundle (case file) first."]
    assert blockers_of(html, "produce_archive_bundle") == []


def test_signature_form_offers_the_next_missing_signer(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    steps = [
        ("draft_agreement", path_to("ensuring_performance", today=TODAY)[6][1]),
        ("record_signature", {"signer": "worker"}),
    ]
    _case_id, number = drive(database, actor, "seizing_opening", steps)
    html = page(client, number)
    assert rendered_form(html, "record_signature")["signer"] == "employer"
    assert 'data-signer="worker" data-signed="true"' in html
    assert 'data-signer="employer" data-signed="false"' in html


def test_closed_case_says_no_time_limit_runs(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "closed")
    html = page(client, number)
    assert 'id="no-deadlines"' in html
    assert 'id="case-closed-as" data-closed-as="performed"' in html
    assert 'id="payment-summary"' in html


# --------------------------------------------------------------------------- reads


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = get_database(app).engine

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_page_reads_a_fixed_number_of_queries(
    app: Flask, database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    def agreement(rows: int) -> dict[str, Any]:
        return {
            "method": "bank_transfer",
            "terms": [{"category": "wages", "amount_fen": 10_000} for _ in range(rows)],
            "instalments": [
                {"due_on": TODAY + timedelta(days=i + 1), "amount_fen": 10_000} for i in range(rows)
            ],
        }

    few: list[tuple[str, dict[str, Any]]] = [("draft_agreement", agreement(1))]
    _small_id, small = drive(database, actor, "seizing_opening", few)
    many: list[tuple[str, dict[str, Any]]] = [("draft_agreement", agreement(12))]
    for i in range(8):
        many += [
            ("record_interview", {"party_role": "worker", "notes": f"约谈{i}"}),
            ("record_joint_session", {"notes": f"联合调解{i}"}),
            ("log_offer", {"by_role": "employer", "amount_fen": 1000 * (i + 1)}),
            ("add_claim_item", {"category": "overtime", "amount_fen": 100 * (i + 1)}),
        ]
    _big_id, big = drive(database, actor, "seizing_opening", many)
    page(client, small)  # warm up (loading the user, compiled statements)
    with counting(app) as first:
        page(client, small)
    with counting(app) as second:
        page(client, big)
    assert len(first) == len(second)
    assert len(first) <= 25


def test_other_organisations_case_is_404(
    database: Database,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    actor: Actor,
) -> None:
    _case_id, number = drive(database, actor, "registered")
    login(make_user("mediator", organization="榆垡镇调解中心"))
    assert client.get(f"/m/cases/{number}").status_code == 404
    assert client.get("/m/cases/DX-1999-99999").status_code == 404


def test_chinese_locale_renders(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    _case_id, number = drive(database, actor, "seizing_opening")
    with client.session_transaction() as session:
        session["locale"] = "zh_CN"
    response = client.get(f"/m/cases/{number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<g class="state current" data-state="seizing_opening"' in html


def test_a_write_then_the_page_shows_it(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "finding_crux")
    page(client, number)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="record_crux",
            expected_version=2,
            actor=actor,
            data={"text": "新的症结"},
            today=TODAY,
        )
    assert 'id="crux">新的症结<' in page(client, number)


# --------------------------------------------------------------------------- translations

PENDING = Path(__file__).parents[2] / "mediation" / "translations" / "pending" / "case_page.json"
ROOT = Path(__file__).parents[2]
OWN_SOURCES = [
    ROOT / "forms" / "case_actions.py",
    ROOT / "mediation" / "web" / "mediator" / "case_page.py",
]
OWN_TEMPLATES = sorted((ROOT / "mediation" / "web" / "templates" / "mediator").glob("_case_*.html"))
OWN_TEMPLATES += [
    ROOT / "mediation" / "web" / "templates" / "mediator" / name
    for name in ("case_page.html", "conflict.html", "_forms.html")
]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _msgids() -> set[str]:
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    found: set[str] = set()
    for path in OWN_SOURCES + OWN_TEMPLATES:
        method = "python" if path.suffix == ".py" else "jinja2.ext:babel_extract"
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_and_guard_message_has_a_chinese_translation() -> None:
    translations = json.loads(PENDING.read_text(encoding="utf-8"))
    guard_messages = {v.message for v in vars(guards).values() if isinstance(v, guards.Guard)}
    wanted = _msgids() | guard_messages
    assert len(wanted) > 150
    missing = sorted(wanted - set(translations))
    assert not missing
    for msgid in wanted:
        zh = translations[msgid]
        assert zh and zh != msgid, msgid
        assert sorted(_PLACEHOLDER.findall(zh)) == sorted(_PLACEHOLDER.findall(msgid)), msgid
        assert not re.search(r"[\u4e00-\u9fff]", msgid), f"msgid not in English: {msgid}"
