"""Periods of the supervisors' figures: Beijing calendar days, named in URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mediation import clock
from mediation.errors import InvalidInput
from mediation.supervision.periods import (
    Period,
    current_quarter,
    of_kind,
    parse_period,
    period_from_args,
    trend_months,
)


@pytest.mark.parametrize(
    ("value", "kind", "start", "end", "label_zh"),
    [
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024年2月"),
        ("2024Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31), "2024年第一季度"),
        ("2024q4", "quarter", date(2024, 10, 1), date(2024, 12, 31), "2024年第四季度"),
        ("2024H2", "half", date(2024, 7, 1), date(2024, 12, 31), "2024年下半年"),
        ("2024", "year", date(2024, 1, 1), date(2024, 12, 31), "2024年"),
    ],
)
def test_parse_period_names_the_calendar_days(
    value: str, kind: str, start: date, end: date, label_zh: str
) -> None:
    period = parse_period(value)
    assert (period.kind, period.start, period.end, period.label_zh) == (kind, start, end, label_zh)
    assert parse_period(period.key) == period


def test_parse_period_range() -> None:
    period = parse_period("range", date_from="2024-03-15", date_to="2024-04-14")
    assert (period.start, period.end, period.days) == (date(2024, 3, 15), date(2024, 4, 14), 31)
    assert period.args == {"period": "range", "from": "2024-03-15", "to": "2024-04-14"}
    assert period_from_args({"from": "2024-03-15", "to": "2024-04-14"}) == period


@pytest.mark.parametrize(
    ("value", "extra", "message"),
    [
        ("2024Q5", {}, "period: '2024Q5' is not one of"),
        ("2024-13", {}, "period: '2024-13' names no month"),
        ("1999", {}, "period: the year 1999 is outside 2000–2099"),
        ("last week", {}, "period: 'last week' is not one of"),
        ("range", {"date_from": "2024-03-01"}, "period: a range needs both from and to"),
        (
            "range",
            {"date_from": "2024-03-01", "date_to": "2024-3-9"},
            "to: '2024-3-9' is not a date",
        ),
        (
            "range",
            {"date_from": "2024-04-01", "date_to": "2024-03-31"},
            "period: starts on 2024-04-01, after it ends on 2024-03-31",
        ),
    ],
)
def test_parse_period_refuses_bad_input(value: str, extra: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        parse_period(value, **extra)


def test_shifted_moves_by_whole_periods() -> None:
    assert parse_period("2024Q1").shifted(-1) == parse_period("2023Q4")
    assert parse_period("2024-12").shifted(1) == parse_period("2025-01")
    assert parse_period("2024H2").shifted(1) == parse_period("2025H1")
    assert parse_period("2024").shifted(-2) == parse_period("2022")
    week = Period("range", date(2024, 3, 1), date(2024, 3, 7))
    assert week.shifted(1) == Period("range", date(2024, 3, 8), date(2024, 3, 14))


def test_default_period_is_the_quarter_of_today_in_beijing(monkeypatch: pytest.MonkeyPatch) -> None:
    # 31 March 2024 17:00 UTC is 1 April 01:00 in Beijing: the second quarter.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2024, 3, 31, 17, 0, tzinfo=UTC))
    assert period_from_args({}) == of_kind("quarter", date(2024, 4, 1))
    assert current_quarter() == parse_period("2024Q2")
    # 15:59 UTC is 23:59 in Beijing: still the first quarter.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2024, 3, 31, 15, 59, tzinfo=UTC))
    assert period_from_args({"period": ""}) == parse_period("2024Q1")


def test_trend_months_of_a_short_period_are_the_year_up_to_it() -> None:
    assert trend_months(parse_period("2024Q2")) == [(2024, 4), (2024, 5), (2024, 6)]
    months = trend_months(parse_period("2024-02"))
    assert months[0] == (2023, 3) and months[-1] == (2024, 2) and len(months) == 12
    long = Period("range", date(2010, 1, 1), date(2024, 12, 31))
    assert len(trend_months(long)) == 60 and trend_months(long)[-1] == (2024, 12)
