"""Fixtures for the web application: an app on the test database, users, logging in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from mediation.app import create_app, get_database
from mediation.db import Database
from mediation.people import passwords
from mediation.people.models import User
from mediation.people.service import create_user, ensure_zone
from tests.factories import ensure_organization

PASSWORD = "Tiaojie-Test-2026!"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with the cheapest argon2id parameters: web tests are about pages, not cost."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def app(database: Database) -> Iterator[Flask]:
    """The application on the test database."""
    application = create_app({"DATABASE_URL": database.url, "TESTING": True})
    yield application
    get_database(application).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the application."""
    return app.test_client()


def csrf_token(page: str) -> str:
    """Return the CSRF token of the first form on an HTML page."""
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def make_user(database: Database) -> Callable[..., User]:
    """Create a user: ``make_user("mediator")``, optionally of another organisation."""
    counter = iter(range(1, 10_000))

    def make(
        role: str, *, organization: str = "黄村镇调解中心", username: str | None = None
    ) -> User:
        org_id, _town_id = ensure_organization(database, name=organization)
        with database.writing() as session:
            zone_id = ensure_zone(session, name="测试片区").id if role == "lawyer" else None
            return create_user(
                session,
                username=username or f"{role}{next(counter)}",
                password=PASSWORD,
                role=role,
                display_name=f"测试{role}",
                organization_id=org_id if role == "mediator" else None,
                zone_id=zone_id,
            )

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Log a user in through the login form; return the client."""

    def do_login(user: User) -> FlaskClient:
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do_login
