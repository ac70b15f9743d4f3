"""Junk into every input of the ``mediation`` command: never a traceback, never a half-write.

Every command's arguments, options, standard input and files get junk from Hypothesis (or,
for the slow and the dangerous ones, a fixed list): CSV files with junk cells, other
encodings, byte-order marks, wrong column counts and huge cells for ``import-cases``; dates,
groupings and formats for ``report``; user names, roles, places and passwords for
``create-user``; junk bytes, truncated PDFs and PDFs whose metadata claim junk for
``verify-document``; junk files for ``restore`` (on a scratch SQLite file of its own), paths
that cannot be written for ``backup``; database URLs that cannot be opened for every command.

Each run must end with exit status 0, 1 or 2 and no uncaught exception (``result.exception``
is None or the ``SystemExit`` of that status), print no traceback, and when it refuses, say
what is wrong (the option, the line of the file, the path). A refused ``import-cases`` or
``create-user`` leaves every table as it was; a refused ``restore`` leaves the database file
as it was. Arguments never hold NUL (no shell can pass one), files and standard input do.

``test_every_command_is_fuzzed`` fails naming a command added to the CLI that no test here
covers (or lists in ``NOT_FUZZED`` with the reason).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import click
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlmodel import Session

from mediation.audit.verify import verify
from mediation.cli import main
from mediation.db import Database
from mediation.imports import COLUMNS
from mediation.issuing import service as issuing_service
from mediation.people import passwords
from mediation.schema import upgrade
from mediation.tables import CASE, DOCUMENT, USER
from tests.factories import STUB_PDF, ensure_organization, make_case
from tests.fuzz_junk import changed_tables, fingerprint, marked_pdf

#: Commands not fuzzed here, with the reason.
NOT_FUZZED = {
    "bench": "runs the benchmarks from the source tree (minutes); it takes no data input",
}
#: The commands the tests below cover (``serve`` only with invalid options: a valid set
#: would start gunicorn).
FUZZED = {
    "init-db",
    "seed-demo",
    "create-user",
    "import-cases",
    "report",
    "verify-audit",
    "issue-document",
    "verify-document",
    "backup",
    "restore",
    "serve",
    "rotate-data-key",
}

#: Hypothesis examples per test (``FUZZ_CLI_EXAMPLES``, default 25; fewer for restore and keys).
EXAMPLES = int(os.environ.get("FUZZ_CLI_EXAMPLES", "25"))
QUICK = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Text that an operator could type or paste as an argument: no NUL (argv cannot hold it).
ARG_SAMPLES = [
    "",
    " ",
    "x" * 5000,
    "<script>alert(1)</script>",
    "'; DROP TABLE mediation_case; --",
    "\x1b[31m",
    "\u202e\ufeff",
    "１２３",
    "😀",
    "1e99",
    "-0",
    "NaN",
    "0000-00-00",
    "9999-99-99",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-1-1",
    "--help",
    "-",
]
#: Bytes of the command line that are not UTF-8, as Python decodes them (surrogateescape).
NOT_UTF8_ARGS = ["\udcff", "调解中心\udce9"]
ARG = st.one_of(
    st.sampled_from(ARG_SAMPLES + NOT_UTF8_ARGS),
    st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=30),
)


def _settable_in_environment(value: str) -> bool:
    try:
        os.fsencode(value)  # what the environment can hold (surrogateescape for non-UTF-8)
    except UnicodeEncodeError:
        return False
    return True


#: Text an environment variable can hold.
ENV_TEXT = ARG.filter(_settable_in_environment)
#: Text for files and standard input: anything, NUL included.
CELL_SAMPLES = [
    *ARG_SAMPLES,
    "\x00",
    "DX\x00-1",
    "a\x00b",
    "12.345",
    "1e3",
    "-100",
    "99999999999999999999",
    "1,000",
    '"',
    '""',
    "a\nb",
    "\r",
]
CELL = st.one_of(st.sampled_from(CELL_SAMPLES), st.text(max_size=20))


# --------------------------------------------------------------------------- helpers


def invoke(database_url: str, *args: str, input: str | bytes | None = None) -> Result:
    """Run the CLI in-process on ``database_url``."""
    return CliRunner().invoke(main, ["--database-url", database_url, *args], input=input)


def check_clean(result: Result, what: str) -> None:
    """Exit 0, 1 or 2; no uncaught exception, no traceback; a refusal says something."""
    shown = f"{what}: exit {result.exit_code}\n{result.output[-2000:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"{shown}\nuncaught {result.exception!r}\n{trace}")
    assert result.exit_code in (0, 1, 2), shown
    assert "Traceback" not in result.output, shown
    if result.exit_code != 0:
        assert result.output.strip(), f"{what}: refused without a word"


def chain_ok(database: Database) -> None:
    with Session(database.engine) as session:
        result = verify(session)
    assert result.ok, result.first_break


def count(database: Database, table: Any) -> int:
    with database.read_session() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def stub_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents are rendered as a stand-in: the rendering is not what is fuzzed here."""
    monkeypatch.setattr(issuing_service, "render_pdf", lambda *a, **k: STUB_PDF)
    monkeypatch.setattr(issuing_service, "render_archive_bundle", lambda *a, **k: STUB_PDF)


# --------------------------------------------------------------------------- coverage


#: A valid invocation of each command taking text, and where its text values are.
_TEXT_INVOCATIONS = {
    "create-user": (
        [
            "--username",
            "fuzz-user",
            "--role",
            "supervisor",
            "--display-name",
            "督导",
            "--organization",
            "黄村镇调解中心",
            "--zone",
            "黄村镇调解中心片区",
            "--password-stdin",
        ],
        (1, 5, 7, 9),
    ),
    "issue-document": (
        ["DX-2026-00001", "agreement", "--reason", "重新出具", "--base-url", "http://x"],
        (0, 3, 5),
    ),
    "report": (["--from", "2026-01-01", "--to", "2026-12-31", "--by", "zone"], (1, 3)),
    # Refused before the server would start (a regression here would start it).
    "serve": (["--host", "127.0.0.1", "--port", "1"], (1,)),
}


def test_every_text_option_is_tried_with_junk_bytes() -> None:
    for name, command in main.commands.items():
        texts = [
            p for p in command.params if p.type is click.STRING and not getattr(p, "is_flag", 0)
        ]
        if texts:
            assert name in _TEXT_INVOCATIONS, f"{name} takes text: add it to _TEXT_INVOCATIONS"
            assert len(_TEXT_INVOCATIONS[name][1]) == len(texts), name


@pytest.mark.parametrize(
    ("command", "position"),
    [(c, p) for c, (_args, positions) in sorted(_TEXT_INVOCATIONS.items()) for p in positions],
)
def test_text_that_is_not_utf8_is_refused_naming_it(
    places: Database, command: str, position: int
) -> None:
    args = list(_TEXT_INVOCATIONS[command][0])
    args[position] = "\udcff调解"
    before = fingerprint(places)
    result = invoke(places.url, command, *args, input="Fuzz-Passw0rd-2026!\n")
    check_clean(result, f"{command} {args}")
    assert result.exit_code == 2
    # Refused as not UTF-8, or (a date) by the option's own check first.
    assert "not valid UTF-8" in result.output or "not a date" in result.output
    named = args[position - 1] if position and args[position - 1].startswith("--") else None
    assert named is None or named in result.output
    assert not changed_tables(before, fingerprint(places))


def test_every_command_is_fuzzed() -> None:
    commands = set(main.commands)
    missing = sorted(commands - FUZZED - set(NOT_FUZZED))
    assert not missing, f"CLI commands no junk test covers: {missing} (add them, or NOT_FUZZED)"
    gone = sorted((FUZZED | set(NOT_FUZZED)) - commands)
    assert not gone, f"listed here but no longer commands: {gone}"


# --------------------------------------------------------------------------- import-cases

#: A valid row of each outcome; case numbers are made unique per file.
GOOD_ROWS = [
    {
        "case_number": "",
        "organization": "黄村镇调解中心",
        "level": "town",
        "town": "黄村镇",
        "category": "wages",
        "received_on": "2024-03-01",
        "outcome": "settled",
        "closed_on": "2024-03-20",
        "claimed_amount": "12000",
        "agreed_amount": "10000",
        "paid_amount": "8922.50",
        "applicant": "张伟",
        "respondent": "北京兴旺建筑工程有限公司",
    },
    {
        "case_number": "",
        "organization": "大兴区劳动争议调解中心",
        "level": "district",
        "town": "西红门镇",
        "category": "加班费",
        "received_on": "2024-03-02",
        "outcome": "failed",
        "closed_on": "2024-03-25",
        "claimed_amount": "5600",
        "agreed_amount": "",
        "paid_amount": "",
        "applicant": "王芳",
        "respondent": "北京华联超市有限公司",
    },
]
_NUMBERS = itertools.count(1)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1", "utf-32"]


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """A CSV file, mostly good rows with junk in some cells; (its bytes, its row count)."""
    header = list(COLUMNS)
    header_change = draw(st.sampled_from(["none"] * 6 + ["shuffle", "drop", "dup", "junk"]))
    if header_change == "shuffle":
        header = draw(st.permutations(header))
    elif header_change == "drop":
        header.remove(draw(st.sampled_from(header)))
    elif header_change == "dup":
        header.append(draw(st.sampled_from(header)))
    elif header_change == "junk":
        header[draw(st.integers(0, len(header) - 1))] = draw(CELL)
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 6))):
        row = dict(draw(st.sampled_from(GOOD_ROWS)))
        row["case_number"] = f"FZ-{next(_NUMBERS)}"
        for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True)):
            row[column] = draw(CELL)
        cells = [row.get(name, "") for name in header]
        width = draw(st.sampled_from(["same"] * 8 + ["short", "long"]))
        if width == "short":
            cells = cells[: draw(st.integers(0, len(cells) - 1))]
        elif width == "long":
            cells += draw(st.lists(CELL, min_size=1, max_size=3))
        rows.append(cells)
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        quoting=csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    body = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:  # break the quoting or cut the file anywhere
        body = body[: draw(st.integers(0, len(body)))] + draw(st.sampled_from(['"', "\x00", ""]))
    encoding = draw(st.sampled_from(["utf-8"] * 5 + ENCODINGS))
    data = body.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data  # a BOM, maybe a second one
    return data, len(rows)


@pytest.fixture
def places(database: Database) -> Database:
    ensure_organization(database, name="黄村镇调解中心")
    return database


@QUICK
@given(file=csv_files())
def test_import_cases_with_junk_never_crashes_and_a_refusal_writes_nothing(
    places: Database, tmp_path_factory: pytest.TempPathFactory, file: tuple[bytes, int]
) -> None:
    database = places
    data, _rows = file
    path = tmp_path_factory.mktemp("import") / "cases.csv"
    path.write_bytes(data)
    before = fingerprint(database)
    cases_before = count(database, CASE)
    result = invoke(database.url, "import-cases", str(path))
    check_clean(result, f"import-cases of {data[:300]!r}")
    if result.exit_code == 0:
        assert f"imported {count(database, CASE) - cases_before} cases" in result.output
        chain_ok(database)
    else:
        assert "line " in result.output, result.output
        changed = changed_tables(before, fingerprint(database))
        assert not changed, f"a refused import changed {changed}: {result.output}"


def _huge_cell() -> bytes:
    row = dict(GOOD_ROWS[0], case_number="FZ-HUGE", applicant="张" * 1_000_000)
    return (",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n").encode()


def _many_rows_last_bad(n: int = 5000) -> bytes:
    lines = [",".join(COLUMNS)]
    for i in range(n):
        row = dict(GOOD_ROWS[i % 2], case_number=f"FZ-MANY-{i}")
        if i == n - 1:
            row["received_on"] = "2024-02-30"
        lines.append(",".join(row[c] for c in COLUMNS))
    return ("\n".join(lines) + "\n").encode()


def _good_row_with(junk: str, number: str) -> bytes:
    """A good row with ``junk`` inside every cell (PostgreSQL refuses NUL in text)."""
    row = {k: (f"{v[:2]}{junk}{v[2:]}" if v else v) for k, v in GOOD_ROWS[0].items()}
    row["case_number"] = number
    return (",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + "\n").encode()


BROKEN_FILES: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "only a BOM": lambda: b"\xef\xbb\xbf",
    "NUL bytes": lambda: b"\x00" * 1000,
    "random bytes": lambda: bytes(range(256)) * 400,
    "UTF-16 with BOM": lambda: (",".join(COLUMNS) + "\n").encode("utf-16"),
    "GBK": lambda: (",".join(COLUMNS) + "\nDX-1,黄村镇调解中心\n").encode("gbk"),
    "a million commas": lambda: b"," * 1_000_000 + b"\n",
    "a one-megabyte cell": _huge_cell,
    "an unclosed quote": lambda: (",".join(COLUMNS) + '\n"DX-1,' + "x" * 1000).encode(),
    "5000 rows, the last bad": _many_rows_last_bad,
    "a SQLite file": lambda: b"SQLite format 3\x00" + b"\x00" * 4000,
    "NUL in every cell of a good row": lambda: _good_row_with("\x00", "DX\x00-NUL"),
    "a control character in every cell": lambda: _good_row_with("\x1b", "DX-\x1b"),
    "a PDF": lambda: STUB_PDF,
}


def test_import_cases_refuses_a_broken_file_naming_the_line(
    places: Database, tmp_path: Path
) -> None:
    before = fingerprint(places)
    for name, make in BROKEN_FILES.items():
        path = tmp_path / f"{len(name)}-{abs(hash(name))}.csv"
        path.write_bytes(make())
        result = invoke(places.url, "import-cases", str(path))
        check_clean(result, f"import-cases of {name}")
        assert result.exit_code == 1, f"{name}: {result.output}"
        assert "line " in result.output, f"{name}: {result.output}"
        assert not changed_tables(before, fingerprint(places)), name


def test_import_cases_of_a_header_alone_imports_nothing(places: Database, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (",".join(COLUMNS) + "\r\n\r\n,,,\r\n").encode())
    before = fingerprint(places)
    result = invoke(places.url, "import-cases", str(path))
    check_clean(result, "import-cases of a header alone")
    assert result.exit_code == 0 and "imported 0 cases" in result.output
    assert not changed_tables(before, fingerprint(places))


def test_import_cases_refuses_what_is_not_a_file(places: Database, tmp_path: Path) -> None:
    before = fingerprint(places)
    for path in (str(tmp_path / "nowhere.csv"), str(tmp_path), "/dev/null", ""):
        result = invoke(places.url, "import-cases", path)
        check_clean(result, f"import-cases {path!r}")
        assert result.exit_code != 0, f"{path!r}: {result.output}"
    assert not changed_tables(before, fingerprint(places))


# --------------------------------------------------------------------------- report


@QUICK
@given(
    date_from=st.one_of(st.just("2026-01-01"), ARG),
    date_to=st.one_of(st.just("2026-12-31"), ARG),
    by=st.one_of(st.sampled_from(["level", "organization", "zone", "mediator", "category"]), ARG),
    fmt=st.one_of(st.sampled_from(["table", "csv", "json"]), ARG),
    drop=st.sets(st.sampled_from(["--from", "--to", "--by", "--format"]), max_size=2),
)
def test_report_with_junk_options_never_crashes(
    database: Database, date_from: str, date_to: str, by: str, fmt: str, drop: set[str]
) -> None:
    options = {"--from": date_from, "--to": date_to, "--by": by, "--format": fmt}
    args = [part for name, value in options.items() if name not in drop for part in (name, value)]
    result = invoke(database.url, "report", *args)
    check_clean(result, f"report {args}")
    if result.exit_code != 0:
        assert result.exit_code == 2, result.output
        assert (
            any(
                name in result.output or name.lstrip("-").upper() in result.output
                for name in options
            )
            or "option" in result.output.lower()
        ), result.output


# --------------------------------------------------------------------------- create-user


@QUICK
@given(
    username=st.one_of(st.just("fuzz-user"), ARG),
    role=st.one_of(st.sampled_from(["mediator", "lawyer", "supervisor", "admin"]), ARG),
    display_name=st.one_of(st.just("测试用户"), ARG),
    organization=st.one_of(st.none(), st.just("黄村镇调解中心"), ARG),
    zone=st.one_of(st.none(), st.just("黄村镇调解中心片区"), ARG),
    password=st.one_of(st.just("Fuzz-Passw0rd-2026!"), CELL),
)
def test_create_user_with_junk_never_crashes_and_a_refusal_writes_nothing(
    places: Database,
    fast_hashing: None,
    username: str,
    role: str,
    display_name: str,
    organization: str | None,
    zone: str | None,
    password: str,
) -> None:
    database = places
    args = ["create-user", "--username", username, "--role", role, "--display-name", display_name]
    if organization is not None:
        args += ["--organization", organization]
    if zone is not None:
        args += ["--zone", zone]
    before = fingerprint(database)
    users = count(database, USER)
    result = invoke(database.url, *args, "--password-stdin", input=password + "\n")
    check_clean(result, f"create-user {args} with password {password!r}")
    if result.exit_code == 0:
        assert count(database, USER) == users + 1
        assert "created" in result.output
    else:
        changed = changed_tables(before, fingerprint(database))
        assert not changed, f"a refused create-user changed {changed}: {result.output}"


def test_create_user_prompt_with_junk_confirmation_writes_nothing(
    places: Database, fast_hashing: None
) -> None:
    before = fingerprint(places)
    result = invoke(
        places.url,
        "create-user",
        "--username",
        "fuzz-prompted",
        "--role",
        "supervisor",
        "--display-name",
        "督导",
        input="Fuzz-Passw0rd-2026!\nsomething else\n\x00\n",
    )
    check_clean(result, "create-user with a password prompt answered with junk")
    assert result.exit_code != 0
    assert not changed_tables(before, fingerprint(places))


# --------------------------------------------------------------------------- documents


@pytest.fixture
def issued(database: Database, stub_rendering: None) -> tuple[Database, bytes, str]:
    """A case with an issued document (the stand-in PDF); (database, its bytes, its number)."""
    case_id, _ = make_case(database, state="archived")
    with database.read_session() as session:
        number = session.execute(
            select(DOCUMENT.c.number).where(DOCUMENT.c.case_id == case_id)
        ).scalar_one()
    return database, STUB_PDF, number


@st.composite
def junk_documents(draw: st.DrawFn, real: bytes, number: str) -> bytes:
    kind = draw(st.sampled_from(["bytes", "truncated", "header", "marked", "real"]))
    if kind == "bytes":
        return draw(st.binary(max_size=4000))
    if kind == "truncated":
        return real[: draw(st.integers(0, len(real)))]
    if kind == "header":
        return b"%PDF-1.7\n" + draw(st.binary(max_size=2000))
    if kind == "marked":
        claimed = draw(st.one_of(st.just(number), CELL))
        version = draw(st.one_of(st.just("1"), CELL))
        pdf = marked_pdf(claimed, version)
        return pdf[: draw(st.integers(len(pdf) // 2, len(pdf)))] if draw(st.booleans()) else pdf
    return real


@QUICK
@given(data=st.data())
def test_verify_document_with_junk_bytes_answers_0_1_or_2(
    issued: tuple[Database, bytes, str],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    database, real, number = issued
    content = data.draw(junk_documents(real, number))
    path = tmp_path_factory.mktemp("verify") / "document.pdf"
    path.write_bytes(content)
    result = invoke(database.url, "verify-document", str(path))
    check_clean(result, f"verify-document of {content[:200]!r}")
    assert str(path) in result.output
    if content == real:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1, result.output


@pytest.mark.parametrize("claimed", ["DX\x00", "DX-2026-00001-AJ\x1b", "\x00" * 50])
def test_verify_document_of_a_pdf_claiming_a_number_with_control_characters(
    issued: tuple[Database, bytes, str], tmp_path: Path, claimed: str
) -> None:
    """Found by the fuzz: on PostgreSQL the NUL went into the look-up of the number."""
    database, _real, _number = issued
    path = tmp_path / "document.pdf"
    path.write_bytes(marked_pdf(claimed, "1"))
    result = invoke(database.url, "verify-document", str(path))
    check_clean(result, f"verify-document of a PDF claiming {claimed!r}")
    assert result.exit_code == 1 and "not an issued document" in result.output, result.output


@QUICK
@given(
    number=st.one_of(st.just(""), ARG),
    kind=st.one_of(
        st.sampled_from(
            [
                "agreement",
                "failure_notice",
                "rejection_notice",
                "performance_confirmation",
                "archive_bundle",
            ]
        ),
        ARG,
    ),
    reason=st.one_of(st.none(), ARG),
    base_url=st.one_of(st.none(), ARG, st.just("javascript:alert(1)")),
)
def test_issue_document_with_junk_never_crashes(
    issued: tuple[Database, bytes, str],
    number: str,
    kind: str,
    reason: str | None,
    base_url: str | None,
) -> None:
    database, _real, existing = issued
    case_number = number or existing.rsplit("-", 1)[0]
    args = ["issue-document", case_number, kind]
    if reason is not None:
        args += ["--reason", reason]
    if base_url is not None:
        args += ["--base-url", base_url]
    before = fingerprint(database)
    result = invoke(database.url, *args)
    check_clean(result, f"{args}")
    if result.exit_code == 0:
        chain_ok(database)
    else:
        changed = changed_tables(before, fingerprint(database))
        assert not changed, f"a refused issue-document changed {changed}: {result.output}"


# --------------------------------------------------------------------------- verify-audit, URLs

JUNK_URLS = [
    "junk://x",
    "sqlite:////proc/nope/x.sqlite3",
    "sqlite:///:memory:",
    "postgresql://postgres@127.0.0.1:1/nothing",
    "postgresql://postgres@127.0.0.1:5432/mediation_no_such_database",
    "mysql://root@127.0.0.1:1/x",
    "not a url at all",
    "sqlite://",
]

URL_COMMANDS: list[list[str]] = [
    ["verify-audit"],
    ["init-db"],
    ["report", "--from", "2026-01-01", "--to", "2026-12-31", "--by", "level"],
    [
        "create-user",
        "--username",
        "u1",
        "--role",
        "admin",
        "--display-name",
        "U",
        "--password-stdin",
    ],
    ["import-cases", "{csv}"],
    ["verify-document", "{pdf}"],
    ["issue-document", "DX-1", "agreement"],
    ["backup", "{out}"],
    ["seed-demo", "--cases", "1"],
]


@pytest.mark.parametrize("url", JUNK_URLS)
def test_every_command_on_a_database_it_cannot_open_says_so(
    url: str, tmp_path: Path, fast_hashing: None
) -> None:
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text(",".join(COLUMNS) + "\n")
    pdf_path = tmp_path / "d.pdf"
    pdf_path.write_bytes(STUB_PDF)
    for command in URL_COMMANDS:
        args = [
            part.format(csv=csv_path, pdf=pdf_path, out=tmp_path / f"out-{command[0]}.bak")
            for part in command
        ]
        result = invoke(url, *args, input="Fuzz-Passw0rd-2026!\n")
        check_clean(result, f"--database-url {url!r} {' '.join(args)}")
        # An in-memory database can be created (init-db); the others cannot be opened.
        if result.exit_code:
            assert result.exit_code == 1, f"{url!r} {args}: {result.output}"
            said = result.output.lower()
            assert any(w in said for w in ("database", "init-db", "server")), (
                f"{url!r} {args}: {result.output}"
            )


def test_verify_audit_on_a_scratch_database_with_junk_state(database: Database, actor: Any) -> None:
    """verify-audit after a junk import and junk documents: still 0 (or 1 naming the break)."""
    make_case(database, state="closed", actor=actor)
    result = invoke(database.url, "verify-audit")
    check_clean(result, "verify-audit")
    assert result.exit_code == 0 and "audit chain intact" in result.output
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE mediation_case SET claimed_fen = claimed_fen + 1"))
    result = invoke(database.url, "verify-audit")
    check_clean(result, "verify-audit on a tampered database")
    assert result.exit_code == 1 and "BROKEN" in result.output


# --------------------------------------------------------------------------- backup, restore


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Database]:
    """A scratch SQLite file with one case: restore works on it, never the test database."""
    database = Database(f"sqlite:///{tmp_path / 'scratch.sqlite3'}")
    upgrade(database.engine)
    make_case(database, state="finding_crux")
    yield database
    database.dispose()


def _file_digest(database: Database) -> str:
    path = Path(database.url.removeprefix("sqlite:///"))
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sqlite_file(statements: Sequence[str]) -> bytes:
    with closing(sqlite3.connect(":memory:")) as memory:
        for statement in statements:
            memory.execute(statement)
        memory.commit()
        return memory.serialize()


@st.composite
def junk_backups(draw: st.DrawFn, real: bytes) -> bytes:
    kind = draw(
        st.sampled_from(["bytes", "truncated", "flipped", "schema", "empty-db", "tables-only"])
    )
    if kind == "bytes":
        return draw(st.binary(max_size=8000))
    if kind == "truncated":
        return real[: draw(st.integers(0, len(real) - 1))]
    if kind == "flipped":
        data = bytearray(real)
        for _ in range(draw(st.integers(1, 20))):
            at = draw(st.integers(100, len(data) - 1))
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "schema":  # a byte that is not UTF-8 inside one table's CREATE statement
        data = bytearray(real)
        starts = [i for i in range(len(data)) if data.startswith(b"CREATE TABLE", i)]
        at = draw(st.sampled_from(starts)) + draw(st.integers(7, 20))
        data[at] = draw(st.sampled_from([0xCB, 0xFF, 0xC0, 0x80]))
        return bytes(data)
    if kind == "empty-db":
        return _sqlite_file(["CREATE TABLE t (x)"])
    return _sqlite_file(
        [
            "CREATE TABLE alembic_version (version_num TEXT)",
            "CREATE TABLE mediation_case (id INTEGER)",
            "CREATE TABLE audit_event (id INTEGER)",
        ]
    )


@settings(
    max_examples=max(EXAMPLES * 4 // 5, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_restore_of_a_junk_file_is_refused_and_the_database_is_untouched(
    scratch: Database, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("restore")
    good = folder / "good.sqlite3"
    assert invoke(scratch.url, "backup", str(good)).exit_code == 0
    junk = data.draw(junk_backups(good.read_bytes()))
    path = folder / "junk.backup"
    path.write_bytes(junk)
    scratch.dispose()
    before = _file_digest(scratch)
    result = invoke(scratch.url, "restore", "--yes", str(path))
    check_clean(result, f"restore of {junk[:100]!r}…")
    if result.exit_code != 0:
        assert str(path) in result.output, result.output
        assert _file_digest(scratch) == before, "a refused restore changed the database"
    else:
        # Only a file SQLite still reads as this application's database is restored; the
        # operator is told to verify it, and verify-audit must say what it finds.
        assert "verify-audit" in result.output
        check_clean(invoke(scratch.url, "verify-audit"), "verify-audit after a restore")
        shutil.copyfile(good, Path(scratch.url.removeprefix("sqlite:///")))


def test_restore_of_a_backup_whose_schema_is_not_utf8_is_refused(
    scratch: Database, tmp_path: Path
) -> None:
    """Found by the fuzz: sqlite3 raised UnicodeDecodeError quoting the damaged schema."""
    good = tmp_path / "good.sqlite3"
    assert invoke(scratch.url, "backup", str(good)).exit_code == 0
    data = bytearray(good.read_bytes())
    data[data.find(b"CREATE TABLE joint_session") + 7] = 0xCB  # "CREATE \xcbABLE …"
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(bytes(data))
    scratch.dispose()
    before = _file_digest(scratch)
    result = invoke(scratch.url, "restore", "--yes", str(bad))
    check_clean(result, "restore of a backup whose schema holds a byte that is not UTF-8")
    assert result.exit_code == 1 and str(bad) in result.output, result.output
    assert _file_digest(scratch) == before


def test_restore_prompt_answered_with_junk_changes_nothing(
    scratch: Database, tmp_path: Path
) -> None:
    good = tmp_path / "good.sqlite3"
    assert invoke(scratch.url, "backup", str(good)).exit_code == 0
    before = _file_digest(scratch)
    for answer in ["\x00\n", "yes please\n", "\n", ""]:
        result = invoke(scratch.url, "restore", str(good), input=answer)
        check_clean(result, f"restore answered {answer!r}")
        assert result.exit_code == 1 and "Aborted" in result.output
    assert _file_digest(scratch) == before


def _unwritable(tmp_path: Path) -> dict[str, str]:
    a_file = tmp_path / "a-file"
    a_file.write_text("keep")
    return {
        "under /proc": "/proc/nope/mediation.backup",
        "a file in /proc": "/proc/self/mediation.backup",
        "under a regular file": str(a_file / "mediation.backup"),
        "an existing file": str(a_file),
        "a directory": str(tmp_path),
        "a name too long": str(tmp_path / ("x" * 300)),
        "the empty string": "",
        "/dev/full": "/dev/full",
    }


def test_backup_to_a_path_it_cannot_write_fails_clearly(database: Database, tmp_path: Path) -> None:
    if not database.is_sqlite and shutil.which("pg_dump") is None:
        pytest.skip("needs pg_dump (apt-get install postgresql-client)")
    make_case(database)
    for where, target in _unwritable(tmp_path).items():
        result = invoke(database.url, "backup", target)
        check_clean(result, f"backup to {where} ({target!r})")
        assert result.exit_code in (1, 2), f"{where}: {result.output}"
        assert (tmp_path / "a-file").read_text() == "keep"
        assert not list(tmp_path.glob("*.partial")), f"{where}: a partial file was left"


# --------------------------------------------------------------------------- rotate-data-key

KEY_SAMPLES = [
    "",
    "not base64!",
    "AAAA",
    "q83vEjRWeJC7zN3u/wARIjNEVWZ3iJmqu8zd7v8AESI=",  # a well-formed 32-byte key
    "q83vEjRWeJC7zN3u/wARIjNEVWZ3iJmqu8zd7v8AESI",  # its padding missing
    "=" * 44,
    "x" * 5000,
]


@settings(
    max_examples=max(EXAMPLES * 3 // 5, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    key=st.one_of(st.none(), st.sampled_from(KEY_SAMPLES), ENV_TEXT),
    retired=st.one_of(st.none(), st.sampled_from(KEY_SAMPLES), ENV_TEXT.map(lambda t: f"{t},{t}")),
)
def test_rotate_data_key_with_junk_keys_never_crashes(
    scratch: Database, key: str | None, retired: str | None
) -> None:
    from mediation.people import sealing

    with pytest.MonkeyPatch.context() as patch:
        for variable, value in ((sealing.KEY_VARIABLE, key), (sealing.RETIRED_VARIABLE, retired)):
            if value is None:
                patch.delenv(variable, raising=False)
            else:
                patch.setenv(variable, value)
        sealing.reset_key_ring()
        try:
            result = invoke(scratch.url, "rotate-data-key")
        finally:
            sealing.reset_key_ring()
    check_clean(result, f"rotate-data-key with key {key!r}, retired {retired!r}")
    chain_ok(scratch)


# --------------------------------------------------------------------------- the rest


USAGE_ERRORS = [
    ["seed-demo", "--cases", "-1"],
    ["seed-demo", "--cases", "abc"],
    ["seed-demo", "--cases", "1e99"],
    ["seed-demo", "--cases", "100001"],
    ["serve", "--port", "0"],
    ["serve", "--port", "70000"],
    ["serve", "--port", "abc"],
    ["serve", "--workers", "0"],
    ["serve", "--workers", "-1"],
    ["serve", "--workers", "NaN"],
    ["init-db", "--junk"],
    ["verify-audit", "extra"],
    ["no-such-command"],
]


def test_junk_numbers_and_options_are_usage_errors(sqlite_database: Database) -> None:
    """Refused by the command line's own checks, before any database is opened."""
    before = fingerprint(sqlite_database)
    for args in USAGE_ERRORS:
        result = invoke(sqlite_database.url, *args)
        check_clean(result, " ".join(args))
        assert result.exit_code == 2, f"{args}: {result.output}"
    assert not changed_tables(before, fingerprint(sqlite_database))
