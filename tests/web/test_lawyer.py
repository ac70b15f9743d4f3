"""The volunteer lawyer's pages, the mediator's legal-help panel, the admin pages of lawyers
and firms, and the workload view — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from mediation import clock
from mediation.assignments.lawyers import save_lawyer
from mediation.audit.chain import Actor
from mediation.people.models import Town, User
from mediation.tables import ASSIGNMENT, CASE, CONFLICT_CHECK, EVENT, LAW_FIRM, LAWYER_ZONE
from mediation.web.access import policy_of
from tests.factories import ensure_organization, make_case
from tests.web.conftest import PASSWORD, csrf_token

ADMIN_ACTOR = Actor(None, "测试管理员")


# --------------------------------------------------------------------------- the setting


class World(SimpleNamespace):
    """A case in zone A, its mediator, a lawyer of zone A and one of zone B, an admin."""


def sign_in(app: Flask, user: User) -> FlaskClient:
    """A fresh browser logged in as the user (English pages)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def token_of(client: FlaskClient) -> str:
    """A CSRF token of the client's session (every page's language switch carries one)."""
    return csrf_token(client.get("/login").get_data(as_text=True))


def serve_zone(database, user: User, zone_id: int) -> None:
    with database.writing() as session:
        save_lawyer(
            session,
            user_id=user.id,
            firm_id=None,
            zone_ids=[zone_id],
            practice_notes="",
            active=True,
            availability="available",
            actor=ADMIN_ACTOR,
        )


@pytest.fixture
def world(app, database, make_user) -> World:
    case_id, _ = make_case(database)
    _org_id, town_id = ensure_organization(database)
    with Session(database.engine) as session:
        number = session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()
        town = session.get(Town, town_id)
        assert town is not None
        zone_a = town.zone_id
    local, remote = (
        make_user("lawyer", username="lawyer.a"),
        make_user("lawyer", username="lawyer.b"),
    )
    serve_zone(database, local, zone_a)
    # The other lawyer keeps the fixture's zone "测试片区" (not the case's).
    return World(
        app=app,
        database=database,
        case_id=case_id,
        number=number,
        zone_a=zone_a,
        mediator=make_user("mediator"),
        local=local,
        local2=make_user("lawyer", username="lawyer.a2"),
        remote=remote,
        admin=make_user("admin"),
        supervisor=make_user("supervisor"),
    )


def request_help(world: World, client: FlaskClient | None = None, **overrides) -> tuple[int, str]:
    """Ask for legal help through the mediator's form; return (status, page)."""
    client = client or sign_in(world.app, world.mediator)
    data = {
        "kind": "legal_opinion",
        "needed": "请就三个月拖欠工资的计算出具法律意见",
        "due_on": (clock.today() + timedelta(days=3)).isoformat(),
        "csrf_token": token_of(client),
        **overrides,
    }
    response = client.post(f"/m/cases/{world.number}/legal-help", data=data)
    return response.status_code, response.get_data(as_text=True)


def assignment_ids(database) -> list[int]:
    with Session(database.engine) as session:
        return list(session.execute(select(ASSIGNMENT.c.id).order_by(ASSIGNMENT.c.id)).scalars())


def stored(database, assignment_id: int):
    with Session(database.engine) as session:
        return session.execute(select(ASSIGNMENT).where(ASSIGNMENT.c.id == assignment_id)).one()


def post(client: FlaskClient, url: str, **data) -> tuple[int, str]:
    response = client.post(url, data={"csrf_token": token_of(client), **data})
    return response.status_code, response.get_data(as_text=True)


def confirm(client: FlaskClient, assignment_id: int) -> None:
    status, _page = post(client, f"/l/assignments/{assignment_id}/conflict", answer="none")
    assert status == 302


@pytest.fixture
def requested(world) -> int:
    status, page = request_help(world)
    assert status == 302, page
    (assignment_id,) = assignment_ids(world.database)
    return assignment_id


# --------------------------------------------------------------------------- the walk-through


def test_request_confirm_claim_complete(world, requested):
    lawyer = sign_in(world.app, world.local)
    pool = lawyer.get("/l/").get_data(as_text=True)
    # Party names, kind, town and due date; nothing else of the case.
    assert "张伟" in pool and "北京兴旺建筑工程有限公司" in pool
    assert "Legal opinion" in pool and "黄村镇调解中心所在镇" in pool
    assert world.number not in pool and "三个月拖欠工资" not in pool

    page = lawyer.get(f"/l/assignments/{requested}").get_data(as_text=True)
    assert 'id="conflict-check"' in page and "张伟" in page
    assert "三个月拖欠工资" not in page and world.number not in page
    assert 'id="claim"' not in page

    confirm(lawyer, requested)
    page = lawyer.get(f"/l/assignments/{requested}").get_data(as_text=True)
    assert "三个月拖欠工资" in page and world.number in page and 'id="claim"' in page

    status, _ = post(lawyer, f"/l/assignments/{requested}/claim")
    assert status == 302
    assert stored(world.database, requested).state == "claimed"

    status, _ = post(
        lawyer,
        f"/l/assignments/{requested}/complete",
        version="2",
        outcome="已出具书面法律意见，建议按实际出勤核算",
        hours="1.5",
    )
    assert status == 302
    row = stored(world.database, requested)
    assert (row.state, row.minutes_spent, row.version) == ("completed", 90, 3)
    mine = lawyer.get("/l/mine").get_data(as_text=True)
    assert world.number in mine and "1.5" in mine


def test_two_lawyers_claiming_one_wins_the_other_is_told(world, requested):
    first, second = sign_in(world.app, world.local), sign_in(world.app, world.local2)
    serve_zone(world.database, world.local2, world.zone_a)
    for client in (first, second):
        confirm(client, requested)
    assert post(first, f"/l/assignments/{requested}/claim")[0] == 302
    status, page = post(second, f"/l/assignments/{requested}/claim")
    assert status == 409 and "already taken by another lawyer" in page
    assert stored(world.database, requested).claimed_by_id == world.local.id
    # Claiming again what one holds changes nothing.
    assert post(first, f"/l/assignments/{requested}/claim")[0] == 302
    assert stored(world.database, requested).version == 2


def test_next_takes_the_oldest_and_asks_for_the_conflict_check(world):
    request_help(world, needed="第一个")
    request_help(world, needed="第二个")
    first, _second = assignment_ids(world.database)
    lawyer = sign_in(world.app, world.local)
    response = lawyer.post("/l/next", data={"csrf_token": token_of(lawyer)})
    assert response.status_code == 302 and response.location.endswith(f"/l/assignments/{first}")
    page = lawyer.get(response.location).get_data(as_text=True)
    assert 'id="conflict-check"' in page and "第一个" not in page
    assert 'id="complete"' not in page and 'id="release"' in page


def test_release_with_a_reason_the_mediator_sees_it(world, requested):
    lawyer = sign_in(world.app, world.local)
    confirm(lawyer, requested)
    post(lawyer, f"/l/assignments/{requested}/claim")
    status, page = post(lawyer, f"/l/assignments/{requested}/release", version="2", reason="  ")
    assert status == 400 and 'id="error-release-reason"' in page
    assert stored(world.database, requested).state == "claimed"
    status, _ = post(lawyer, f"/l/assignments/{requested}/release", version="2", reason="下周出差")
    assert status == 302
    row = stored(world.database, requested)
    assert (row.state, row.claimed_by_id, row.release_reason) == ("open", None, "下周出差")
    panel = render_panel(world)
    assert "下周出差" in panel and 'data-state="open"' in panel


def test_declaring_a_conflict_removes_it_from_my_pool(world, requested):
    lawyer = sign_in(world.app, world.local)
    status, _ = post(lawyer, f"/l/assignments/{requested}/conflict", answer="conflict")
    assert status == 302
    assert "张伟" not in lawyer.get("/l/").get_data(as_text=True)
    assert lawyer.get(f"/l/assignments/{requested}").status_code == 404
    with Session(world.database.engine) as session:
        (answer,) = session.execute(select(CONFLICT_CHECK.c.has_conflict)).scalars()
    assert answer is True


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"hours": ""}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"hours": "-2"}, "hours"),
        ({"hours": "1.255"}, "hours"),
        ({"hours": "1001"}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"outcome": ""}, "outcome"),
        ({"outcome": "坏\x00"}, "outcome"),
    ],
)
def test_complete_with_bad_input_names_the_field_and_writes_nothing(world, requested, data, field):
    lawyer = sign_in(world.app, world.local)
    confirm(lawyer, requested)
    post(lawyer, f"/l/assignments/{requested}/claim")
    form = {"version": "2", "outcome": "完成", "hours": "2", **data}
    status, page = post(lawyer, f"/l/assignments/{requested}/complete", **form)
    assert status == 400 and f'id="error-complete-{field}"' in page
    assert stored(world.database, requested).state == "claimed"


def test_complete_before_the_conflict_check_is_refused(world):
    request_help(world)
    (assignment_id,) = assignment_ids(world.database)
    lawyer = sign_in(world.app, world.local)
    lawyer.post("/l/next", data={"csrf_token": token_of(lawyer)})
    status, page = post(
        lawyer, f"/l/assignments/{assignment_id}/complete", version="2", outcome="x", hours="1"
    )
    assert status == 409 and "conflict of interest" in page
    assert stored(world.database, assignment_id).state == "claimed"


# --------------------------------------------------------------------------- who sees what


def lawyer_routes(app: Flask) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("lawyer.")),
        key=lambda r: r.rule,
    )


def test_every_assignment_route_is_404_for_a_lawyer_of_another_zone(world, requested):
    stranger = sign_in(world.app, world.remote)
    checked = 0
    for rule in lawyer_routes(world.app):
        if "assignment_id" not in rule.arguments:
            continue
        url = rule.build({"assignment_id": requested})[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                status = stranger.get(url).status_code
            else:
                status = post(
                    stranger, url, answer="none", version="1", reason="x", outcome="x", hours="1"
                )[0]
            assert status == 404, f"{method} {url} answered {status}"
            checked += 1
    assert checked >= 5
    assert "张伟" not in stranger.get("/l/").get_data(as_text=True)
    assert "张伟" not in stranger.get("/l/escalated").get_data(as_text=True)
    assert stored(world.database, requested).state == "open"


def test_unknown_and_foreign_ids_are_404_for_every_lawyer_route(world, requested):
    lawyer = sign_in(world.app, world.local)
    for rule in lawyer_routes(world.app):
        if "assignment_id" not in rule.arguments:
            continue
        url = rule.build({"assignment_id": requested + 1000})[1]
        status = lawyer.get(url).status_code if "GET" in rule.methods else post(lawyer, url)[0]
        assert status == 404, url


def test_another_lawyers_claimed_assignment_is_404(world, requested):
    serve_zone(world.database, world.local2, world.zone_a)
    holder, other = sign_in(world.app, world.local), sign_in(world.app, world.local2)
    confirm(holder, requested)
    post(holder, f"/l/assignments/{requested}/claim")
    assert other.get(f"/l/assignments/{requested}").status_code == 404
    assert post(other, f"/l/assignments/{requested}/release", version="2", reason="x")[0] == 404


def test_a_lawyer_sees_no_mediator_page(world, requested):
    lawyer = sign_in(world.app, world.local)
    for url in (f"/m/cases/{world.number}", "/m/cases", "/m/", "/m/legal-help/workload"):
        assert lawyer.get(url).status_code in (403, 404), url
    assert lawyer.get(f"/m/cases/{world.number}").status_code == 404
    status, _ = post(lawyer, f"/m/cases/{world.number}/legal-help", kind="consultation")
    assert status == 404


def test_escalation_by_time_opens_it_to_another_zone(world, requested, monkeypatch):
    stranger = sign_in(world.app, world.remote)
    created = stored(world.database, requested).created_at
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: created + timedelta(hours=47, minutes=59))
    assert stranger.get(f"/l/assignments/{requested}").status_code == 404
    monkeypatch.setattr(clock, "utcnow", lambda: created + timedelta(hours=48))
    page = stranger.get("/l/escalated").get_data(as_text=True)
    assert "张伟" in page and f'data-assignment="{requested}"' in page
    assert stranger.get(f"/l/assignments/{requested}").status_code == 200
    confirm(stranger, requested)
    assert post(stranger, f"/l/assignments/{requested}/claim")[0] == 302
    assert stored(world.database, requested).claimed_by_id == world.remote.id


def test_every_route_of_the_lawyer_blueprint_is_for_lawyers_only(app):
    for rule in lawyer_routes(app):
        assert policy_of(app.view_functions[rule.endpoint]) == frozenset({"lawyer"}), rule


# --------------------------------------------------------------------------- the mediator


def render_panel(world: World) -> str:
    """Render the case page's legal-help partial as the lead includes it."""
    with world.app.test_request_context("/"):
        return render_template_string(
            '{% include "mediator/_legal_help.html" %}',
            case=SimpleNamespace(id=world.case_id, number=world.number, state="registered"),
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "lunch"}, "kind"),
        ({"needed": ""}, "needed"),
        ({"needed": "x" * 2001}, "needed"),
        ({"due_on": "yesterday"}, "due_on"),
        ({"due_on": (clock.today() - timedelta(days=1)).isoformat()}, "due_on"),
        ({"due_on": (clock.today() + timedelta(days=400)).isoformat()}, "due_on"),
    ],
)
def test_request_with_bad_input_names_the_field_and_writes_nothing(world, overrides, field):
    status, page = request_help(world, **overrides)
    assert status == 400 and f'id="error-legal-help-{field}"' in page
    assert assignment_ids(world.database) == []


def test_the_panel_shows_status_and_lawyer(world, requested):
    panel = render_panel(world)
    assert 'id="legal-help"' in panel and 'data-state="open"' in panel
    assert "三个月拖欠工资" in panel
    lawyer = sign_in(world.app, world.local)
    confirm(lawyer, requested)
    post(lawyer, f"/l/assignments/{requested}/claim")
    panel = render_panel(world)
    assert 'data-state="claimed"' in panel and world.local.display_name in panel


def test_cancel_by_the_mediator(world, requested):
    mediator = sign_in(world.app, world.mediator)
    url = f"/m/cases/{world.number}/legal-help/{requested}/cancel"
    status, page = post(mediator, url, version="1", reason="")
    assert status == 400 and f'id="error-cancel-{requested}-reason"' in page
    status, _ = post(mediator, url, version="1", reason="双方已自行和解")
    assert status == 302
    assert stored(world.database, requested).state == "cancelled"
    status, _ = post(mediator, url, version="2", reason="again")
    assert status == 409


def test_cancel_of_another_cases_assignment_is_404(world, requested, make_user):
    other_case, _ = make_case(world.database)
    with Session(world.database.engine) as session:
        other_number = session.execute(
            select(CASE.c.number).where(CASE.c.id == other_case)
        ).scalar_one()
    mediator = sign_in(world.app, world.mediator)
    status, _ = post(
        mediator, f"/m/cases/{other_number}/legal-help/{requested}/cancel", version="1", reason="x"
    )
    assert status == 404


def test_events_of_legal_help_are_on_the_case_log(world, requested):
    with Session(world.database.engine) as session:
        actions = list(
            session.execute(
                select(EVENT.c.action).where(EVENT.c.case_id == world.case_id).order_by(EVENT.c.seq)
            ).scalars()
        )
    assert actions[-1] == "request_legal_help"


# --------------------------------------------------------------------------- admin and workload


def test_admin_manages_firms_and_lawyers_and_sees_the_zone_map(world):
    admin = sign_in(world.app, world.admin)
    status, page = post(admin, "/admin/law-firms/new", name="", phone="")
    assert status == 400
    status, _ = post(
        admin, "/admin/law-firms/new", name="北京市大兴律师事务所", phone="010-69241234"
    )
    assert status == 302
    with Session(world.database.engine) as session:
        firm_id = session.execute(select(LAW_FIRM.c.id)).scalar_one()
    assert "北京市大兴律师事务所" in admin.get("/admin/law-firms").get_data(as_text=True)
    status, _ = post(admin, f"/admin/law-firms/{firm_id}", name="北京市大兴律师事务所", phone="")
    assert status == 302

    url = f"/admin/lawyers/{world.remote.id}"
    assert admin.get(url).status_code == 200
    status, page = post(admin, url, firm=str(firm_id), availability="limited", practice_notes="")
    assert status == 400 and "Choose at least one zone." in page
    status, _ = post(
        admin,
        url,
        firm=str(firm_id),
        zones=[str(world.zone_a)],
        availability="limited",
        active="y",
        practice_notes="擅长工伤",
    )
    assert status == 302
    with Session(world.database.engine) as session:
        zones = session.execute(
            select(LAWYER_ZONE.c.zone_id).where(LAWYER_ZONE.c.lawyer_id == world.remote.id)
        ).scalars()
        assert list(zones) == [world.zone_a]
    listing = admin.get("/admin/lawyers").get_data(as_text=True)
    assert "lawyer.b" in listing and "Limited availability" in listing
    zone_map = admin.get("/admin/zone-map").get_data(as_text=True)
    assert "黄村镇调解中心所在镇" in zone_map and 'data-lawyer="lawyer.b"' in zone_map
    assert admin.get(f"/admin/lawyers/{world.mediator.id}").status_code == 404
    assert admin.get("/admin/law-firms/9999").status_code == 404


@pytest.mark.parametrize("who", ["mediator", "supervisor", "admin"])
def test_workload_for_mediators_supervisors_and_admins(world, requested, who):
    lawyer = sign_in(world.app, world.local)
    confirm(lawyer, requested)
    post(lawyer, f"/l/assignments/{requested}/claim")
    post(lawyer, f"/l/assignments/{requested}/complete", version="2", outcome="完成", hours="2.25")
    page = sign_in(world.app, getattr(world, who)).get("/m/legal-help/workload")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    row = re.search(rf'<tr data-lawyer="{world.local.id}".*?</tr>', text, re.S)
    assert row and 'data-figure="completed">1<' in row.group(0) and ">2.25<" in row.group(0)


def test_nothing_is_written_by_a_get(world, requested):
    with Session(world.database.engine) as session:
        before = session.execute(select(func.count()).select_from(EVENT)).scalar()
    lawyer = sign_in(world.app, world.local)
    for url in ("/l/", "/l/escalated", "/l/mine", f"/l/assignments/{requested}"):
        assert lawyer.get(url).status_code == 200
    with Session(world.database.engine) as session:
        assert session.execute(select(func.count()).select_from(EVENT)).scalar() == before


def test_the_lawyer_pages_speak_chinese_by_default(world, requested):
    lawyer = sign_in(world.app, world.local)
    lawyer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    pool = lawyer.get("/l/").get_data(as_text=True)
    assert "认领下一件" in pool and "法律意见" in pool
    page = lawyer.get(f"/l/assignments/{requested}").get_data(as_text=True)
    assert "利益冲突" in page
