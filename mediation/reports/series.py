"""The report of a period, split by month or quarter as well as by group: a series.

:func:`build_series` returns, for each group and each month (or quarter) the period touches,
the figures :func:`mediation.reports.figures.build_report` gives for that group and that month
(clipped to the period) — in three aggregate queries for the whole period, not one per
month: each figure belongs to the month of its own day (received, accepted, or ended), so the
cases are grouped by the month of each day in turn:

1. by the month of ``received_on``: received, claimed, overdue, and the acceptances of
   imported cases (which count on the day received);
2. by the month of ``outcome_on``: settled, failed, withdrawn, agreed, paid;
3. by the month of ``accepted_on``: accepted.

The conditions are the report's own (:func:`~mediation.reports.figures.figure_condition`), so
a month of the series equals the report of that month; the tests check it. The month (or
quarter) is computed in SQL from the date — ``year * 12 + month - 1`` (divided by 3 for a
quarter) — rendered for SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Integer, case, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from mediation import clock
from mediation.cases.enums import Outcome
from mediation.errors import InvalidInput
from mediation.reports.figures import (
    NO_KEY,
    NO_MEDIATOR,
    NO_ZONE,
    ReportRow,
    check_grouping,
    check_period,
    group_condition,
    group_keys,
    group_labels,
    imported_acceptance,
    overdue_if_received,
    row_of,
    source_for,
)
from mediation.tables import CASE, ORGANIZATION, TOWN, USER, ZONE

BUCKETS: Final = ("month", "quarter")
_ENDINGS: Final = (Outcome.SETTLED.value, Outcome.FAILED.value, Outcome.WITHDRAWN.value)


class _MonthIndex(FunctionElement[int]):
    """``year * 12 + month - 1`` of a date."""

    type = Integer()
    name = "month_index"
    inherit_cache = True


class _QuarterIndex(FunctionElement[int]):
    """``(year * 12 + month - 1) / 3`` of a date (integer division)."""

    type = Integer()
    name = "quarter_index"
    inherit_cache = True


def _month_sql(compiler: SQLCompiler, element: Any, kw: Any, sqlite: bool) -> str:
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    if sqlite:
        return (
            f"(CAST(strftime('%Y', {value}) AS INTEGER) * 12 "
            f"+ CAST(strftime('%m', {value}) AS INTEGER) - 1)"
        )
    return (
        f"(CAST(EXTRACT(YEAR FROM {value}) AS INTEGER) * 12 "
        f"+ CAST(EXTRACT(MONTH FROM {value}) AS INTEGER) - 1)"
    )


@compiles(_MonthIndex, "sqlite")
def _month_sqlite(element: _MonthIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return _month_sql(compiler, element, kw, sqlite=True)


@compiles(_MonthIndex)
def _month_default(element: _MonthIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return _month_sql(compiler, element, kw, sqlite=False)


@compiles(_QuarterIndex, "sqlite")
def _quarter_sqlite(element: _QuarterIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_month_sql(compiler, element, kw, sqlite=True)} / 3)"


@compiles(_QuarterIndex)
def _quarter_default(element: _QuarterIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_month_sql(compiler, element, kw, sqlite=False)} / 3)"


@dataclass(frozen=True)
class Bucket:
    """A month or quarter, clipped to the period of the series."""

    kind: str
    index: int
    start: date
    end: date

    @property
    def label(self) -> str:
        """Return ``2026-03`` for a month, ``2026Q1`` for a quarter."""
        if self.kind == "month":
            return f"{self.index // 12}-{self.index % 12 + 1:02d}"
        return f"{self.index // 4}Q{self.index % 4 + 1}"


def _index(day: date, kind: str) -> int:
    month = day.year * 12 + day.month - 1
    return month if kind == "month" else month // 3


def buckets(date_from: date, date_to: date, kind: str) -> list[Bucket]:
    """Return the months or quarters from ``date_from`` to ``date_to``, clipped to them."""
    if kind not in BUCKETS:
        raise InvalidInput(f"bucket: {kind!r} is not one of {', '.join(BUCKETS)}")
    check_period(date_from, date_to)
    months = 1 if kind == "month" else 3
    result = []
    for index in range(_index(date_from, kind), _index(date_to, kind) + 1):
        first = index * months
        start = date(first // 12, first % 12 + 1, 1)
        following = first + months
        end = date(following // 12, following % 12 + 1, 1) - timedelta(days=1)
        result.append(Bucket(kind, index, max(start, date_from), min(end, date_to)))
    return result


@dataclass(frozen=True)
class Series:
    """The figures of each group in each month or quarter of a period."""

    date_from: date
    date_to: date
    by: str | None
    buckets: tuple[Bucket, ...]
    #: (group key, bucket index) -> the figures; the key is "" without a grouping.
    cells: dict[tuple[str, int], ReportRow]
    #: group key -> its label (as the report names it).
    labels: dict[str, str]

    def row(self, key: str, bucket: Bucket) -> ReportRow:
        """Return the figures of a group in a month or quarter (zeros when nothing happened)."""
        return self.cells.get((key, bucket.index), ReportRow(self.labels.get(key, key), key=key))

    def total(self, bucket: Bucket) -> ReportRow:
        """Return the figures of every group together in a month or quarter."""
        total = ReportRow("total")
        for (_key, index), row in self.cells.items():
            if index == bucket.index:
                total = total + row
        return total


def _sum(condition: ColumnElement[bool], value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _keys(by: str | None) -> tuple[list[Any], Any]:
    """Return the key column of a grouping read from the case row itself, and the joins.

    Lighter than the report's keys (:func:`~mediation.reports.figures.group_keys`): the
    names of organisations, zones and mediators are read once afterwards, not joined to
    every case.
    """
    if by is None:
        return [], CASE
    if by == "level":
        return group_keys("level"), source_for("level")
    if by == "organization":
        return [CASE.c.organization_id], CASE
    if by == "zone":
        return [TOWN.c.zone_id], CASE.outerjoin(TOWN, TOWN.c.id == CASE.c.town_id)
    if by == "mediator":
        return [CASE.c.mediator_id], CASE
    return [CASE.c.category], CASE


def _group_condition(by: str, key: str) -> ColumnElement[bool] | None:
    """Return the condition of one group on the light keys (see :func:`_keys`)."""
    condition = group_condition(by, key)  # refuses a bad key
    if condition is None or by in ("level", "category"):
        return condition
    column = {
        "organization": CASE.c.organization_id,
        "zone": TOWN.c.zone_id,
        "mediator": CASE.c.mediator_id,
    }[by]
    return column.is_(None) if key == NO_KEY else column == int(key)


def _names(session: Session, by: str, ids: set[Any]) -> dict[Any, tuple[Any, ...]]:
    """Return the report's key values (id, name[, user name]) of the groups' ids."""
    found: dict[Any, tuple[Any, ...]] = {
        None: (None, None, None) if by == "mediator" else (None, None)
    }
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return found
    if by == "organization":
        query = select(ORGANIZATION.c.id, ORGANIZATION.c.name).where(ORGANIZATION.c.id.in_(wanted))
    elif by == "zone":
        query = select(ZONE.c.id, ZONE.c.name).where(ZONE.c.id.in_(wanted))
    else:
        query = select(USER.c.id, USER.c.display_name, USER.c.username).where(USER.c.id.in_(wanted))
    found.update({row[0]: tuple(row) for row in session.execute(query)})
    return found


def build_series(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    by: str | None,
    bucket: str = "quarter",
    group: str | None = None,
    today: date | None = None,
) -> Series:
    """Return the figures by group (``by``, or none) and by month or quarter, in three queries.

    ``group`` restricts the series to one group of ``by`` (its key, as in the report).
    """
    periods = buckets(date_from, date_to, bucket)
    today = today or clock.today()
    if by is not None:
        check_grouping(by)
    keys, source = _keys(by)
    index_of = _MonthIndex if bucket == "month" else _QuarterIndex
    where_group: list[ColumnElement[bool]] = []
    if group is not None:
        if by is None:
            raise InvalidInput("group: a group needs a grouping (by)")
        selected = _group_condition(by, group)
        if selected is not None:
            where_group.append(selected)
    width = len(keys)
    # GROUP BY the positions of the key and the month: the month is computed once a row.
    positions: list[Any] = [literal_column(str(n)) for n in range(1, width + 2)]

    first = (
        select(
            *keys,
            index_of(CASE.c.received_on),
            func.count(),
            func.coalesce(func.sum(CASE.c.claimed_fen), 0),
            _sum(overdue_if_received(today)),
            _sum(imported_acceptance()),
        )
        .select_from(source)
        .where(CASE.c.received_on.between(date_from, date_to), *where_group)
        .group_by(*positions)
    )
    settled = CASE.c.outcome == Outcome.SETTLED.value
    second = (
        select(
            *keys,
            index_of(CASE.c.outcome_on),
            _sum(settled),
            _sum(CASE.c.outcome == Outcome.FAILED.value),
            _sum(CASE.c.outcome == Outcome.WITHDRAWN.value),
            _sum(settled, CASE.c.agreed_fen),
            _sum(settled, CASE.c.paid_fen),
        )
        .select_from(source)
        .where(
            CASE.c.outcome.in_(_ENDINGS),
            CASE.c.outcome_on.between(date_from, date_to),
            *where_group,
        )
        .group_by(*positions)
    )
    third = (
        select(*keys, index_of(CASE.c.accepted_on), func.count())
        .select_from(source)
        .where(CASE.c.accepted_on.between(date_from, date_to), *where_group)
        .group_by(*positions)
    )
    results = [
        (query_number, result)
        for query_number, query in enumerate((first, second, third))
        for result in session.execute(query).all()
    ]
    if by is None:
        labels: dict[Any, tuple[str, str]] = {None: ("", "total")}
    elif by in ("level", "category"):
        labels = {
            values[0]: label
            for values, label in group_labels(by, [tuple(r[:1]) for _n, r in results]).items()
        }
    else:
        ids = {r[0] for _n, r in results}
        names = _names(session, by, ids)  # every id names a row (foreign keys)
        by_values = group_labels(by, [names[i] for i in ids])
        labels = {i: by_values[names[i]] for i in ids}

    cells: dict[tuple[str, int], dict[str, int]] = {}
    names_of: dict[str, str] = {}
    for query_number, result in results:
        key, label = labels[result[0] if width else None]
        names_of[key] = label
        values = cells.setdefault((key, int(result[width])), {})
        numbers = [int(v) for v in result[width + 1 :]]
        if query_number == 0:
            received_n, claimed, overdue, accepted = numbers
            values.update(received=received_n, claimed_fen=claimed, overdue=overdue)
            values["accepted"] = values.get("accepted", 0) + accepted
        elif query_number == 1:
            settled_n, failed, withdrawn, agreed, paid = numbers
            values.update(
                settled=settled_n,
                failed=failed,
                withdrawn=withdrawn,
                agreed_fen=agreed,
                paid_fen=paid,
            )
        else:
            values["accepted"] = values.get("accepted", 0) + numbers[0]
    rows = {
        (key, index): row_of(names_of[key], key, values) for (key, index), values in cells.items()
    }
    return Series(date_from, date_to, by, tuple(periods), rows, names_of)


def keys_in_order(series: Series) -> list[str]:
    """Return the group keys of a series, ordered as the report orders its rows."""
    return sorted(
        series.labels,
        key=lambda k: (series.labels[k] in (NO_ZONE, NO_MEDIATOR), series.labels[k]),
    )
