"""The administrator's pages: users, organisations, towns and zones."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select
from sqlmodel import Session

from mediation.app import get_database
from mediation.people.models import Organization, Town, User, Zone
from mediation.people.service import authenticate
from mediation.tables import EVENT, USER
from tests.factories import ensure_organization
from tests.web.conftest import PASSWORD, csrf_token

NEW_PASSWORD = "Xin-Mima-2026-Beijing"


@pytest.fixture(autouse=True)
def english(client):
    """Read the pages in English, whatever the catalog holds."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def admin(make_user, login):
    """An administrator, logged in on ``client``."""
    user = make_user("admin")
    login(user)
    return user


def counts(database) -> tuple[int, int]:
    """Return (events, users): what a refused form must leave unchanged."""
    with database.engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(EVENT)).scalar_one()
        users = connection.execute(select(func.count()).select_from(USER)).scalar_one()
    return events, users


def last_event(database) -> tuple[str, str, str]:
    """Return (action, actor, payload) of the newest event."""
    with database.engine.connect() as connection:
        row = connection.execute(
            select(EVENT.c.action, EVENT.c.actor, EVENT.c.payload).order_by(EVENT.c.seq.desc())
        ).first()
    assert row is not None
    return row.action, row.actor, row.payload


def load(database, model, **where):
    """Return the row of ``model`` matching ``where``."""
    with Session(database.engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalars().first()


def post_form(client, url: str, data: dict[str, object]):
    """GET the form page for its CSRF token, then POST ``data``."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def invalid_fields(page: str) -> set[str]:
    """Return the names of the inputs the page marks invalid."""
    names = set()
    for tag in re.findall(r"<(?:input|select)[^>]*>", page):
        if "is-invalid" in tag:
            match = re.search(r'name="([^"]+)"', tag)
            if match:
                names.add(match.group(1))
    return names


def ids(database):
    """Return (organization id, zone id) of the test organisation's town."""
    org = load(database, Organization, name="黄村镇调解中心")
    town = load(database, Town, id=org.town_id)
    return org.id, town.zone_id


# --------------------------------------------------------------------------- users


def valid_user(database, **overrides) -> dict[str, object]:
    org_id, _zone_id = ids(database)
    return {
        "username": "wang.fang",
        "display_name": "王芳",
        "role": "mediator",
        "organization": str(org_id),
        "zone": "",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        **overrides,
    }


def test_create_user_valid_creates_and_logs_event(database, client, admin):
    response = post_form(client, "/admin/users/new", valid_user(database))
    assert response.status_code == 302
    assert response.location == "/admin/users"
    user = load(database, User, username="wang.fang")
    org_id, _ = ids(database)
    assert (user.display_name, user.role, user.organization_id, user.zone_id) == (
        "王芳",
        "mediator",
        org_id,
        None,
    )
    action, actor, payload = last_event(database)
    assert (action, actor) == ("create_user", admin.username)
    assert NEW_PASSWORD not in payload
    page = client.get("/admin/users").get_data(as_text=True)
    assert "User wang.fang created." in page
    assert 'data-user="wang.fang"' in page
    with database.writing() as session:
        assert authenticate(session, "wang.fang", NEW_PASSWORD) is not None


def test_create_lawyer_keeps_zone_and_drops_organisation(database, client, admin):
    org_id, zone_id = ids(database)
    data = valid_user(database, role="lawyer", organization=str(org_id), zone=str(zone_id))
    assert post_form(client, "/admin/users/new", data).status_code == 302
    user = load(database, User, username="wang.fang")
    assert (user.role, user.organization_id, user.zone_id) == ("lawyer", None, zone_id)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "wang fang"}, "username", "3 to 80 letters, digits"),
        ({"username": "wf"}, "username", "3 to 80 letters, digits"),
        (
            {"password": "1234567890", "confirm": "1234567890"},
            "password",
            "one of the most common passwords",
        ),
        ({"password": "short1!", "confirm": "short1!"}, "password", "at least 10 characters"),
        (
            {"password": "wang.fang.x", "confirm": "wang.fang.x", "username": "wang.fang.x"},
            "password",
            "Must not be the user name.",
        ),
        ({"confirm": "something-else-2026"}, "confirm", "The passwords differ."),
        ({"organization": ""}, "organization", "A mediator must belong to a mediation"),
        ({"role": "lawyer", "zone": ""}, "zone", "A volunteer lawyer must be assigned to a zone"),
        ({"role": "boss"}, "role", "Not a valid choice"),
        ({"organization": "999999"}, "organization", "Not a valid choice"),
        ({"display_name": ""}, "display_name", "This field is required"),
    ],
)
def test_create_user_invalid_field_is_named_and_nothing_written(
    database, client, admin, overrides, field, message
):
    before = counts(database)
    response = post_form(client, "/admin/users/new", valid_user(database, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field in invalid_fields(page)
    assert message in page
    assert counts(database) == before


def test_create_user_duplicate_username_is_refused_ignoring_case(
    database, client, admin, make_user
):
    make_user("mediator", username="Wang.Fang")
    before = counts(database)
    response = post_form(client, "/admin/users/new", valid_user(database))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert invalid_fields(page) == {"username"}
    assert "This user name is already taken." in page
    assert counts(database) == before


def test_create_user_form_offers_organisations_and_zones(database, client, admin):
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert "黄村镇调解中心" in page
    assert "测试片区" not in page  # no lawyer yet, so no such zone
    assert "黄村镇调解中心片区" in page


def test_edit_user_changes_role_and_zone_and_logs_changes(database, client, admin, make_user):
    user = make_user("mediator")
    _org_id, zone_id = ids(database)
    response = post_form(
        client,
        f"/admin/users/{user.id}",
        {"display_name": "李律师", "role": "lawyer", "organization": "", "zone": str(zone_id)},
    )
    assert response.status_code == 302
    changed = load(database, User, id=user.id)
    assert (changed.display_name, changed.role, changed.organization_id, changed.zone_id) == (
        "李律师",
        "lawyer",
        None,
        zone_id,
    )
    action, actor, payload = last_event(database)
    assert (action, actor) == ("update_user", admin.username)
    assert '"role":["mediator","lawyer"]' in payload


def test_edit_user_form_shows_current_values(database, client, admin, make_user):
    user = make_user("mediator")
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="测试mediator"' in page
    assert re.search(r'<option selected value="mediator">|<option value="mediator" selected', page)


def test_edit_user_lawyer_without_zone_is_refused(database, client, admin, make_user):
    user = make_user("mediator")
    before = counts(database)
    response = post_form(
        client,
        f"/admin/users/{user.id}",
        {"display_name": "李律师", "role": "lawyer", "organization": "", "zone": ""},
    )
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {"zone"}
    assert counts(database) == before
    assert load(database, User, id=user.id).role == "mediator"


def test_edit_own_role_away_from_admin_is_refused(database, client, admin):
    response = post_form(
        client,
        f"/admin/users/{admin.id}",
        {"display_name": "管理员", "role": "supervisor", "organization": "", "zone": ""},
    )
    assert response.status_code == 400
    assert "You cannot take the administrator role from yourself." in response.get_data(
        as_text=True
    )
    assert load(database, User, id=admin.id).role == "admin"


def test_edit_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404


def test_disable_and_enable_user(database, client, admin, make_user, app):
    user = make_user("mediator")
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    other.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert other.get("/overview").status_code == 200

    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    response = client.post(f"/admin/users/{user.id}/disable", data={"csrf_token": token})
    assert response.status_code == 302
    row = load(database, User, id=user.id)
    assert row.active is False
    assert last_event(database)[:2] == ("disable_user", admin.username)
    # The user's session has ended and they cannot log in again.
    assert other.get("/overview").location.startswith("/login")
    with database.writing() as session:
        assert authenticate(session, user.username, PASSWORD) is None
    assert "Disabled" in client.get("/admin/users").get_data(as_text=True)

    response = client.post(f"/admin/users/{user.id}/enable", data={"csrf_token": token})
    assert response.status_code == 302
    assert load(database, User, id=user.id).active is True
    assert last_event(database)[:2] == ("enable_user", admin.username)
    with database.writing() as session:
        assert authenticate(session, user.username, PASSWORD) is not None


def test_disable_self_is_refused(database, client, admin):
    token = csrf_token(client.get("/admin/users").get_data(as_text=True))
    before = counts(database)
    response = client.post(f"/admin/users/{admin.id}/disable", data={"csrf_token": token})
    assert response.status_code == 400
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    assert counts(database) == before
    assert client.get("/admin/users").status_code == 200


def test_disable_by_get_is_not_allowed(database, client, admin, make_user):
    user = make_user("mediator")
    assert client.get(f"/admin/users/{user.id}/disable").status_code == 405
    assert load(database, User, id=user.id).active is True


def test_reset_password_sets_new_one_and_ends_sessions(database, client, admin, make_user, app):
    user = make_user("mediator")
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    other.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert other.get("/overview").status_code == 200

    url = f"/admin/users/{user.id}/password"
    response = post_form(client, url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert last_event(database)[:2] == ("set_password", admin.username)
    assert NEW_PASSWORD not in last_event(database)[2]
    assert other.get("/overview").location.startswith("/login")
    with database.writing() as session:
        assert authenticate(session, user.username, PASSWORD) is None
        assert authenticate(session, user.username, NEW_PASSWORD) is not None


def test_reset_password_weak_is_refused(database, client, admin, make_user):
    user = make_user("mediator")
    before = counts(database)
    response = post_form(
        client,
        f"/admin/users/{user.id}/password",
        {"password": "password123", "confirm": "password123"},
    )
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {"password"}
    assert counts(database) == before


def test_reset_own_password_goes_to_change_password(client, admin):
    response = client.get(f"/admin/users/{admin.id}/password")
    assert response.status_code == 302
    assert response.location == "/password"


# --------------------------------------------------------------------------- places


def test_create_organisation_and_edit_it(database, client, admin):
    town = load(database, Town, id=load(database, Organization, name="黄村镇调解中心").town_id)
    response = post_form(
        client,
        "/admin/organizations/new",
        {"name": " 北京某电子企业调解委员会 ", "level": "enterprise", "town": str(town.id)},
    )
    assert response.status_code == 302
    org = load(database, Organization, name="北京某电子企业调解委员会")
    assert (org.level, org.town_id) == ("enterprise", town.id)
    assert last_event(database)[:2] == ("create_organization", admin.username)
    page = client.get("/admin/organizations").get_data(as_text=True)
    assert "北京某电子企业调解委员会" in page
    assert "Enterprise committee" in page

    response = post_form(
        client,
        f"/admin/organizations/{org.id}",
        {"name": "北京某电子企业调解中心", "level": "town", "town": ""},
    )
    assert response.status_code == 302
    org = load(database, Organization, id=org.id)
    assert (org.name, org.level, org.town_id) == ("北京某电子企业调解中心", "town", None)
    action, actor, payload = last_event(database)
    assert (action, actor) == ("update_organization", admin.username)
    assert '"level":["enterprise","town"]' in payload


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "黄村镇调解中心", "level": "town"}, "name", "This name is already in use."),
        ({"name": "   ", "level": "town"}, "name", "This field is required"),
        ({"name": "新调解中心", "level": "national"}, "level", "Not a valid choice"),
        ({"name": "新调解中心", "level": "town", "town": "999999"}, "town", "Not a valid choice"),
    ],
)
def test_create_organisation_invalid_is_refused(database, client, admin, data, field, message):
    before = counts(database)
    response = post_form(client, "/admin/organizations/new", {"town": "", **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field in invalid_fields(page)
    assert message in page
    assert counts(database) == before


def test_rename_organisation_to_taken_name_is_refused(database, client, admin):
    other_id, _ = ensure_organization(database, name="礼贤镇调解中心")
    before = counts(database)
    response = post_form(
        client,
        f"/admin/organizations/{other_id}",
        {"name": "黄村镇调解中心", "level": "town", "town": ""},
    )
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {"name"}
    assert counts(database) == before


def test_create_town_and_move_it(database, client, admin):
    _org_id, zone_id = ids(database)
    response = post_form(
        client, "/admin/towns/new", {"name": "亦庄镇", "kind": "base", "zone": str(zone_id)}
    )
    assert response.status_code == 302
    town = load(database, Town, name="亦庄镇")
    assert (town.kind, town.zone_id) == ("base", zone_id)
    assert last_event(database)[:2] == ("create_town", admin.username)
    page = client.get("/admin/towns").get_data(as_text=True)
    assert "亦庄镇" in page
    assert "Industrial base" in page

    response = post_form(client, "/admin/zones/new", {"name": "南片", "claim_window_hours": "24"})
    assert response.status_code == 302
    south = load(database, Zone, name="南片")
    response = post_form(client, f"/admin/towns/{town.id}", {"zone": str(south.id)})
    assert response.status_code == 302
    assert load(database, Town, id=town.id).zone_id == south.id
    action, actor, payload = last_event(database)
    assert (action, actor) == ("update_town", admin.username)
    assert f'"zone_id":[{zone_id},{south.id}]' in payload


def test_create_town_duplicate_or_bad_kind_is_refused(database, client, admin):
    post_form(client, "/admin/towns/new", {"name": "亦庄镇", "kind": "town", "zone": ""})
    before = counts(database)
    response = post_form(client, "/admin/towns/new", {"name": "亦庄镇", "kind": "town", "zone": ""})
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {"name"}
    response = post_form(client, "/admin/towns/new", {"name": "旧宫镇", "kind": "city", "zone": ""})
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {"kind"}
    assert counts(database) == before


def test_create_zone_and_edit_window(database, client, admin, make_user):
    make_user("lawyer")
    response = post_form(client, "/admin/zones/new", {"name": "北片", "claim_window_hours": "72"})
    assert response.status_code == 302
    zone = load(database, Zone, name="北片")
    assert zone.claim_window_hours == 72
    action, actor, payload = last_event(database)
    assert (action, actor) == ("create_zone", admin.username)
    assert '"claim_window_hours":72' in payload

    response = post_form(client, f"/admin/zones/{zone.id}", {"claim_window_hours": "36"})
    assert response.status_code == 302
    assert load(database, Zone, id=zone.id).claim_window_hours == 36
    action, actor, payload = last_event(database)
    assert (action, actor) == ("update_zone", admin.username)
    assert '"claim_window_hours":[72,36]' in payload

    page = client.get("/admin/zones").get_data(as_text=True)
    row = re.search(rf'<tr data-zone="{zone.id}">(.*?)</tr>', page, re.S)
    assert row and ">36<" in row.group(1)
    lawyer_zone = load(database, Zone, name="测试片区")
    row = re.search(rf'<tr data-zone="{lawyer_zone.id}">(.*?)</tr>', page, re.S)
    assert row and '<td class="num">1</td>' in row.group(1)  # one volunteer lawyer


def test_saving_an_unchanged_zone_writes_no_event(database, client, admin):
    _org_id, zone_id = ids(database)
    before = counts(database)
    response = post_form(client, f"/admin/zones/{zone_id}", {"claim_window_hours": "48"})
    assert response.status_code == 302
    assert counts(database) == before
    assert "Nothing was changed." in client.get("/admin/zones").get_data(as_text=True)


@pytest.mark.parametrize("hours", ["0", "721", "two", ""])
def test_zone_window_out_of_range_is_refused(database, client, admin, hours):
    before = counts(database)
    response = post_form(client, "/admin/zones/new", {"name": "北片", "claim_window_hours": hours})
    assert response.status_code == 400
    assert invalid_fields(response.get_data(as_text=True)) == {"claim_window_hours"}
    assert counts(database) == before


def test_zone_lists_its_towns(database, client, admin):
    page = client.get("/admin/zones").get_data(as_text=True)
    assert "黄村镇调解中心所在镇" in page


# --------------------------------------------------------------------------- access


ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/towns",
    "/admin/towns/new",
    "/admin/zones",
    "/admin/zones/new",
]


@pytest.mark.parametrize("role", ["mediator", "lawyer", "supervisor"])
def test_admin_pages_refuse_other_roles(database, client, make_user, login, role):
    login(make_user(role))
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url


def test_admin_navigation_links_every_admin_list(client, admin):
    page = client.get("/admin/users").get_data(as_text=True)
    for url in ("/admin/users", "/admin/organizations", "/admin/towns", "/admin/zones"):
        assert f'href="{url}"' in page


@pytest.mark.parametrize(
    "url", ["/admin/users", "/admin/organizations", "/admin/towns", "/admin/zones"]
)
def test_admin_list_queries_do_not_grow_with_rows(app, client, admin, make_user, url):
    def queries() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        engine = get_database(app).engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    client.get(url)  # warm up
    few = queries()
    for n in range(4):
        make_user("mediator", organization=f"第{n}调解中心")
        make_user("lawyer")
    assert queries() == few


def test_zones_page_counts_a_lawyer_in_every_zone_they_serve(database, client, admin, make_user):
    from sqlalchemy import insert

    from mediation.tables import LAWYER_ZONE

    lawyer = make_user("lawyer")
    with Session(database.engine) as session:
        home = session.get(User, lawyer.id).zone_id
        extra = Zone(name="礼贤片区", claim_window_hours=48)
        session.add(extra)
        session.commit()
        session.execute(insert(LAWYER_ZONE).values(lawyer_id=lawyer.id, zone_id=extra.id))
        session.commit()
        zone_ids = (home, extra.id)
    page = client.get("/admin/zones").get_data(as_text=True)
    for zone_id in zone_ids:
        row = re.search(rf'<tr data-zone="{zone_id}">(.*?)</tr>', page, re.S)
        assert row is not None
        assert re.findall(r'<td class="num">(\d+)</td>', row.group(1))[1] == "1"
