"""Logging in and out, session revocation, the interface language, one's own password."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_locale
from sqlalchemy import select
from sqlmodel import Session

from mediation.people.models import User
from mediation.people.service import authenticate
from mediation.tables import EVENT
from tests.web.conftest import PASSWORD, csrf_token
from tests.web.test_admin import invalid_fields

NEW_PASSWORD = "Xin-Mima-2026-Beijing"
WRONG = "Wrong user name or password."


def new_client(app: Flask) -> FlaskClient:
    """A fresh browser: no cookies, English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def log_in(client: FlaskClient, username: str, password: str = PASSWORD, **query: str):
    """Post the login form; return the response."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        query_string=query,
        data={"username": username, "password": password, "csrf_token": token},
    )


def logged_in(app: Flask, user: User) -> FlaskClient:
    """A fresh browser logged in as ``user``."""
    client = new_client(app)
    assert log_in(client, user.username).status_code == 302
    return client


def works(client: FlaskClient) -> bool:
    """Tell whether the client's session still opens a page that needs a login."""
    response = client.get("/overview")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.location.startswith("/login")
    return False


def post_page_form(client: FlaskClient, url: str, data: dict[str, str]):
    """GET a form page for its CSRF token, then POST ``data`` to it."""
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def load_user(database, user_id: int) -> User:
    with Session(database.engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


# --------------------------------------------------------------------------- login


def test_login_valid_goes_to_the_role_start_page(app, make_user):
    client = new_client(app)
    response = log_in(client, make_user("supervisor").username)
    assert response.status_code == 302
    assert response.location == "/s/"
    assert works(client)


def test_login_username_ignores_case(app, make_user):
    make_user("supervisor", username="Zhang.Wei")
    assert log_in(new_client(app), "zhang.WEI").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [("supervisor1", "Wrong-Password-2026"), ("nobody", PASSWORD), ("supervisor1", "")],
)
def test_login_wrong_password_or_unknown_user_is_refused_alike(app, make_user, username, password):
    make_user("supervisor")  # supervisor1
    client = new_client(app)
    response = log_in(client, username, password)
    page = response.get_data(as_text=True)
    if password:
        assert response.status_code == 401
        assert WRONG in page
    else:
        assert response.status_code == 400  # the form itself is incomplete
    assert not works(client)


def test_login_disabled_user_is_refused_with_the_same_message(app, database, make_user):
    from mediation.people.service import disable_user

    user = make_user("supervisor")
    with database.writing() as session:
        row = session.get(User, user.id)
        disable_user(session, row)
    response = log_in(new_client(app), user.username)
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)


def test_login_page_shows_a_form_with_csrf(app):
    response = new_client(app).get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert csrf_token(page)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users?page=2", "/admin/users?page=2"),
        ("/overview", "/overview"),
        ("//evil.example/x", "/s/"),
        ("https://evil.example/x", "/s/"),
        ("http:/evil.example", "/s/"),
        ("javascript:alert(1)", "/s/"),
        ("evil.example", "/s/"),
        ("///evil.example", "/s/"),
    ],
)
def test_login_next_accepts_same_site_paths_only(app, make_user, target, expected):
    response = log_in(new_client(app), make_user("supervisor").username, next=target)
    assert response.status_code == 302
    assert response.location == expected


def test_login_next_with_control_characters_stays_on_site(app, make_user):
    response = log_in(new_client(app), make_user("supervisor").username, next="/\t/evil.example")
    assert not response.location.startswith("//")


def test_login_get_changes_nothing(app, database, make_user):
    user = make_user("supervisor")
    response = new_client(app).get(
        "/login", query_string={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert load_user(database, user.id).session_epoch == user.session_epoch


# --------------------------------------------------------------------------- logout


def test_logout_needs_post(app, make_user):
    client = logged_in(app, make_user("supervisor"))
    assert client.get("/logout").status_code == 405
    assert works(client)


def test_logout_ends_the_session(app, make_user):
    client = logged_in(app, make_user("supervisor"))
    token = csrf_token(client.get("/overview").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.location == "/login"
    assert not works(client)


def test_logout_ends_only_this_session(app, make_user):
    user = make_user("supervisor")
    first, second = logged_in(app, user), logged_in(app, user)
    token = csrf_token(first.get("/overview").get_data(as_text=True))
    first.post("/logout", data={"csrf_token": token})
    assert not works(first)
    assert works(second)


# --------------------------------------------------------------------------- revocation


@pytest.fixture
def two_sessions(app, make_user):
    """A supervisor logged in on two browsers; returns (user, first, second)."""
    user = make_user("supervisor")
    first, second = logged_in(app, user), logged_in(app, user)
    assert works(first) and works(second)
    return user, first, second


def test_disabling_a_user_ends_every_session(app, make_user, two_sessions):
    user, first, second = two_sessions
    admin = logged_in(app, make_user("admin"))
    token = csrf_token(admin.get("/admin/users").get_data(as_text=True))
    assert (
        admin.post(f"/admin/users/{user.id}/disable", data={"csrf_token": token}).status_code == 302
    )
    assert not works(first)
    assert not works(second)
    # Enabling again does not revive the old sessions: the user logs in afresh.
    admin.post(f"/admin/users/{user.id}/enable", data={"csrf_token": token})
    assert not works(first)
    assert log_in(first, user.username).status_code == 302
    assert works(first)


def test_changing_own_password_ends_every_session(app, database, two_sessions):
    user, first, second = two_sessions
    response = post_page_form(
        first,
        "/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/login"
    assert not works(first)
    assert not works(second)
    assert log_in(second, user.username, PASSWORD).status_code == 401
    assert log_in(second, user.username, NEW_PASSWORD).status_code == 302
    assert works(second)


def test_admin_resetting_the_password_ends_every_session(app, make_user, two_sessions):
    user, first, second = two_sessions
    admin = logged_in(app, make_user("admin"))
    response = post_page_form(
        admin,
        f"/admin/users/{user.id}/password",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not works(first)
    assert not works(second)
    assert works(admin)
    assert log_in(first, user.username, NEW_PASSWORD).status_code == 302


def test_a_forged_session_token_is_refused(app, two_sessions):
    user, first, _second = two_sessions
    with first.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_epoch + 7}"
    assert not works(first)


# --------------------------------------------------------------------------- language


def page_language(client: FlaskClient) -> str:
    """Return the language ("zh" or "en") a page is rendered in for this client."""
    with client:
        assert client.get("/overview").status_code == 200
        return str(get_locale().language)


def test_language_switch_changes_the_page_and_is_remembered(app, database, make_user):
    user = make_user("supervisor")
    client = app.test_client()  # no Accept-Language: Chinese by default
    assert log_in(client, user.username).status_code == 302
    assert page_language(client) == "zh"

    token = csrf_token(client.get("/overview").get_data(as_text=True))
    response = client.post(
        "/language", data={"locale": "en", "next": "/overview", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.location == "/overview"
    assert page_language(client) == "en"
    assert load_user(database, user.id).locale == "en"

    # Another browser, another day: the choice follows the user.
    other = app.test_client()
    assert log_in(other, user.username).status_code == 302
    assert page_language(other) == "en"

    token = csrf_token(other.get("/overview").get_data(as_text=True))
    other.post("/language", data={"locale": "zh_CN", "csrf_token": token})
    assert page_language(other) == "zh"
    assert load_user(database, user.id).locale == "zh_CN"


def test_language_switch_anonymous_lasts_for_the_session(app):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/language", data={"locale": "en", "csrf_token": token})
    assert response.status_code == 302
    with client:
        client.get("/login")
        assert get_locale().language == "en"


def test_chinese_page_declares_chinese_and_offers_english(app):
    page = app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert 'value="en"' in page


def test_language_switch_unknown_locale_changes_nothing(app, database, make_user):
    user = make_user("supervisor")
    client = app.test_client()
    log_in(client, user.username)
    token = csrf_token(client.get("/overview").get_data(as_text=True))
    response = client.post("/language", data={"locale": "fr", "csrf_token": token})
    assert response.status_code == 302
    assert load_user(database, user.id).locale is None
    assert page_language(client) == "zh"


def test_language_switch_next_stays_on_site(app):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/language",
        data={"locale": "en", "next": "//evil.example/x", "csrf_token": token},
    )
    assert response.status_code == 302
    assert not response.location.startswith("//")


# --------------------------------------------------------------------------- own password


def events(database) -> list[tuple[str, str]]:
    with database.engine.connect() as connection:
        return [
            (row.action, row.actor)
            for row in connection.execute(
                select(EVENT.c.action, EVENT.c.actor).order_by(EVENT.c.seq)
            )
        ]


def test_change_password_valid_logs_event_and_new_password_works(app, database, make_user):
    user = make_user("mediator")
    client = logged_in(app, user)
    response = post_page_form(
        client,
        "/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert events(database)[-1] == ("set_password", user.username)
    with database.writing() as session:
        assert authenticate(session, user.username, PASSWORD) is None
        assert authenticate(session, user.username, NEW_PASSWORD) is not None
    page = client.get("/login").get_data(as_text=True)
    assert "Your password has been changed." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"current_password": "Not-My-Password-1", "new_password": NEW_PASSWORD},
            "current_password",
            "The current password is wrong.",
        ),
        ({"new_password": "1234567890"}, "new_password", "most commonly used passwords"),
        ({"new_password": "aaaaaaaaaaaa"}, "new_password", "one character repeated"),
        ({"new_password": "short-1"}, "new_password", "between 10 and 256 characters"),
        ({"confirm": "Something-Else-2026"}, "confirm", "The passwords differ."),
    ],
)
def test_change_password_invalid_is_refused_and_nothing_changes(
    app, database, make_user, data, field, message
):
    user = make_user("mediator")
    client = logged_in(app, user)
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, **data}
    form.setdefault("confirm", form["new_password"])
    before = events(database)
    response = post_page_form(client, "/password", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert invalid_fields(page) == {field}
    assert events(database) == before
    assert load_user(database, user.id).session_epoch == user.session_epoch
    assert works(client)


def test_change_password_needs_login(app):
    response = new_client(app).get("/password")
    assert response.status_code == 302
    assert response.location.startswith("/login")
