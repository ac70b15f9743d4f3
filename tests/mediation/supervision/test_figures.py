"""The supervisors' figures beyond the command line's, the drill-down, and period edges.

On the hand-written import file of ``tests/mediation/test_reports.py`` (34 cases), worked by
hand for the first quarter of 2024 (Q1 = 2024-01-01..03-31), from the file's lines:

- received in Q1 — district: DX-2024-0001, 0002, 0003, 0004, 0022, 0028 (6); grassroots:
  0005, 0006, 0007, 0008, 0009, 0011, 0023, 0024, 0026, 0030, 0032 (11).
- accepted: imports carry no day of acceptance, so a case received in the period and not
  rejected counts: district 6, grassroots 11 - 1 (0006 rejected) = 10.
- overdue (received in Q1, ended after received + 15 days): district 0002 (01-08 → failed
  01-25, deadline 01-23), 0022 (03-25 → 04-10, deadline 04-09), 0028 (02-28 → 03-15,
  deadline 03-14 in a leap year) = 3; grassroots 0005 (02-15 → 03-31), 0007 (03-10 → 04-01),
  0009 (01-15 → 02-01), 0023 (01-02 → 01-30), 0024 (02-20 → withdrawn 03-31), 0030 (03-05 →
  03-29), 0032 (02-26 → withdrawn 04-03) = 7. Not overdue: 0001 (01-05 → 01-20, the last
  day of the period), 0003, 0004, 0008, 0011, 0026; 0006 was rejected.
- outstanding: district 47422.50 - 42422.50 = 5000.00; grassroots 40600.85 - 33100.85 =
  7500.00.
- success rate: district 4 / (4 + 1 + 1) = 66.7%; grassroots 5 / (5 + 2 + 1) = 62.5%;
  total 9 / 14 = 64.3%.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import InvalidInput
from mediation.money import format_yuan
from mediation.reports.drilldown import cases_behind, group_label
from mediation.reports.figures import AMOUNTS, FIGURES, GROUPINGS, ReportRow, build_report
from mediation.reports.series import build_series
from mediation.reports.trend import monthly_trend
from tests.factories import make_case
from tests.mediation.test_reports import Q1, Q2, imported  # noqa: F401  (the fixture)

TODAY = date(2024, 12, 31)


def _report(database: Database, period: tuple[date, date], by: str):  # type: ignore[no-untyped-def]
    with database.read_session() as session:
        return build_report(session, date_from=period[0], date_to=period[1], by=by, today=TODAY)


def test_extra_figures_by_level_first_quarter(imported: Database) -> None:  # noqa: F811
    report = _report(imported, Q1, "level")
    rows = {row.group: row for row in (*report.rows, report.total)}
    assert [
        (g, r.accepted, r.overdue, format_yuan(r.outstanding_fen), r.success_rate)
        for g, r in rows.items()
    ] == [
        ("district", 6, 3, "5000.00", "66.7%"),
        ("grassroots", 10, 7, "7500.00", "62.5%"),
        ("total", 16, 10, "12500.00", "64.3%"),
    ]


def test_success_rate_of_a_period_without_endings(database: Database) -> None:
    report = _report(database, Q1, "level")
    assert report.total.success_rate == "—"
    assert report.total.success_permille is None


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize("period", [Q1, Q2], ids=["Q1", "Q2"])
def test_every_figure_of_every_group_lists_exactly_its_cases(
    imported: Database,  # noqa: F811
    by: str,
    period: tuple[date, date],
) -> None:
    report = _report(imported, period, by)
    with imported.read_session() as session:
        for row in (*report.rows, report.total):
            for figure in FIGURES:
                listed = cases_behind(
                    session,
                    date_from=period[0],
                    date_to=period[1],
                    by=by,
                    key=row.key,
                    figure=figure,
                    today=TODAY,
                    page_size=1000,
                )
                where = f"{by} {row.group} {figure}"
                if figure in AMOUNTS:
                    assert listed.amount_fen == row.figure(figure), where
                    assert sum(line.amount(figure) or 0 for line in listed.lines) == row.figure(
                        figure
                    ), where
                else:
                    assert listed.count == row.figure(figure), where
                    assert len(listed.lines) == listed.count, where
            assert group_label(session, by, row.key) == row.group


def test_drilldown_pages_cover_the_figure_once(imported: Database) -> None:  # noqa: F811
    with imported.read_session() as session:
        numbers = []
        first = cases_behind(
            session,
            date_from=Q1[0],
            date_to=Q1[1],
            by="level",
            key="grassroots",
            figure="received",
            today=TODAY,
            page_size=4,
        )
        for page in range(1, first.pages + 1):
            numbers += [
                line.number
                for line in cases_behind(
                    session,
                    date_from=Q1[0],
                    date_to=Q1[1],
                    by="level",
                    key="grassroots",
                    figure="received",
                    today=TODAY,
                    page=page,
                    page_size=4,
                ).lines
            ]
    assert first.pages == 3
    assert len(numbers) == len(set(numbers)) == 11


@pytest.mark.parametrize(
    ("by", "key", "figure", "message"),
    [
        ("level", "province", "settled", "group: 'province' is not one of district, grassroots"),
        ("zone", "东片区", "settled", "group: '东片区' is not the id of a group of zone"),
        ("category", "wa ges", "settled", "group: 'wa ges' is not a dispute category"),
        ("level", "total", "profit", "figure: 'profit' is not one of"),
        ("town", "total", "settled", "by: 'town' is not one of"),
    ],
)
def test_drilldown_refuses_bad_input(
    database: Database, by: str, key: str, figure: str, message: str
) -> None:
    with database.read_session() as session, pytest.raises(InvalidInput, match=message):
        cases_behind(
            session, date_from=Q1[0], date_to=Q1[1], by=by, key=key, figure=figure, today=TODAY
        )


def test_monthly_trend_matches_the_report_of_each_month(imported: Database) -> None:  # noqa: F811
    months = [(2024, m) for m in range(1, 7)]
    with imported.read_session() as session:
        trend = monthly_trend(session, months, TODAY)
        for month in trend:
            report = build_report(
                session, date_from=month.start, date_to=month.end, by="level", today=TODAY
            )
            assert (month.received, month.settled, month.agreed_fen) == (
                report.total.received,
                report.total.settled,
                report.total.agreed_fen,
            ), month.label
    assert [m.label for m in trend] == [f"2024-0{m}" for m in range(1, 7)]
    assert sum(m.settled for m in trend[:3]) == 9  # the first quarter's settled cases


# --------------------------------------------------------------------------- Beijing days


@pytest.mark.parametrize(
    ("utc", "quarter"),
    [
        # 15:59 UTC on 31 March is 23:59 in Beijing: signed on the quarter's last day.
        (datetime(2024, 3, 31, 15, 59, tzinfo=UTC), Q1),
        # 16:30 UTC on 31 March is 00:30 on 1 April in Beijing: the next quarter.
        (datetime(2024, 3, 31, 16, 30, tzinfo=UTC), Q2),
    ],
    ids=["23:59-beijing", "00:30-beijing"],
)
def test_a_case_signed_around_midnight_counts_in_the_quarter_of_the_beijing_day(
    database: Database,
    actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
    utc: datetime,
    quarter: tuple[date, date],
) -> None:
    case_id, version = make_case(
        database,
        state="seizing_opening",
        actor=actor,
        received_on=date(2024, 3, 25),
        today=date(2024, 3, 25),
        agreed_fen=800_000,
    )
    agreement = {
        "method": "bank_transfer",
        "terms": [{"category": "wages", "amount_fen": 800_000, "description": "工资"}],
        "instalments": [{"due_on": date(2024, 5, 1), "amount_fen": 800_000}],
    }
    signers = ("worker", "employer", "mediator", "organization")
    steps = [
        ("draft_agreement", agreement),
        *[("record_signature", {"signer": s}) for s in signers],
    ]
    for action, data in steps:
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=actor,
                data=data,
                today=date(2024, 3, 28),
            )
        version += 1
    # Signed without a given day: the service takes today in Beijing from the clock.
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="sign_agreement",
            expected_version=version,
            actor=actor,
        )
    other = Q2 if quarter == Q1 else Q1
    assert (
        _report(database, quarter, "level").total.settled,
        format_yuan(_report(database, quarter, "level").total.agreed_fen),
    ) == (1, "8000.00")
    assert _report(database, other, "level").total.settled == 0
    # Received on 25 March: in the first quarter whatever the day of signing.
    assert _report(database, Q1, "level").total.received == 1


# --------------------------------------------------------------------------- series


@pytest.mark.parametrize("by", GROUPINGS)
def test_a_series_by_quarter_equals_the_report_of_each_quarter(
    imported: Database,  # noqa: F811
    by: str,
) -> None:
    # A period that starts and ends inside quarters: the first and last are clipped.
    start, end = date(2023, 11, 15), date(2024, 5, 20)
    with imported.read_session() as session:
        series = build_series(session, date_from=start, date_to=end, by=by, today=TODAY)
        assert [b.label for b in series.buckets] == ["2023Q4", "2024Q1", "2024Q2"]
        assert (series.buckets[0].start, series.buckets[-1].end) == (start, end)
        for bucket in series.buckets:
            report = build_report(
                session, date_from=bucket.start, date_to=bucket.end, by=by, today=TODAY
            )
            for row in report.rows:
                assert series.row(row.key, bucket) == row, (bucket.label, row.group)
            total = series.total(bucket)
            assert total == report.total, bucket.label


def test_a_series_of_one_group_by_month(imported: Database) -> None:  # noqa: F811
    with imported.read_session() as session:
        report = build_report(session, date_from=Q1[0], date_to=Q1[1], by="level", today=TODAY)
        series = build_series(
            session,
            date_from=Q1[0],
            date_to=Q1[1],
            by="level",
            bucket="month",
            group="district",
            today=TODAY,
        )
    assert set(series.labels) == {"district"}
    district = ReportRow("district", key="district")
    for bucket in series.buckets:
        district = district + series.row("district", bucket)
    assert district == report.rows[0]
