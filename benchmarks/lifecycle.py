"""A full case lifecycle, register → closed, through our service and through the peer.

Each case is registered (``register_case``: parties, a claim, the ``register`` event) and
taken through the method in 15 actions, each one transaction through
:func:`mediation.cases.service.advance` as the case page takes them: accept; a separate
interview with each party; the crux; the plan; open the mediation; a joint session; the draft
agreement (one term, two instalments); the signatures of both parties and the mediator and
the organisation's seal; sign the agreement; a payment of the whole amount; confirm the
performance (closed). That is 16 transactions and 16 events per case, every one hash-chained.
Issuing documents (PDFs) is not part of it: this measures the service path.

The peer (:mod:`benchmarks.peer.spiff`) runs the same 16 steps with SpiffWorkflow on
``benchmarks/peer/three_steps.bpmn``, persisting the workflow as JSON and an audit row on a
hash chain after every step, in one transaction per step, on the same database.

Both run on a SQLite file (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``) and on PostgreSQL
(a scratch database created on the server of ``--postgres-url`` and dropped at the end; skipped
with a line saying so when the server cannot be reached). The cases are run in rounds that
alternate ours and the peer's, so both see the same load on a shared machine; throughput is
all the cases over all the time each spent. Target: ours at least 10× the peer's.

While ours runs, every ``transitions.Machine`` built is counted (there must be none: the
machine is built once, at import) and so are the models registered with the shared machine.

Diagnostics (no target) follow the figures: transactions per second of this process's CPU on
both sides (from the same run: what the ratio would be if nobody waited for the database),
and the same lifecycle again, on at most 200 cases, with the commit not waiting for the disk
on both sides (SQLite ``synchronous=OFF``, PostgreSQL ``synchronous_commit=off``) — not the
guarantee the target is about, measured to show how much of the ratio the durable commit
decides on this machine's disk.

    python -m benchmarks.lifecycle [--cases 200] [--rounds 3] [--postgres-url URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from transitions import Machine

from benchmarks.peer.spiff import Peer, PeerStore
from benchmarks.table import Diagnostic, Figure, Options, Row, Skipped, format_table, rate_figure
from mediation.audit.chain import Actor
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import Database, normalise_url
from mediation.people.models import Organization
from mediation.schema import upgrade
from mediation.tables import CASE, EVENT
from workflows.case import MACHINE

TARGET = 10.0
ACTOR = Actor(None, "bench")
TODAY = date(2026, 3, 2)
AGREED_FEN = 1_000_000
WORKER = PartyInput(name="张伟", id_number="11010519491231002X", phone="13800138000")
EMPLOYER = PartyInput(name="北京兴旺建筑工程有限公司", id_number="91350100M000100Y43")
CLAIM = ClaimInput("wages", 1_200_000, "拖欠三个月工资")


def steps(today: date = TODAY) -> list[tuple[str, dict[str, Any]]]:
    """Return the 15 actions that take a registered case to ``closed``."""
    half = AGREED_FEN // 2
    return [
        ("accept", {}),
        ("record_interview", {"party_role": "worker", "notes": "单独约谈劳动者"}),
        ("record_interview", {"party_role": "employer", "notes": "单独约谈用人单位"}),
        ("record_crux", {"text": "工资结算周期争议"}),
        ("record_plan", {"text": "先核对考勤，再分期支付"}),
        ("open_mediation", {}),
        ("record_joint_session", {"notes": "双方到场，就分期支付达成一致", "attendees": "双方"}),
        (
            "draft_agreement",
            {
                "method": "bank_transfer",
                "terms": [{"category": "wages", "amount_fen": AGREED_FEN, "description": "工资"}],
                "instalments": [
                    {"due_on": today + timedelta(days=7), "amount_fen": half},
                    {"due_on": today + timedelta(days=30), "amount_fen": AGREED_FEN - half},
                ],
            },
        ),
        ("record_signature", {"signer": "worker"}),
        ("record_signature", {"signer": "employer"}),
        ("record_signature", {"signer": "mediator"}),
        ("record_signature", {"signer": "organization"}),
        ("sign_agreement", {}),
        ("record_payment", {"amount_fen": AGREED_FEN}),
        ("confirm_performance", {}),
    ]


#: Transactions per case: the registration and every step.
TRANSACTIONS_PER_CASE = 1 + len(steps())


@dataclass
class Run:
    """Cases taken through the lifecycle, and the time spent on them."""

    cases: int = 0
    seconds: float = 0.0
    #: CPU time of this process (the database's own time is not in it on PostgreSQL).
    cpu_seconds: float = 0.0
    machines_built: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Cases per second."""
        return self.cases / self.seconds if self.seconds else 0.0


@contextmanager
def counting_machines() -> Iterator[list[int]]:
    """Count every ``transitions.Machine`` (or subclass) built inside the block."""
    built = [0]
    original = Machine.__init__

    def counted(self: Machine, *args: Any, **kwargs: Any) -> None:
        built[0] += 1
        original(self, *args, **kwargs)

    Machine.__init__ = counted  # type: ignore[method-assign]
    try:
        yield built
    finally:
        Machine.__init__ = original  # type: ignore[method-assign]


@contextmanager
def scratch_postgres(url: str, *, durable: bool = True) -> Iterator[str]:
    """Create a scratch database on the server of ``url``; yield its URL; drop it after.

    ``durable=False`` (the diagnostic only) sets ``synchronous_commit=off`` on the database:
    every session on it, ours and the peer's, then commits without waiting for the WAL flush.
    """
    base = make_url(normalise_url(url))
    name = f"mediation_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            if not durable:
                connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_unreachable(url: str) -> str | None:
    """Return why the PostgreSQL server of ``url`` cannot be used, or None when it can."""
    try:
        engine = create_engine(make_url(normalise_url(url)), connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any driver error means: skip PostgreSQL, saying why
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    return None


class Ours:
    """Our engine on one database: an organisation to register cases in."""

    def __init__(self, url: str, *, synchronous: str = "FULL") -> None:
        self.database = Database(url)
        if synchronous != "FULL" and self.database.is_sqlite:
            # The diagnostic without a durable commit: set after the application's own PRAGMAs.
            def pragma(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

            event.listen(self.database.engine, "connect", pragma)
        upgrade(self.database.engine)
        with self.database.writing() as session:
            organization = Organization(name="大兴区劳动争议调解中心", level="district")
            session.add(organization)
            session.flush()
            assert organization.id is not None
            self.organization_id = organization.id
        self.steps = steps()

    def lifecycle(self) -> int:
        """Take one new case from registration to ``closed``; return its id."""
        database = self.database
        with database.writing() as session:
            case_id, _ = register_case(
                session,
                actor=ACTOR,
                organization_id=self.organization_id,
                town_id=None,
                category="wages",
                received_on=TODAY,
                worker=WORKER,
                employer=EMPLOYER,
                claims=[CLAIM],
            )
        for version, (action, data) in enumerate(self.steps, start=1):
            with database.writing() as session:
                advance(
                    session,
                    case_id=case_id,
                    action=action,
                    expected_version=version,
                    actor=ACTOR,
                    data=data,
                    today=TODAY,
                )
        return case_id

    def check(self, cases: int) -> None:
        """Fail unless every case is closed with all its events."""
        with self.database.read_session() as session:
            closed = session.execute(
                select(func.count()).select_from(CASE).where(CASE.c.state == "closed")
            ).scalar_one()
            events = session.execute(select(func.count()).select_from(EVENT)).scalar_one()
        if closed != cases or events != cases * TRANSACTIONS_PER_CASE:
            raise RuntimeError(f"ours: {closed} of {cases} cases closed, {events} events")

    def close(self) -> None:
        """Release the database."""
        self.database.dispose()


def _peer_intake() -> dict[str, Any]:
    return {
        "worker": {k: v for k, v in vars(WORKER).items() if v},
        "employer": {k: v for k, v in vars(EMPLOYER).items() if v},
        "claims": [vars(CLAIM)],
        "received_on": TODAY.isoformat(),
        "worker_complete": True,
        "employer_complete": True,
        "claims_with_amount": 1,
        "consent_worker": False,
        "consent_employer": False,
        "performance_overdue": False,
        "days_since_received": 0,
    }


def _peer_data(data: dict[str, Any]) -> dict[str, Any]:
    """The step's data as a form would post it (dates as ISO strings), with today's facts."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return {**plain(data), "days_since_received": 0}


class Theirs:
    """The peer on one database."""

    def __init__(self, target: Path | str, *, synchronous: str = "FULL") -> None:
        self.store = PeerStore(target, synchronous=synchronous)
        self.peer = Peer(self.store)
        self.intake = _peer_intake()
        self.steps = [(action, _peer_data(data)) for action, data in steps()]
        self.ids: list[int] = []

    def lifecycle(self) -> int:
        """Take one new workflow from registration to ``closed``; return its id."""
        workflow_id = self.peer.register(self.intake)
        for version, (action, data) in enumerate(self.steps, start=1):
            self.peer.step(workflow_id, action, data, version)
        self.ids.append(workflow_id)
        return workflow_id

    def check(self, cases: int) -> None:
        """Fail unless every workflow completed closed with all its audit rows."""
        for workflow_id in (self.ids[0], self.ids[-1]):
            state, completed = self.peer.final_state(workflow_id)
            if state != "closed" or not completed:
                raise RuntimeError(f"peer: workflow {workflow_id} ended {state}")
        audit = self.store.count("peer_audit")
        if audit != cases * TRANSACTIONS_PER_CASE:
            raise RuntimeError(f"peer: {audit} audit rows for {cases} cases")

    def close(self) -> None:
        """Close the connection."""
        self.store.close()


def _chunks(total: int, rounds: int) -> list[int]:
    rounds = max(1, min(rounds, total))
    return [total // rounds + (1 if i < total % rounds else 0) for i in range(rounds)]


def compare(ours: Ours, theirs: Theirs, cases: int, rounds: int) -> tuple[Run, Run]:
    """Run ``cases`` lifecycles on each, in alternating rounds; return both runs."""
    mine, peer = Run(), Run()
    ours.lifecycle()  # warm-up: statements compiled, connections opened, model parsed
    theirs.lifecycle()
    with counting_machines() as built:
        for chunk in _chunks(cases, rounds):
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(chunk):
                ours.lifecycle()
            mine.seconds += time.perf_counter() - started
            mine.cpu_seconds += time.process_time() - cpu
            mine.cases += chunk
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(chunk):
                theirs.lifecycle()
            peer.seconds += time.perf_counter() - started
            peer.cpu_seconds += time.process_time() - cpu
            peer.cases += chunk
            print(f"  lifecycle: {mine.cases}/{cases} cases each", file=sys.stderr)
        mine.machines_built = built[0]
    ours.check(cases + 1)
    theirs.check(cases + 1)
    mine.extra["models_registered"] = len(MACHINE.models)
    return mine, peer


def _waits(run: Run, transactions: int) -> float:
    """Milliseconds per transaction not spent on this process's CPU (the database, the disk)."""
    return max(0.0, 1000 * (run.seconds - run.cpu_seconds) / transactions)


def _figure(database: str, cases: int, mine: Run, peer: Run) -> Figure:
    per_case = TRANSACTIONS_PER_CASE
    transactions = cases * per_case
    ours_cpu_ms = 1000 * mine.cpu_seconds / transactions
    peer_cpu_ms = 1000 * peer.cpu_seconds / transactions
    ours_wait_ms, peer_wait_ms = _waits(mine, transactions), _waits(peer, transactions)
    peer_ms = 1000 * peer.seconds / transactions
    return rate_figure(
        f"case lifecycle, {database}: ours vs SpiffWorkflow (cases/s)",
        mine.rate,
        peer.rate,
        target=TARGET,
        group="lifecycle",
        unit="/s",
        note=(
            f"{cases:,} cases × {per_case} transactions each; ours "
            f"{mine.rate * per_case:.0f} transactions/s, the peer's "
            f"{peer.rate * per_case:.0f}/s; per transaction, CPU of this process: ours "
            f"{ours_cpu_ms:.2f} ms, the peer's {peer_cpu_ms:.2f} ms "
            f"({peer_cpu_ms / ours_cpu_ms:.1f}×); the rest of the time, off this process's "
            f"CPU (the durable commit, the database server, other work on the machine): ours "
            f"{ours_wait_ms:.2f} ms, the peer's {peer_wait_ms:.2f} ms; with that wait and no "
            f"CPU at all on our side the ratio would be "
            f"{peer_ms / ours_wait_ms if ours_wait_ms else math.inf:.1f}; "
            f"machines built during the run: {mine.machines_built}, models "
            f"registered: {mine.extra['models_registered']}"
        ),
        extra={
            "cases": cases,
            "ours_seconds": mine.seconds,
            "peer_seconds": peer.seconds,
            "ours_cpu_seconds": mine.cpu_seconds,
            "peer_cpu_seconds": peer.cpu_seconds,
            "machines_built": mine.machines_built,
        },
    )


def _cpu_diagnostic(database: str, cases: int, mine: Run, peer: Run) -> Diagnostic:
    """Transactions per second of this process's CPU, from the run of the figure."""
    transactions = cases * TRANSACTIONS_PER_CASE
    ours = transactions / mine.cpu_seconds if mine.cpu_seconds else math.nan
    theirs = transactions / peer.cpu_seconds if peer.cpu_seconds else math.nan
    where = "" if database == "SQLite" else " (the server's CPU not counted)"
    return Diagnostic(
        f"case lifecycle, {database}: transactions per CPU-second of this process{where}",
        ours,
        theirs,
        "/s",
        ours / theirs,
        group="lifecycle",
        note=(
            f"the same run as the figure; what the ratio would be if neither side waited for "
            f"the database: ours {1000 / ours:.2f} ms of CPU per transaction, the peer's "
            f"{1000 / theirs:.2f} ms"
        ),
    )


def _undurable_diagnostic(
    database: str, setting: str, cases: int, mine: Run, peer: Run
) -> Diagnostic:
    transactions = cases * TRANSACTIONS_PER_CASE
    return Diagnostic(
        f"case lifecycle, {database}, {setting} on both sides, not durable (cases/s)",
        mine.rate,
        peer.rate,
        "/s",
        mine.rate / peer.rate if peer.rate else math.nan,
        group="lifecycle",
        note=(
            f"{cases:,} cases each; the same lifecycle without waiting for the disk at commit "
            f"(not the guarantee the target asks for: shown to separate the commit's wait "
            f"from the work); per transaction: ours {1000 * mine.seconds / transactions:.2f} ms "
            f"({1000 * mine.cpu_seconds / transactions:.2f} ms CPU), the peer's "
            f"{1000 * peer.seconds / transactions:.2f} ms "
            f"({1000 * peer.cpu_seconds / transactions:.2f} ms CPU)"
        ),
    )


def sqlite_runs(cases: int, rounds: int, synchronous: str = "FULL") -> tuple[Run, Run]:
    """The lifecycle on SQLite files (one for ours, one for the peer)."""
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        ours = Ours(f"sqlite:///{Path(tmp, 'ours.sqlite3')}", synchronous=synchronous)
        theirs = Theirs(Path(tmp, "peer.sqlite3"), synchronous=synchronous)
        try:
            return compare(ours, theirs, cases, rounds)
        finally:
            ours.close()
            theirs.close()


def postgres_runs(url: str, cases: int, rounds: int, *, durable: bool = True) -> tuple[Run, Run]:
    """The lifecycle on a scratch PostgreSQL database (ours and the peer's tables)."""
    with scratch_postgres(url, durable=durable) as scratch:
        ours = Ours(scratch)
        theirs = Theirs(scratch)
        try:
            return compare(ours, theirs, cases, rounds)
        finally:
            ours.close()
            theirs.close()


def run_sqlite(cases: int, rounds: int) -> Figure:
    """The lifecycle's figure on SQLite."""
    return _figure("SQLite", cases, *sqlite_runs(cases, rounds))


def run_postgres(url: str, cases: int, rounds: int) -> Figure:
    """The lifecycle's figure on PostgreSQL."""
    return _figure("PostgreSQL", cases, *postgres_runs(url, cases, rounds))


#: The diagnostics without a durable commit take at most this many cases.
DIAGNOSTIC_CASES = 200


def collect(options: Options) -> list[Row]:
    """Measure the lifecycle on SQLite and on PostgreSQL (skipped when unreachable).

    Diagnostics follow each figure: the CPU of this process per transaction on both sides
    (from the same run), and the same lifecycle again with the commit not waiting for the
    disk on both sides (SQLite ``synchronous=OFF``, PostgreSQL ``synchronous_commit=off``).
    """
    cases, rounds = options.lifecycles, options.rounds
    diagnostic_cases = min(cases, DIAGNOSTIC_CASES)
    mine, peer = sqlite_runs(cases, rounds)
    rows: list[Row] = [_figure("SQLite", cases, mine, peer)]
    diagnostics: list[Row] = [_cpu_diagnostic("SQLite", cases, mine, peer)]
    diagnostics.append(
        _undurable_diagnostic(
            "SQLite",
            "synchronous=OFF",
            diagnostic_cases,
            *sqlite_runs(diagnostic_cases, rounds, synchronous="OFF"),
        )
    )
    name = "case lifecycle, PostgreSQL: ours vs SpiffWorkflow (cases/s)"
    url = options.postgres_url
    if url is None:
        rows.append(Skipped(name, "PostgreSQL not asked for (--no-postgres)", "lifecycle"))
        return rows + diagnostics
    unreachable = postgres_unreachable(url)
    if unreachable is not None:
        shown = make_url(normalise_url(url)).render_as_string()
        reason = f"PostgreSQL at {shown} is unreachable: {unreachable}"
        rows.append(Skipped(name, reason, "lifecycle"))
        return rows + diagnostics
    mine, peer = postgres_runs(url, cases, rounds)
    rows.append(_figure("PostgreSQL", cases, mine, peer))
    diagnostics.append(_cpu_diagnostic("PostgreSQL", cases, mine, peer))
    diagnostics.append(
        _undurable_diagnostic(
            "PostgreSQL",
            "synchronous_commit=off",
            diagnostic_cases,
            *postgres_runs(url, diagnostic_cases, rounds, durable=False),
        )
    )
    return rows + diagnostics


def main(argv: list[str] | None = None) -> None:
    """Run the lifecycle benchmark alone and print its rows of the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=Options.lifecycles)
    parser.add_argument("--rounds", type=int, default=Options.rounds)
    parser.add_argument("--postgres-url", default=Options.postgres_url)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    options = Options(
        lifecycles=args.cases,
        rounds=args.rounds,
        postgres_url=None if args.no_postgres else args.postgres_url,
    )
    print(format_table(collect(options)))


if __name__ == "__main__":
    main()
