"""Junk into every form the application renders: never a 5xx, never a half-written case.

The forms are discovered, not listed: the demo data (every state of a case, legal help in
every state, an audit sample, a pending correction) is loaded, every demo user and an
anonymous visitor crawl the pages they can reach (``tests/web/fuzz_crawl.py``), and every
``<form method="post">`` found is fuzzed: Hypothesis keeps the CSRF token valid (and, mostly,
the ``version``) and replaces the other fields' values with junk — huge strings, control
characters, NUL, markup, SQL, unicode, numbers such as ``1e99``, ``-0`` or ``NaN``, impossible
dates, bytes that are not UTF-8 — drops fields, repeats them and adds fields no form has. Half
the examples start from what a careful user would send (empty fields filled in plausibly), so
junk in one field gets past the form to the service.

Each submission must be answered without a 5xx, without a stack trace in the body and, when
it redirects, to this site. A refused submission (4xx) must leave every table exactly as it
was. After a submission that may have written (2xx/3xx) the form is read again from its
page (a new version). Once it is gone (the case moved on) and after the fuzz of every form,
the database must hold together: the audit chain and every case verify
(:func:`mediation.audit.verify.verify`), and every case has exactly one snapshot event per
version, versions 1, 2, … in order. On SQLite the database is then put back as it was after
the crawl (SQLite's backup API), so the next example meets the form in the state it was found
in; on PostgreSQL (a shorter pass, aimed at what PostgreSQL refuses and SQLite stores: NUL,
in every field and in each typed field alone) a form that is gone is left alone.

``test_every_post_route_is_reached_by_a_discovered_form`` fails naming a POST route (or a case
action) that no crawl reaches and that is not in ``UNREACHED`` with its reason. The GET forms
(filters, period pickers) and the links with a query string (drill-downs, exports) get junk
too: never a 5xx, and no GET changes any table.

``FUZZ_EXAMPLES`` (default 6) and ``FUZZ_PG_EXAMPLES`` (default 2) set the Hypothesis examples
per form on SQLite and PostgreSQL; ``FUZZ_VERBOSE=1`` prints what each form answered.
Rendering documents is stubbed (a PDF takes a fifth of a second to several seconds and is not
what is fuzzed here); ``FUZZ_RENDER=1`` renders them.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, select
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from forms.case_actions import ACTION_FORMS
from mediation import clock
from mediation.app import create_app, get_database
from mediation.assignments.service import confirm_no_conflict, may_see
from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.db import Database
from mediation.demo import DEMO_PASSWORD, seed_demo
from mediation.issuing import service as issuing_service
from mediation.people import passwords
from mediation.people.service import create_user, disable_user
from mediation.schema import upgrade
from mediation.tables import ASSIGNMENT, CASE, EVENT, USER
from tests.conftest import _reset_postgres
from tests.factories import STUB_PDF
from tests.fuzz_junk import fingerprint, marked_pdf
from tests.web.conftest import csrf_token
from tests.web.fuzz_crawl import (
    Crawler,
    Field,
    Form,
    Found,
    form_key,
    parse_page,
    same_site_path,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
PG_EXAMPLES = int(os.environ.get("FUZZ_PG_EXAMPLES", "2"))
RENDER = os.environ.get("FUZZ_RENDER", "") == "1"
DEMO_CASES = 40

#: POST rules (endpoints) no crawl is expected to reach, each with the reason. Everything
#: else in ``app.url_map`` that accepts POST must be reached by a form on some page.
UNREACHED: dict[str, str] = {
    # /verify/<number> without a version answers the same form as /verify/<number>/<version>
    # (the page of the latest version); no page links to it, people type it or scan it.
    "verify.document": "no page links to it; same view and form as verify.document_version",
}

#: Case actions (``/m/cases/<number>/actions/<action>``) no mediator's page offers, with the
#: reason. Every other action of ``forms.case_actions.ACTION_FORMS`` must be discovered.
UNREACHED_ACTIONS: dict[str, str] = {}

#: GET endpoints whose query strings are not fuzzed: a valid one renders a PDF (seconds).
SLOW_GETS = frozenset({"supervisor.summary_pdf"})

#: Where the crawls start (the rest is found by following links and GET forms).
ANONYMOUS_START = ["/login", "/verify", "/"]
LOGGED_IN_START = ["/", "/password"]

#: Words that only a stack trace or a driver's error message would put in a page.
TRACE_MARKERS = (
    "Traceback (most recent call last)",
    'File "/',
    "sqlalchemy.exc",
    "psycopg",
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "DataError",
    "werkzeug.exceptions",
)

# --------------------------------------------------------------------------- junk

HUGE = "x" * 100_000
JUNK_SAMPLES = [
    "",
    " ",
    "\u3000",
    HUGE,
    "汉" * 5000,
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\n\t",
    "\ud7ff\ufeff\u202e\u200b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE mediation_case; --",
    "' OR '1'='1",
    "%s%s%n{0}{}",
    "../../etc/passwd",
    "１２３",
    "😀" * 50,
    "e\u0301" * 20,
    "1e99",
    "-1e99",
    "-0",
    "0",
    "-1",
    "12.345",
    "0.001",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1,000.00",
    "¥100",
    "99999999999999999999999999",
    "-99999999999999999999",
    "0x10",
    "0000-00-00",
    "9999-99-99",
    "9999-12-31",
    "0001-01-01",
    "1900-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026/01/01",
    "20260101",
    "true",
    "None",
    "null",
    "[]",
    "{}",
]
JUNK = st.one_of(
    st.sampled_from(JUNK_SAMPLES),
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=8),
    st.integers().map(str),
    st.floats().map(str),
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
)
JUNK_BYTES = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from(
        [
            b"",
            STUB_PDF,
            STUB_PDF[:20],
            b"%PDF-1.7\n" + b"\x00" * 100,
            b"\xff\xfe" * 50,
            marked_pdf("DX-2026-00001-XY", "99999"),
            marked_pdf("x" * 5000, "1"),
        ]
    ),
    st.builds(marked_pdf, st.text(max_size=20), st.sampled_from(["1", "2", "0", "x"])),
)
EXTRA_NAMES = st.one_of(
    st.sampled_from(
        [
            "terms-99-amount",
            "terms-0-amount",
            "instalments-7-due_on",
            "instalments--1-amount",
            "claims-40-amount",
            "claims-x-amount",
            "add_row",
            "add_claim",
            "register",
            "submit",
            "version",
            "id",
            "role",
            "next",
            "__class__",
            "a[]",
            "",
        ]
    ),
    st.text(max_size=12),
)
#: What happens to one field: its value replaced, the field left out, sent twice, or one
#: of its select's other options.
OPERATIONS = ["junk", "junk", "junk", "drop", "repeat", "option"]


@dataclass
class Submission:
    """The fields to post: (name, value) pairs in order, files as (bytes, filename)."""

    fields: list[tuple[str, Any]]

    def body(self) -> bytes | None:
        """The urlencoded body when a value must be bytes that are not UTF-8, else None."""
        if not any(value is INVALID_UTF8 for _, value in self.fields):
            return None
        return "&".join(
            f"{quote_plus(name)}="
            + ("%FF%FE%C0%AF%ED%A0%80" if value is INVALID_UTF8 else quote_plus(value))
            for name, value in self.fields
        ).encode("ascii")

    def multidict(self) -> MultiDict[str, Any]:
        """The fields as the test client wants them (files as streams)."""
        out: MultiDict[str, Any] = MultiDict()
        for name, value in self.fields:
            if isinstance(value, tuple):
                out.add(name, (io.BytesIO(value[0]), value[1]))
            else:
                out.add(name, value)
        return out

    def refreshed(self, old: Form, new: Form, token: str) -> Submission:
        """The same submission with the client's CSRF token now and, unless it is the junk,
        the version of the form as read again."""
        was, now = dict(old.browser_values()), dict(new.browser_values())
        fields = [
            (name, token)
            if name == "csrf_token"
            else (name, now.get(name, value))
            if name == "version" and value == was.get(name)
            else (name, value)
            for name, value in self.fields
        ]
        return Submission(fields)

    def describe(self) -> str:
        """The fields, each value cut short, for a failure message."""
        parts = []
        for name, value in self.fields:
            shown = value if isinstance(value, str) else f"<file {value[1]!r}, {len(value[0])} B>"
            if isinstance(shown, str) and len(shown) > 60:
                shown = f"{shown[:40]!r}…({len(shown)} chars)"
            else:
                shown = repr(shown)
            parts.append(f"{name!r}={shown}")
        return ", ".join(parts)


#: A plausible value for an empty field, by a part of its name (the first that matches).
PLAUSIBLE = (
    ("amount", "100.00"),
    ("terms-", "100.00"),  # the correction form's rows are amounts
    ("instalments-", "100.00"),
    ("hours", "2"),
    ("id_number", "11010519491231002X"),
    ("credit_code", "91350100M000100Y43"),
    ("phone", "13800138000"),
    ("username", "fuzz-user"),
    ("seed", "7"),
    ("size", "3"),
)
NEW_PASSWORD = "Fuzz-Passw0rd-2026!"


def plausible_values(form: Form, *, passwords: bool) -> list[tuple[str, str]]:
    """What a careful user would send: the rendered values, empty fields filled in.

    Junk in one field of an otherwise valid form gets past the form's first refusal to the
    service. ``passwords``: fill passwords in too (only where the database is put back).
    """
    values = []
    today = clock.today().isoformat()
    radios: set[str] = set()
    for f in form.fields:
        if f.type == "radio":
            if f.name not in radios and (
                f.checked or not any(g.checked for g in form.fields if g.name == f.name)
            ):
                values.append((f.name, f.value))
                radios.add(f.name)
            continue
        if f.type == "checkbox" and not f.checked:
            continue
        if f.tag == "button" or f.type in ("submit", "image", "file"):
            continue
        value = f.value
        if f.type == "select" and value in ("", "0"):  # a placeholder: the first real option
            value = next((o for o in f.options if o not in ("", "0")), value)
        elif not value.strip():
            if f.type == "date":
                value = today
            elif f.type == "password":
                if not passwords:
                    value = ""
                elif f.name == "current_password":
                    value = DEMO_PASSWORD
                else:
                    value = NEW_PASSWORD
            else:
                value = next((v for part, v in PLAUSIBLE if part in f.name), "测试内容")
        values.append((f.name, value))
    submit = next((f for f in form.fields if f.tag == "button" or f.type == "submit"), None)
    if submit is not None:
        values.append((submit.name, submit.value))
    return values


def _mutated(draw: st.DrawFn, form: Form, passwords: bool) -> Submission:
    if draw(st.booleans()):
        base = plausible_values(form, passwords=passwords)
    else:
        base = form.browser_values()
    files = [f for f in form.fields if f.type == "file"]
    selects = {f.name: f.options for f in form.fields if f.options}
    names = sorted({n for n, _ in base if n != "csrf_token"} | {f.name for f in files})
    # The version stays valid most of the time (the point is the other fields), not always.
    if "version" in names and draw(st.integers(0, 5)) != 0:
        names.remove("version")
    targets: set[str] = set()
    if names:
        mode = draw(st.sampled_from(["one", "some", "all"]))
        if mode == "one":
            targets = {draw(st.sampled_from(names))}
        elif mode == "some":
            targets = set(draw(st.lists(st.sampled_from(names), unique=True, max_size=6)))
        else:
            targets = set(names)
    fields: list[tuple[str, Any]] = []
    for name, value in base:
        if name not in targets:
            fields.append((name, value))
            continue
        operation = draw(st.sampled_from(OPERATIONS))
        if operation == "drop":
            continue
        if operation == "option" and selects.get(name):
            fields.append((name, draw(st.sampled_from(selects[name]))))
        elif operation == "repeat":
            fields.append((name, value))
            fields.append((name, draw(JUNK)))
        else:
            fields.append((name, draw(JUNK)))
    for upload in files:
        if upload.name in targets and draw(st.booleans()):
            continue  # no file at all
        fields.append((upload.name, (draw(JUNK_BYTES), draw(st.text(max_size=30)) or "x.pdf")))
    fields.extend(draw(st.lists(st.tuples(EXTRA_NAMES, JUNK), max_size=3)))
    return Submission(fields)


def submissions(form: Form, *, passwords: bool) -> st.SearchStrategy[Submission]:
    """Junk versions of what a browser (or a careful user) would send for ``form``."""
    return st.composite(lambda draw: _mutated(draw, form, passwords))()


#: Stands for a value whose bytes are not UTF-8 (sent urlencoded, byte by byte).
INVALID_UTF8 = "<bytes that are not UTF-8>"


def probes(form: Form, *, postgresql: bool) -> Iterator[tuple[str, Submission]]:
    """Deterministic submissions tried on every form first: one value in every field.

    On PostgreSQL only what differs there: NUL, and bytes that are not UTF-8.
    """
    samples = [("NUL", "a\x00b")]
    if not postgresql:
        samples += [("control", "\x1b[0m\x07"), ("huge", HUGE)]
    if not form.multipart:
        samples.append(("not UTF-8", INVALID_UTF8))
    for label, junk in samples:
        fields: list[tuple[str, Any]] = []
        for name, value in form.browser_values():
            keep = name in ("csrf_token", "version")
            fields.append((name, value if keep else junk))
        for upload in (f for f in form.fields if f.type == "file"):
            # A PDF that claims to be a document numbered with the junk.
            content = marked_pdf(junk, "1")
            fields.append((upload.name, (content, f"{junk[:20]}.pdf")))
        yield label, Submission(fields)


#: The controls a person types into (a select's junk is refused as "not a valid choice").
TYPED = frozenset({"text", "textarea", "password", "search", "email", "tel", "number", "date"})


def nul_in_one_field(form: Form) -> Iterator[tuple[str, Submission]]:
    """A careful user's submission with a NUL in one field, for each field in turn.

    PostgreSQL refuses NUL in text even in a query: a field whose NUL reaches the database is
    a 500 there (SQLite stores it). Run on PostgreSQL, where it matters.
    """
    values = plausible_values(form, passwords=False)
    typed = {f.name for f in form.fields if f.type in TYPED}
    names = sorted({n for n, _ in values if n in typed})
    for name in names:
        fields = [(n, f"{v[:3]}\x00" if n == name else v) for n, v in values]
        yield f"NUL in {name}", Submission(fields)


# --------------------------------------------------------------------------- the database


def check_invariants(database: Database, where: str) -> None:
    """The chain and every case verify; every case has one snapshot event per version.

    (``tests/reliability/test_crash.py`` counts every event of a case; here events without a
    case snapshot — legal help, reviews, correction requests — share the case's log, so the
    events that carry a snapshot are the ones counted, and their versions must be 1, 2, ….)
    """
    with Session(database.engine) as session:
        result = verify(session)
        assert result.ok, f"{where}: the chain does not verify: {result.first_break}"
        versions = dict(session.execute(select(CASE.c.id, CASE.c.version)).all())
        seen: dict[int, list[int]] = {case_id: [] for case_id in versions}
        rows = session.execute(
            select(EVENT.c.case_id, EVENT.c.payload)
            .where(EVENT.c.case_id.is_not(None))
            .order_by(EVENT.c.seq)
        )
        for case_id, payload in rows:
            snapshot = json.loads(payload).get("case")
            if snapshot is not None:
                seen.setdefault(case_id, []).append(snapshot["version"])
        for case_id, version in versions.items():
            assert seen[case_id] == list(range(1, version + 1)), (
                f"{where}: case {case_id} is at version {version} but its snapshot events "
                f"carry versions {seen[case_id]}"
            )


# --------------------------------------------------------------------------- the world


class ErrorLog(logging.Handler):
    """Keep the tracebacks the error handler logs, to show them when a test fails."""

    def __init__(self, level: int = logging.ERROR) -> None:
        super().__init__(level)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@dataclass
class World:
    """The seeded database, the application, a logged-in client per user and the forms."""

    kind: str
    database: Database
    app: Flask
    clients: dict[str, FlaskClient]
    crawler: Crawler
    errors: ErrorLog
    restore: Callable[[], None] | None
    crawl_seconds: float
    csrf: ErrorLog
    found: list[Found] = field(default_factory=list)
    #: The fingerprint of the database as it is now, when known (None after a write).
    known: dict[str, tuple[int, str]] | None = None
    #: Each client's CSRF token (a new one after logging in again).
    tokens: dict[str, str] = field(default_factory=dict)
    #: The fingerprint of the database as it was after the crawl.
    pristine: dict[str, tuple[int, str]] = field(default_factory=dict)


def _login(client: FlaskClient, username: str, *, must: bool = True) -> bool:
    """Log a demo user in with the demo password; tell whether it worked."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 or not must, f"{username}: {response.status_code}"
    return response.status_code == 302


def _extra_states(database: Database) -> None:
    """What the demo lacks for some forms to appear: a disabled user (the enable button) and
    an open assignment a lawyer has confirmed having no conflict with (the claim button)."""
    with database.writing() as session:
        user = create_user(
            session,
            username="fuzz-disabled",
            password=DEMO_PASSWORD,
            role="supervisor",
            display_name="停用的督导",
        )
        disable_user(session, user)
    now = clock.utcnow()
    with database.writing() as session:
        connection = session.connection()
        lawyers = session.execute(
            select(USER.c.id, USER.c.username)
            .where(and_(USER.c.role == "lawyer", USER.c.username.like("dx-%")))
            .order_by(USER.c.username)
        ).all()
        open_rows = connection.execute(
            select(ASSIGNMENT).where(ASSIGNMENT.c.state == "open").order_by(ASSIGNMENT.c.id)
        ).all()
        for lawyer_id, username in lawyers:
            row = next((r for r in open_rows if may_see(connection, r, lawyer_id, now)), None)
            if row is not None:
                confirm_no_conflict(
                    session, assignment_id=row.id, lawyer=Actor(lawyer_id, username), now=now
                )
                return


def _sqlite_restorer(path: str) -> Callable[[], None]:
    """Copy the database as it is now; return what puts it back (SQLite's backup API)."""
    pristine = sqlite3.connect(":memory:")
    with closing(sqlite3.connect(path)) as source:
        source.backup(pristine)

    def restore() -> None:
        with closing(sqlite3.connect(path, timeout=30)) as target:
            pristine.backup(target)

    restore.pristine = pristine  # type: ignore[attr-defined]
    return restore


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Seed the demo data, log every demo user in, crawl, and discover every form."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        if not RENDER:
            patch.setattr(issuing_service, "render_pdf", lambda *a, **k: STUB_PDF)
            patch.setattr(issuing_service, "render_archive_bundle", lambda *a, **k: STUB_PDF)
        if request.param == "sqlite":
            path = str(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3")
            database = Database(f"sqlite:///{path}")
            upgrade(database.engine)
        else:
            database = Database(request.getfixturevalue("postgres_url"))
            _reset_postgres(database)
        summary = seed_demo(database, cases=DEMO_CASES, today=clock.today())
        _extra_states(database)
        app = create_app({"DATABASE_URL": database.url, "TESTING": True})
        errors = ErrorLog()
        logging.getLogger("mediation.web.errors").addHandler(errors)
        # Flask-WTF says at INFO why it refused a token: the fuzz must never be refused so.
        csrf = ErrorLog(logging.INFO)
        csrf_logger = logging.getLogger("flask_wtf.csrf")
        csrf_level = csrf_logger.level
        csrf_logger.setLevel(logging.INFO)
        csrf_logger.addHandler(csrf)
        started = time.perf_counter()
        crawler = Crawler(app)
        clients: dict[str, FlaskClient] = {}
        anonymous = app.test_client()
        clients[""] = anonymous
        crawler.crawl(anonymous, "", ANONYMOUS_START)
        for username, _role, _where in summary.users:
            client = app.test_client()
            _login(client, username)
            clients[username] = client
            crawler.crawl(client, username, LOGGED_IN_START)
        crawl_seconds = time.perf_counter() - started
        restore = _sqlite_restorer(path) if request.param == "sqlite" else None
        world = World(
            request.param, database, app, clients, crawler, errors, restore, crawl_seconds, csrf
        )
        world.found = order_for_fuzzing(list(crawler.forms.values()))
        check_invariants(database, f"{request.param}: the demo data, before any junk")
        world.pristine = world.known = fingerprint(database)
        try:
            yield world
        finally:
            logging.getLogger("mediation.web.errors").removeHandler(errors)
            csrf_logger.removeHandler(csrf)
            csrf_logger.setLevel(csrf_level)
            get_database(app).dispose()
            database.dispose()
            if restore is not None:
                restore.pristine.close()  # type: ignore[attr-defined]


#: Forms fuzzed last, where nothing is put back afterwards (PostgreSQL): what could lock a
#: crawling user out (the administrator's pages) or end a session.
_LAST = ("admin.", "auth.")


def order_for_fuzzing(found: list[Found]) -> list[Found]:
    """Mediators', lawyers', supervisors' and the public forms first; admin and auth last."""
    return sorted(
        found,
        key=lambda f: (f.endpoint.startswith(_LAST), f.endpoint == "admin.disable_user", f.key),
    )


# --------------------------------------------------------------------------- the tests


def run_examples(
    strategy: st.SearchStrategy[Submission], check: Callable[[Submission], None], examples: int
) -> None:
    """Run ``check`` on ``examples`` submissions drawn by Hypothesis (and shrink a failure)."""
    if examples <= 0:
        return

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(submission=strategy)
    def fuzz(submission: Submission) -> None:
        check(submission)

    fuzz()


#: The messages next to refused fields, for the summary (``FUZZ_VERBOSE=1``).
_REFUSAL = re.compile(
    r'class="(?:invalid-feedback|alert alert-danger|text-danger)[^"]*"[^>]*>\s*([^<]+)'
)


def test_every_post_route_is_reached_by_a_discovered_form(world: World) -> None:
    if world.kind != "sqlite":
        pytest.skip("the crawl is the same on PostgreSQL; checked once")
    posting = {
        rule.endpoint for rule in world.app.url_map.iter_rules() if "POST" in (rule.methods or ())
    }
    reached = {f.endpoint for f in world.found}
    missing = sorted(posting - reached - set(UNREACHED))
    assert not missing, (
        f"POST routes no crawled page has a form for: {missing}. Make a page link to them, "
        "or add them to UNREACHED with the reason."
    )
    stale = sorted(set(UNREACHED) & reached)
    assert not stale, f"UNREACHED lists routes the crawl does reach now: {stale}"
    actions = {
        part.removeprefix("action=")
        for f in world.found
        for part in f.key
        if part.startswith("action=")
    }
    missing_actions = sorted(set(ACTION_FORMS) - actions - set(UNREACHED_ACTIONS))
    assert not missing_actions, (
        f"case actions no crawled case page offers: {missing_actions}. Add a state to the "
        "world (or the demo data), or add them to UNREACHED_ACTIONS with the reason."
    )


def test_the_crawl_finds_forms_of_every_role(world: World) -> None:
    """The public, a mediator, a lawyer, a supervisor and the administrator each have forms
    only they see: a crawl that lost a login would find none of theirs."""
    roles = {"": "public", "dx-tiaojie": "mediator", "dx-lvshi": "lawyer", "dx-duda": "supervisor"}
    found = {
        next(
            (r for prefix, r in roles.items() if prefix and f.client_label.startswith(prefix)),
            "admin" if f.client_label == "dx-admin" else "public",
        )
        for f in world.found
    }
    assert found == {"public", "mediator", "lawyer", "supervisor", "admin"}, found


@dataclass
class Tally:
    """What the fuzz of one form did, for the summary printed at the end."""

    submitted: int = 0
    written: int = 0
    refused: int = 0
    gone: bool = False
    statuses: dict[int, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


class Fuzzer:
    """Submit junk versions of one form and check every answer and the database."""

    def __init__(self, world: World, found: Found) -> None:
        self.world = world
        self.found = found
        self.form = found.form
        self.client = world.clients[found.client_label]
        self.tally = Tally()

    def submit(self, submission: Submission, label: str = "hypothesis") -> None:
        """Post ``submission``; check the answer, then the database."""
        world, form = self.world, self.form
        if self.tally.gone:
            return
        before = world.known if world.known is not None else fingerprint(world.database)
        errors_before = len(world.errors.records)
        csrf_before = len(world.csrf.records)
        token = world.tokens.setdefault(
            self.found.client_label, dict(form.browser_values()).get("csrf_token", "")
        )
        submission = submission.refreshed(self.found.form, form, token)
        path = same_site_path(form.action) or form.action
        raw = submission.body()
        response = self.client.post(
            path,
            data=submission.multidict() if raw is None else raw,
            content_type="multipart/form-data"
            if form.multipart
            else "application/x-www-form-urlencoded"
            if raw is not None
            else None,
            headers={"Accept-Language": "en"},
        )
        status = response.status_code
        self.tally.submitted += 1
        self.tally.statuses[status] = self.tally.statuses.get(status, 0) + 1
        where = (
            f"{world.kind}: POST {path} as {self.found.client_label or 'anonymous'} "
            f"({label}; form from {same_site_path(form.page)}) with {submission.describe()}"
        )
        logged = "\n".join(world.errors.records[errors_before:])
        assert status < 500, f"{where}: {status}\n{logged}"
        assert len(world.csrf.records) == csrf_before, (
            f"{where}: the CSRF token was refused ({world.csrf.records[-1]}): the test's fault"
        )
        body = response.get_data(as_text=True)
        for marker in TRACE_MARKERS:
            assert marker not in body, f"{where}: the page shows {marker!r}"
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            assert same_site_path(location) is not None, f"{where}: redirects to {location!r}"
        if 400 <= status < 500:
            self.tally.refused += 1
            self.tally.reasons.extend(m[:80] for m in _REFUSAL.findall(body)[:2])
            after = fingerprint(world.database)
            changed = sorted(t for t in before if before[t] != after.get(t))
            assert not changed, f"{where}: refused with {status} but changed {changed}"
            world.known = before  # unchanged (the same object when pristine)
            return
        self.tally.written += 1
        world.known = None
        self.after_write(where)

    def after_write(self, where: str) -> None:
        """Read the form again from its page (its version moved on; after logging in again,
        the CSRF token too). Once it is gone — the case moved to another state, the user lost
        the right — check the database and (SQLite) put it back as it was after the crawl, so
        the next example meets the form as it was found; on PostgreSQL leave the form."""
        world = self.world
        if self.read_form_again():
            return
        if world.restore is None:
            self.tally.gone = True
            return
        check_invariants(world.database, where)
        world.restore()
        world.known = world.pristine
        if not self.read_form_again():
            self.tally.gone = True

    def read_form_again(self) -> bool:
        """Fetch the form's page (logging in again if the session ended); False if the form
        is not on it any more (or the user cannot log in: a password the fuzz changed)."""
        world, label = self.world, self.found.client_label
        path = same_site_path(self.form.page) or "/"
        response = self.client.get(path)
        if label and response.status_code == 302 and "/login" in (response.location or ""):
            if not _login(self.client, label, must=False):
                return False
            response = self.client.get(path)
        if response.status_code != 200:
            return False
        html = response.get_data(as_text=True)
        world.tokens[label] = csrf_token(html)
        page = parse_page(self.form.page, html)
        again = [f for f in page.post_forms if form_key(world.crawler.adapter, f) == self.found.key]
        if not again:
            return False
        self.form = next((f for f in again if f.action == self.form.action), again[0])
        return True


def test_every_discovered_form_takes_junk_without_a_server_error_or_a_half_write(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = EXAMPLES if world.kind == "sqlite" else PG_EXAMPLES
    started = time.perf_counter()
    report: list[str] = []
    for found in world.found:
        fuzzer = Fuzzer(world, found)
        for label, submission in probes(found.form, postgresql=world.restore is None):
            fuzzer.submit(submission, f"probe {label}")
        if world.restore is None:
            for label, submission in nul_in_one_field(found.form):
                fuzzer.submit(submission, f"probe {label}")
        run_examples(
            submissions(found.form, passwords=world.restore is not None),
            fuzzer.submit,
            examples,
        )
        if world.known is not world.pristine:  # something may have been written since
            check_invariants(world.database, f"{world.kind}: after fuzzing {found.key}")
            if world.restore is not None:
                world.restore()
                world.known = world.pristine
        t = fuzzer.tally
        report.append(
            f"{'/'.join(p for p in found.key if p != '|')[:90]:<90} {t.submitted:>3} sent "
            f"{t.refused:>3} refused {t.written:>3} written {sorted(t.statuses.items())}"
            f"{' (gone)' if t.gone else ''}"
            + (f"\n      e.g. {sorted(set(t.reasons))[:4]}" if t.reasons and not t.written else "")
        )
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\n[fuzz {world.kind}] {len(world.found)} forms, {world.crawler.pages_fetched} pages "
            f"crawled in {world.crawl_seconds:.1f} s, fuzzed in {elapsed:.1f} s"
        )
        if os.environ.get("FUZZ_VERBOSE"):
            print("\n".join(report))


def _get_checker(world: World, found: Found) -> Callable[[Submission], None]:
    client = world.clients[found.client_label]
    path = (same_site_path(found.form.action) or "/").split("?")[0]
    who = found.client_label or "anonymous"

    def check(submission: Submission) -> None:
        query = [(k, v) for k, v in submission.fields if isinstance(v, str)]
        response = client.get(path, query_string=query, headers={"Accept-Language": "en"})
        where = f"GET {path} as {who} with {submission.describe()}"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        for marker in TRACE_MARKERS:
            assert marker not in body, f"{where}: the page shows {marker!r}"

    return check


def test_every_discovered_filter_form_takes_junk_and_no_get_writes(world: World) -> None:
    """The GET forms (filters, period pickers, searches): junk in the query string is a 400
    or a page, never a 5xx — and no GET changes anything."""
    if world.kind != "sqlite":
        pytest.skip("the filters read; the fuzz of what writes runs on PostgreSQL too")
    assert world.crawler.get_forms, "the crawl found no GET form"
    before = fingerprint(world.database)
    targets = list(world.crawler.get_forms.values())
    # Links with a query string (drill-downs, exports, pages) are forms whose fields are hidden.
    for endpoint, (label, link) in sorted(world.crawler.query_links.items()):
        if endpoint in SLOW_GETS:
            continue
        action, _, query = link.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True)
        fields = [Field(k, "input", "hidden", v) for k, v in pairs]
        form = Form(page=link, action=action, method="get", enctype="", fields=fields)
        targets.append(Found(label, form, (endpoint, "|", *form.names)))
    for found in targets:
        run_examples(submissions(found.form, passwords=False), _get_checker(world, found), EXAMPLES)
    after = fingerprint(world.database)
    changed = sorted(t for t in before if before[t] != after.get(t))
    assert not changed, f"GET requests changed {changed}"
