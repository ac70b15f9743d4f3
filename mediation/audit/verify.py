"""Recompute the event chain and check every case against what its events vouch for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from mediation.audit.chain import GENESIS_HASH, event_hash
from mediation.tables import AGREEMENT, AUDIT_HEAD, CASE, CLAIM, EVENT, INSTALMENT, PAYMENT, TERM

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


@dataclass
class LoggedDetails:
    """The detail rows of a case as its events describe them."""

    claims: list[int] = field(default_factory=list)
    payments: list[int] = field(default_factory=list)
    terms: list[tuple[str, int]] = field(default_factory=list)
    instalments: list[tuple[int, str, int]] = field(default_factory=list)


def _record_details(
    details: dict[int, LoggedDetails], case_id: int, action: str, payload: dict[str, Any]
) -> None:
    logged = details.setdefault(case_id, LoggedDetails())
    if action == "register":
        logged.claims.extend(c["amount_fen"] for c in payload.get("claims", []))
    elif action == "add_claim_item":
        logged.claims.append(payload["amount_fen"])
    elif action == "record_payment":
        logged.payments.append(payload["amount_fen"])
    elif action == "draft_agreement":
        logged.terms = [(t["category"], t["amount_fen"]) for t in payload["terms"]]
        logged.instalments = [
            (i["seq"], i["due_on"], i["amount_fen"]) for i in payload["instalments"]
        ]
    elif action == "apply_correction":
        # A supervisor-approved correction replaces the signed amounts (mediation.supervision).
        logged.terms = [(t["category"], t["amount_fen"]) for t in payload["terms"]]
        logged.instalments = [
            (i["seq"], i["due_on"], i["amount_fen"]) for i in payload["instalments"]
        ]
    elif action == "import":
        figures = payload["case"]
        if figures["claimed_fen"]:
            logged.claims.append(figures["claimed_fen"])
        if figures["paid_fen"]:
            logged.payments.append(figures["paid_fen"])
        if figures["agreed_fen"]:
            logged.terms = [(payload["category"], figures["agreed_fen"])]


def verify_chain(
    session: Session, result: Verification, details: dict[int, LoggedDetails] | None = None
) -> dict[int, dict[str, Any]]:
    """Walk the log in order; return each case's latest snapshot (and fill ``details``)."""
    details = {} if details is None else details
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
            payload = json.loads(event.payload)
            snapshot = payload.get("case")
            if snapshot is not None:
                snapshots[event.case_id] = snapshot
            _record_details(details, event.case_id, event.action, payload)
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


def _stored_details(session: Session) -> dict[int, LoggedDetails]:
    stored: dict[int, LoggedDetails] = {}
    for row in session.execute(select(CLAIM.c.case_id, CLAIM.c.amount_fen)):
        stored.setdefault(row.case_id, LoggedDetails()).claims.append(row.amount_fen)
    for row in session.execute(select(PAYMENT.c.case_id, PAYMENT.c.amount_fen)):
        stored.setdefault(row.case_id, LoggedDetails()).payments.append(row.amount_fen)
    agreements = select(AGREEMENT.c.id, AGREEMENT.c.case_id).subquery()
    for row in session.execute(
        select(agreements.c.case_id, TERM.c.category, TERM.c.amount_fen).join(
            agreements, agreements.c.id == TERM.c.agreement_id
        )
    ):
        stored.setdefault(row.case_id, LoggedDetails()).terms.append((row.category, row.amount_fen))
    for row in session.execute(
        select(
            agreements.c.case_id, INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen
        ).join(agreements, agreements.c.id == INSTALMENT.c.agreement_id)
    ):
        stored.setdefault(row.case_id, LoggedDetails()).instalments.append(
            (row.seq, row.due_on.isoformat(), row.amount_fen)
        )
    return stored


_DETAIL_NAMES = {
    "claims": "claim amounts",
    "payments": "payments",
    "terms": "agreement terms",
    "instalments": "instalments",
}


def verify_cases(
    session: Session,
    snapshots: dict[int, dict[str, Any]],
    result: Verification,
    logged: dict[int, LoggedDetails] | None = None,
) -> None:
    """Check each case row against its latest snapshot, and its detail rows against the log."""
    logged = logged or {}
    stored = _stored_details(session)
    rows = session.execute(
        select(CASE.c.id, CASE.c.number, *(CASE.c[c] for c in SNAPSHOT_COLUMNS)).order_by(CASE.c.id)
    )
    for row in rows:
        result.cases_checked += 1
        snapshot = snapshots.get(row.id)
        if snapshot is None:
            result.breaks.append(Break(None, row.number, "has no event in the log"))
            continue
        mismatch = next((c for c in SNAPSHOT_COLUMNS if getattr(row, c) != snapshot.get(c)), None)
        if mismatch is not None:
            result.breaks.append(
                Break(
                    None,
                    row.number,
                    f"{mismatch} is {getattr(row, mismatch)!r} but the log says "
                    f"{snapshot.get(mismatch)!r} (changed outside the application)",
                )
            )
            continue
        expected = logged.get(row.id, LoggedDetails())
        actual = stored.get(row.id, LoggedDetails())
        for name, label in _DETAIL_NAMES.items():
            want, have = sorted(getattr(expected, name)), sorted(getattr(actual, name))
            if want != have:
                result.breaks.append(
                    Break(
                        None,
                        row.number,
                        f"the {label} stored ({have}) differ from those in the log ({want}) "
                        "(changed outside the application)",
                    )
                )
                break


def verify(session: Session) -> Verification:
    """Verify the whole log and every case; the result names the first broken link."""
    result = Verification()
    logged: dict[int, LoggedDetails] = {}
    snapshots = verify_chain(session, result, logged)
    if result.ok:
        verify_cases(session, snapshots, result, logged)
    return result
