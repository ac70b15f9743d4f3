"""The period a supervisor's figures cover: a month, quarter, half-year, year or any range.

Periods are Asia/Shanghai calendar days, both ends included: a case signed at 00:30 Beijing
time on 1 April (16:30 UTC on 31 March) belongs to the second quarter, because the case
engine records the Beijing day (``outcome_on``, ``received_on``). The default is the current
quarter, of today in Beijing.

A period is named in URLs by ``period``: ``2026-03`` (a month), ``2026Q1`` (a quarter),
``2026H1`` (a half-year), ``2026`` (a year), or ``range`` with ``from`` and ``to``
(``YYYY-MM-DD``). Anything else is refused with a message that says what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from mediation import clock
from mediation.errors import InvalidInput

KINDS: Final = ("month", "quarter", "half", "year", "range")

#: The earliest and latest years a period may name (typos such as 0202 or 20260 are refused).
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2099

_MONTH = re.compile(r"\A(?P<year>\d{4})-(?P<month>\d{2})\Z")
_QUARTER = re.compile(r"\A(?P<year>\d{4})[Qq](?P<quarter>[1-4])\Z")
_HALF = re.compile(r"\A(?P<year>\d{4})[Hh](?P<half>[12])\Z")
_YEAR = re.compile(r"\A(?P<year>\d{4})\Z")

ACCEPTED = "2026-03 (month), 2026Q1 (quarter), 2026H1 (half-year), 2026 (year) or range"


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` to ``end`` (both included), and how the period was named."""

    kind: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(
                f"period: starts on {self.start.isoformat()}, after it ends on "
                f"{self.end.isoformat()}"
            )

    @property
    def key(self) -> str:
        """Return the ``period`` URL value that names this period."""
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{self.start.year}H{1 if self.start.month == 1 else 2}"
        if self.kind == "year":
            return str(self.start.year)
        return "range"

    @property
    def args(self) -> dict[str, Any]:
        """Return the URL query arguments that name this period."""
        if self.kind == "range":
            return {
                "period": "range",
                "from": self.start.isoformat(),
                "to": self.end.isoformat(),
            }
        return {"period": self.key}

    @property
    def label_zh(self) -> str:
        """Return the period as Chinese statistics name it: 2026年第一季度, 2026年3月 …"""
        year = self.start.year
        if self.kind == "month":
            return f"{year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        if self.kind == "half":
            return f"{year}年{'上' if self.start.month == 1 else '下'}半年"
        if self.kind == "year":
            return f"{year}年"
        return f"{self.start.isoformat()}至{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """Return the period in the ISO-like form used in file names and English pages."""
        if self.kind == "range":
            return f"{self.start.isoformat()} – {self.end.isoformat()}"
        return self.key

    @property
    def days(self) -> int:
        """Return how many days the period has."""
        return (self.end - self.start).days + 1

    def shifted(self, steps: int) -> Period:
        """Return the period ``steps`` periods of the same kind later (earlier if negative).

        A range moves by its own length.
        """
        if self.kind == "range":
            delta = timedelta(days=self.days * steps)
            return Period("range", self.start + delta, self.end + delta)
        months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[self.kind]
        index = self.start.year * 12 + self.start.month - 1 + months * steps
        return of_kind(self.kind, date(index // 12, index % 12 + 1, 1))

    def months(self) -> list[tuple[int, int]]:
        """Return every (year, month) the period touches, oldest first."""
        first = self.start.year * 12 + self.start.month - 1
        last = self.end.year * 12 + self.end.month - 1
        return [(index // 12, index % 12 + 1) for index in range(first, last + 1)]


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def of_kind(kind: str, day: date) -> Period:
    """Return the month, quarter, half-year or year that contains ``day``."""
    year = day.year
    if kind == "month":
        return Period("month", date(year, day.month, 1), _month_end(year, day.month))
    if kind == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period("quarter", date(year, first, 1), _month_end(year, first + 2))
    if kind == "half":
        first = 1 if day.month <= 6 else 7
        return Period("half", date(year, first, 1), _month_end(year, first + 5))
    if kind == "year":
        return Period("year", date(year, 1, 1), date(year, 12, 31))
    raise InvalidInput(f"period: {kind!r} is not one of month, quarter, half, year")


def current_quarter(today: date | None = None) -> Period:
    """Return the quarter of today in Beijing (the default period)."""
    return of_kind("quarter", today or clock.today())


def _year(text: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"period: the year {year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return year


def _day(text: str, what: str) -> date:
    day = clock.parse_date(text, what=what)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{what}: {text!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    return day


def parse_period(value: str, *, date_from: str = "", date_to: str = "") -> Period:
    """Return the period ``value`` names (with ``date_from``/``date_to`` for a range)."""
    value = value.strip()
    if value == "range":
        if not date_from or not date_to:
            raise InvalidInput("period: a range needs both from and to (YYYY-MM-DD)")
        return Period("range", _day(date_from, "from"), _day(date_to, "to"))
    if match := _MONTH.match(value):
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise InvalidInput(f"period: {value!r} names no month")
        return of_kind("month", date(_year(match["year"]), month, 1))
    if match := _QUARTER.match(value):
        quarter = int(match["quarter"])
        return of_kind("quarter", date(_year(match["year"]), quarter * 3 - 2, 1))
    if match := _HALF.match(value):
        return of_kind("half", date(_year(match["year"]), 1 if match["half"] == "1" else 7, 1))
    if match := _YEAR.match(value):
        return of_kind("year", date(_year(match["year"]), 1, 1))
    raise InvalidInput(f"period: {value[:40]!r} is not one of {ACCEPTED}")


def period_from_args(args: Mapping[str, str], today: date | None = None) -> Period:
    """Return the period named by URL arguments, or the current quarter when none is named.

    ``from`` and ``to`` without ``period`` name a range.
    """
    value = args.get("period", "") or ""
    date_from = args.get("from", "") or ""
    date_to = args.get("to", "") or ""
    if not value.strip():
        if date_from or date_to:
            return parse_period("range", date_from=date_from, date_to=date_to)
        return current_quarter(today)
    return parse_period(value, date_from=date_from, date_to=date_to)


def trend_months(
    period: Period, *, at_least: int = 3, window: int = 12, cap: int = 60
) -> list[tuple[int, int]]:
    """Return the months the monthly trend chart of a period shows.

    The months of the period; for a period of fewer than ``at_least`` months, the ``window``
    months ending with its last month (a trend of one month says nothing); at most the last
    ``cap`` months of a long range.
    """
    months = period.months()
    if len(months) < at_least:
        last = period.end.year * 12 + period.end.month - 1
        months = [(i // 12, i % 12 + 1) for i in range(last - window + 1, last + 1)]
    return months[-cap:]
