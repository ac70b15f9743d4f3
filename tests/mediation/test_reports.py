"""Supervisors' figures (DESIGN §4, §7) on the hand-written import file, totals worked by hand.

``tests/data/import_cases.csv`` holds 34 cases (lines 2–35) of seven organisations: two
district centres (大兴区劳动争议调解中心, 大兴区总工会法律服务中心), three town centres
(黄村镇, 西红门镇, 庞各庄镇调解中心) and two enterprise committees (京东方, 北汽新能源). Before
the import the tests create zones 东片区 (黄村镇, 西红门镇) and 西片区 (庞各庄镇, 礼贤镇); the
import adds 亦庄产业基地 without a zone, and two cases have no town. Mediator 李调解员 is put on
the district centres' cases and 王调解员 on the 黄村镇 and 西红门镇 centres' cases; the rest have
none. Every expected figure below was added up by hand from the file, quarter by quarter
(Q1 = 2024-01-01..03-31, Q2 = 2024-04-01..06-30), and cross-checked: the groups of each
grouping add up to the same total.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, update
from sqlmodel import Session

from mediation.audit.chain import Actor
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import InvalidInput
from mediation.imports import import_cases
from mediation.money import format_yuan
from mediation.reports.figures import Report, ReportRow, build_report
from mediation.reports.render import display_width, render
from mediation.tables import CASE, ORGANIZATION, TOWN, USER, ZONE
from tests.factories import make_case
from tests.mediation.test_imports import FIXTURE

Q1 = (date(2024, 1, 1), date(2024, 3, 31))
Q2 = (date(2024, 4, 1), date(2024, 6, 30))

Figures = tuple[str, int, int, int, int, str, str, str]


def _figures(row: ReportRow) -> Figures:
    for value in (row.claimed_fen, row.agreed_fen, row.paid_fen):
        assert type(value) is int  # fen, never float or Decimal
    return (
        row.group,
        row.received,
        row.settled,
        row.failed,
        row.withdrawn,
        format_yuan(row.claimed_fen),
        format_yuan(row.agreed_fen),
        format_yuan(row.paid_fen),
    )


def _report(database: Database, period: tuple[date, date], by: str) -> Report:
    with database.read_session() as session:
        return build_report(session, date_from=period[0], date_to=period[1], by=by)


def _table(report: Report) -> list[Figures]:
    return [_figures(row) for row in (*report.rows, report.total)]


def _setup(session: Session, actor: Actor) -> None:
    east, west = (
        session.execute(
            insert(ZONE).values(name=name, claim_window_hours=48).returning(ZONE.c.id)
        ).scalar_one()
        for name in ("东片区", "西片区")
    )
    for name, zone_id in (
        ("黄村镇", east),
        ("西红门镇", east),
        ("庞各庄镇", west),
        ("礼贤镇", west),
    ):
        session.execute(insert(TOWN).values(name=name, kind="town", zone_id=zone_id))
    import_cases(session, FIXTURE, actor=actor)
    orgs = {
        name: id_ for name, id_ in session.execute(select(ORGANIZATION.c.name, ORGANIZATION.c.id))
    }
    for username, display_name, org_names in (
        ("li", "李调解员", ("大兴区劳动争议调解中心", "大兴区总工会法律服务中心")),
        ("wang", "王调解员", ("黄村镇调解中心", "西红门镇调解中心")),
    ):
        user_id = _user(session, username, display_name)
        # Imports carry no mediator; assign some, as the organisation would.
        session.execute(
            update(CASE)
            .where(CASE.c.organization_id.in_([orgs[name] for name in org_names]))
            .values(mediator_id=user_id)
        )


def _user(session: Session, username: str, display_name: str) -> int:
    return int(
        session.execute(
            insert(USER)
            .values(
                username=username,
                display_name=display_name,
                role="mediator",
                password_hash="-",
                active=True,
                session_epoch=0,
                created_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
            .returning(USER.c.id)
        ).scalar_one()
    )


@pytest.fixture
def imported(database: Database, actor: Actor) -> Database:
    """The database with the hand-written file imported."""
    with database.writing() as session:
        _setup(session, actor)
    return database


# --------------------------------------------------------------------------- figures by hand


def test_report_by_level_first_quarter(imported: Database) -> None:
    assert _table(_report(imported, Q1, "level")) == [
        ("district", 6, 4, 1, 1, "77523.25", "47422.50", "42422.50"),
        ("grassroots", 11, 5, 2, 1, "130303.03", "40600.85", "33100.85"),
        ("total", 17, 9, 3, 2, "207826.28", "88023.35", "75523.35"),
    ]


def test_report_by_level_second_quarter(imported: Database) -> None:
    assert _table(_report(imported, Q2, "level")) == [
        ("district", 4, 2, 1, 1, "52900.00", "21800.00", "15800.00"),
        ("grassroots", 9, 5, 2, 3, "96200.05", "119700.60", "105100.60"),
        ("total", 13, 7, 3, 4, "149100.05", "141500.60", "120900.60"),
    ]


def test_report_by_organization_first_quarter(imported: Database) -> None:
    # Sorted by code point: 京 < 北 < 大 < 庞 < 西 < 黄.
    assert _table(_report(imported, Q1, "organization")) == [
        ("京东方企业调解委员会", 2, 1, 1, 0, "51000.33", "16500.25", "16500.25"),
        ("北汽新能源企业调解委员会", 2, 1, 0, 1, "8800.80", "8000.00", "8000.00"),
        ("大兴区劳动争议调解中心", 3, 2, 1, 0, "28522.50", "18922.50", "18922.50"),
        ("大兴区总工会法律服务中心", 3, 2, 0, 1, "49000.75", "28500.00", "23500.00"),
        ("庞各庄镇调解中心", 1, 1, 0, 0, "9000.00", "7500.00", "0.00"),
        ("西红门镇调解中心", 3, 0, 1, 0, "52101.30", "0.00", "0.00"),
        ("黄村镇调解中心", 3, 2, 0, 0, "9400.60", "8600.60", "8600.60"),
        ("total", 17, 9, 3, 2, "207826.28", "88023.35", "75523.35"),
    ]


def test_report_by_zone_first_quarter(imported: Database) -> None:
    # 亦庄产业基地 has no zone and two cases have no town: both are 未分片, listed last.
    assert _table(_report(imported, Q1, "zone")) == [
        ("东片区", 9, 4, 2, 0, "90024.40", "27523.10", "27523.10"),
        ("西片区", 5, 3, 0, 2, "62801.55", "40500.00", "28000.00"),
        ("未分片", 3, 2, 1, 0, "55000.33", "20000.25", "20000.25"),
        ("total", 17, 9, 3, 2, "207826.28", "88023.35", "75523.35"),
    ]


def test_report_by_mediator_first_quarter(imported: Database) -> None:
    assert _table(_report(imported, Q1, "mediator")) == [
        ("李调解员", 6, 4, 1, 1, "77523.25", "47422.50", "42422.50"),
        ("王调解员", 6, 2, 1, 0, "61501.90", "8600.60", "8600.60"),
        ("未指派", 5, 3, 1, 1, "68801.13", "32000.25", "24500.25"),
        ("total", 17, 9, 3, 2, "207826.28", "88023.35", "75523.35"),
    ]


def test_report_by_category_first_quarter(imported: Database) -> None:
    # Categories given as Chinese labels in the file (拖欠工资, 经济补偿金, 加班费) count
    # under their identifiers.
    assert _table(_report(imported, Q1, "category")) == [
        ("compensation", 3, 1, 0, 1, "78001.08", "25000.00", "20000.00"),
        ("contract", 1, 0, 0, 1, "0.00", "0.00", "0.00"),
        ("damages", 1, 1, 1, 0, "9000.00", "7500.00", "0.00"),
        ("injury", 1, 0, 0, 0, "45000.00", "0.00", "0.00"),
        ("other", 1, 1, 0, 0, "4000.00", "3500.00", "3500.00"),
        ("overtime", 3, 1, 2, 0, "11401.00", "2600.60", "2600.60"),
        ("social_insurance", 1, 0, 0, 0, "0.00", "0.00", "0.00"),
        ("wages", 6, 5, 0, 0, "60424.20", "49422.75", "49422.75"),
        ("total", 17, 9, 3, 2, "207826.28", "88023.35", "75523.35"),
    ]


def test_report_last_day_of_a_quarter_belongs_to_it(imported: Database) -> None:
    # On 2024-03-31: DX-2024-0026 received, DX-2024-0005 settled, DX-2024-0008 failed and
    # DX-2024-0024 withdrawn — all grassroots. The district row is shown, empty.
    assert _table(_report(imported, (date(2024, 3, 31), date(2024, 3, 31)), "level")) == [
        ("district", 0, 0, 0, 0, "0.00", "0.00", "0.00"),
        ("grassroots", 1, 1, 1, 1, "33000.33", "6000.00", "6000.00"),
        ("total", 1, 1, 1, 1, "33000.33", "6000.00", "6000.00"),
    ]


def test_report_first_day_of_a_quarter_belongs_to_it(imported: Database) -> None:
    # On 2024-04-01: DX-2024-0007 (received in Q1) settled, DX-2024-0026 (received on the last
    # day of Q1) failed; nothing was received.
    assert _table(_report(imported, (date(2024, 4, 1), date(2024, 4, 1)), "organization")) == [
        ("京东方企业调解委员会", 0, 0, 1, 0, "0.00", "0.00", "0.00"),
        ("西红门镇调解中心", 0, 1, 0, 0, "0.00", "40000.50", "40000.50"),
        ("total", 0, 1, 1, 0, "0.00", "40000.50", "40000.50"),
    ]


def test_report_half_year_is_the_sum_of_its_quarters(imported: Database) -> None:
    half = _report(imported, (date(2024, 1, 1), date(2024, 6, 30)), "zone")
    assert _figures(half.total) == (
        "total", 30, 16, 6, 6, "356926.33", "229523.95", "196423.95"
    )  # fmt: skip
    q1, q2 = _report(imported, Q1, "zone").total, _report(imported, Q2, "zone").total
    assert half.total == ReportRow("total") + q1 + q2


def test_report_of_all_time_counts_every_case_once(imported: Database) -> None:
    everything = _report(imported, (date(2023, 1, 1), date(2024, 12, 31)), "category")
    # 34 cases: 19 settled, 7 failed, 6 withdrawn and 2 rejected (counted as received only).
    assert _figures(everything.total) == (
        "total", 34, 19, 7, 6, "453926.33", "298523.95", "265423.95"
    )  # fmt: skip


def test_report_counts_a_live_case_settled_on_the_signing_day(
    database: Database, actor: Actor
) -> None:
    # Signed on the last day of Q1, paid and closed in Q2: settled in Q1.
    case_id, version = make_case(
        database,
        state="ensuring_performance",
        actor=actor,
        received_on=date(2024, 3, 20),
        today=date(2024, 3, 31),
        claimed_fen=1_200_000,
        agreed_fen=1_000_000,
    )
    for action, data in (
        ("record_payment", {"amount_fen": 1_000_000}),
        ("confirm_performance", {}),
    ):
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=actor,
                data=data,
                today=date(2024, 4, 2),
            )
        version += 1
    assert _table(_report(database, Q1, "level")) == [
        ("district", 0, 0, 0, 0, "0.00", "0.00", "0.00"),
        ("grassroots", 1, 1, 0, 0, "12000.00", "10000.00", "10000.00"),
        ("total", 1, 1, 0, 0, "12000.00", "10000.00", "10000.00"),
    ]
    assert _figures(_report(database, Q2, "level").total) == (
        "total", 0, 0, 0, 0, "0.00", "0.00", "0.00"
    )  # fmt: skip


def test_report_tells_apart_mediators_with_the_same_name(database: Database, actor: Actor) -> None:
    with database.writing() as session:
        first, second = _user(session, "zhang1", "张调解员"), _user(session, "zhang2", "张调解员")
        import_cases(session, FIXTURE, actor=actor)
        for number, user_id in (("DX-2024-0001", first), ("DX-2024-0002", second)):
            session.execute(update(CASE).where(CASE.c.number == number).values(mediator_id=user_id))
    groups = [row.group for row in _report(database, Q1, "mediator").rows]
    assert groups == ["张调解员 (zhang1)", "张调解员 (zhang2)", "未指派"]


def test_report_of_an_empty_database(database: Database) -> None:
    assert _table(_report(database, Q1, "level")) == [
        ("district", 0, 0, 0, 0, "0.00", "0.00", "0.00"),
        ("grassroots", 0, 0, 0, 0, "0.00", "0.00", "0.00"),
        ("total", 0, 0, 0, 0, "0.00", "0.00", "0.00"),
    ]
    assert _table(_report(database, Q1, "zone")) == [("total", 0, 0, 0, 0, "0.00", "0.00", "0.00")]


@pytest.mark.parametrize(
    ("by", "period", "message"),
    [
        ("town", Q1, "by: 'town' is not one of level, organization, zone, mediator, category"),
        ("level", (Q2[1], Q1[0]), "period: starts on 2024-06-30, after it ends on 2024-01-01"),
    ],
)
def test_report_refuses_bad_arguments(
    database: Database, by: str, period: tuple[date, date], message: str
) -> None:
    with pytest.raises(InvalidInput) as failure:
        _report(database, period, by)
    assert str(failure.value) == message


# --------------------------------------------------------------------------- rendering


def test_render_csv(imported: Database) -> None:
    assert render(_report(imported, Q1, "level"), "csv") == (
        "group,received,settled,failed,withdrawn,claimed_amount,agreed_amount,paid_amount\n"
        "district,6,4,1,1,77523.25,47422.50,42422.50\n"
        "grassroots,11,5,2,1,130303.03,40600.85,33100.85\n"
        "total,17,9,3,2,207826.28,88023.35,75523.35\n"
    )


def test_render_json(imported: Database) -> None:
    document = json.loads(render(_report(imported, Q2, "level"), "json"))
    columns = [
        "group",
        "received",
        "settled",
        "failed",
        "withdrawn",
        "claimed_amount",
        "agreed_amount",
        "paid_amount",
    ]

    def obj(*values: Any) -> dict[str, Any]:
        return dict(zip(columns, values, strict=True))

    assert document == {
        "by": "level",
        "period": {"from": "2024-04-01", "to": "2024-06-30"},
        "columns": columns,
        "rows": [
            obj("district", 4, 2, 1, 1, "52900.00", "21800.00", "15800.00"),
            obj("grassroots", 9, 5, 2, 3, "96200.05", "119700.60", "105100.60"),
        ],
        "total": obj("total", 13, 7, 3, 4, "149100.05", "141500.60", "120900.60"),
    }


def test_render_table_aligns_chinese_names(imported: Database) -> None:
    text = render(_report(imported, Q1, "organization"), "table")
    title, header, *body = text.rstrip("\n").split("\n")
    assert title == "cases and amounts (yuan) by organization, 2024-01-01 to 2024-03-31"
    assert header.split() == [
        "group",
        "received",
        "settled",
        "failed",
        "withdrawn",
        "claimed_amount",
        "agreed_amount",
        "paid_amount",
    ]
    # Every line ends in the right-aligned paid amount, so all have the same display width.
    widths = {display_width(line) for line in (header, *body)}
    assert len(widths) == 1
    assert display_width("北汽新能源企业调解委员会") == 24
    assert any(line.startswith("北汽新能源企业调解委员会  ") for line in body)
    assert body[-1].split() == ["total", "17", "9", "3", "2", "207826.28", "88023.35", "75523.35"]
    # The figures sit in the same columns whatever the width of the name before them.
    ends = set()
    for line in (header, *body):
        if line.startswith("-"):
            continue
        group, received = line.split()[:2]
        ends.add(display_width(line[: line.index(received, len(group)) + len(received)]))
    assert len(ends) == 1


def test_render_refuses_an_unknown_format(database: Database) -> None:
    with pytest.raises(InvalidInput, match="format: 'xlsx' is not one of table, csv, json"):
        render(_report(database, Q1, "level"), "xlsx")


# --------------------------------------------------------------------------- the command


def test_cli_imports_and_reports(database: Database) -> None:
    from mediation.cli import main

    runner = CliRunner()
    imported = runner.invoke(main, ["--database-url", database.url, "import-cases", str(FIXTURE)])
    assert imported.exit_code == 0, imported.output
    assert "imported 34 cases" in imported.output
    args = ["report", "--from", "2024-01-01", "--to", "2024-03-31", "--by", "level"]
    result = runner.invoke(main, ["--database-url", database.url, *args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "total,17,9,3,2,207826.28,88023.35,75523.35"
