"""What the pages show about legal help: pools, a lawyer's work, a case's requests, workload.

Plain SQL expressions, one or a few queries a page. Party names come from the case's two
``party`` rows; times are stored in UTC and handed out aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, func, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from mediation.assignments.service import escalation_filter, lawyer_zone_ids
from mediation.clock import LOCAL_TZ
from mediation.db import prebuilt
from mediation.tables import (
    ASSIGNMENT,
    CASE,
    CONFLICT_CHECK,
    LAW_FIRM,
    LAWYER_PROFILE,
    LAWYER_ZONE,
    ORGANIZATION,
    PARTY,
    TOWN,
    USER,
    ZONE,
)
from workflows.assignment import AVAILABILITY, AssignmentState, escalates_at, is_escalated

_WORKER = PARTY.alias("worker")
_EMPLOYER = PARTY.alias("employer")
_LAWYER = USER.alias("lawyer")
_REQUESTER = USER.alias("requester")

OPEN = AssignmentState.OPEN.value
CLAIMED = AssignmentState.CLAIMED.value
COMPLETED = AssignmentState.COMPLETED.value


def aware(moment: datetime | None) -> datetime | None:
    """Return a stored time as aware UTC (SQLite hands it back naive)."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _with_parties(columns: list[Any]) -> Select[Any]:
    """Select assignments with their case's town, zone and party names."""
    return select(
        *columns,
        _WORKER.c.name.label("worker"),
        _EMPLOYER.c.name.label("employer"),
        TOWN.c.name.label("town"),
        ZONE.c.name.label("zone"),
        ZONE.c.claim_window_hours,
    ).select_from(
        ASSIGNMENT.join(CASE, CASE.c.id == ASSIGNMENT.c.case_id)
        .join(ZONE, ZONE.c.id == ASSIGNMENT.c.zone_id)
        .outerjoin(TOWN, TOWN.c.id == CASE.c.town_id)
        .outerjoin(_WORKER, and_(_WORKER.c.case_id == CASE.c.id, _WORKER.c.role == "worker"))
        .outerjoin(
            _EMPLOYER, and_(_EMPLOYER.c.case_id == CASE.c.id, _EMPLOYER.c.role == "employer")
        )
    )


# --------------------------------------------------------------------------- the pools


@dataclass(frozen=True)
class PoolItem:
    """An open assignment as a pool shows it: no details before the conflict check."""

    id: int
    kind: str
    town: str
    zone: str
    zone_id: int
    due_on: date
    worker: str
    employer: str
    created_at: datetime
    escalates_at: datetime
    escalated: bool
    in_my_zones: bool
    #: The lawyer confirmed having no conflict of interest (details may be shown).
    confirmed: bool


_POOL_COLUMNS = [
    ASSIGNMENT.c.id,
    ASSIGNMENT.c.kind,
    ASSIGNMENT.c.zone_id,
    ASSIGNMENT.c.due_on,
    ASSIGNMENT.c.created_at,
    ASSIGNMENT.c.state,
]


def _answers(session: Session, lawyer_id: int) -> dict[int, bool]:
    rows = session.execute(
        select(CONFLICT_CHECK.c.assignment_id, CONFLICT_CHECK.c.has_conflict).where(
            CONFLICT_CHECK.c.lawyer_id == lawyer_id
        )
    )
    return {row.assignment_id: bool(row.has_conflict) for row in rows}


def _pool_items(
    session: Session, statement: Select[Any], lawyer_id: int, zones: frozenset[int], now: datetime
) -> list[PoolItem]:
    answers = _answers(session, lawyer_id)
    items = []
    for row in session.execute(statement):
        if answers.get(row.id) is True:
            continue
        created = aware(row.created_at)
        assert created is not None
        items.append(
            PoolItem(
                id=row.id,
                kind=row.kind,
                town=row.town or "",
                zone=row.zone,
                zone_id=row.zone_id,
                due_on=row.due_on,
                worker=row.worker or "",
                employer=row.employer or "",
                created_at=created,
                escalates_at=escalates_at(created, row.claim_window_hours),
                escalated=is_escalated(row.state, created, row.claim_window_hours, now),
                in_my_zones=row.zone_id in zones,
                confirmed=answers.get(row.id) is False,
            )
        )
    return items


def pool(session: Session, *, lawyer_id: int, now: datetime) -> list[PoolItem]:
    """Return the open assignments of the lawyer's zones, most urgent and newest first."""
    zones = lawyer_zone_ids(session, lawyer_id)
    if not zones:
        return []
    statement = (
        _with_parties(_POOL_COLUMNS)
        .where(ASSIGNMENT.c.state == OPEN, ASSIGNMENT.c.zone_id.in_(sorted(zones)))
        .order_by(ASSIGNMENT.c.due_on, ASSIGNMENT.c.created_at.desc(), ASSIGNMENT.c.id.desc())
    )
    return _pool_items(session, statement, lawyer_id, zones, now)


def zone_windows(session: Session) -> dict[int, int]:
    """Return each zone's claim window in hours."""
    rows = session.execute(select(ZONE.c.id, ZONE.c.claim_window_hours))
    return {row.id: row.claim_window_hours for row in rows}


def escalated_pool(session: Session, *, lawyer_id: int, now: datetime) -> list[PoolItem]:
    """Return the open assignments of every zone left unclaimed past their zone's window."""
    zones = lawyer_zone_ids(session, lawyer_id)
    statement = (
        _with_parties(_POOL_COLUMNS)
        .where(escalation_filter(zone_windows(session), now))
        .order_by(ASSIGNMENT.c.due_on, ASSIGNMENT.c.created_at, ASSIGNMENT.c.id)
    )
    return _pool_items(session, statement, lawyer_id, zones, now)


# --------------------------------------------------------------------------- one lawyer's work


@dataclass(frozen=True)
class MyItem:
    """An assignment a lawyer holds or has held."""

    id: int
    version: int
    kind: str
    state: str
    town: str
    due_on: date
    worker: str
    employer: str
    case_number: str
    claimed_at: datetime | None
    completed_at: datetime | None
    minutes_spent: int | None
    confirmed: bool
    overdue: bool


def my_assignments(session: Session, *, lawyer_id: int, today: date) -> list[MyItem]:
    """Return the lawyer's assignments: claimed ones by due date, then the finished ones."""
    statement = (
        _with_parties(
            [
                ASSIGNMENT.c.id,
                ASSIGNMENT.c.version,
                ASSIGNMENT.c.kind,
                ASSIGNMENT.c.state,
                ASSIGNMENT.c.due_on,
                ASSIGNMENT.c.claimed_at,
                ASSIGNMENT.c.completed_at,
                ASSIGNMENT.c.minutes_spent,
                CASE.c.number,
            ]
        )
        .where(ASSIGNMENT.c.claimed_by_id == lawyer_id)
        .order_by(
            case((ASSIGNMENT.c.state == CLAIMED, 0), else_=1),
            ASSIGNMENT.c.due_on,
            ASSIGNMENT.c.id.desc(),
        )
    )
    answers = _answers(session, lawyer_id)
    return [
        MyItem(
            id=row.id,
            version=row.version,
            kind=row.kind,
            state=row.state,
            town=row.town or "",
            due_on=row.due_on,
            worker=row.worker or "",
            employer=row.employer or "",
            # The case number is a detail: shown once the conflict check is done.
            case_number=row.number if answers.get(row.id) is False else "",
            claimed_at=aware(row.claimed_at),
            completed_at=aware(row.completed_at),
            minutes_spent=row.minutes_spent,
            confirmed=answers.get(row.id) is False,
            overdue=row.state == CLAIMED and row.due_on < today,
        )
        for row in session.execute(statement)
    ]


# --------------------------------------------------------------------------- one assignment


@dataclass(frozen=True)
class AssignmentDetail:
    """Everything about an assignment: for its lawyer after the conflict check, and mediators."""

    id: int
    version: int
    case_id: int
    state: str
    kind: str
    needed: str
    due_on: date
    zone_id: int
    zone: str
    claim_window_hours: int
    town: str
    worker: str
    employer: str
    created_at: datetime
    requested_by: str
    claimed_by_id: int | None
    lawyer: str
    claimed_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    released_at: datetime | None
    outcome: str
    minutes_spent: int | None
    release_reason: str
    cancel_reason: str
    case_number: str
    case_state: str
    category: str
    summary: str
    received_on: date
    claimed_fen: int
    organization: str
    organization_id: int

    def escalated(self, now: datetime) -> bool:
        """Tell whether the assignment waits past its zone's window at ``now``."""
        return is_escalated(self.state, self.created_at, self.claim_window_hours, now)

    @property
    def escalates_at(self) -> datetime:
        """Return when the assignment escalates if left open."""
        return escalates_at(self.created_at, self.claim_window_hours)


def _detail_statement() -> Select[Any]:
    return (
        _with_parties(
            [
                ASSIGNMENT,
                CASE.c.number.label("case_number"),
                CASE.c.state.label("case_state"),
                CASE.c.category,
                CASE.c.summary,
                CASE.c.received_on,
                CASE.c.claimed_fen,
                CASE.c.organization_id,
                ORGANIZATION.c.name.label("organization"),
                _LAWYER.c.display_name.label("lawyer"),
                _REQUESTER.c.display_name.label("requested_by"),
            ]
        )
        .outerjoin(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
        .outerjoin(_LAWYER, _LAWYER.c.id == ASSIGNMENT.c.claimed_by_id)
        .outerjoin(_REQUESTER, _REQUESTER.c.id == ASSIGNMENT.c.created_by_id)
    )


def _detail(row: Any) -> AssignmentDetail:
    created = aware(row.created_at)
    assert created is not None
    return AssignmentDetail(
        id=row.id,
        version=row.version,
        case_id=row.case_id,
        state=row.state,
        kind=row.kind,
        needed=row.needed,
        due_on=row.due_on,
        zone_id=row.zone_id,
        zone=row.zone,
        claim_window_hours=row.claim_window_hours,
        town=row.town or "",
        worker=row.worker or "",
        employer=row.employer or "",
        created_at=created,
        requested_by=row.requested_by or "",
        claimed_by_id=row.claimed_by_id,
        lawyer=row.lawyer or "",
        claimed_at=aware(row.claimed_at),
        completed_at=aware(row.completed_at),
        cancelled_at=aware(row.cancelled_at),
        released_at=aware(row.released_at),
        outcome=row.outcome,
        minutes_spent=row.minutes_spent,
        release_reason=row.release_reason,
        cancel_reason=row.cancel_reason,
        case_number=row.case_number,
        case_state=row.case_state,
        category=row.category,
        summary=row.summary,
        received_on=row.received_on,
        claimed_fen=row.claimed_fen,
        organization=row.organization or "",
        organization_id=row.organization_id,
    )


def assignment_detail(session: Session, assignment_id: int) -> AssignmentDetail | None:
    """Return one assignment with its case, or None."""
    row = session.execute(_detail_statement().where(ASSIGNMENT.c.id == assignment_id)).one_or_none()
    return None if row is None else _detail(row)


# Every case page reads its legal help: the statement is built once, with a bound case id.
_CASE_ASSIGNMENTS = (
    _detail_statement()
    .where(ASSIGNMENT.c.case_id == bindparam("case_id", type_=Integer))
    .order_by(ASSIGNMENT.c.created_at.desc(), ASSIGNMENT.c.id.desc())
)


def case_assignments(session: Session, case_id: int) -> list[AssignmentDetail]:
    """Return the legal help asked for on a case, newest first."""
    rows = prebuilt(session).execute(_CASE_ASSIGNMENTS, {"case_id": case_id})
    return [_detail(row) for row in rows]


# --------------------------------------------------------------------------- workload


def quarter_bounds(today: date) -> tuple[date, date, datetime, datetime]:
    """Return the quarter of ``today`` (Asia/Shanghai): first day, last day, UTC start, end."""
    first_month = (today.month - 1) // 3 * 3 + 1
    start = date(today.year, first_month, 1)
    end = date(today.year + 1, 1, 1) if first_month == 10 else date(today.year, first_month + 3, 1)
    start_utc = datetime.combine(start, time(), LOCAL_TZ).astimezone(UTC)
    end_utc = datetime.combine(end, time(), LOCAL_TZ).astimezone(UTC)
    last = date.fromordinal(end.toordinal() - 1)
    return start, last, start_utc, end_utc


@dataclass(frozen=True)
class Load:
    """The figures of one zone or one lawyer."""

    open: int = 0
    escalated: int = 0
    claimed: int = 0
    overdue: int = 0
    completed: int = 0
    minutes: int = 0


@dataclass(frozen=True)
class ZoneLoad:
    """One zone's line of the workload view."""

    zone_id: int
    name: str
    lawyers: int
    load: Load


@dataclass(frozen=True)
class LawyerLoad:
    """One lawyer's line of the workload view."""

    user_id: int
    name: str
    firm: str
    zones: tuple[str, ...]
    availability: str
    active: bool
    load: Load


@dataclass(frozen=True)
class Workload:
    """Open, claimed, overdue and completed legal help by zone and by lawyer."""

    quarter_start: date
    quarter_end: date
    zones: list[ZoneLoad]
    lawyers: list[LawyerLoad]

    @property
    def total(self) -> Load:
        """Return the district's figures."""
        loads = [z.load for z in self.zones]
        return Load(
            open=sum(x.open for x in loads),
            escalated=sum(x.escalated for x in loads),
            claimed=sum(x.claimed for x in loads),
            overdue=sum(x.overdue for x in loads),
            completed=sum(x.completed for x in loads),
            minutes=sum(x.minutes for x in loads),
        )


def _figures(key: Any, today: date, start_utc: datetime, end_utc: datetime) -> Select[Any]:
    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    done_in_quarter = and_(
        ASSIGNMENT.c.state == COMPLETED,
        ASSIGNMENT.c.completed_at >= start_utc,
        ASSIGNMENT.c.completed_at < end_utc,
    )
    return select(
        key.label("key"),
        count_if(ASSIGNMENT.c.state == OPEN).label("open"),
        count_if(ASSIGNMENT.c.state == CLAIMED).label("claimed"),
        count_if(and_(ASSIGNMENT.c.state.in_((OPEN, CLAIMED)), ASSIGNMENT.c.due_on < today)).label(
            "overdue"
        ),
        count_if(done_in_quarter).label("completed"),
        func.coalesce(
            func.sum(case((done_in_quarter, ASSIGNMENT.c.minutes_spent), else_=0)), 0
        ).label("minutes"),
    ).group_by(key)


def _lawyer_zones(session: Session) -> dict[int, set[int]]:
    zones: dict[int, set[int]] = {}
    for row in session.execute(select(LAWYER_ZONE.c.lawyer_id, LAWYER_ZONE.c.zone_id)):
        zones.setdefault(row.lawyer_id, set()).add(row.zone_id)
    for row in session.execute(
        select(USER.c.id, USER.c.zone_id).where(
            USER.c.role == "lawyer", USER.c.zone_id.is_not(None)
        )
    ):
        zones.setdefault(row.id, set()).add(row.zone_id)
    return zones


def workload(session: Session, *, today: date, now: datetime) -> Workload:
    """Return the workload of every zone and every volunteer lawyer."""
    start, last, start_utc, end_utc = quarter_bounds(today)
    by_zone = {
        row.key: row
        for row in session.execute(_figures(ASSIGNMENT.c.zone_id, today, start_utc, end_utc))
    }
    escalated = dict(
        session.execute(
            select(ASSIGNMENT.c.zone_id, func.count())
            .where(escalation_filter(zone_windows(session), now))
            .group_by(ASSIGNMENT.c.zone_id)
        ).all()
    )
    by_lawyer = {
        row.key: row
        for row in session.execute(
            _figures(ASSIGNMENT.c.claimed_by_id, today, start_utc, end_utc).where(
                ASSIGNMENT.c.claimed_by_id.is_not(None)
            )
        )
    }
    lawyer_zones = _lawyer_zones(session)
    zone_names = {row.id: row.name for row in session.execute(select(ZONE.c.id, ZONE.c.name))}
    zones = []
    for zone_id, name in sorted(zone_names.items(), key=lambda item: item[1]):
        row = by_zone.get(zone_id)
        zones.append(
            ZoneLoad(
                zone_id=zone_id,
                name=name,
                lawyers=sum(1 for served in lawyer_zones.values() if zone_id in served),
                load=Load(
                    open=int(row.open) if row else 0,
                    escalated=int(escalated.get(zone_id, 0)),
                    claimed=int(row.claimed) if row else 0,
                    overdue=int(row.overdue) if row else 0,
                    completed=int(row.completed) if row else 0,
                    minutes=int(row.minutes) if row else 0,
                ),
            )
        )
    lawyers = []
    for entry in lawyer_list(session, lawyer_zones=lawyer_zones, zone_names=zone_names):
        row = by_lawyer.get(entry.user_id)
        lawyers.append(
            LawyerLoad(
                user_id=entry.user_id,
                name=entry.display_name,
                firm=entry.firm,
                zones=entry.zones,
                availability=entry.availability,
                active=entry.active,
                load=Load(
                    claimed=int(row.claimed) if row else 0,
                    overdue=int(row.overdue) if row else 0,
                    completed=int(row.completed) if row else 0,
                    minutes=int(row.minutes) if row else 0,
                ),
            )
        )
    return Workload(start, last, zones, lawyers)


# --------------------------------------------------------------------------- lawyers and zones


@dataclass(frozen=True)
class LawyerEntry:
    """A volunteer lawyer as the administrator's list and the zone map show them."""

    user_id: int
    username: str
    display_name: str
    user_active: bool
    firm: str
    zone_ids: tuple[int, ...]
    zones: tuple[str, ...]
    availability: str
    active: bool
    practice_notes: str


def lawyer_list(
    session: Session,
    *,
    lawyer_zones: dict[int, set[int]] | None = None,
    zone_names: dict[int, str] | None = None,
) -> list[LawyerEntry]:
    """Return every user with the lawyer role with their profile, by name."""
    lawyer_zones = lawyer_zones if lawyer_zones is not None else _lawyer_zones(session)
    if zone_names is None:
        zone_names = {row.id: row.name for row in session.execute(select(ZONE.c.id, ZONE.c.name))}
    rows = session.execute(
        select(
            USER.c.id,
            USER.c.username,
            USER.c.display_name,
            USER.c.active,
            LAW_FIRM.c.name.label("firm"),
            LAWYER_PROFILE.c.availability,
            LAWYER_PROFILE.c.active.label("profile_active"),
            LAWYER_PROFILE.c.practice_notes,
        )
        .select_from(
            USER.outerjoin(LAWYER_PROFILE, LAWYER_PROFILE.c.user_id == USER.c.id).outerjoin(
                LAW_FIRM, LAW_FIRM.c.id == LAWYER_PROFILE.c.firm_id
            )
        )
        .where(USER.c.role == "lawyer")
        .order_by(USER.c.display_name, USER.c.id)
    )
    entries = []
    for row in rows:
        zone_ids = tuple(
            sorted(lawyer_zones.get(row.id, set()), key=lambda z: zone_names.get(z, ""))
        )
        entries.append(
            LawyerEntry(
                user_id=row.id,
                username=row.username,
                display_name=row.display_name,
                user_active=bool(row.active),
                firm=row.firm or "",
                zone_ids=zone_ids,
                zones=tuple(zone_names.get(z, "") for z in zone_ids),
                availability=row.availability or AVAILABILITY[0],
                active=row.profile_active is not False and bool(row.active),
                practice_notes=row.practice_notes or "",
            )
        )
    return entries


@dataclass(frozen=True)
class ZoneEntry:
    """A zone on the zone map: its claim window, towns and lawyers."""

    id: int
    name: str
    claim_window_hours: int
    towns: tuple[tuple[str, str], ...]
    lawyers: tuple[LawyerEntry, ...]


def zone_map(session: Session) -> tuple[list[ZoneEntry], list[tuple[str, str]]]:
    """Return every zone with its towns and lawyers, and the towns in no zone."""
    towns: dict[int | None, list[tuple[str, str]]] = {}
    for row in session.execute(
        select(TOWN.c.zone_id, TOWN.c.name, TOWN.c.kind).order_by(TOWN.c.name)
    ):
        towns.setdefault(row.zone_id, []).append((row.name, row.kind))
    lawyers = lawyer_list(session)
    zones = []
    for row in session.execute(
        select(ZONE.c.id, ZONE.c.name, ZONE.c.claim_window_hours).order_by(ZONE.c.name)
    ):
        zones.append(
            ZoneEntry(
                id=row.id,
                name=row.name,
                claim_window_hours=row.claim_window_hours,
                towns=tuple(towns.get(row.id, [])),
                lawyers=tuple(entry for entry in lawyers if row.id in entry.zone_ids),
            )
        )
    return zones, towns.get(None, [])


def firms(session: Session) -> list[Any]:
    """Return the law firms with how many volunteer lawyers each has, by name."""
    lawyers = (
        select(LAWYER_PROFILE.c.firm_id, func.count().label("n"))
        .group_by(LAWYER_PROFILE.c.firm_id)
        .subquery()
    )
    return list(
        session.execute(
            select(
                LAW_FIRM.c.id,
                LAW_FIRM.c.name,
                LAW_FIRM.c.phone,
                LAW_FIRM.c.active,
                func.coalesce(lawyers.c.n, 0).label("lawyers"),
            )
            .select_from(LAW_FIRM.outerjoin(lawyers, lawyers.c.firm_id == LAW_FIRM.c.id))
            .order_by(LAW_FIRM.c.name)
        )
    )
