"""Races through HTTP: gunicorn with 4 workers on PostgreSQL, 50 simultaneous requests.

The real application runs as ``mediation serve --workers 4`` runs it (tests/reliability/
server.py); every client is a logged-in session of its own that fetched its form (and CSRF
token) before the race, on a connection already open. A :class:`threading.Barrier` releases
the 50 requests together, so they land on the four workers — four processes, four connection
pools — at once, and only the database decides who wins:

- 50 submissions of the same case action from the same version: exactly one is applied (the
  redirect back to the case page), 49 get the conflict page (409), the case is one version
  further, with exactly one event, and ``mediation verify-audit`` exits 0;
- 50 claims of one legal-help assignment by 50 lawyers of its zone: one gets the assignment,
  49 get "already taken" (409), and there is one claim event.

Needs PostgreSQL (``TEST_DATABASE_URL``; skipped without it, required under CI).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlmodel import Session

from mediation import clock
from mediation.assignments import service as assignments
from mediation.audit.chain import Actor
from mediation.cases.service import ClaimInput, register_case
from mediation.db import Database
from mediation.tables import ASSIGNMENT, CASE, EVENT, TOWN, USER, ZONE
from tests.conftest import _reset_postgres
from tests.factories import EMPLOYER, WORKER, ensure_organization, make_case
from tests.reliability.server import ROOT, Browser, Server, cheap_hasher, csrf_token, log_in

WORKERS = 4
CONTENDERS = 50
PASSWORD = "Tiaojie-Reliability-2026!"
MEDIATOR = Actor(None, "测试调解员")


@dataclass
class World:
    """The served database and the server in front of it."""

    database: Database
    server: Server
    password_hash: str


@pytest.fixture(scope="module")
def world(postgres_url: str) -> Iterator[World]:
    """A fresh PostgreSQL database served by gunicorn with four workers (stopped at the end)."""
    database = Database(postgres_url)
    _reset_postgres(database)
    # One argon2id hash shared by every test user, with the server's cheap parameters.
    password_hash = cheap_hasher().hash(PASSWORD)
    server = Server(postgres_url, WORKERS)
    try:
        server.wait_ready()
        yield World(database, server, password_hash)
    finally:
        server.stop()
        database.dispose()


def add_users(world: World, role: str, prefix: str, **placement: int) -> list[str]:
    """Create ``CONTENDERS`` users of ``role`` with the test password; return their names."""
    names = [f"{prefix}{i:02d}" for i in range(CONTENDERS)]
    with world.database.writing() as session:
        session.execute(
            insert(USER),
            [
                {
                    "username": name,
                    "display_name": name,
                    "role": role,
                    "password_hash": world.password_hash,
                    "active": True,
                    "session_epoch": 0,
                    "created_at": clock.utcnow(),
                    **placement,
                }
                for name in names
            ],
        )
    return names


def log_everybody_in(world: World, names: list[str]) -> list[Browser]:
    """Log every user in through the login form (a few at a time)."""
    with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
        return list(pool.map(lambda name: log_in(world.server, name, PASSWORD), names))


def race(
    world: World, browsers: list[Browser], prepare: Callable[[Browser], tuple[str, dict[str, str]]]
) -> list[tuple[int, str, str]]:
    """Send each browser's prepared POST at the same moment; return (status, body, location)."""
    with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
        requests = list(pool.map(prepare, browsers))
    barrier = threading.Barrier(len(browsers))
    results: list[tuple[int, str, str] | BaseException] = [RuntimeError("not run")] * len(browsers)

    def send(index: int) -> None:
        connection = world.server.connection()
        try:
            connection.connect()
            barrier.wait()
            path, form = requests[index]
            results[index] = browsers[index].post(path, form, connection=connection)
        except BaseException as exc:  # reported by the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return [r for r in results if not isinstance(r, BaseException)]


def verify_audit(world: World) -> subprocess.CompletedProcess[str]:
    """Run ``mediation verify-audit`` on the served database."""
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("mediation")),
            "--database-url",
            world.database.url,
            "verify-audit",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.reliability
def test_fifty_simultaneous_submissions_of_one_action_apply_once(world: World) -> None:
    database = world.database
    org_id, _town_id = ensure_organization(database)
    case_id, version = make_case(database, state="registered")
    with Session(database.engine) as session:
        number = session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()
    browsers = log_everybody_in(
        world, add_users(world, "mediator", "race-mediator", organization_id=org_id)
    )
    path = f"/m/cases/{number}/actions/accept"

    def prepare(browser: Browser) -> tuple[str, dict[str, str]]:
        # Each session loads the case page, as a mediator would, and submits its form.
        status, page = browser.get(f"/m/cases/{number}")
        assert status == 200 and f'action="{path}"' in page
        return path, {"csrf_token": csrf_token(page), "version": str(version)}

    results = race(world, browsers, prepare)

    outcomes = Counter(status for status, _body, _location in results)
    assert outcomes == {302: 1, 409: CONTENDERS - 1}, outcomes
    ((_status, _body, location),) = [r for r in results if r[0] == 302]
    assert location.endswith(f"/m/cases/{number}")
    for status, body, _location in results:
        if status == 409:
            assert 'id="conflict"' in body and f'data-case-number="{number}"' in body
            assert 'id="conflict-submitted-version">1<' in body
    with Session(database.engine) as session:
        state, stored_version = session.execute(
            select(CASE.c.state, CASE.c.version).where(CASE.c.id == case_id)
        ).one()
        accepted = session.execute(
            select(func.count())
            .select_from(EVENT)
            .where(EVENT.c.case_id == case_id, EVENT.c.action == "accept")
        ).scalar_one()
        all_events = session.execute(
            select(func.count()).select_from(EVENT).where(EVENT.c.case_id == case_id)
        ).scalar_one()
    assert (state, stored_version) == ("finding_crux", version + 1)
    assert accepted == 1
    assert all_events == version + 1  # registration, then the one accept
    result = verify_audit(world)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.reliability
def test_fifty_lawyers_claiming_one_assignment_one_wins(world: World) -> None:
    database = world.database
    org_id, _ = ensure_organization(database)
    with database.writing() as session:
        zone_id = session.execute(
            insert(ZONE).values(name="争抢片区", claim_window_hours=48).returning(ZONE.c.id)
        ).scalar_one()
        town_id = session.execute(
            insert(TOWN).values(name="争抢镇", kind="town", zone_id=zone_id).returning(TOWN.c.id)
        ).scalar_one()
        case_id, _ = register_case(
            session,
            actor=MEDIATOR,
            organization_id=org_id,
            town_id=town_id,
            category="wages",
            received_on=clock.today(),
            worker=WORKER,
            employer=EMPLOYER,
            claims=[ClaimInput("wages", 500_000, "拖欠工资")],
        )
        assignment_id = assignments.request_help(
            session,
            case_id=case_id,
            kind="legal_opinion",
            needed="请就拖欠工资数额出具法律意见",
            due_on=clock.today() + timedelta(days=5),
            actor=MEDIATOR,
        ).assignment_id
    browsers = log_everybody_in(world, add_users(world, "lawyer", "race-lawyer", zone_id=zone_id))
    path = f"/l/assignments/{assignment_id}/claim"

    page_path = f"/l/assignments/{assignment_id}"

    def prepare(browser: Browser) -> tuple[str, dict[str, str]]:
        # As a lawyer does: find it in the pool, open it, confirm having no conflict of
        # interest (recorded, with an event), and only then is the claim button shown.
        status, page = browser.get("/l/")
        assert status == 200 and f'href="{page_path}"' in page, page[:600]
        status, page = browser.get(page_path)
        assert status == 200 and 'id="conflict-check"' in page
        status, _body, location = browser.post(
            f"{page_path}/conflict", {"csrf_token": csrf_token(page), "answer": "none"}
        )
        assert status == 302 and location.endswith(page_path), status
        status, page = browser.get(page_path)
        assert status == 200 and f'action="{path}"' in page
        return path, {"csrf_token": csrf_token(page[page.index(f'action="{path}"') :])}

    results = race(world, browsers, prepare)

    outcomes = Counter(status for status, _body, _location in results)
    assert outcomes == {302: 1, 409: CONTENDERS - 1}, outcomes
    winner = next(i for i, (status, _b, _l) in enumerate(results) if status == 302)
    assert results[winner][2].endswith(f"/l/assignments/{assignment_id}")
    for status, body, _location in results:
        if status == 409:
            assert 'id="already-taken"' in body
    with Session(database.engine) as session:
        state, version, holder = session.execute(
            select(ASSIGNMENT.c.state, ASSIGNMENT.c.version, USER.c.username)
            .join(USER, USER.c.id == ASSIGNMENT.c.claimed_by_id)
            .where(ASSIGNMENT.c.id == assignment_id)
        ).one()
        claims = session.execute(
            select(func.count())
            .select_from(EVENT)
            .where(EVENT.c.case_id == case_id, EVENT.c.action == "claim_assignment")
        ).scalar_one()
    assert (state, version) == ("claimed", 2)
    assert holder == browsers[winner].username
    assert claims == 1
    result = verify_audit(world)
    assert result.returncode == 0, result.stdout + result.stderr
