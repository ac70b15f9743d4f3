"""Crash: a process advancing cases is killed with SIGKILL at random moments; nothing is lost.

``CRASH_KILLS`` (environment, default 50) sets how many times. After the last kill:
``PRAGMA integrity_check`` is ok, the chain verifies and every case row agrees with its last
event (no state without its event), and every operation the child acknowledged — it prints
``ack <case> <version>`` only after the commit returned — is in the database with its event.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from mediation.audit.verify import verify
from mediation.db import Database

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("CRASH_KILLS", "50"))


class Child:
    """The crash child, its acknowledged operations read by a thread as they come."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_child", url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.acks: list[tuple[int, int]] = []
        self.ready = threading.Event()
        self.first_ack = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("ready"):
                self.ready.set()
            elif line.startswith("ack "):
                _, case_id, version = line.split()
                self.acks.append((int(case_id), int(version)))
                self.first_ack.set()

    def kill(self) -> list[tuple[int, int]]:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join()
        assert self.process.stdout is not None
        self.process.stdout.close()
        return self.acks


def check_everything_acknowledged_is_there(
    database: Database, acknowledged: dict[int, int]
) -> None:
    with Session(database.engine) as session:
        result = verify(session)
        assert result.ok, result.first_break
        for case_id, version in acknowledged.items():
            stored = session.execute(
                text("SELECT version FROM mediation_case WHERE id = :id"), {"id": case_id}
            ).scalar()
            assert stored is not None, f"acknowledged case {case_id} is missing"
            assert stored >= version, f"case {case_id}: acknowledged v{version}, stored v{stored}"
        # Every version of every case has its event: one event per committed transaction.
        rows = session.execute(
            text(
                "SELECT c.id, c.version, COUNT(e.id) FROM mediation_case c "
                "LEFT JOIN audit_event e ON e.case_id = c.id GROUP BY c.id, c.version"
            )
        ).all()
        for case_id, version, events in rows:
            assert events == version, f"case {case_id} at v{version} has {events} events"


@pytest.mark.reliability
def test_sigkill_at_random_moments_loses_nothing_acknowledged(sqlite_database: Database) -> None:
    url = sqlite_database.url
    sqlite_database.dispose()
    chance = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    acknowledged: dict[int, int] = {}
    for _ in range(KILLS):
        child = Child(url)
        assert child.ready.wait(60), "the child did not start"
        child.first_ack.wait(30)
        # A random moment within the next few dozen transactions: mid-commit, mid-event,
        # between two statements of advance() — wherever the signal lands.
        threading.Event().wait(chance.uniform(0.0, 0.25))
        for case_id, version in child.kill():
            acknowledged[case_id] = max(version, acknowledged.get(case_id, 0))
    assert acknowledged, "the child never acknowledged anything"
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    database = Database(url)
    try:
        check_everything_acknowledged_is_there(database, acknowledged)
    finally:
        database.dispose()
