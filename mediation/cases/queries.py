"""Read queries behind the case lists and the dashboard.

Each function runs a fixed number of SQL statements however many rows it returns: party
names come from joins on ``party`` by role, never from a query per case. What a reader may
see is a :class:`Scope` (one organisation for a mediator, the whole district for a
supervisor); ID numbers leave this module masked.

The statements are built once per shape (which filters are set, how many organisations the
scope has) with bound parameters, and run on the session's connection: building and keying
a statement costs more than running it on an index. Counts that do not depend on dates or
text come from ``case_tally`` (kept by triggers in the transaction that changes a case), and
the payments due from each case's stored ``next_due_on`` (kept by the service), instead of
counting or summing over an organisation's cases on every request (migration 0005).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    func,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import FromClause
from sqlmodel import Session

from mediation.cases.deadlines import overdue_cutoff, overdue_since
from mediation.cases.enums import PartyRole
from mediation.db import Prebuilt, prebuilt
from mediation.people.identity import mask_id_number
from mediation.people.sealing import open_party_value
from mediation.tables import AGREEMENT, CASE, CASE_TALLY, INSTALMENT, ORGANIZATION, PARTY, TOWN
from workflows import deadlines as rules
from workflows.case import MEDIATING_STATES, CaseState

T = TypeVar("T")

WORKER = PARTY.alias("worker")
EMPLOYER = PARTY.alias("employer")

#: States in which an agreement is being performed, so its instalments fall due.
PERFORMING_STATES = (CaseState.ENSURING_PERFORMANCE.value, CaseState.AWAITING_CONVERSION.value)

#: The longest search text accepted (a case number or part of a name).
MAX_SEARCH = 100

#: The keys of ``case_tally``'s roll-up rows: every category, every town (migration 0005).
TALLY_EVERY_CATEGORY = ""
TALLY_EVERY_TOWN = -1

#: The escape character of the search's LIKE patterns.
_LIKE_ESCAPE = "/"

_MEDIATING_VALUES = frozenset(s.value for s in MEDIATING_STATES)
#: Every state, in order (iterating the enum on each request costs more).
_STATE_VALUES = tuple(s.value for s in CaseState)
_MEDIATING_IN_ORDER = sorted(MEDIATING_STATES, key=lambda s: s.value)
#: From receipt to the last day of the mediation window (Art. 14, as
#: ``workflows.deadlines.mediation_deadline`` counts it).
_WINDOW = timedelta(days=rules.MEDIATION_WINDOW_DAYS)


def _connection(session: Session) -> Connection:
    # Core statements on the session's connection: no ORM layer around each execution.
    return session.connection()


def _reader(session: Session, shape: str) -> Connection | Prebuilt:
    # The dashboard's statements, built once per scope shape, run by the driver
    # (mediation.db.Prebuilt) — except with a list of organisations, an expanding parameter.
    return _connection(session) if shape == "many" else prebuilt(session)


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

    @property
    def shape(self) -> str:
        """``district``, ``one`` organisation, or ``many`` (none at all included)."""
        if self.organization_ids is None:
            return "district"
        return "one" if len(self.organization_ids) == 1 else "many"

    def parameters(self) -> dict[str, Any]:
        """Return the bound parameters of :func:`_scope_condition` for this scope."""
        if self.organization_ids is None:
            return {}
        if len(self.organization_ids) == 1:
            return {"organization_id": next(iter(self.organization_ids))}
        return {"organization_ids": sorted(self.organization_ids)}


def _scope_condition(shape: str, column: Any) -> ColumnElement[bool]:
    """The scope's condition on ``column`` (an organisation id), with bound parameters."""
    if shape == "district":
        return true()
    if shape == "one":
        return column == bindparam("organization_id", type_=Integer)
    return column.in_(bindparam("organization_ids", expanding=True))


class _FilterShape(NamedTuple):
    """Which filters are set: what decides the statement (the values are its parameters)."""

    state: bool
    town: bool
    category: bool
    overdue: bool | None
    received_from: bool
    received_to: bool
    search: bool

    @property
    def tallied(self) -> bool:
        """Tell whether ``case_tally`` can count the matching cases (no date, no text)."""
        return (
            self.overdue is None
            and not self.received_from
            and not self.received_to
            and not self.search
        )


def _like_pattern(text: str) -> str:
    escaped = (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


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

    @property
    def shape(self) -> _FilterShape:
        """Return which filters are set."""
        return _FilterShape(
            state=bool(self.state),
            town=self.town_id is not None,
            category=bool(self.category),
            overdue=self.overdue,
            received_from=self.received_from is not None,
            received_to=self.received_to is not None,
            search=bool(self.search.strip()),
        )

    def parameters(self, today: date) -> dict[str, Any]:
        """Return the bound parameters of the conditions of :attr:`shape`."""
        return {
            "state": self.state,
            "town_id": self.town_id,
            "category": self.category,
            "overdue_cutoff": overdue_cutoff(today),
            "received_from": self.received_from,
            "received_to": self.received_to,
            "search": _like_pattern(self.search.strip()),
            # case_tally's keys: '' counts every category, -1 every town.
            "tally_category": self.category or TALLY_EVERY_CATEGORY,
            "tally_town": TALLY_EVERY_TOWN if self.town_id is None else self.town_id,
        }

    def conditions(self, today: date) -> list[ColumnElement[bool]]:
        """Return the SQL conditions of this filter (on ``CASE``, ``WORKER``, ``EMPLOYER``),
        with the values in them (for one-off statements; the lists use :attr:`shape`)."""
        conditions: list[ColumnElement[bool]] = []
        if self.state:
            conditions.append(CASE.c.state == self.state)
        if self.town_id is not None:
            conditions.append(CASE.c.town_id == self.town_id)
        if self.category:
            conditions.append(CASE.c.category == self.category)
        if self.overdue is True:
            conditions.append(overdue_since(overdue_cutoff(today)))
        elif self.overdue is False:
            conditions.append(not_(overdue_since(overdue_cutoff(today))))
        if self.received_from is not None:
            conditions.append(CASE.c.received_on >= self.received_from)
        if self.received_to is not None:
            conditions.append(CASE.c.received_on <= self.received_to)
        text = self.search.strip()
        if text:
            conditions.append(_search_condition(_like_pattern(text)))
        return conditions


def _search_condition(pattern: Any) -> ColumnElement[bool]:
    def matches(column: Any) -> ColumnElement[bool]:
        return func.lower(column).like(func.lower(pattern), escape=_LIKE_ESCAPE)

    return or_(matches(CASE.c.number), matches(WORKER.c.name), matches(EMPLOYER.c.name))


def _filter_conditions(shape: _FilterShape) -> list[ColumnElement[bool]]:
    """The conditions of a filter shape on ``CASE`` (and the party aliases), parameterised."""
    conditions: list[ColumnElement[bool]] = []
    if shape.state:
        conditions.append(CASE.c.state == bindparam("state", type_=String))
    if shape.town:
        conditions.append(CASE.c.town_id == bindparam("town_id", type_=Integer))
    if shape.category:
        conditions.append(CASE.c.category == bindparam("category", type_=String))
    if shape.overdue is not None:
        overdue = overdue_since(bindparam("overdue_cutoff", type_=Date))
        conditions.append(overdue if shape.overdue else not_(overdue))
    if shape.received_from:
        conditions.append(CASE.c.received_on >= bindparam("received_from", type_=Date))
    if shape.received_to:
        conditions.append(CASE.c.received_on <= bindparam("received_to", type_=Date))
    if shape.search:
        conditions.append(_search_condition(bindparam("search", type_=String)))
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


#: Whether both parties consented to go on past the window: the page needs no more (and
#: turning two stored times into datetimes costs, on SQLite).
_CONSENTED = and_(
    CASE.c.consent_worker_at.is_not(None), CASE.c.consent_employer_at.is_not(None)
).label("consented")


def _with_parties(base: FromClause) -> FromClause:
    return base.outerjoin(
        WORKER, and_(WORKER.c.case_id == CASE.c.id, WORKER.c.role == PartyRole.WORKER.value)
    ).outerjoin(
        EMPLOYER,
        and_(EMPLOYER.c.case_id == CASE.c.id, EMPLOYER.c.role == PartyRole.EMPLOYER.value),
    )


# --------------------------------------------------------------------------- the case list


class CaseListItem(NamedTuple):
    """One row of a case list.

    The rows of lists are named tuples: a page builds dozens, and a frozen dataclass costs
    five times as much to build.
    """

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

    @property
    def overdue(self) -> bool:
        """Tell whether mediation has run past the 15-day window (Art. 14)."""
        return self.days_left is not None and self.days_left < 0


@lru_cache(maxsize=256)
def _count_statement(scope: str, shape: _FilterShape) -> Any:
    if shape.tallied:
        # Counters kept by the database in the transaction that moves a case: one per state
        # (or the state's alone), their category and town the filter's or "every" (a roll-up).
        conditions = [
            _scope_condition(scope, CASE_TALLY.c.organization_id),
            CASE_TALLY.c.category == bindparam("tally_category", type_=String),
            CASE_TALLY.c.town_key == bindparam("tally_town", type_=Integer),
        ]
        if shape.state:
            conditions.append(CASE_TALLY.c.state == bindparam("state", type_=String))
        return select(func.coalesce(func.sum(CASE_TALLY.c.cases), 0)).where(*conditions)
    # Each case has at most one worker and one employer (unique case_id, role), so the
    # joins never change how many cases match; without a search they are left out.
    source = _with_parties(CASE) if shape.search else CASE
    return (
        select(func.count())
        .select_from(source)
        .where(_scope_condition(scope, CASE.c.organization_id), *_filter_conditions(shape))
    )


@lru_cache(maxsize=256)
def _page_statement(scope: str, shape: _FilterShape) -> Any:
    source = _with_parties(CASE) if shape.search else CASE
    chosen = (
        select(CASE.c.id, CASE.c.received_on)
        .select_from(source)
        .where(_scope_condition(scope, CASE.c.organization_id), *_filter_conditions(shape))
        .order_by(CASE.c.received_on.desc(), CASE.c.id.desc())
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
    ).subquery("chosen")
    return (
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.received_on,
            CASE.c.state,
            CASE.c.category,
            CASE.c.claimed_fen,
            _CONSENTED,
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
    )


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
    The count is a sum over ``case_tally`` unless the filter involves dates or a search.
    The party tables are joined only where they are needed: to search their names, and for
    the rows of the page once it is chosen (so a page far down the list does not look up
    the parties of every case before it).
    """
    shape = filters.shape
    parameters = {**scope.parameters(), **filters.parameters(today)}
    connection = _connection(session)
    total = int(connection.execute(_count_statement(scope.shape, shape), parameters).scalar_one())
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    rows = connection.execute(
        _page_statement(scope.shape, shape),
        {**parameters, "page_limit": per_page, "page_offset": (number - 1) * per_page},
    ).all()
    return Page(
        items=tuple(_list_item(row, today) for row in rows),
        total=total,
        number=number,
        per_page=per_page,
    )


def _list_item(row: Any, today: date) -> CaseListItem:
    # Unpacked by position (the columns of _page_statement): reading a row's fields by name
    # costs several times as much, for 25 rows a page.
    (
        case_id,
        number,
        received_on,
        state,
        category,
        claimed_fen,
        consented,
        town_name,
        worker_name,
        worker_id_number,
        employer_name,
    ) = row
    return CaseListItem(
        id=case_id,
        number=number,
        received_on=received_on,
        state=state,
        category=category,
        town_name=town_name,
        worker_name=worker_name or "",
        worker_id_masked=mask_id_number(
            open_party_value(case_id, PartyRole.WORKER.value, "id_number", worker_id_number)
        )
        if worker_id_number
        else "",
        employer_name=employer_name or "",
        claimed_fen=int(claimed_fen),
        mediation_deadline=received_on + _WINDOW,
        days_left=(received_on + _WINDOW - today).days if state in _MEDIATING_VALUES else None,
        continuing_with_consent=bool(consented),
    )


# --------------------------------------------------------------------------- the dashboard


@lru_cache(maxsize=8)
def _state_counts_statement(scope: str) -> Any:
    # The roll-up counters of every category and town: one row per state and organisation.
    return (
        select(CASE_TALLY.c.state, func.sum(CASE_TALLY.c.cases))
        .where(
            _scope_condition(scope, CASE_TALLY.c.organization_id),
            CASE_TALLY.c.category == TALLY_EVERY_CATEGORY,
            CASE_TALLY.c.town_key == TALLY_EVERY_TOWN,
        )
        .group_by(CASE_TALLY.c.state)
    )


def state_counts(session: Session, *, scope: Scope) -> dict[str, int]:
    """Return how many cases are in each state (every state present, zero included)."""
    counts = dict.fromkeys(_STATE_VALUES, 0)
    for state, count in _reader(session, scope.shape).execute(
        _state_counts_statement(scope.shape), scope.parameters()
    ):
        counts[state] = int(count)
    return counts


class OverdueCase(NamedTuple):
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


@lru_cache(maxsize=8)
def _overdue_statements(scope: str) -> tuple[Any, Any]:
    # How many there are, and the oldest of them with that count on each row: one statement
    # fewer to run when there are any (the count, a subquery of its own, is run once).
    conditions = [
        _scope_condition(scope, CASE.c.organization_id),
        # overdue_since() with its states compared one by one rather than as a list (an
        # expanding parameter): the statements then run on the driver (mediation.db.Prebuilt),
        # half the cost; SQLite turns the ORs back into IN, the plan is the same.
        or_(*(CASE.c.state == state.value for state in _MEDIATING_IN_ORDER)),
        CASE.c.received_on < bindparam("overdue_cutoff", type_=Date),
    ]
    total = select(func.count()).where(*conditions)
    counted = total.scalar_subquery().label("total")
    limit = bindparam("limit", type_=Integer)
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
    rows = (
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.state,
            CASE.c.received_on,
            _CONSENTED,
            WORKER.c.name.label("worker_name"),
            EMPLOYER.c.name.label("employer_name"),
            counted,
        )
        .select_from(_with_parties(chosen_ids.join(CASE, CASE.c.id == chosen_ids.c.id)))
        .order_by(CASE.c.received_on, CASE.c.id)
    )
    return total, rows


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
    total_statement, rows_statement = _overdue_statements(scope.shape)
    parameters = {**scope.parameters(), "overdue_cutoff": overdue_cutoff(today), "limit": limit}
    connection = _reader(session, scope.shape)
    if limit > 0:
        rows = connection.execute(rows_statement, parameters).all()
        # Each row carries the count; no row, none overdue.
        total = int(rows[0][-1]) if rows else 0
    else:
        rows = []
        total = int(connection.execute(total_statement, parameters).scalar_one())
    # rules.mediation_deadline and rules.days_left, worked out here: two calls a row less.
    items = [
        OverdueCase(
            case_id,
            number,
            state,
            received_on,
            received_on + _WINDOW,
            (today - received_on - _WINDOW).days,
            worker or "",
            employer or "",
            bool(consented),
        )
        for case_id, number, state, received_on, consented, worker, employer, _total in rows
    ]
    return Page(items=tuple(items), total=total, number=1, per_page=limit)


class DueInstalment(NamedTuple):
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


#: The rows of _due_statement by case, then due date and number (see instalments_due).
_BY_CASE_AND_DUE_DATE = itemgetter(0, 7, 6)


@lru_cache(maxsize=8)
def _due_statement(scope: str) -> Any:
    # The cases being performed whose earliest unpaid instalment falls due by the cutoff,
    # earliest first: per state straight from the index (organisation, state, next_due_on),
    # then merged. Every instalment of the ``limit`` rows listed belongs to one of the first
    # ``limit`` such cases (each of them has an unpaid instalment due no later than any
    # instalment of a case after them), so only their instalments are read.
    limit = bindparam("limit", type_=Integer)
    cutoff = bindparam("cutoff", type_=Date)
    per_state = [
        select(CASE.c.id, CASE.c.next_due_on)
        .where(
            _scope_condition(scope, CASE.c.organization_id),
            CASE.c.state == state,
            CASE.c.next_due_on <= cutoff,
        )
        .order_by(CASE.c.next_due_on, CASE.c.id)
        .limit(limit)
        .subquery()
        for state in PERFORMING_STATES
    ]
    first = union_all(*(select(branch.c.id, branch.c.next_due_on) for branch in per_state))
    chosen = (
        first.order_by(first.selected_columns.next_due_on, first.selected_columns.id)
        .limit(limit)
        .subquery("chosen")
    )
    # Their instalments due by the cutoff (a later one changes nothing before it), without
    # ORDER BY: sorting the joined rows costs SQLite more than Python sorting them. The
    # parties are joined before the instalments: SQLite then looks them up once per case
    # rather than once per instalment.
    return (
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.state,
            CASE.c.paid_fen,
            WORKER.c.name.label("worker_name"),
            EMPLOYER.c.name.label("employer_name"),
            INSTALMENT.c.seq,
            INSTALMENT.c.due_on,
            INSTALMENT.c.amount_fen,
        )
        .select_from(
            _with_parties(chosen.join(CASE, CASE.c.id == chosen.c.id))
            .join(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id)
            .join(INSTALMENT, INSTALMENT.c.agreement_id == AGREEMENT.c.id)
        )
        .where(INSTALMENT.c.due_on <= cutoff)
    )


def instalments_due(
    session: Session, *, scope: Scope, today: date, within_days: int = 7, limit: int = 50
) -> list[DueInstalment]:
    """Return instalments due by ``today + within_days`` and not fully paid, earliest first.

    Payments settle instalments in due-date order (as in :mod:`mediation.cases.deadlines`):
    an instalment is unpaid while the running total up to and including it exceeds what the
    case has been paid. Instalments already missed are included: they need chasing most.
    One statement reads the instalments of the cases concerned (see :func:`_due_statement`).
    """
    cutoff = today + timedelta(days=within_days)
    rows = _reader(session, scope.shape).execute(
        _due_statement(scope.shape), {**scope.parameters(), "cutoff": cutoff, "limit": limit}
    )
    # (due_on, case id, seq, row, outstanding) of each unpaid instalment due by the cutoff.
    unpaid: list[tuple[date, int, int, Any, int]] = []
    case_id: int | None = None
    left = 0
    # By position (the columns of _due_statement): each case's rows in due-date order. What
    # the case has been paid goes to its instalments in that order: ``left`` is what is left
    # of it for this one (below zero once an earlier one is unpaid).
    for row in sorted(rows, key=_BY_CASE_AND_DUE_DATE):
        if row[0] != case_id:
            case_id, left = row[0], row[3]
        amount = row[8]
        if left < amount:
            unpaid.append((row[7], row[0], row[6], row, amount - left if left > 0 else amount))
        left -= amount
    # The first three are unique: the rows themselves are never compared.
    unpaid.sort()
    return [
        DueInstalment(
            row_case,
            number,
            state,
            worker or "",
            employer or "",
            seq,
            due_on,
            amount,
            outstanding,
            (due_on - today).days,
        )
        for _due_on, _case, _seq, (
            row_case,
            number,
            state,
            _paid,
            worker,
            employer,
            seq,
            due_on,
            amount,
        ), outstanding in unpaid[:limit]
    ]


class RecentCase(NamedTuple):
    """A case and when it last changed."""

    id: int
    number: str
    state: str
    worker_name: str
    employer_name: str
    updated_at: datetime


@lru_cache(maxsize=8)
def _recent_statement(scope: str) -> Any:
    return (
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.state,
            CASE.c.updated_at,
            WORKER.c.name.label("worker_name"),
            EMPLOYER.c.name.label("employer_name"),
        )
        .select_from(_with_parties(CASE))
        .where(_scope_condition(scope, CASE.c.organization_id))
        .order_by(CASE.c.updated_at.desc(), CASE.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def recently_changed(session: Session, *, scope: Scope, limit: int = 10) -> list[RecentCase]:
    """Return the cases changed most recently, latest first."""
    rows = _reader(session, scope.shape).execute(
        _recent_statement(scope.shape), {**scope.parameters(), "limit": limit}
    )
    return [
        RecentCase(
            id=case_id,
            number=number,
            state=state,
            worker_name=worker or "",
            employer_name=employer or "",
            updated_at=updated_at,
        )
        for case_id, number, state, updated_at, worker, employer in rows
    ]


# --------------------------------------------------------------------------- places


class TownOption(NamedTuple):
    """A town for a select box."""

    id: int
    name: str


_TOWNS = select(TOWN.c.id, TOWN.c.name).order_by(TOWN.c.name, TOWN.c.id)


def town_options(session: Session) -> list[TownOption]:
    """Return every town, by name."""
    return [TownOption(row.id, row.name) for row in _connection(session).execute(_TOWNS)]


@dataclass(frozen=True)
class OrganizationSummary:
    """An organisation's name and home town."""

    id: int
    name: str
    level: str
    town_id: int | None


_ORGANIZATION = select(
    ORGANIZATION.c.id, ORGANIZATION.c.name, ORGANIZATION.c.level, ORGANIZATION.c.town_id
).where(ORGANIZATION.c.id == bindparam("organization_id", type_=Integer))


def organization_summary(
    session: Session, organization_id: int | None
) -> OrganizationSummary | None:
    """Return an organisation's name, level and town, or None if there is no such one."""
    if organization_id is None:
        return None
    row = (
        prebuilt(session).execute(_ORGANIZATION, {"organization_id": organization_id}).one_or_none()
    )
    if row is None:
        return None
    return OrganizationSummary(row.id, row.name, row.level, row.town_id)
