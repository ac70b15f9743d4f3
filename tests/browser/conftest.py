"""Fixtures for real-browser tests: the app on a live server, and Debian's Chromium.

Without the browser (or the playwright package) the tests skip, saying how to install it —
except under CI (``CI=true``), where a missing browser fails the run.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from werkzeug.serving import BaseWSGIServer, make_server

from mediation.app import create_app, get_database
from mediation.db import Database
from mediation.people import passwords
from mediation.people.service import (
    create_user,
    ensure_organization,
    ensure_town,
    ensure_zone,
)
from mediation.schema import upgrade
from tests.browser import support
from tests.browser.support import (
    CHROMIUM_ARGS,
    IN_CI,
    MEDIATOR_PASSWORD,
    MEDIATOR_USERNAME,
    ORGANIZATION,
    TOWN,
    LiveServer,
    QuietHandler,
)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``browser`` marker (the tests run under ``--strict-markers``)."""
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium) via Playwright")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Return Debian's Chromium, or skip (fail under CI) when it or Playwright is missing."""
    if not support.CHROMIUM.exists():
        _unavailable(
            f"{support.CHROMIUM} is missing: run scripts/install_browser.sh as root "
            "(apt-get install -y chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed: pip install -e '.[dev]'")
    return support.CHROMIUM


@pytest.fixture
def browser_page(chromium_path: Path) -> Iterator[Any]:
    """A fresh page of headless Chromium (desktop size, Chinese), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            page = context.new_page()
            page.set_default_timeout(10_000)
            yield page
            context.close()
        finally:
            browser.close()


@pytest.fixture
def live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """Serve the app on a fresh migrated SQLite file, with one mediator to log in as."""
    # The cheapest argon2id parameters: these tests are about pages, not hashing cost.
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    setup = Database(url)
    upgrade(setup.engine)
    with setup.writing() as session:
        zone = ensure_zone(session, name="黄村片区")
        town = ensure_town(session, name=TOWN, zone_id=zone.id)
        organization = ensure_organization(
            session, name=ORGANIZATION, level="town", town_id=town.id
        )
        create_user(
            session,
            username=MEDIATOR_USERNAME,
            password=MEDIATOR_PASSWORD,
            role="mediator",
            display_name="王调解",
            organization_id=organization.id,
        )
    setup.dispose()

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)})
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.server_port}",
            database=get_database(app),
            username=MEDIATOR_USERNAME,
            password=MEDIATOR_PASSWORD,
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        get_database(app).dispose()
