"""The monthly trend of a period: received and settled cases and agreed amounts per month.

The months of a series (:func:`mediation.reports.series.build_series`): three aggregate
queries with the report's own conditions, so a month of the trend has the figures the report
of that month has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from mediation import clock
from mediation.reports.series import build_series


@dataclass(frozen=True)
class Month:
    """The figures of one month."""

    year: int
    month: int
    received: int
    settled: int
    agreed_fen: int

    @property
    def label(self) -> str:
        """Return the month as ``2026-03``."""
        return f"{self.year}-{self.month:02d}"

    @property
    def start(self) -> date:
        """Return the month's first day."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """Return the month's last day."""
        return _month_end(self.year, self.month)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def monthly_trend(
    session: Session, months: Sequence[tuple[int, int]], today: date | None = None
) -> list[Month]:
    """Return the figures of each (year, month), in the order given (consecutive months)."""
    if not months:
        return []
    series = build_series(
        session,
        date_from=date(*months[0], 1),
        date_to=_month_end(*months[-1]),
        by=None,
        bucket="month",
        today=today or clock.today(),
    )
    by_index = {bucket.index: series.total(bucket) for bucket in series.buckets}
    result = []
    for year, month in months:
        row = by_index.get(year * 12 + month - 1)
        if row is None:
            raise ValueError(f"months must be consecutive: {year}-{month:02d} is not")
        result.append(Month(year, month, row.received, row.settled, row.agreed_fen))
    return result
