"""Read queries behind the case lists and the dashboard.

Each function runs a fixed number of SQL statements however many rows it returns: party
names come from joins on ``party`` by role, never from a query per case. What a reader may
see is a :class:`Scope` (one organisation for a mediator, the whole district for a
supervisor); ID numbers leave this module masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import FromClause
from sqlmodel import Session

from mediation.cases.deadlines import overdue_condition
from mediation.cases.enums import PartyRole
from mediation.people.identity import mask_id_number
from mediation.tables import AGREEMENT, CASE, INSTALMENT, ORGANIZATION, PARTY, TOWN
from workflows import deadlines as rules
from workflows.case import MEDIATING_STATES, CaseState

T = TypeVar("T")

WORKER = PARTY.alias("worker")
EMPLOYER = PARTY.alias("employer")

#: States in which an agreement is being performed, so its instalments fall due.
PERFORMING_STATES = (CaseState.ENSURING_PERFORMANCE.value, CaseState.AWAITING_CONVERSION.value)

#: The longest search text accepted (a case number or part of a name).
MAX_SEARCH = 100


# --------------------------------------------------------------------------- scope and filters


@dataclass(frozen=True)
class Scope:
    """Which organisations' cases a reader may see; ``organization_ids=None`` is the district."""

    organization_ids: frozenset[int] | None

    @classmethod
    def organization(cls, organization_id: int | None) -> Scope:
        """Return the scope of one organisation (nothing at all for ``None``)."""
        return cls(frozenset() if organization_id is None else frozenset({organization_id}))

    @classmethod
    def district(cls) -> Scope:
        """Return the scope of every organisation (supervisors)."""
        return cls(None)

    def condition(self) -> ColumnElement[bool]:
        """Return the SQL condition that keeps a case inside this scope."""
        if self.organization_ids is None:
            return true()
        return CASE.c.organization_id.in_(sorted(self.organization_ids))


@dataclass(frozen=True)
class CaseFilter:
    """What the reader narrowed a case list to; ``None`` or ``""`` means no restriction."""

    state: str | None = None
    town_id: int | None = None
    category: str | None = None
    overdue: bool | None = None
    received_from: date | None = None
    received_to: date | None = None
    search: str = ""

    def conditions(self, today: date) -> list[ColumnElement[bool]]:
        """Return the SQL conditions of this filter (on ``CASE``, ``WORKER``, ``EMPLOYER``)."""
        conditions: list[ColumnElement[bool]] = []
        if self.state:
            conditions.append(CASE.c.state == self.state)
        if self.town_id is not None:
            conditions.append(CASE.c.town_id == self.town_id)
        if self.category:
            conditions.append(CASE.c.category == self.category)
        if self.overdue is True:
            conditions.append(overdue_condition(today))
        elif self.overdue is False:
            conditions.append(not_(overdue_condition(today)))
        if self.received_from is not None:
            conditions.append(CASE.c.received_on >= self.received_from)
        if self.received_to is not None:
            conditions.append(CASE.c.received_on <= self.received_to)
        text = self.search.strip()
        if text:
            conditions.append(
                or_(
                    CASE.c.number.icontains(text, autoescape=True),
                    WORKER.c.name.icontains(text, autoescape=True),
                    EMPLOYER.c.name.icontains(text, autoescape=True),
                )
            )
        return conditions


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list, with what is needed to link to the others."""

    items: tuple[T, ...]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return how many pages there are (at least one, even when the list is empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        """Tell whether there is a page before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Tell whether there is a page after this one."""
        return self.number < self.pages

    @property
    def first(self) -> int:
        """Return the 1-based position of this page's first item (0 when empty)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """Return the 1-based position of this page's last item (0 when empty)."""
        return self.first + len(self.items) - 1 if self.items else 0


def _with_parties(base: FromClause) -> FromClause:
    return base.outerjoin(
        WORKER, and_(WORKER.c.case_id == CASE.c.id, WORKER.c.role == PartyRole.WORKER.value)
    ).outerjoin(
        EMPLOYER,
        and_(EMPLOYER.c.case_id == CASE.c.id, EMPLOYER.c.role == PartyRole.EMPLOYER.value),
    )


def _mediation_days_left(state: str, received_on: date, today: date) -> int | None:
    if state not in {s.value for s in MEDIATING_STATES}:
        return None
    return rules.days_left(rules.mediation_deadline(received_on), today)


# --------------------------------------------------------------------------- the case list


@dataclass(frozen=True)
class CaseListItem:
    """One row of a case list."""

    id: int
    number: str
    received_on: date
    state: str
    category: str
    town_name: str | None
    worker_name: str
    worker_id_masked: str
    employer_name: str
    claimed_fen: int
    mediation_deadline: date
    #: Days left in the 15-day window (negative once overdue); None when no longer mediating.
    days_left: int | None
    continuing_with_consent: bool
    updated_at: datetime

    @property
    def overdue(self) -> bool:
        """Tell whether mediation has run past the 15-day window (Art. 14)."""
        return self.days_left is not None and self.days_left < 0


def list_cases(
    session: Session,
    *,
    scope: Scope,
    filters: CaseFilter,
    today: date,
    page: int = 1,
    per_page: int = 25,
) -> Page[CaseListItem]:
    """Return one page of the cases in ``scope`` matching ``filters``, newest received first.

    A page number past the end gives the last page. Two statements: the count and the page.
    The party tables are joined only where they are needed: to search their names, and for
    the rows of the page once it is chosen (so a page far down the list does not look up
    the parties of every case before it).
    """
    conditions = [scope.condition(), *filters.conditions(today)]
    # Each case has at most one worker and one employer (unique case_id, role), so the
    # joins never change how many cases match; without a search they are left out.
    source = _with_parties(CASE) if filters.search.strip() else CASE
    total = session.execute(
        select(func.count()).select_from(source).where(*conditions)
    ).scalar_one()
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    chosen = (
        select(CASE.c.id, CASE.c.received_on)
        .select_from(source)
        .where(*conditions)
        .order_by(CASE.c.received_on.desc(), CASE.c.id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).subquery("chosen")
    rows = session.execute(
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.received_on,
            CASE.c.state,
            CASE.c.category,
            CASE.c.claimed_fen,
            CASE.c.consent_worker_at,
            CASE.c.consent_employer_at,
            CASE.c.updated_at,
            TOWN.c.name.label("town_name"),
            WORKER.c.name.label("worker_name"),
            WORKER.c.id_number.label("worker_id_number"),
            EMPLOYER.c.name.label("employer_name"),
        )
        .select_from(
            _with_parties(chosen.join(CASE, CASE.c.id == chosen.c.id)).outerjoin(
                TOWN, TOWN.c.id == CASE.c.town_id
            )
        )
        .order_by(chosen.c.received_on.desc(), chosen.c.id.desc())
    ).all()
    return Page(
        items=tuple(_list_item(row, today) for row in rows),
        total=total,
        number=number,
        per_page=per_page,
    )


def _list_item(row: Any, today: date) -> CaseListItem:
    return CaseListItem(
        id=row.id,
        number=row.number,
        received_on=row.received_on,
        state=row.state,
        category=row.category,
        town_name=row.town_name,
        worker_name=row.worker_name or "",
        worker_id_masked=mask_id_number(row.worker_id_number) if row.worker_id_number else "",
        employer_name=row.employer_name or "",
        claimed_fen=int(row.claimed_fen),
        mediation_deadline=rules.mediation_deadline(row.received_on),
        days_left=_mediation_days_left(row.state, row.received_on, today),
        continuing_with_consent=row.consent_worker_at is not None
        and row.consent_employer_at is not None,
        updated_at=row.updated_at,
    )


# --------------------------------------------------------------------------- the dashboard


def state_counts(session: Session, *, scope: Scope) -> dict[str, int]:
    """Return how many cases are in each state (every state present, zero included)."""
    counts = dict.fromkeys((s.value for s in CaseState), 0)
    for state, count in session.execute(
        select(CASE.c.state, func.count()).where(scope.condition()).group_by(CASE.c.state)
    ):
        counts[state] = int(count)
    return counts


@dataclass(frozen=True)
class OverdueCase:
    """A case still in mediation past its 15-day window (Art. 14)."""

    id: int
    number: str
    state: str
    received_on: date
    mediation_deadline: date
    days_over: int
    worker_name: str
    employer_name: str
    continuing_with_consent: bool


def overdue_cases(
    session: Session, *, scope: Scope, today: date, limit: int = 20
) -> Page[OverdueCase]:
    """Return the longest-overdue cases first (up to ``limit``) and how many there are.

    The oldest overdue cases are chosen state by state, each from the index on
    (organisation, state, received_on, id) in order, then merged. Asked for the oldest cases
    of all mediating states at once, SQLite and PostgreSQL walk the organisation's cases by
    receipt date from the oldest, through years of closed cases, before finding the few
    still in mediation.
    """
    conditions = [scope.condition(), overdue_condition(today)]
    total = session.execute(select(func.count()).where(*conditions)).scalar_one()
    per_state = [
        select(CASE.c.id, CASE.c.received_on)
        .where(*conditions, CASE.c.state == state.value)
        .order_by(CASE.c.received_on, CASE.c.id)
        .limit(limit)
        .subquery()
        for state in sorted(MEDIATING_STATES, key=lambda s: s.value)
    ]
    oldest = union_all(*(select(branch.c.id, branch.c.received_on) for branch in per_state))
    chosen = oldest.order_by(oldest.selected_columns.received_on, oldest.selected_columns.id)
    chosen_ids = chosen.limit(limit).subquery("chosen")
    rows = session.execute(
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.state,
            CASE.c.received_on,
            CASE.c.consent_worker_at,
            CASE.c.consent_employer_at,
            WORKER.c.name.label("worker_name"),
            EMPLOYER.c.name.label("employer_name"),
        )
        .select_from(_with_parties(chosen_ids.join(CASE, CASE.c.id == chosen_ids.c.id)))
        .order_by(CASE.c.received_on, CASE.c.id)
    ).all()
    items = []
    for row in rows:
        deadline = rules.mediation_deadline(row.received_on)
        items.append(
            OverdueCase(
                id=row.id,
                number=row.number,
                state=row.state,
                received_on=row.received_on,
                mediation_deadline=deadline,
                days_over=-rules.days_left(deadline, today),
                worker_name=row.worker_name or "",
                employer_name=row.employer_name or "",
                continuing_with_consent=row.consent_worker_at is not None
                and row.consent_employer_at is not None,
            )
        )
    return Page(items=tuple(items), total=total, number=1, per_page=limit)


@dataclass(frozen=True)
class DueInstalment:
    """An agreed payment date, not yet fully paid, falling due soon (or already missed)."""

    case_id: int
    number: str
    state: str
    worker_name: str
    employer_name: str
    seq: int
    due_on: date
    amount_fen: int
    outstanding_fen: int
    days_left: int

    @property
    def late(self) -> bool:
        """Tell whether the due date has passed with money still owed (Art. 15)."""
        return self.days_left < 0


def instalments_due(
    session: Session, *, scope: Scope, today: date, within_days: int = 7, limit: int = 50
) -> list[DueInstalment]:
    """Return instalments due by ``today + within_days`` and not fully paid, earliest first.

    Payments settle instalments in due-date order (as in :mod:`mediation.cases.deadlines`):
    an instalment is unpaid while the running total up to and including it exceeds what the
    case has been paid. Instalments already missed are included: they need chasing most.
    """
    # Only the instalments that can be listed enter the running totals: the scope's cases
    # being performed, due by the cutoff. Every instalment before one of them (in due-date
    # order) is due by the cutoff too, so its running total is the same as over all of them.
    # (A correlated sum per row is a little faster on SQLite, but PostgreSQL then hash-joins
    # every instalment of the district: 3× slower there.)
    cutoff = today + timedelta(days=within_days)
    running = (
        select(
            CASE.c.id.label("case_id"),
            CASE.c.paid_fen,
            INSTALMENT.c.seq,
            INSTALMENT.c.due_on,
            INSTALMENT.c.amount_fen,
            # seq is unique within an agreement, so no two rows tie in this order: a ROWS
            # frame sums the same rows as the default RANGE frame, and costs SQLite less.
            func.sum(INSTALMENT.c.amount_fen)
            .over(
                partition_by=INSTALMENT.c.agreement_id,
                order_by=(INSTALMENT.c.due_on, INSTALMENT.c.seq),
                rows=(None, 0),
            )
            .label("through_fen"),
        )
        .select_from(
            CASE.join(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id).join(
                INSTALMENT, INSTALMENT.c.agreement_id == AGREEMENT.c.id
            )
        )
        .where(
            scope.condition(),
            CASE.c.state.in_(PERFORMING_STATES),
            INSTALMENT.c.due_on <= cutoff,
        )
    ).subquery("running")
    # The case's number and state and the parties' names only for the instalments shown,
    # once they are chosen (the fewer columns the window carries, the faster it runs).
    due = (
        select(running)
        .where(running.c.through_fen > running.c.paid_fen)
        .order_by(running.c.due_on, running.c.case_id, running.c.seq)
        .limit(limit)
    ).subquery("due")
    rows = session.execute(
        select(
            due.c.case_id.label("id"),
            CASE.c.number,
            CASE.c.state,
            due.c.paid_fen,
            WORKER.c.name.label("worker_name"),
            EMPLOYER.c.name.label("employer_name"),
            due.c.seq,
            due.c.due_on,
            due.c.amount_fen,
            due.c.through_fen,
        )
        .select_from(
            due.join(CASE, CASE.c.id == due.c.case_id)
            .outerjoin(
                WORKER,
                and_(WORKER.c.case_id == due.c.case_id, WORKER.c.role == PartyRole.WORKER.value),
            )
            .outerjoin(
                EMPLOYER,
                and_(
                    EMPLOYER.c.case_id == due.c.case_id,
                    EMPLOYER.c.role == PartyRole.EMPLOYER.value,
                ),
            )
        )
        .order_by(due.c.due_on, due.c.case_id, due.c.seq)
    ).all()
    result = []
    for row in rows:
        amount = int(row.amount_fen)
        # Money paid beyond the earlier instalments goes to this one, up to its amount.
        before = int(row.through_fen) - amount
        applied = max(0, min(amount, int(row.paid_fen) - before))
        result.append(
            DueInstalment(
                case_id=row.id,
                number=row.number,
                state=row.state,
                worker_name=row.worker_name or "",
                employer_name=row.employer_name or "",
                seq=row.seq,
                due_on=row.due_on,
                amount_fen=amount,
                outstanding_fen=amount - applied,
                days_left=rules.days_left(row.due_on, today),
            )
        )
    return result


@dataclass(frozen=True)
class RecentCase:
    """A case and when it last changed."""

    id: int
    number: str
    state: str
    worker_name: str
    employer_name: str
    updated_at: datetime


def recently_changed(session: Session, *, scope: Scope, limit: int = 10) -> list[RecentCase]:
    """Return the cases changed most recently, latest first."""
    rows = session.execute(
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.state,
            CASE.c.updated_at,
            WORKER.c.name.label("worker_name"),
            EMPLOYER.c.name.label("employer_name"),
        )
        .select_from(_with_parties(CASE))
        .where(scope.condition())
        .order_by(CASE.c.updated_at.desc(), CASE.c.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentCase(
            id=row.id,
            number=row.number,
            state=row.state,
            worker_name=row.worker_name or "",
            employer_name=row.employer_name or "",
            updated_at=row.updated_at,
        )
        for row in rows
    ]


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class TownOption:
    """A town for a select box."""

    id: int
    name: str


def town_options(session: Session) -> list[TownOption]:
    """Return every town, by name."""
    rows = session.execute(select(TOWN.c.id, TOWN.c.name).order_by(TOWN.c.name, TOWN.c.id))
    return [TownOption(row.id, row.name) for row in rows]


@dataclass(frozen=True)
class OrganizationSummary:
    """An organisation's name and home town."""

    id: int
    name: str
    level: str
    town_id: int | None


def organization_summary(
    session: Session, organization_id: int | None
) -> OrganizationSummary | None:
    """Return an organisation's name, level and town, or None if there is no such one."""
    if organization_id is None:
        return None
    row = session.execute(
        select(
            ORGANIZATION.c.id, ORGANIZATION.c.name, ORGANIZATION.c.level, ORGANIZATION.c.town_id
        ).where(ORGANIZATION.c.id == organization_id)
    ).one_or_none()
    if row is None:
        return None
    return OrganizationSummary(row.id, row.name, row.level, row.town_id)
