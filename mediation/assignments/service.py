"""The one way a legal-help assignment changes: request, claim, release, complete, cancel.

Every function works in the caller's transaction (the caller commits once): it reads the
assignment, asks :mod:`workflows.assignment` whether the action may happen, writes the change
with ``UPDATE … WHERE id = ? AND state = ? AND version = ?`` and appends the event to the case's
audit log. A change that lost a race writes nothing and raises :class:`Conflict`.

Claiming is atomic: of any number of simultaneous claims of one assignment the database lets
exactly one ``UPDATE`` match ``state = 'open'``; the others raise :class:`AlreadyTaken`.
"Give me the next one" (:func:`claim_next`) takes the oldest open assignment of the lawyer's
zones; on PostgreSQL it reads with ``FOR UPDATE SKIP LOCKED``, so simultaneous requests take
different rows instead of queueing for the same one; on SQLite the write transaction, begun
``IMMEDIATE``, already runs them one at a time.

Assignment events carry no ``case`` snapshot (the case itself does not change), so
``mediation verify-audit`` checks the case rows against the case's own events only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor, EventRecord, append_event
from mediation.cases.inputs import has_control_characters
from mediation.errors import Conflict, GuardFailed, InvalidInput, NotFound, TransitionNotAllowed
from mediation.tables import (
    ASSIGNMENT,
    CASE,
    CONFLICT_CHECK,
    LAWYER_PROFILE,
    LAWYER_ZONE,
    TOWN,
    USER,
    ZONE,
)
from workflows import assignment as workflow
from workflows.assignment import (
    ACTIONS,
    AssignmentFacts,
    AssignmentInput,
    AssignmentKind,
    AssignmentState,
    AssignmentSubject,
)
from workflows.case import CaseState

#: How long the texts of an assignment may be.
NEEDED_LIMIT = 2000
OUTCOME_LIMIT = 4000
REASON_LIMIT = 1000
#: How far ahead a mediator may ask for help to be given.
LATEST_DUE_DAYS = 366

#: What a lawyer who lost a race for an assignment is told.
TAKEN_MESSAGE = "already taken by another lawyer"


class AlreadyTaken(Conflict):
    """Another lawyer claimed the assignment first; nothing was written."""


@dataclass(frozen=True)
class Change:
    """What an action did: the assignment's state and version after it, and its event."""

    assignment_id: int
    case_id: int
    state: str
    version: int
    event: EventRecord | None

    @property
    def changed(self) -> bool:
        """Tell whether anything was written (a repeated claim is a no-op)."""
        return self.event is not None


# --------------------------------------------------------------------------- reading


_ROW_COLUMNS = (
    ASSIGNMENT.c.id,
    ASSIGNMENT.c.case_id,
    ASSIGNMENT.c.zone_id,
    ASSIGNMENT.c.kind,
    ASSIGNMENT.c.state,
    ASSIGNMENT.c.version,
    ASSIGNMENT.c.claimed_by_id,
    ASSIGNMENT.c.created_at,
    ZONE.c.claim_window_hours,
)


def _load(connection: Connection, assignment_id: int) -> Any:
    row = connection.execute(
        select(*_ROW_COLUMNS)
        .select_from(ASSIGNMENT.join(ZONE, ZONE.c.id == ASSIGNMENT.c.zone_id))
        .where(ASSIGNMENT.c.id == assignment_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"there is no legal-help assignment {assignment_id}")
    return row


def lawyer_zone_ids(session: Session | Connection, lawyer_id: int) -> frozenset[int]:
    """Return the zones a volunteer lawyer serves: their profile's zones and their home zone."""
    connection = session.connection() if isinstance(session, Session) else session
    zones = set(
        connection.execute(
            select(LAWYER_ZONE.c.zone_id).where(LAWYER_ZONE.c.lawyer_id == lawyer_id)
        ).scalars()
    )
    home = connection.execute(
        select(USER.c.zone_id).where(USER.c.id == lawyer_id, USER.c.role == "lawyer")
    ).scalar()
    if home is not None:
        zones.add(int(home))
    return frozenset(zones)


def is_active_lawyer(session: Session | Connection, lawyer_id: int | None) -> bool:
    """Tell whether the user is an enabled volunteer lawyer whose profile is active."""
    if lawyer_id is None:
        return False
    connection = session.connection() if isinstance(session, Session) else session
    row = connection.execute(
        select(USER.c.role, USER.c.active, LAWYER_PROFILE.c.active.label("profile_active"))
        .select_from(
            USER.outerjoin(LAWYER_PROFILE, LAWYER_PROFILE.c.user_id == USER.c.id),
        )
        .where(USER.c.id == lawyer_id)
    ).one_or_none()
    return (
        row is not None
        and row.role == "lawyer"
        and bool(row.active)
        and row.profile_active is not False
    )


def conflict_answer(
    session: Session | Connection, assignment_id: int, lawyer_id: int | None
) -> bool | None:
    """Return the lawyer's answer on a conflict of interest: True (declared), False, or None."""
    if lawyer_id is None:
        return None
    connection = session.connection() if isinstance(session, Session) else session
    answer = connection.execute(
        select(CONFLICT_CHECK.c.has_conflict).where(
            CONFLICT_CHECK.c.assignment_id == assignment_id,
            CONFLICT_CHECK.c.lawyer_id == lawyer_id,
        )
    ).scalar()
    return None if answer is None else bool(answer)


def _facts(connection: Connection, row: Row[Any], actor: Actor, now: datetime) -> AssignmentFacts:
    answer = conflict_answer(connection, row.id, actor.id)
    zones = lawyer_zone_ids(connection, actor.id) if actor.id is not None else frozenset()
    return AssignmentFacts(
        actor_id=actor.id,
        holder_id=row.claimed_by_id,
        actor_is_active_lawyer=is_active_lawyer(connection, actor.id),
        in_actor_zones=row.zone_id in zones,
        escalated=workflow.is_escalated(row.state, row.created_at, row.claim_window_hours, now),
        conflict_confirmed=answer is False,
        conflict_declared=answer is True,
    )


# --------------------------------------------------------------------------- checking input


def _text(value: Any, key: str, *, limit: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key}: expected text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{key}: required")
    if len(value) > limit:
        raise InvalidInput(f"{key}: longer than {limit} characters")
    if has_control_characters(value):
        raise InvalidInput(f"{key}: contains control characters")
    return value


def _kind(value: Any) -> str:
    allowed = [k.value for k in AssignmentKind]
    if value not in allowed:
        raise InvalidInput(f"kind: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("minutes: the time spent in whole minutes is required")
    if value <= 0:
        raise InvalidInput("minutes: the time spent must be more than zero")
    if value > workflow.MAX_MINUTES:
        raise InvalidInput("minutes: the time spent must be at most 1000 hours")
    return value


def _payload(row: Row[Any], state: str, version: int, **extra: Any) -> dict[str, Any]:
    return {
        "assignment": {
            "id": row.id,
            "kind": row.kind,
            "zone_id": row.zone_id,
            "state": state,
            "version": version,
        },
        "from": row.state,
        **extra,
    }


def _log(
    connection: Connection, actor: Actor, row: Row[Any], action: str, payload: dict[str, Any]
) -> EventRecord:
    return append_event(
        connection,
        actor=actor,
        action=action,
        case_id=row.case_id,
        from_state=None,
        to_state=None,
        payload=payload,
    )


# --------------------------------------------------------------------------- requesting help


def request_help(
    session: Session,
    *,
    case_id: int,
    kind: str,
    needed: str,
    due_on: date,
    actor: Actor,
    today: date | None = None,
    now: datetime | None = None,
) -> Change:
    """Put a request for legal help on a case into the pool of the zone of the case's town."""
    today = today or clock.today()
    now = now or clock.utcnow()
    kind = _kind(kind)
    needed = _text(needed, "needed", limit=NEEDED_LIMIT)
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        raise InvalidInput("due_on: a date is required")
    if due_on < today:
        raise InvalidInput("due_on: the date has passed")
    if due_on > today + timedelta(days=LATEST_DUE_DAYS):
        raise InvalidInput("due_on: more than a year ahead")
    connection = session.connection()
    case = connection.execute(
        select(CASE.c.id, CASE.c.number, CASE.c.state, TOWN.c.zone_id)
        .select_from(CASE.outerjoin(TOWN, TOWN.c.id == CASE.c.town_id))
        .where(CASE.c.id == case_id)
    ).one_or_none()
    if case is None:
        raise NotFound(f"there is no case {case_id}")
    if case.state == CaseState.ARCHIVED:
        raise TransitionNotAllowed(f"case {case.number} is archived")
    if case.zone_id is None:
        raise InvalidInput(
            "zone: the case's town belongs to no zone; ask an administrator to put it in one"
        )
    assignment_id = connection.execute(
        insert(ASSIGNMENT)
        .values(
            case_id=case_id,
            zone_id=case.zone_id,
            kind=kind,
            needed=needed,
            due_on=due_on,
            state=AssignmentState.OPEN.value,
            version=1,
            created_by_id=actor.id,
            created_at=now,
            outcome="",
            release_reason="",
            cancel_reason="",
            updated_at=now,
        )
        .returning(ASSIGNMENT.c.id)
    ).scalar_one()
    event = append_event(
        connection,
        actor=actor,
        action=ACTIONS["request"],
        case_id=case_id,
        from_state=None,
        to_state=None,
        payload={
            "assignment": {
                "id": assignment_id,
                "kind": kind,
                "zone_id": case.zone_id,
                "state": AssignmentState.OPEN.value,
                "version": 1,
            },
            "needed": needed,
            "due_on": due_on.isoformat(),
        },
    )
    return Change(assignment_id, case_id, AssignmentState.OPEN.value, 1, event)


# --------------------------------------------------------------------------- transitions


def _decide(row: Row[Any], subject: AssignmentSubject, trigger: str) -> AssignmentState:
    decision = workflow.decide(subject, trigger)
    if not decision.declared:
        if trigger == "claim" and row.state in (
            AssignmentState.CLAIMED,
            AssignmentState.COMPLETED,
        ):
            raise AlreadyTaken(TAKEN_MESSAGE, current_state=row.state, current_version=row.version)
        raise TransitionNotAllowed(f"{trigger} is not possible while the assignment is {row.state}")
    if decision.blockers:
        raise GuardFailed(trigger, decision.blockers)
    return workflow.fire(subject, trigger)


def _write(
    connection: Connection,
    row: Row[Any],
    new_state: AssignmentState,
    values: dict[str, Any],
    now: datetime,
    *,
    conflict: Conflict | None = None,
) -> int:
    """Update the row if it is still in the state and version read; return the new version."""
    new_version = row.version + 1
    result = connection.execute(
        update(ASSIGNMENT)
        .where(
            ASSIGNMENT.c.id == row.id,
            ASSIGNMENT.c.state == row.state,
            ASSIGNMENT.c.version == row.version,
        )
        .values(**values, state=new_state.value, version=new_version, updated_at=now)
    )
    if result.rowcount != 1:
        raise conflict or Conflict(
            "the assignment was changed by someone else; reload it",
            current_state=row.state,
            current_version=row.version,
        )
    return new_version


def _check_version(row: Row[Any], expected_version: int | None) -> None:
    if expected_version is not None and expected_version != row.version:
        raise Conflict(
            f"the assignment is now at version {row.version} ({row.state}), not "
            f"{expected_version}: it was changed meanwhile; reload it",
            current_state=row.state,
            current_version=row.version,
        )


def _claim_row(connection: Connection, row: Row[Any], lawyer: Actor, now: datetime) -> Change:
    subject = AssignmentSubject(row.state, _facts(connection, row, lawyer, now))
    new_state = _decide(row, subject, "claim")
    taken = AlreadyTaken(TAKEN_MESSAGE, current_state=row.state, current_version=row.version)
    version = _write(
        connection,
        row,
        new_state,
        {"claimed_by_id": lawyer.id, "claimed_at": now},
        now,
        conflict=taken,
    )
    event = _log(
        connection,
        lawyer,
        row,
        ACTIONS["claim"],
        _payload(row, new_state.value, version, lawyer_id=lawyer.id),
    )
    return Change(row.id, row.case_id, new_state.value, version, event)


def claim(
    session: Session, *, assignment_id: int, lawyer: Actor, now: datetime | None = None
) -> Change:
    """Take an open assignment; raise :class:`AlreadyTaken` if another lawyer was first.

    Claiming an assignment the lawyer already holds changes nothing (no event).
    """
    now = now or clock.utcnow()
    connection = session.connection()
    row = _load(connection, assignment_id)
    if row.state == AssignmentState.CLAIMED and row.claimed_by_id == lawyer.id:
        return Change(row.id, row.case_id, row.state, row.version, None)
    return _claim_row(connection, row, lawyer, now)


def claim_next(session: Session, *, lawyer: Actor, now: datetime | None = None) -> Change | None:
    """Take the oldest open assignment of the lawyer's zones; None when there is none.

    Assignments the lawyer declared a conflict of interest with are passed over.
    """
    now = now or clock.utcnow()
    connection = session.connection()
    if not is_active_lawyer(connection, lawyer.id):
        raise GuardFailed("claim", (workflow.is_active_lawyer.blocker(AssignmentSubject("open")),))
    assert lawyer.id is not None
    zones = lawyer_zone_ids(connection, lawyer.id)
    if not zones:
        return None
    declared = select(CONFLICT_CHECK.c.assignment_id).where(
        CONFLICT_CHECK.c.lawyer_id == lawyer.id, CONFLICT_CHECK.c.has_conflict.is_(True)
    )
    candidate = (
        select(ASSIGNMENT.c.id)
        .where(
            ASSIGNMENT.c.state == AssignmentState.OPEN.value,
            ASSIGNMENT.c.zone_id.in_(sorted(zones)),
            ASSIGNMENT.c.id.not_in(declared),
        )
        .order_by(ASSIGNMENT.c.created_at, ASSIGNMENT.c.id)
        .limit(1)
        # PostgreSQL: skip rows other transactions are taking; SQLite ignores it (its write
        # transactions, begun IMMEDIATE, never overlap).
        .with_for_update(skip_locked=True, of=ASSIGNMENT)
    )
    for _attempt in range(5):
        assignment_id = connection.execute(candidate).scalar()
        if assignment_id is None:
            return None
        row = _load(connection, assignment_id)
        try:
            return _claim_row(connection, row, lawyer, now)
        except AlreadyTaken:
            # Taken between the read and the update (not possible with the row locked, but
            # cheap to survive): nothing was written; look again.
            continue
    return None


def release(
    session: Session,
    *,
    assignment_id: int,
    lawyer: Actor,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Change:
    """Give a claimed assignment back to the pool, with the reason (the mediator sees it)."""
    now = now or clock.utcnow()
    reason = _text(reason, "reason", limit=REASON_LIMIT)
    connection = session.connection()
    row = _load(connection, assignment_id)
    _check_version(row, expected_version)
    return _release_row(connection, row, lawyer, reason, now)


def _release_row(
    connection: Connection, row: Row[Any], lawyer: Actor, reason: str, now: datetime
) -> Change:
    subject = AssignmentSubject(
        row.state, _facts(connection, row, lawyer, now), AssignmentInput(reason=reason)
    )
    new_state = _decide(row, subject, "release")
    version = _write(
        connection,
        row,
        new_state,
        {
            "claimed_by_id": None,
            "claimed_at": None,
            "released_at": now,
            "release_reason": reason,
        },
        now,
    )
    event = _log(
        connection,
        lawyer,
        row,
        ACTIONS["release"],
        _payload(row, new_state.value, version, lawyer_id=lawyer.id, reason=reason),
    )
    return Change(row.id, row.case_id, new_state.value, version, event)


def complete(
    session: Session,
    *,
    assignment_id: int,
    lawyer: Actor,
    outcome: str,
    minutes: int,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Change:
    """Record the outcome of a claimed assignment and the time spent (whole minutes)."""
    now = now or clock.utcnow()
    outcome = _text(outcome, "outcome", limit=OUTCOME_LIMIT)
    minutes = _minutes(minutes)
    connection = session.connection()
    row = _load(connection, assignment_id)
    _check_version(row, expected_version)
    subject = AssignmentSubject(
        row.state,
        _facts(connection, row, lawyer, now),
        AssignmentInput(outcome=outcome, minutes=minutes),
    )
    new_state = _decide(row, subject, "complete")
    version = _write(
        connection,
        row,
        new_state,
        {"completed_at": now, "outcome": outcome, "minutes_spent": minutes},
        now,
    )
    event = _log(
        connection,
        lawyer,
        row,
        ACTIONS["complete"],
        _payload(row, new_state.value, version, outcome=outcome, minutes=minutes),
    )
    return Change(row.id, row.case_id, new_state.value, version, event)


def cancel(
    session: Session,
    *,
    assignment_id: int,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Change:
    """Withdraw a request for legal help that is open or claimed (the mediator's action)."""
    now = now or clock.utcnow()
    reason = _text(reason, "reason", limit=REASON_LIMIT)
    connection = session.connection()
    row = _load(connection, assignment_id)
    _check_version(row, expected_version)
    subject = AssignmentSubject(row.state, AssignmentFacts(), AssignmentInput(reason=reason))
    new_state = _decide(row, subject, "cancel")
    version = _write(
        connection, row, new_state, {"cancelled_at": now, "cancel_reason": reason}, now
    )
    event = _log(
        connection,
        actor,
        row,
        ACTIONS["cancel"],
        _payload(row, new_state.value, version, reason=reason),
    )
    return Change(row.id, row.case_id, new_state.value, version, event)


# --------------------------------------------------------------------------- conflict check


def may_see(
    session: Session | Connection,
    row: Any,
    lawyer_id: int,
    now: datetime | None = None,
    *,
    even_if_taken: bool = False,
) -> bool:
    """Tell whether a lawyer may open an assignment at all (else it does not exist for them).

    Their own (claimed by them, in any state), and the open ones of their pools: their zones',
    and every zone's once escalated — unless they declared a conflict with its parties. With
    ``even_if_taken``, an assignment of their pools that is no longer open counts too: a
    lawyer who lost a race is told "already taken", not "not found".
    """
    if row.claimed_by_id == lawyer_id:
        return True
    if row.state != AssignmentState.OPEN and not even_if_taken:
        return False
    if conflict_answer(session, row.id, lawyer_id) is True:
        return False
    if row.zone_id in lawyer_zone_ids(session, lawyer_id):
        return True
    return workflow.is_escalated(
        AssignmentState.OPEN, row.created_at, row.claim_window_hours, now or clock.utcnow()
    )


def _record_answer(
    session: Session, row: Row[Any], lawyer: Actor, *, has_conflict: bool, now: datetime
) -> None:
    connection = session.connection()
    existing = conflict_answer(connection, row.id, lawyer.id)
    if existing is None:
        try:
            with session.begin_nested():
                connection.execute(
                    insert(CONFLICT_CHECK).values(
                        assignment_id=row.id,
                        lawyer_id=lawyer.id,
                        confirmed_at=now,
                        has_conflict=has_conflict,
                    )
                )
            return
        except IntegrityError:
            # The same lawyer's other request recorded an answer meanwhile.
            existing = conflict_answer(connection, row.id, lawyer.id)
    if existing is not has_conflict:
        connection.execute(
            update(CONFLICT_CHECK)
            .where(
                and_(
                    CONFLICT_CHECK.c.assignment_id == row.id,
                    CONFLICT_CHECK.c.lawyer_id == lawyer.id,
                )
            )
            .values(has_conflict=has_conflict, confirmed_at=now)
        )


def confirm_no_conflict(
    session: Session, *, assignment_id: int, lawyer: Actor, now: datetime | None = None
) -> EventRecord | None:
    """Record that the lawyer has no conflict of interest with the parties (None if known)."""
    now = now or clock.utcnow()
    connection = session.connection()
    row = _load(connection, assignment_id)
    if lawyer.id is None or not may_see(connection, row, lawyer.id, now):
        raise NotFound(f"there is no legal-help assignment {assignment_id}")
    answer = conflict_answer(connection, row.id, lawyer.id)
    if answer is False:
        return None
    if answer is True:
        raise TransitionNotAllowed("you declared a conflict of interest with these parties")
    _record_answer(session, row, lawyer, has_conflict=False, now=now)
    return _log(
        connection,
        lawyer,
        row,
        ACTIONS["confirm_no_conflict"],
        _payload(row, row.state, row.version, lawyer_id=lawyer.id),
    )


def declare_conflict(
    session: Session, *, assignment_id: int, lawyer: Actor, now: datetime | None = None
) -> EventRecord:
    """Record a conflict of interest; an assignment the lawyer holds goes back to the pool."""
    now = now or clock.utcnow()
    connection = session.connection()
    row = _load(connection, assignment_id)
    if lawyer.id is None or not may_see(connection, row, lawyer.id, now):
        raise NotFound(f"there is no legal-help assignment {assignment_id}")
    if row.state in workflow.FINAL_STATES:
        raise TransitionNotAllowed(f"the assignment is {row.state}")
    _record_answer(session, row, lawyer, has_conflict=True, now=now)
    event = _log(
        connection,
        lawyer,
        row,
        ACTIONS["declare_conflict"],
        _payload(row, row.state, row.version, lawyer_id=lawyer.id),
    )
    if row.state == AssignmentState.CLAIMED and row.claimed_by_id == lawyer.id:
        _release_row(connection, row, lawyer, "conflict of interest / 利益冲突回避", now)
    return event


def escalation_filter(zone_windows: dict[int, int], now: datetime) -> Any:
    """Return a WHERE clause matching open assignments past their zone's window at ``now``.

    One cut-off time per zone, computed here: the same comparison on SQLite and PostgreSQL,
    and it walks ``ix_assignment_pool`` (state, zone_id, created_at).
    """
    if not zone_windows:
        return ASSIGNMENT.c.id.is_(None)
    return and_(
        ASSIGNMENT.c.state == AssignmentState.OPEN.value,
        or_(
            *(
                and_(
                    ASSIGNMENT.c.zone_id == zone_id,
                    ASSIGNMENT.c.created_at <= now - timedelta(hours=hours),
                )
                for zone_id, hours in sorted(zone_windows.items())
            )
        ),
    )
