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

    python -m benchmarks.lifecycle [--cases 200] [--rounds 3] [--postgres-url URL | --no-postgres]
"""

from __future__ import annotations

import argparse
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

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from transitions import Machine

from benchmarks.peer.spiff import Peer, PeerStore
from benchmarks.table import Figure, Options, Skipped, format_table, rate_figure
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
def scratch_postgres(url: str) -> Iterator[str]:
    """Create a scratch database on the server of ``url``; yield its URL; drop it after."""
    base = make_url(normalise_url(url))
    name = f"mediation_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
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

    def __init__(self, url: str) -> None:
        self.database = Database(url)
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

    def __init__(self, target: Path | str) -> None:
        self.store = PeerStore(target)
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


def _figure(database: str, cases: int, mine: Run, peer: Run) -> Figure:
    per_case = TRANSACTIONS_PER_CASE
    transactions = cases * per_case
    ours_cpu_ms = 1000 * mine.cpu_seconds / transactions
    peer_cpu_ms = 1000 * peer.cpu_seconds / transactions
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
            f"{peer.rate * per_case:.0f}/s; CPU of this process per transaction: ours "
            f"{ours_cpu_ms:.2f} ms, the peer's {peer_cpu_ms:.2f} ms "
            f"({peer_cpu_ms / ours_cpu_ms:.1f}×), the rest of the time waits on the database "
            f"(commit); machines built during the run: {mine.machines_built}, models "
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


def run_sqlite(cases: int, rounds: int) -> Figure:
    """The lifecycle on SQLite files (one for ours, one for the peer)."""
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        ours = Ours(f"sqlite:///{Path(tmp, 'ours.sqlite3')}")
        theirs = Theirs(Path(tmp, "peer.sqlite3"))
        try:
            mine, peer = compare(ours, theirs, cases, rounds)
        finally:
            ours.close()
            theirs.close()
    return _figure("SQLite", cases, mine, peer)


def run_postgres(url: str, cases: int, rounds: int) -> Figure:
    """The lifecycle on a scratch PostgreSQL database (ours and the peer's tables)."""
    with scratch_postgres(url) as scratch:
        ours = Ours(scratch)
        theirs = Theirs(scratch)
        try:
            mine, peer = compare(ours, theirs, cases, rounds)
        finally:
            ours.close()
            theirs.close()
    return _figure("PostgreSQL", cases, mine, peer)


def collect(options: Options) -> list[Figure | Skipped]:
    """Measure the lifecycle on SQLite and on PostgreSQL (skipped when unreachable)."""
    rows: list[Figure | Skipped] = [run_sqlite(options.lifecycles, options.rounds)]
    name = "case lifecycle, PostgreSQL: ours vs SpiffWorkflow (cases/s)"
    if options.postgres_url is None:
        rows.append(Skipped(name, "PostgreSQL not asked for (--no-postgres)", "lifecycle"))
        return rows
    reason = postgres_unreachable(options.postgres_url)
    if reason is not None:
        shown = make_url(normalise_url(options.postgres_url)).render_as_string()
        rows.append(Skipped(name, f"PostgreSQL at {shown} is unreachable: {reason}", "lifecycle"))
        return rows
    rows.append(run_postgres(options.postgres_url, options.lifecycles, options.rounds))
    return rows


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
