"""Security headers, cookies, session lifetimes, proxies, and the authentication log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from mediation.app import create_app, get_database
from mediation.db import Database
from mediation.web import security
from mediation.web.authlog import LOGGER_NAME, mask_numbers
from tests.web.conftest import PASSWORD, csrf_token

TEMPLATES = Path(__file__).resolve().parents[2] / "mediation" / "web" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """These tests are about HTTP, not the database: SQLite only."""
    return sqlite_database


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A clock the test moves: ``clock[0]`` is the current Unix time."""
    moment = [1_780_000_000.0]
    monkeypatch.setattr(security, "now", lambda: moment[0])
    return moment


def log_in(client: FlaskClient, username: str, password: str = PASSWORD):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/overview")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.location.startswith("/login")
    return False


def set_cookie_headers(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


# --------------------------------------------------------------------------- headers


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    for path in ("/static/app.css", "/no-such-page", "/verify"):
        with client.get(path) as other:
            assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]


def test_hsts_only_over_https(client: FlaskClient) -> None:
    secure = client.get("/login", base_url="https://tiaojie.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_handlers_or_styles(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text)
    assert not INLINE_HANDLER.search(text)
    assert not STYLE_ATTRIBUTE.search(text)


def test_rendered_pages_have_no_inline_script_or_style(
    app: Flask, make_user, client: FlaskClient
) -> None:
    pages = {
        "mediator": ["/m/", "/m/cases", "/m/cases/new", "/password"],
        "supervisor": ["/s/", "/s/reports", "/s/chain"],
        "lawyer": ["/l/"],
        "admin": ["/admin/users", "/overview"],
    }
    for role, paths in pages.items():
        browser = app.test_client()
        assert log_in(browser, make_user(role).username).status_code == 302
        for path in paths:
            response = browser.get(path)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), path
            assert not INLINE_HANDLER.search(html), path
            assert not STYLE_ATTRIBUTE.search(html), path
    login_page = client.get("/login").get_data(as_text=True)
    assert re.findall(r"<script[^>]*>", login_page)  # Bootstrap's, from this site
    assert all(' src="/' in tag for tag in re.findall(r"<script[^>]*>", login_page))


# --------------------------------------------------------------------------- no-store


def test_logged_in_pages_are_not_stored(app: Flask, make_user, client: FlaskClient) -> None:
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    log_in(client, make_user("mediator").username)
    for path in ("/m/", "/m/cases", "/overview", "/no-such-page"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    # Static files stay cacheable.
    with client.get("/static/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_pdf_downloads_are_not_stored(app: Flask, client: FlaskClient) -> None:
    @app.route("/_test/file.pdf")
    def pdf() -> Response:
        return Response(b"%PDF-1.7", mimetype="application/pdf")

    pdf.access_policy = frozenset({"public"})  # type: ignore[attr-defined]
    assert client.get("/_test/file.pdf").headers["Cache-Control"] == "no-store"


# --------------------------------------------------------------------------- cookies


def test_session_cookie_is_httponly_and_lax_and_secure_only_over_https(
    app: Flask, make_user
) -> None:
    user = make_user("mediator")
    plain = app.test_client()
    response = log_in(plain, user.username)
    cookie = next(c for c in set_cookie_headers(response) if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie

    secure = app.test_client()
    page = secure.get("/login", base_url="https://tiaojie.example").get_data(as_text=True)
    response = secure.post(
        "/login",
        base_url="https://tiaojie.example",
        headers={"Referer": "https://tiaojie.example/login"},
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    cookie = next(c for c in set_cookie_headers(response) if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --------------------------------------------------------------------------- proxies


@pytest.fixture
def proxied_app(database: Database) -> Iterator[Flask]:
    application = create_app({"DATABASE_URL": database.url, "TESTING": True, "TRUSTED_PROXIES": 1})
    yield application
    get_database(application).dispose()


def test_forwarded_https_is_believed_only_behind_a_trusted_proxy(
    app: Flask, proxied_app: Flask
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    behind = proxied_app.test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" in behind.headers
    direct = app.test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in direct.headers


def test_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert security.trusted_proxies_from_env() == 2
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert security.trusted_proxies_from_env() == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "yes")
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        security.trusted_proxies_from_env()


# --------------------------------------------------------------------------- lifetimes


def test_login_starts_a_new_session(app: Flask, make_user, client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session[security.SESSION_ID] = "fixed-id"
    log_in(client, make_user("mediator").username)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session[security.SESSION_ID] != "fixed-id"
        first = session[security.SESSION_ID]
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/m/").get_data(True))})
    log_in(client, make_user("mediator").username)
    with client.session_transaction() as session:
        assert session[security.SESSION_ID] != first


def test_a_visitors_pages_do_not_rewrite_cookies(client: FlaskClient) -> None:
    first = client.get("/login")
    assert any(h.startswith("session=") for h in set_cookie_headers(first))  # the CSRF token
    again = client.get("/login")
    assert set_cookie_headers(again) == []  # no session rewrite, no remember-me deletion


def test_session_ends_after_30_idle_minutes(
    app: Flask, make_user, client: FlaskClient, clock: list[float]
) -> None:
    log_in(client, make_user("mediator").username)
    clock[0] += 29 * 60
    assert is_logged_in(client)
    clock[0] += 29 * 60  # 58 minutes after login, but only 29 since the last request
    assert is_logged_in(client)
    clock[0] += 30 * 60 + 1
    assert not is_logged_in(client)
    # And it stays ended: the next request is anonymous too.
    assert not is_logged_in(client)


def test_session_ends_12_hours_after_login_however_busy(
    app: Flask, make_user, client: FlaskClient, clock: list[float]
) -> None:
    log_in(client, make_user("mediator").username)
    for _ in range(35):  # a request every 20 minutes: 11 h 40 min
        clock[0] += 20 * 60
        assert is_logged_in(client)
    clock[0] += 20 * 60 + 1
    assert not is_logged_in(client)


def test_a_session_without_a_start_time_is_not_trusted(
    app: Flask, make_user, client: FlaskClient
) -> None:
    log_in(client, make_user("mediator").username)
    with client.session_transaction() as session:
        del session[security.STARTED]
    assert not is_logged_in(client)


# --------------------------------------------------------------------------- the auth log


def auth_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER_NAME]


def test_login_logout_and_password_change_are_logged(
    app: Flask, make_user, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    user = make_user("mediator")
    assert log_in(client, user.username, "wrong-password").status_code == 401
    assert log_in(client, user.username).status_code == 302
    page = client.get("/password").get_data(as_text=True)
    client.post(
        "/password",
        data={
            "current_password": "not-it",
            "new_password": "Xin-Mima-2026-Beijing",
            "confirm": "Xin-Mima-2026-Beijing",
            "csrf_token": csrf_token(page),
        },
    )
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/m/").get_data(True))})
    seen = [(r.auth_action, r.auth_outcome) for r in auth_records(caplog)]  # type: ignore[attr-defined]
    assert seen == [
        ("login", "failure"),
        ("login", "success"),
        ("password_change", "failure"),
        ("logout", "success"),
    ]
    for record in auth_records(caplog):
        message = record.getMessage()
        assert message.startswith("auth action=")
        for field in ("outcome=", "actor=", "object=", "ip="):
            assert field in message
        assert record.created > 0
    failure, success = auth_records(caplog)[:2]
    assert failure.auth_actor == "anonymous"  # type: ignore[attr-defined]
    assert failure.auth_object == f"attempted:{user.username}"  # type: ignore[attr-defined]
    assert success.auth_actor == f"user:{user.id}/{user.username}"  # type: ignore[attr-defined]


def test_denials_are_logged(
    app: Flask, make_user, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    user = make_user("lawyer")
    log_in(client, user.username)
    assert client.get("/s/").status_code == 403
    assert client.get("/m/cases/DX-2026-99999").status_code == 404
    denials = [r for r in auth_records(caplog) if r.auth_action == "access"]  # type: ignore[attr-defined]
    assert [(r.auth_outcome, r.auth_object) for r in denials] == [  # type: ignore[attr-defined]
        ("denied_403", "GET:/s/"),
        ("denied_404", "GET:/m/cases/DX-2026-99999"),
    ]
    assert all(r.auth_actor == f"user:{user.id}/{user.username}" for r in denials)  # type: ignore[attr-defined]
    assert denials[0].auth_reason == "role"  # type: ignore[attr-defined]


def test_no_full_id_or_phone_number_in_the_log(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    resident_id = "11011519900307123X"
    phone = "13812345678"
    log_in(client, resident_id, "whatever-password")
    log_in(client, f"{phone} x\nauth action=login outcome=success", "whatever-password")
    text = "\n".join(r.getMessage() for r in auth_records(caplog))
    assert resident_id not in text and phone not in text
    assert "\n" not in text.replace("\nauth action=login outcome=failure", "")
    assert mask_numbers(resident_id) == "110*************3X"
    assert mask_numbers(f"tel {phone}") == "tel 138******78"


def test_expired_sessions_are_logged(
    app: Flask, make_user, client: FlaskClient, clock: list[float], caplog
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    user = make_user("mediator")
    log_in(client, user.username)
    clock[0] += 31 * 60
    assert not is_logged_in(client)
    expired = [r for r in auth_records(caplog) if r.auth_action == "session_expired"]  # type: ignore[attr-defined]
    assert [(r.auth_actor, r.auth_reason) for r in expired] == [(f"user:{user.id}", "idle")]  # type: ignore[attr-defined]


def test_the_session_cookie_is_not_sent_again_on_every_request(app, make_user) -> None:
    """Within the minute that "last seen" resolves, a page answers without a new cookie."""
    client = app.test_client()
    user = make_user("mediator")
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    client.get("/m/")
    response = client.get("/m/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
