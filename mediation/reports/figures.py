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

Except for the two ``level`` rows, only groups with something in the period appear. Rows are
sorted by group (code-point order, so the same on SQLite and PostgreSQL), with ``未分片`` /
``未指派`` last. The ``total`` row adds up the group rows: every case is in exactly one group, so
it is the district's figure for the period.

All counting and summing happens in one SQL query (``GROUP BY`` with conditional sums over
the cases received or ended in the period); only the ``total`` row is added up from the group
rows it returns, in integer fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlmodel import Session

from mediation.cases.enums import Level, Outcome
from mediation.errors import InvalidInput
from mediation.tables import CASE, ORGANIZATION, TOWN, USER, ZONE

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

    def __add__(self, other: ReportRow) -> ReportRow:
        return ReportRow(
            self.group,
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)[1:]),
        )


@dataclass(frozen=True)
class Report:
    """A period's figures by one grouping, with the total."""

    date_from: date
    date_to: date
    by: str
    rows: tuple[ReportRow, ...]
    total: ReportRow


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(condition: ColumnElement[bool], column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def build_report(session: Session, *, date_from: date, date_to: date, by: str) -> Report:
    """Count and sum the cases of ``[date_from, date_to]`` by ``by``, in one query."""
    if by not in GROUPINGS:
        raise InvalidInput(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    if date_from > date_to:
        raise InvalidInput(
            f"period: starts on {date_from.isoformat()}, after it ends on {date_to.isoformat()}"
        )

    received = CASE.c.received_on.between(date_from, date_to)
    ended_in_period = CASE.c.outcome_on.between(date_from, date_to)

    def ended(outcome: Outcome) -> ColumnElement[bool]:
        return and_(CASE.c.outcome == outcome.value, ended_in_period)

    settled = ended(Outcome.SETTLED)
    figures = (
        _count(received),
        _count(settled),
        _count(ended(Outcome.FAILED)),
        _count(ended(Outcome.WITHDRAWN)),
        _sum(received, CASE.c.claimed_fen),
        _sum(settled, CASE.c.agreed_fen),
        _sum(settled, CASE.c.paid_fen),
    )
    counted_outcomes = [Outcome.SETTLED.value, Outcome.FAILED.value, Outcome.WITHDRAWN.value]
    relevant = or_(received, and_(CASE.c.outcome.in_(counted_outcomes), ended_in_period))

    keys: list[Any]
    source: Any = CASE
    if by == "level":
        # Literal SQL, not bound parameters: PostgreSQL must see the GROUP BY expression and
        # the selected one as the same text.
        keys = [
            case(
                (
                    ORGANIZATION.c.level == literal_column(f"'{Level.DISTRICT.value}'"),
                    literal_column("'district'"),
                ),
                else_=literal_column("'grassroots'"),
            )
        ]
        source = CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
    elif by == "organization":
        keys = [ORGANIZATION.c.name]
        source = CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
    elif by == "zone":
        keys = [ZONE.c.name]
        source = CASE.outerjoin(TOWN, TOWN.c.id == CASE.c.town_id).outerjoin(
            ZONE, ZONE.c.id == TOWN.c.zone_id
        )
    elif by == "mediator":
        keys = [USER.c.id, USER.c.display_name, USER.c.username]
        source = CASE.outerjoin(USER, USER.c.id == CASE.c.mediator_id)
    else:
        keys = [CASE.c.category]

    query = select(*keys, *figures).select_from(source).where(relevant).group_by(*keys)
    results = session.execute(query).all()

    rows: dict[str, ReportRow] = {}
    if by == "level":
        rows = {group: ReportRow(group) for group in LEVEL_GROUPS}
    names = _mediator_labels(results) if by == "mediator" else {}
    for result in results:
        width = len(keys)
        label = names[result[0]] if by == "mediator" else result[0]
        if label is None:
            label = NO_ZONE if by == "zone" else NO_MEDIATOR
        numbers = (int(value) for value in result[width:])
        rows[label] = ReportRow(label, *numbers)

    ordered = tuple(
        sorted(rows.values(), key=lambda r: (r.group in (NO_ZONE, NO_MEDIATOR), r.group))
    )
    total = ReportRow(TOTAL)
    for row in ordered:
        total = total + row
    return Report(date_from=date_from, date_to=date_to, by=by, rows=ordered, total=total)


def _mediator_labels(results: Sequence[Any]) -> dict[int | None, str | None]:
    """Name each mediator by display name, adding the user name where two names collide."""
    counts: dict[str, int] = {}
    for result in results:
        if result[0] is not None:
            counts[result[1]] = counts.get(result[1], 0) + 1
    labels: dict[int | None, str | None] = {None: None}
    for result in results:
        if result[0] is not None:
            user_id, display_name, username = result[0], result[1], result[2]
            labels[user_id] = (
                display_name if counts[display_name] == 1 else f"{display_name} ({username})"
            )
    return labels
