"""Login rate limiting: the 11th failed attempt for an account within 15 minutes gets 429.

The Redis tests run against ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``); they
skip when no Redis answers there, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mediation.app import create_app, get_database
from mediation.db import Database
from mediation.web.authlog import LOGGER_NAME
from mediation.web.ratelimit import storage_uri
from tests.web.conftest import PASSWORD, csrf_token

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def database(sqlite_database: Database) -> Database:
    """Counting logins is about HTTP and the counter store, not the database: SQLite only."""
    return sqlite_database


def attempt(client: FlaskClient, username: str, password: str):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def make_app(database: Database, **config: object) -> Flask:
    return create_app({"DATABASE_URL": database.url, "TESTING": True, **config})


def test_the_11th_failed_attempt_gets_429(
    app: Flask, make_user, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    user = make_user("mediator")
    client = app.test_client()
    for _ in range(10):
        assert attempt(client, user.username, "not-the-password").status_code == 401
    refused = attempt(client, user.username, PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    # The user name is not case-sensitive, nor is its count.
    assert attempt(client, user.username.upper(), PASSWORD).status_code == 429
    limited = [r for r in caplog.records if getattr(r, "auth_outcome", "") == "rate_limited"]
    assert limited and limited[0].auth_object == f"attempted:{user.username}"  # type: ignore[attr-defined]


def test_the_429_page_speaks_english(app: Flask, make_user) -> None:
    user = make_user("mediator")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(10):
        attempt(client, user.username, "not-the-password")
    page = attempt(client, user.username, "not-the-password")
    assert page.status_code == 429
    text = page.get_data(as_text=True)
    assert "Too many login attempts" in text and "Try again in 15 minutes" in text


def test_other_accounts_and_successful_logins_are_not_counted(app: Flask, make_user) -> None:
    locked, other = make_user("mediator"), make_user("mediator")
    client = app.test_client()
    for _ in range(12):  # successes never count
        assert attempt(app.test_client(), other.username, PASSWORD).status_code == 302
    for _ in range(10):
        attempt(client, locked.username, "not-the-password")
    assert attempt(client, locked.username, PASSWORD).status_code == 429
    assert attempt(client, other.username, PASSWORD).status_code == 302


def test_storage_is_memory_without_redis_url(
    app: Flask, monkeypatch: pytest.MonkeyPatch, database: Database
) -> None:
    assert storage_uri(app) == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    production = make_app(database, TESTING=False)
    try:
        assert storage_uri(production) == "redis://redis.internal:6379/0"
    finally:
        get_database(production).dispose()


def test_workers_counting_in_memory_do_not_share(database: Database, make_user) -> None:
    user = make_user("mediator")
    first, second = make_app(database), make_app(database)
    try:
        for _ in range(10):
            attempt(first.test_client(), user.username, "not-the-password")
        assert attempt(first.test_client(), user.username, PASSWORD).status_code == 429
        assert attempt(second.test_client(), user.username, PASSWORD).status_code == 302
    finally:
        get_database(first).dispose()
        get_database(second).dispose()


@pytest.fixture
def redis_url() -> str:
    """The Redis of the tests, reachable (skip, or fail under CI, when it is not)."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI must run the Redis tests: no Redis at {TEST_REDIS_URL} ({exc})")
        pytest.skip(f"needs Redis at TEST_REDIS_URL={TEST_REDIS_URL}: {exc}")
    return TEST_REDIS_URL


@pytest.fixture
def two_workers(database: Database, redis_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two application instances (two gunicorn workers) sharing one Redis."""
    shared = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    first, second = make_app(database, **shared), make_app(database, **shared)
    yield first, second
    get_database(first).dispose()
    get_database(second).dispose()


def test_workers_sharing_redis_share_one_count(two_workers: tuple[Flask, Flask], make_user) -> None:
    first, second = two_workers
    user = make_user("mediator")
    for index in range(10):  # alternate workers, as a load balancer would
        worker = first if index % 2 else second
        assert attempt(worker.test_client(), user.username, "wrong").status_code == 401
    assert attempt(first.test_client(), user.username, PASSWORD).status_code == 429
    assert attempt(second.test_client(), user.username, PASSWORD).status_code == 429
    assert (
        attempt(second.test_client(), make_user("mediator").username, PASSWORD).status_code == 302
    )


def test_redis_keys_do_not_hold_what_was_typed_as_a_user_name(
    two_workers: tuple[Flask, Flask], redis_url: str
) -> None:
    import redis

    first, _second = two_workers
    typed = "11010519491231002X"  # an ID number typed into the user-name box
    for _ in range(3):
        assert attempt(first.test_client(), typed, "wrong").status_code == 401
    prefix = first.config["RATELIMIT_KEY_PREFIX"]
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys(f"*{prefix}*")]
    assert keys, "the failed attempts were counted somewhere"
    assert not any(typed.casefold() in key.casefold() for key in keys), keys
