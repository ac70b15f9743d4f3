"""Disk full: a clear error, nothing half-written, and the next operation works once space is back.

The SQLite database lives on a small tmpfs mounted for the test (``mount -t tmpfs``; skipped,
with the reason, where mounting is not allowed — it needs root or CAP_SYS_ADMIN). Cases are
advanced while a file fills the rest of the disk; the first operation that cannot be written
raises :class:`~mediation.errors.StorageFull` ("the database's disk is full … nothing was
saved"), the command line says the same for ``import-cases`` (exit status 1, no traceback),
and then:

- ``PRAGMA integrity_check`` is ok and the chain and every case verify;
- the failed operation is absent: the case is at the version before it, with one event per
  version; the failed import wrote no case;
- with the filler removed, the very operation that failed succeeds, and so does the import.
"""

from __future__ import annotations

import csv
import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.cases.service import advance
from mediation.cli import main
from mediation.db import Database
from mediation.errors import StorageFull
from mediation.schema import upgrade
from mediation.tables import CASE, EVENT
from tests.factories import make_case, path_to

DISK_SIZE = "8m"
ACTOR = Actor(None, "disk-full-test")
IMPORT_ROWS = 100


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of a few megabytes mounted on a directory of tmp_path, unmounted afterwards."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(mountpoint)],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        pytest.skip(f"cannot run mount for a small tmpfs: {exc}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no space left; return it."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(descriptor)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def historic_cases(path: Path, rows: int) -> Path:
    """Write an import file of ``rows`` settled cases (case numbers DX-2019-…)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "case_number",
                "organization",
                "level",
                "town",
                "category",
                "received_on",
                "outcome",
                "closed_on",
                "claimed_amount",
                "agreed_amount",
                "paid_amount",
                "applicant",
                "respondent",
            ]
        )
        for i in range(rows):
            writer.writerow(
                [
                    f"DX-2019-{i + 1:04d}",
                    "大兴区劳动争议调解中心",
                    "district",
                    "黄村镇",
                    "wages",
                    "2019-03-04",
                    "settled",
                    "2019-03-15",
                    "12000",
                    "10000",
                    "10000",
                    f"申请人{i}",
                    "北京兴旺建筑工程有限公司",
                ]
            )
    return path


def case_state(database: Database, case_id: int) -> tuple[int, int]:
    """Return the case's version and how many events it has."""
    with Session(database.engine) as session:
        version = session.execute(select(CASE.c.version).where(CASE.c.id == case_id)).scalar_one()
        events = session.execute(
            select(func.count()).select_from(EVENT).where(EVENT.c.case_id == case_id)
        ).scalar_one()
    return version, events


def imported(database: Database) -> int:
    with Session(database.engine) as session:
        return session.execute(
            select(func.count()).select_from(CASE).where(CASE.c.number.like("DX-2019-%"))
        ).scalar_one()


def check_intact(database: Database, path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Session(database.engine) as session:
        result = verify(session)
    assert result.ok, result.first_break


@pytest.mark.reliability
def test_disk_full_is_a_clear_error_writes_nothing_and_recovers(
    small_disk: Path, tmp_path: Path
) -> None:
    path = small_disk / "mediation.sqlite3"
    database = Database(f"sqlite:///{path}")
    try:
        upgrade(database.engine)
        today = clock.today()
        steps = path_to("closed", today=today)
        case_id, version = make_case(database, state="registered", actor=ACTOR, today=today)
        filler = fill(small_disk)

        # Advance the case (then new ones) until a write does not fit.
        failure: StorageFull | None = None
        for _attempt in range(100):
            if version - 1 >= len(steps):
                case_id, version = make_case(database, actor=ACTOR, today=today)
            action, data = steps[version - 1]
            try:
                with database.writing() as session:
                    advance(
                        session,
                        case_id=case_id,
                        action=action,
                        expected_version=version,
                        actor=ACTOR,
                        data=data,
                        today=today,
                    )
            except StorageFull as exc:
                failure = exc
                break
            version += 1
        assert failure is not None, "the disk never filled up"
        message = str(failure)
        assert message.startswith("the database's disk is full")
        assert "database or disk is full" in message and "nothing was saved" in message

        # Nothing partial: the file is sound, the chain holds, the failed step is absent.
        check_intact(database, path)
        assert case_state(database, case_id) == (version, version)

        # The command line says so too, and imports nothing.
        source = historic_cases(tmp_path / "historic.csv", IMPORT_ROWS)
        runner = CliRunner()
        result = runner.invoke(main, ["--database-url", database.url, "import-cases", str(source)])
        assert result.exit_code == 1, result.output
        assert "Error: the database's disk is full" in result.output
        assert "nothing was saved" in result.output and "Traceback" not in result.output
        assert imported(database) == 0
        check_intact(database, path)

        # Space returns: the same operation now succeeds, and so does the import.
        filler.unlink()
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=ACTOR,
                data=data,
                today=today,
            )
        assert case_state(database, case_id) == (version + 1, version + 1)
        result = runner.invoke(main, ["--database-url", database.url, "import-cases", str(source)])
        assert result.exit_code == 0, result.output
        assert imported(database) == IMPORT_ROWS
        check_intact(database, path)
    finally:
        database.dispose()
