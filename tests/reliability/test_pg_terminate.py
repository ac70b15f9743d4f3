"""Crash on PostgreSQL: the server ends the child's backend mid-transaction; nothing is lost.

A child process (tests/reliability/reconnect_child.py) advances cases in a loop on PostgreSQL,
printing ``ack <case> <version>`` after each commit returned. This test ends its backend with
``pg_terminate_backend`` ``PG_TERMINATIONS`` times (environment, default 200), each at a random
moment while the backend is inside a transaction (``active`` or ``idle in transaction`` in
``pg_stat_activity``) — between two statements of ``advance()``, during the event's append,
during the commit. After each one the child must reconnect and acknowledge a new commit
before the next. Afterwards the chain verifies, every case row agrees with its last event and
every version has its event (no state without its event), and every acknowledged operation is
in the database. Needs PostgreSQL (``TEST_DATABASE_URL``; skipped without it, required in CI).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from mediation.db import Database
from tests.conftest import _reset_postgres
from tests.reliability.test_crash import ROOT, check_everything_acknowledged_is_there

TERMINATIONS = int(os.environ.get("PG_TERMINATIONS", "200"))
APPLICATION = "mediation-reconnect-child"
#: Inside a transaction: running a statement, or between two statements of one.
_TERMINATE = text(
    "SELECT state, pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE application_name = :name AND datname = current_database() "
    "AND state IN ('active', 'idle in transaction')"
)


class ReconnectingChild:
    """The child, its acknowledgements and the failures it reported, read by a thread."""

    def __init__(self, url: str, log: Path) -> None:
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.reconnect_child", url],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.acks: list[tuple[int, int]] = []
        self.lost: Counter[str] = Counter()
        self.ready = threading.Event()
        self.changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                if line.startswith("ready"):
                    self.ready.set()
                elif line.startswith("ack "):
                    _, case_id, version = line.split()
                    self.acks.append((int(case_id), int(version)))
                elif line.startswith("lost "):
                    self.lost[line.split()[1]] += 1
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for_ack_after(self, count: int, timeout: float) -> None:
        """Wait until the child has acknowledged more than ``count`` operations."""
        with self.changed:
            done = self.changed.wait_for(
                lambda: len(self.acks) > count or self.process.poll() is not None, timeout
            )
        assert self.process.poll() is None, f"the child died:\n{self.log.read_text()[-3000:]}"
        assert done, "the child acknowledged nothing more: it did not reconnect"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join()
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[Database]:
    """The run's scratch PostgreSQL database, emptied."""
    database = Database(postgres_url)
    _reset_postgres(database)
    yield database
    database.dispose()


@pytest.mark.reliability
def test_terminated_backends_lose_nothing_acknowledged(
    pg_database: Database, tmp_path: Path
) -> None:
    chance = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    separator = "&" if "?" in pg_database.url else "?"
    child = ReconnectingChild(
        f"{pg_database.url}{separator}application_name={APPLICATION}", tmp_path / "child.log"
    )
    terminated: Counter[str] = Counter()
    try:
        assert child.ready.wait(60), "the child did not start"
        with pg_database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            for _ in range(TERMINATIONS):
                child.wait_for_ack_after(len(child.acks), timeout=30)
                threading.Event().wait(chance.uniform(0.0, 0.05))
                # Poll until the backend is caught inside a transaction, then end it.
                for _attempt in range(10_000):
                    row = connection.execute(_TERMINATE, {"name": APPLICATION}).first()
                    if row is not None and row[1]:
                        terminated[row[0]] += 1
                        break
                else:
                    pytest.fail("the child's backend was never seen inside a transaction")
            # The child goes on after the last one too.
            child.wait_for_ack_after(len(child.acks), timeout=30)
    finally:
        child.stop()
    assert sum(terminated.values()) == TERMINATIONS
    # Each termination hit a transaction: the child saw its connection lost (a few may land
    # just as the commit returns, and be found by the pool's check before the next use).
    assert child.lost, "the child never noticed a terminated backend"
    acknowledged: dict[int, int] = {}
    for case_id, version in child.acks:
        acknowledged[case_id] = max(version, acknowledged.get(case_id, 0))
    print(
        f"terminated {dict(terminated)}, child lost its connection {dict(child.lost)}, "
        f"{len(child.acks)} acknowledged commits on {len(acknowledged)} cases"
    )
    check_everything_acknowledged_is_there(pg_database, acknowledged)
