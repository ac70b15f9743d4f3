"""Recompute the event chain and check every case against what its events vouch for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from mediation.audit.chain import GENESIS_HASH, event_hash
from mediation.tables import AGREEMENT, AUDIT_HEAD, CASE, CLAIM, EVENT, PAYMENT, TERM

#: The case columns each event's snapshot records, with the detail rows they must equal.
SNAPSHOT_COLUMNS = ("state", "version", "claimed_fen", "agreed_fen", "paid_fen")


@dataclass(frozen=True)
class Break:
    """The first place where the log or a case disagrees with the chain."""

    seq: int | None
    case_number: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.seq is not None:
            where.append(f"event #{self.seq}")
        if self.case_number:
            where.append(f"case {self.case_number}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class Verification:
    """The outcome of a verification run."""

    events_checked: int = 0
    cases_checked: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the chain and every case hold."""
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        """Return the first broken link, if any."""
        return self.breaks[0] if self.breaks else None


def _events(session: Session, batch: int = 5000) -> Iterator[Any]:
    last = 0
    while True:
        rows = session.execute(
            select(EVENT).where(EVENT.c.seq > last).order_by(EVENT.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(session: Session, result: Verification) -> dict[int, dict[str, Any]]:
    """Walk the log in order; return each case's latest snapshot."""
    numbers = {row.id: row.number for row in session.execute(select(CASE.c.id, CASE.c.number))}
    snapshots: dict[int, dict[str, Any]] = {}
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for event in _events(session):
        result.events_checked += 1
        number = numbers.get(event.case_id) if event.case_id is not None else None
        if event.seq != expected_seq:
            result.breaks.append(
                Break(
                    event.seq,
                    number,
                    f"event #{expected_seq} is missing (deleted?): the log jumps to #{event.seq}",
                )
            )
            return snapshots
        if event.prev_hash != prev_hash:
            result.breaks.append(
                Break(event.seq, number, "does not link to the event before it (reordered?)")
            )
            return snapshots
        recomputed = event_hash(
            prev_hash=event.prev_hash,
            seq=event.seq,
            case_id=event.case_id,
            actor_id=event.actor_id,
            actor=event.actor,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            payload=event.payload,
            created_at=event.created_at,
        )
        if recomputed != event.hash:
            result.breaks.append(
                Break(
                    event.seq, number, f"{event.action}: content does not match its hash (edited)"
                )
            )
            return snapshots
        if event.case_id is not None:
            snapshot = json.loads(event.payload).get("case")
            if snapshot is not None:
                snapshots[event.case_id] = snapshot
        prev_hash = event.hash
        expected_seq += 1
    head = session.execute(select(AUDIT_HEAD.c.seq, AUDIT_HEAD.c.hash)).one_or_none()
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, prev_hash):
        result.breaks.append(
            Break(
                head.seq,
                None,
                f"the log ends at event #{expected_seq - 1} but the chain head names "
                f"#{head.seq} (events deleted from the end?)",
            )
        )
    return snapshots


def _sums(session: Session, table: Any, key: Any) -> dict[int, int]:
    rows = session.execute(select(key, func.sum(table.c.amount_fen)).group_by(key))
    return {row[0]: row[1] for row in rows}


def verify_cases(
    session: Session, snapshots: dict[int, dict[str, Any]], result: Verification
) -> None:
    """Check each case row and its detail rows against the latest event's snapshot."""
    claims = _sums(session, CLAIM, CLAIM.c.case_id)
    payments = _sums(session, PAYMENT, PAYMENT.c.case_id)
    term_rows = session.execute(
        select(AGREEMENT.c.case_id, func.sum(TERM.c.amount_fen))
        .select_from(TERM.join(AGREEMENT, AGREEMENT.c.id == TERM.c.agreement_id))
        .group_by(AGREEMENT.c.case_id)
    )
    terms = {row[0]: row[1] for row in term_rows}
    rows = session.execute(
        select(
            CASE.c.id, CASE.c.number, CASE.c.outcome, *(CASE.c[c] for c in SNAPSHOT_COLUMNS)
        ).order_by(CASE.c.id)
    )
    for row in rows:
        result.cases_checked += 1
        snapshot = snapshots.get(row.id)
        if snapshot is None:
            result.breaks.append(Break(None, row.number, "has no event in the log"))
            continue
        for column in SNAPSHOT_COLUMNS:
            if getattr(row, column) != snapshot.get(column):
                result.breaks.append(
                    Break(
                        None,
                        row.number,
                        f"{column} is {getattr(row, column)!r} but the log says "
                        f"{snapshot.get(column)!r} (changed outside the application)",
                    )
                )
                break
        else:
            details = {
                "claimed_fen": claims.get(row.id, 0),
                "paid_fen": payments.get(row.id, 0),
            }
            if row.outcome == "settled":
                details["agreed_fen"] = terms.get(row.id, 0)
            for column, total in details.items():
                if total != snapshot[column]:
                    result.breaks.append(
                        Break(
                            None,
                            row.number,
                            f"the {column.removesuffix('_fen')} items add up to {total} fen but "
                            f"the log says {snapshot[column]} fen",
                        )
                    )
                    break


def verify(session: Session) -> Verification:
    """Verify the whole log and every case; the result names the first broken link."""
    result = Verification()
    snapshots = verify_chain(session, result)
    if result.ok:
        verify_cases(session, snapshots, result)
    return result
