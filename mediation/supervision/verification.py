"""Runs of the chain verification: what was found, when, and by whom.

:func:`run_verification` recomputes the whole hash chain and checks every case against it
(:func:`mediation.audit.verify.verify`, read-only, in a read session), then stores the run in
``audit_verification``: who ran it (a supervisor on the chain page, or ``cli`` for ``mediation
verify-audit``), when it started and finished, how many events and cases it checked, and the
first broken link it found. The chain page shows the latest runs.

A run is a record of an observation, not a change of the case data, so it is not itself an
event on the chain: appending to a chain that was just found broken would only extend it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import insert, select
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor
from mediation.audit.verify import Verification, verify
from mediation.db import Database
from mediation.tables import VERIFICATION_RUN

SOURCES: Final = ("web", "cli")
MAX_MESSAGE: Final = 2000


@dataclass(frozen=True)
class Run:
    """One verification run as stored."""

    id: int
    started_at: datetime
    finished_at: datetime
    actor: str
    source: str
    ok: bool
    events_checked: int
    cases_checked: int
    break_seq: int | None
    break_case: str | None
    message: str


@dataclass(frozen=True)
class Outcome:
    """A run just made: the stored run and the full verification (every break found)."""

    run: Run
    verification: Verification


def record_run(
    session: Session,
    *,
    verification: Verification,
    actor: Actor,
    source: str,
    started_at: datetime,
    finished_at: datetime,
) -> Run:
    """Store a verification's result; the caller commits."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    first = verification.first_break
    run_id = session.execute(
        insert(VERIFICATION_RUN)
        .values(
            started_at=started_at,
            finished_at=finished_at,
            actor_id=actor.id,
            actor=actor.name[:100],
            source=source,
            ok=verification.ok,
            events_checked=verification.events_checked,
            cases_checked=verification.cases_checked,
            break_seq=first.seq if first else None,
            break_case=first.case_number[:40] if first and first.case_number else None,
            message=str(first)[:MAX_MESSAGE] if first else "",
        )
        .returning(VERIFICATION_RUN.c.id)
    ).scalar_one()
    return Run(
        id=int(run_id),
        started_at=started_at,
        finished_at=finished_at,
        actor=actor.name[:100],
        source=source,
        ok=verification.ok,
        events_checked=verification.events_checked,
        cases_checked=verification.cases_checked,
        break_seq=first.seq if first else None,
        break_case=first.case_number[:40] if first and first.case_number else None,
        message=str(first)[:MAX_MESSAGE] if first else "",
    )


def run_verification(database: Database, *, actor: Actor, source: str) -> Outcome:
    """Verify the chain and every case, then store the run (in its own short transaction)."""
    started = clock.utcnow()
    with database.read_session() as session:
        verification = verify(session)
    finished = clock.utcnow()
    with database.writing() as session:
        run = record_run(
            session,
            verification=verification,
            actor=actor,
            source=source,
            started_at=started,
            finished_at=finished,
        )
    return Outcome(run, verification)


def latest_runs(session: Session, limit: int = 10, *, before: datetime | None = None) -> list[Run]:
    """Return the latest verification runs (finished before ``before``, if given), newest first."""
    query = select(VERIFICATION_RUN).order_by(VERIFICATION_RUN.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(VERIFICATION_RUN.c.finished_at < before)
    rows = session.execute(query)
    return [
        Run(
            id=row.id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            actor=row.actor,
            source=row.source,
            ok=bool(row.ok),
            events_checked=row.events_checked,
            cases_checked=row.cases_checked,
            break_seq=row.break_seq,
            break_case=row.break_case,
            message=row.message,
        )
        for row in rows
    ]
