"""Supervisors' figures of a period: cases and amounts, grouped (DESIGN §4, §7).

A report covers a period ``[date_from, date_to]`` (both days included) and has, per group, the
columns ``group,received,settled,failed,withdrawn,claimed_amount,agreed_amount,paid_amount``:

``received``
    cases whose ``received_on`` falls in the period.
``settled`` / ``failed`` / ``withdrawn``
    cases whose ``outcome`` is that one and whose ``outcome_on`` falls in the period. For a
    settled case that is the day the agreement was signed (for an imported case, its
    ``closed_on``); for the others the day mediation failed or the application was withdrawn.
    A case received in one period and settled in the next counts as received in the first and
    settled in the second. Rejected cases count as received only.
``claimed_amount``
    the sum of what was claimed in the cases *received* in the period.
``agreed_amount``
    the sum of the agreed amounts of the cases *settled* in the period.
``paid_amount``
    the sum of what has been paid, as of the moment of the report, on the cases *settled* in
    the period (so ``agreed_amount - paid_amount`` is what those settlements still owe).

Beyond the command line's columns the supervisors' pages show (DESIGN §4):

``accepted``
    cases accepted (受理) in the period: by the day of acceptance; an imported case, which
    carries no such day, counts on the day it was received unless it was rejected.
``overdue``
    cases *received* in the period that went past the 15-day mediation period (劳动争议调解
    仲裁法 Art. 14) without agreement: ended (settled, failed or withdrawn) on a later day
    than the period's last day, or still being mediated after it as of ``today``.
``outstanding_amount``
    ``agreed_amount - paid_amount``.
``success rate``
    settled ÷ (settled + failed + withdrawn): the share of the mediations that ended in the
    period which ended with an agreement (rejected applications were never mediated).

Corrections approved by a supervisor change the agreement and the case's agreed amount
(:mod:`mediation.supervision.corrections`), so every figure shows corrected amounts.

Every figure is a condition on the case row (:func:`figure_condition`) and every group one
too (:func:`group_condition`): the aggregate query and the list of the cases behind a figure
(:mod:`mediation.reports.drilldown`) are built from the same conditions, so a figure and its
list always agree.

Amounts are integer fen; :mod:`mediation.reports.render` shows them as yuan.

Groups (``by``):

``level``
    ``district`` (区级) or ``grassroots`` (基层 = town and enterprise organisations), by the
    level of the case's organisation — both rows always appear, as in the unions' statistics.
``organization``
    the organisation's name.
``zone``
    the zone of the case's town; a case without a town, or whose town has no zone, is in
    ``未分片``.
``mediator``
    the mediator's display name (two mediators with the same name are told apart by their
    user name); a case without one is in ``未指派``.
``category``
    the dispute category identifier (``wages``, ``overtime``, …).

Each row also carries ``key``, which names its group in URLs: ``district``/``grassroots``,
the organisation's, zone's or mediator's id (``none`` for 未分片/未指派), the category
identifier.

Except for the two ``level`` rows, only groups with something in the period appear. Rows are
sorted by group (code-point order, so the same on SQLite and PostgreSQL), with ``未分片`` /
``未指派`` last. The ``total`` row adds up the group rows: every case is in exactly one group, so
it is the district's figure for the period.

All counting and summing happens in one SQL query (``GROUP BY`` with conditional sums over
the cases received or ended in the period); only the ``total`` row is added up from the group
rows it returns, in integer fen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import ColumnElement, Date, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from mediation import clock
from mediation.cases.enums import Level, Outcome
from mediation.errors import InvalidInput
from mediation.tables import CASE, ORGANIZATION, TOWN, USER, ZONE
from workflows.case import MEDIATING_STATES
from workflows.deadlines import MEDIATION_WINDOW_DAYS

GROUPINGS = ("level", "organization", "zone", "mediator", "category")
COLUMNS = (
    "group",
    "received",
    "settled",
    "failed",
    "withdrawn",
    "claimed_amount",
    "agreed_amount",
    "paid_amount",
)
TOTAL = "total"
NO_ZONE = "未分片"
NO_MEDIATOR = "未指派"
LEVEL_GROUPS = ("district", "grassroots")
#: The ``key`` of 未分片 and 未指派 in URLs.
NO_KEY: Final = "none"

#: The counts of a row (each a number of cases) and its amounts (fen), in display order.
COUNTS: Final = ("received", "accepted", "settled", "failed", "withdrawn", "overdue")
AMOUNTS: Final = ("claimed_amount", "agreed_amount", "paid_amount", "outstanding_amount")
#: Every figure a supervisor can drill down into.
FIGURES: Final = COUNTS + AMOUNTS
_NUMBERS: Final = (
    "received",
    "settled",
    "failed",
    "withdrawn",
    "claimed_fen",
    "agreed_fen",
    "paid_fen",
    "accepted",
    "overdue",
)


@dataclass(frozen=True)
class ReportRow:
    """The figures of one group (amounts in fen)."""

    group: str
    received: int = 0
    settled: int = 0
    failed: int = 0
    withdrawn: int = 0
    claimed_fen: int = 0
    agreed_fen: int = 0
    paid_fen: int = 0
    accepted: int = 0
    overdue: int = 0
    #: The group in URLs (see the module's documentation); empty for the total.
    key: str = ""

    def __add__(self, other: ReportRow) -> ReportRow:
        return _row(self.group, [getattr(self, n) + getattr(other, n) for n in _NUMBERS], self.key)

    @property
    def outstanding_fen(self) -> int:
        """Return what the settlements of the period still owe: agreed minus paid."""
        return self.agreed_fen - self.paid_fen

    @property
    def ended(self) -> int:
        """Return how many mediations ended in the period (settled, failed or withdrawn)."""
        return self.settled + self.failed + self.withdrawn

    @property
    def success_permille(self) -> int | None:
        """Return the success rate in tenths of a percent (half up), None when none ended."""
        if not self.ended:
            return None
        return (self.settled * 2000 + self.ended) // (2 * self.ended)

    @property
    def success_rate(self) -> str:
        """Return the success rate as text: "66.7%" ("—" when no mediation ended)."""
        permille = self.success_permille
        return "—" if permille is None else f"{permille // 10}.{permille % 10}%"

    def figure(self, name: str) -> int:
        """Return a figure by its name in :data:`FIGURES` (amounts in fen)."""
        if name == "outstanding_amount":
            return self.outstanding_fen
        if name in AMOUNTS:
            return int(getattr(self, name.replace("_amount", "_fen")))
        if name in COUNTS:
            return int(getattr(self, name))
        raise InvalidInput(f"figure: {name!r} is not one of {', '.join(FIGURES)}")


def row_of(group: str, key: str, values: Mapping[str, int]) -> ReportRow:
    """Build a row from its figures by name (``received``, ``claimed_fen`` …; missing: 0)."""
    return _row(group, [int(values.get(name, 0)) for name in _NUMBERS], key)


def _row(group: str, numbers: Sequence[int], key: str) -> ReportRow:
    """Build a row from its numbers in the order of :data:`_NUMBERS`."""
    received, settled, failed, withdrawn, claimed, agreed, paid, accepted, overdue = numbers
    return ReportRow(
        group,
        received=received,
        settled=settled,
        failed=failed,
        withdrawn=withdrawn,
        claimed_fen=claimed,
        agreed_fen=agreed,
        paid_fen=paid,
        accepted=accepted,
        overdue=overdue,
        key=key,
    )


@dataclass(frozen=True)
class Report:
    """A period's figures by one grouping, with the total."""

    date_from: date
    date_to: date
    by: str
    rows: tuple[ReportRow, ...]
    total: ReportRow


# --------------------------------------------------------------------------- conditions


class _PlusDays(FunctionElement[date]):
    """``column + days`` as a date, on SQLite and PostgreSQL."""

    type = Date()
    name = "plus_days"
    inherit_cache = True


@compiles(_PlusDays, "sqlite")
def _plus_days_sqlite(element: _PlusDays, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = element.clauses
    # Dates are stored as YYYY-MM-DD text; date() answers in the same form.
    return (
        f"date({compiler.process(column, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"
    )


@compiles(_PlusDays)
def _plus_days_default(element: _PlusDays, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = element.clauses
    return f"({compiler.process(column, **kw)} + {compiler.process(days, **kw)})"


_ENDINGS: Final = (Outcome.SETTLED.value, Outcome.FAILED.value, Outcome.WITHDRAWN.value)
_MEDIATING: Final = sorted(s.value for s in MEDIATING_STATES)


def figure_condition(
    figure: str, date_from: date, date_to: date, today: date
) -> ColumnElement[bool]:
    """Return the condition on a case row that puts it behind ``figure`` in the period."""
    received = CASE.c.received_on.between(date_from, date_to)
    ended_in_period = CASE.c.outcome_on.between(date_from, date_to)

    def ended(outcome: Outcome) -> ColumnElement[bool]:
        return and_(CASE.c.outcome == outcome.value, ended_in_period)

    if figure in ("received", "claimed_amount"):
        return received
    if figure in ("settled", "agreed_amount", "paid_amount"):
        return ended(Outcome.SETTLED)
    if figure == "outstanding_amount":
        return and_(ended(Outcome.SETTLED), CASE.c.agreed_fen != CASE.c.paid_fen)
    if figure == "failed":
        return ended(Outcome.FAILED)
    if figure == "withdrawn":
        return ended(Outcome.WITHDRAWN)
    if figure == "accepted":
        return or_(
            CASE.c.accepted_on.between(date_from, date_to), and_(imported_acceptance(), received)
        )
    if figure == "overdue":
        return and_(received, overdue_if_received(today))
    raise InvalidInput(f"figure: {figure!r} is not one of {', '.join(FIGURES)}")


def imported_acceptance() -> ColumnElement[bool]:
    """Return the condition of an imported case that counts as accepted on the day received.

    Imports carry no day of acceptance; every imported case not rejected was accepted.
    """
    return and_(
        CASE.c.imported.is_(True),
        CASE.c.accepted_on.is_(None),
        or_(CASE.c.outcome.is_(None), CASE.c.outcome != Outcome.REJECTED.value),
    )


def overdue_if_received(today: date) -> ColumnElement[bool]:
    """Return the condition of a case (received in the period) that went past 15 days.

    Ended (settled, failed, withdrawn) after ``received_on + 15 days``, or still being
    mediated when ``today`` is past that day (劳动争议调解仲裁法 Art. 14).
    """
    deadline = _PlusDays(CASE.c.received_on, literal_column(str(MEDIATION_WINDOW_DAYS)))
    return or_(
        and_(CASE.c.outcome.in_(_ENDINGS), CASE.c.outcome_on > deadline),
        and_(
            CASE.c.outcome.is_(None),
            CASE.c.state.in_(_MEDIATING),
            # today > received_on + 15 days
            CASE.c.received_on < date.fromordinal(today.toordinal() - MEDIATION_WINDOW_DAYS),
        ),
    )


def relevant_condition(date_from: date, date_to: date) -> ColumnElement[bool]:
    """Return the condition every case counted in the period meets (lets indexes help)."""
    return or_(
        CASE.c.received_on.between(date_from, date_to),
        and_(CASE.c.outcome.in_(_ENDINGS), CASE.c.outcome_on.between(date_from, date_to)),
        CASE.c.accepted_on.between(date_from, date_to),
    )


def _level_key() -> Any:
    # Literal SQL, not bound parameters: PostgreSQL must see the GROUP BY expression and the
    # selected one as the same text.
    return case(
        (
            ORGANIZATION.c.level == literal_column(f"'{Level.DISTRICT.value}'"),
            literal_column("'district'"),
        ),
        else_=literal_column("'grassroots'"),
    )


def source_for(by: str) -> Any:
    """Return the joins a grouping needs (cases with their organisation, zone or mediator)."""
    if by in ("level", "organization"):
        return CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
    if by == "zone":
        return CASE.outerjoin(TOWN, TOWN.c.id == CASE.c.town_id).outerjoin(
            ZONE, ZONE.c.id == TOWN.c.zone_id
        )
    if by == "mediator":
        return CASE.outerjoin(USER, USER.c.id == CASE.c.mediator_id)
    return CASE


def check_grouping(by: str) -> str:
    """Return ``by`` if it is a grouping; raise InvalidInput naming the groupings otherwise."""
    if by not in GROUPINGS:
        raise InvalidInput(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    return by


def check_period(date_from: date, date_to: date) -> None:
    """Refuse a period that ends before it starts."""
    if date_from > date_to:
        raise InvalidInput(
            f"period: starts on {date_from.isoformat()}, after it ends on {date_to.isoformat()}"
        )


def group_condition(by: str, key: str) -> ColumnElement[bool] | None:
    """Return the condition that selects one group's cases (None for every case: the total).

    Refuses a key that cannot name a group of this grouping.
    """
    check_grouping(by)
    if key in ("", TOTAL):
        return None
    if by == "level":
        if key not in LEVEL_GROUPS:
            raise InvalidInput(f"group: {key!r} is not one of {', '.join(LEVEL_GROUPS)}")
        district = ORGANIZATION.c.level == Level.DISTRICT.value
        return district if key == "district" else ~district
    if by == "category":
        if len(key) > 30 or not key.replace("_", "").isalpha():
            raise InvalidInput(f"group: {key[:40]!r} is not a dispute category")
        return CASE.c.category == key
    if by in ("zone", "mediator") and key == NO_KEY:
        return ZONE.c.id.is_(None) if by == "zone" else CASE.c.mediator_id.is_(None)
    if not key.isdigit() or len(key) > 10:
        raise InvalidInput(f"group: {key[:40]!r} is not the id of a group of {by}")
    column = {"organization": ORGANIZATION.c.id, "zone": ZONE.c.id, "mediator": USER.c.id}[by]
    return column == int(key)


# --------------------------------------------------------------------------- the report


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(condition: ColumnElement[bool], column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def build_report(
    session: Session, *, date_from: date, date_to: date, by: str, today: date | None = None
) -> Report:
    """Count and sum the cases of ``[date_from, date_to]`` by ``by``, in one query.

    ``today`` (Beijing; default now) decides which cases still being mediated are overdue.
    """
    check_grouping(by)
    check_period(date_from, date_to)
    today = today or clock.today()

    def condition(figure: str) -> ColumnElement[bool]:
        return figure_condition(figure, date_from, date_to, today)

    figures = (
        _count(condition("received")),
        _count(condition("settled")),
        _count(condition("failed")),
        _count(condition("withdrawn")),
        _sum(condition("claimed_amount"), CASE.c.claimed_fen),
        _sum(condition("agreed_amount"), CASE.c.agreed_fen),
        _sum(condition("paid_amount"), CASE.c.paid_fen),
        _count(condition("accepted")),
        _count(condition("overdue")),
    )

    keys = group_keys(by)

    query = (
        select(*keys, *figures)
        .select_from(source_for(by))
        .where(relevant_condition(date_from, date_to))
        .group_by(*keys)
    )
    results = session.execute(query).all()

    rows: dict[str, ReportRow] = {}
    if by == "level":
        rows = {group: ReportRow(group, key=group) for group in LEVEL_GROUPS}
    width = len(keys)
    labels = group_labels(by, [tuple(result[:width]) for result in results])
    for result in results:
        key, label = labels[tuple(result[:width])]
        rows[label] = _row(label, [int(value) for value in result[width:]], key)

    ordered = tuple(
        sorted(rows.values(), key=lambda r: (r.group in (NO_ZONE, NO_MEDIATOR), r.group))
    )
    total = ReportRow(TOTAL)
    for row in ordered:
        total = total + row
    return Report(date_from=date_from, date_to=date_to, by=by, rows=ordered, total=total)


def group_keys(by: str) -> list[Any]:
    """Return the columns that tell the groups of ``by`` apart (the first one is the key)."""
    if by == "level":
        return [_level_key()]
    if by == "organization":
        return [ORGANIZATION.c.id, ORGANIZATION.c.name]
    if by == "zone":
        return [ZONE.c.id, ZONE.c.name]
    if by == "mediator":
        return [USER.c.id, USER.c.display_name, USER.c.username]
    return [CASE.c.category]


def group_labels(
    by: str, groups: Sequence[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[str, str]]:
    """Return (key, label) of each group, from the values of :func:`group_keys`.

    The label is what the report shows: the level, the name of the organisation or zone, the
    mediator's display name (with the user name where two mediators share one), the category;
    未分片 / 未指派 for cases without a zone or a mediator (key ``none``).
    """
    names: dict[str, int] = {}
    if by == "mediator":
        for values in set(groups):
            if values[0] is not None:
                names[values[1]] = names.get(values[1], 0) + 1
    labels: dict[tuple[Any, ...], tuple[str, str]] = {}
    for values in groups:
        if by in ("organization", "zone", "mediator") and values[0] is None:
            labels[values] = (NO_KEY, NO_ZONE if by == "zone" else NO_MEDIATOR)
        elif by == "mediator":
            display_name, username = values[1], values[2]
            label = display_name if names[display_name] == 1 else f"{display_name} ({username})"
            labels[values] = (str(values[0]), label)
        elif by in ("organization", "zone"):
            labels[values] = (str(values[0]), str(values[1]))
        else:
            labels[values] = (str(values[0]), str(values[0]))
    return labels
