"""Importing historic cases from CSV (DESIGN §7): all rows or none, with the bad row's line."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlmodel import Session

from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.db import Database
from mediation.imports import COLUMNS, ImportFailed, ImportResult, import_cases
from mediation.tables import (
    AGREEMENT,
    CASE,
    CLAIM,
    EVENT,
    ORGANIZATION,
    PARTY,
    PAYMENT,
    TERM,
    TOWN,
    ZONE,
)

DATA = Path(__file__).resolve().parent.parent / "data"
FIXTURE = DATA / "import_cases.csv"
HEADER = ",".join(COLUMNS)

#: A good row of each outcome, to build small files from.
SETTLED = (
    "DX-9-0001,黄村镇调解中心,town,黄村镇,wages,2024-03-01,settled,2024-03-20,"
    "12000,10000,8922.50,张伟,北京兴旺建筑工程有限公司"
)
FAILED = (
    "DX-9-0002,大兴区劳动争议调解中心,district,西红门镇,overtime,2024-03-02,failed,2024-03-25,"
    "5600,,,王芳,北京华联超市有限公司"
)


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _row(**changes: str) -> str:
    """Return SETTLED with some fields replaced."""
    values = dict(zip(COLUMNS, SETTLED.split(","), strict=True))
    values.update(changes)
    return ",".join(values[c] for c in COLUMNS)


def _counts(session: Session) -> dict[str, int]:
    tables = {
        "cases": CASE,
        "events": EVENT,
        "organizations": ORGANIZATION,
        "towns": TOWN,
        "parties": PARTY,
        "claims": CLAIM,
        "agreements": AGREEMENT,
        "terms": TERM,
        "payments": PAYMENT,
    }
    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in tables.items()
    }


def _setup_places(session: Session) -> None:
    """Zones and towns known before the import, and one organisation."""
    east, west = (
        session.execute(
            insert(ZONE).values(name=name, claim_window_hours=48).returning(ZONE.c.id)
        ).scalar_one()
        for name in ("东片区", "西片区")
    )
    towns = {}
    for name, zone_id in (
        ("黄村镇", east),
        ("西红门镇", east),
        ("庞各庄镇", west),
        ("礼贤镇", west),
    ):
        towns[name] = session.execute(
            insert(TOWN).values(name=name, kind="town", zone_id=zone_id).returning(TOWN.c.id)
        ).scalar_one()
    session.execute(
        insert(ORGANIZATION).values(name="黄村镇调解中心", level="town", town_id=towns["黄村镇"])
    )


def _case(session: Session, number: str) -> Any:
    return session.execute(select(CASE).where(CASE.c.number == number)).one()


# --------------------------------------------------------------------------- a good file


def test_import_fixture_writes_every_case_and_verifies(database: Database, actor: Actor) -> None:
    with database.writing() as session:
        _setup_places(session)
        result = import_cases(session, FIXTURE, actor=actor)
    # 6 of the 7 organisations are new (黄村镇调解中心 existed); 亦庄产业基地 is the new town.
    assert result == ImportResult(cases=34, organizations_created=6, towns_created=1)
    with database.read_session() as session:
        counts = _counts(session)
        # 19 settled rows: 19 agreements and terms; all but DX-2024-0009 paid something.
        # 3 rows claimed nothing (two rejected, one withdrawn contract dispute).
        assert counts == {
            "cases": 34,
            "events": 34,
            "organizations": 7,
            "towns": 5,
            "parties": 68,
            "claims": 31,
            "agreements": 19,
            "terms": 19,
            "payments": 18,
        }
        outcome = verify(session)
        assert outcome.ok, outcome.first_break
        assert (outcome.events_checked, outcome.cases_checked) == (34, 34)


def test_import_settled_row_is_a_closed_case_with_its_details(
    database: Database, actor: Actor
) -> None:
    with database.writing() as session:
        import_cases(session, FIXTURE, actor=actor)
    with database.read_session() as session:
        case = _case(session, "DX-2024-0001")
        assert case.imported is True
        assert (case.source, case.state, case.closed_as, case.version) == (
            "import",
            "closed",
            None,
            1,
        )
        assert case.category == "wages"  # the file said 拖欠工资
        assert (case.outcome, case.outcome_on, case.received_on) == (
            "settled",
            date(2024, 1, 20),
            date(2024, 1, 5),
        )
        assert (case.claimed_fen, case.agreed_fen, case.paid_fen) == (892250, 892250, 892250)
        parties = session.execute(
            select(PARTY.c.role, PARTY.c.name).where(PARTY.c.case_id == case.id)
        ).all()
        assert sorted(parties) == [
            ("employer", "北京顺达物流有限公司, 大兴分公司"),
            ("worker", "李娜"),
        ]
        claims = session.execute(
            select(CLAIM.c.category, CLAIM.c.amount_fen).where(CLAIM.c.case_id == case.id)
        ).all()
        assert claims == [("wages", 892250)]
        agreement = session.execute(select(AGREEMENT).where(AGREEMENT.c.case_id == case.id)).one()
        assert (agreement.method, agreement.effective_on) == ("other", date(2024, 1, 20))
        terms = session.execute(
            select(TERM.c.category, TERM.c.amount_fen).where(TERM.c.agreement_id == agreement.id)
        ).all()
        assert terms == [("wages", 892250)]
        payments = session.execute(
            select(
                PAYMENT.c.paid_on, PAYMENT.c.amount_fen, PAYMENT.c.method, PAYMENT.c.receipt_ref
            ).where(PAYMENT.c.case_id == case.id)
        ).all()
        assert payments == [(date(2024, 1, 20), 892250, "other", "import")]
        event = session.execute(select(EVENT).where(EVENT.c.case_id == case.id)).one()
        assert (event.action, event.from_state, event.to_state, event.actor) == (
            "import",
            None,
            "closed",
            actor.name,
        )
        payload = json.loads(event.payload)
        assert payload["line"] == 3
        assert payload["case"] == {
            "state": "closed",
            "version": 1,
            "claimed_fen": 892250,
            "agreed_fen": 892250,
            "paid_fen": 892250,
        }


def test_import_unsettled_rows_have_no_agreement_or_payment(
    database: Database, actor: Actor
) -> None:
    with database.writing() as session:
        import_cases(session, FIXTURE, actor=actor)
    with database.read_session() as session:
        for number, state in (
            ("DX-2024-0002", "failed"),
            ("DX-2024-0004", "withdrawn"),
            ("DX-2024-0006", "rejected"),
        ):
            case = _case(session, number)
            assert (case.state, case.outcome, case.agreed_fen, case.paid_fen) == (
                state,
                state,
                0,
                0,
            )
            assert (
                session.execute(
                    select(func.count()).where(AGREEMENT.c.case_id == case.id)
                ).scalar_one()
                == 0
            )
        rejected = _case(session, "DX-2024-0006")
        assert rejected.claimed_fen == 0
        # Nothing claimed: no claim item (verification sums the items to 0).
        assert (
            session.execute(select(func.count()).where(CLAIM.c.case_id == rejected.id)).scalar_one()
            == 0
        )
        # Settled, nothing paid yet: no payment row.
        unpaid = _case(session, "DX-2024-0009")
        assert (unpaid.agreed_fen, unpaid.paid_fen) == (750000, 0)
        assert (
            session.execute(select(func.count()).where(PAYMENT.c.case_id == unpaid.id)).scalar_one()
            == 0
        )


def test_import_creates_organizations_in_the_row_town(database: Database, actor: Actor) -> None:
    with database.writing() as session:
        _setup_places(session)
        existing = session.execute(
            select(ORGANIZATION.c.id).where(ORGANIZATION.c.name == "黄村镇调解中心")
        ).scalar_one()
        import_cases(session, FIXTURE, actor=actor)
    with database.read_session() as session:
        orgs = {
            row.name: (row.level, row.town)
            for row in session.execute(
                select(
                    ORGANIZATION.c.name, ORGANIZATION.c.level, TOWN.c.name.label("town")
                ).select_from(ORGANIZATION.outerjoin(TOWN, TOWN.c.id == ORGANIZATION.c.town_id))
            )
        }
        assert orgs == {
            "大兴区劳动争议调解中心": ("district", "黄村镇"),
            "大兴区总工会法律服务中心": ("district", "庞各庄镇"),
            "黄村镇调解中心": ("town", "黄村镇"),
            "西红门镇调解中心": ("town", "西红门镇"),
            "庞各庄镇调解中心": ("town", "庞各庄镇"),
            "京东方企业调解委员会": ("enterprise", "亦庄产业基地"),
            "北汽新能源企业调解委员会": ("enterprise", "礼贤镇"),
        }
        # The existing organisation is reused, not duplicated.
        case = _case(session, "DX-2024-0005")
        assert case.organization_id == existing
        new_town = session.execute(select(TOWN).where(TOWN.c.name == "亦庄产业基地")).one()
        assert new_town.zone_id is None
        # An empty town leaves the case without one.
        assert _case(session, "DX-2024-0015").town_id is None


def test_import_accepts_a_bom_from_a_path_and_from_streams(
    database: Database, actor: Actor, tmp_path: Path
) -> None:
    data = "\ufeff" + _csv(SETTLED)
    path = tmp_path / "excel.csv"
    path.write_bytes(data.encode("utf-8"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with database.writing() as session:
        assert import_cases(session, path, actor=actor).cases == 1
    with database.writing() as session:
        second = data.replace("DX-9-0001", "DX-9-0002")
        assert import_cases(session, io.BytesIO(second.encode("utf-8")), actor=actor).cases == 1
    with database.writing() as session:
        third = data.replace("DX-9-0001", "DX-9-0003")
        assert import_cases(session, io.StringIO(third), actor=actor).cases == 1
    with database.read_session() as session:
        numbers = session.execute(select(CASE.c.number).order_by(CASE.c.number)).scalars()
        assert list(numbers) == ["DX-9-0001", "DX-9-0002", "DX-9-0003"]
        assert verify(session).ok


def test_import_accepts_columns_in_any_order_and_crlf(database: Database, actor: Actor) -> None:
    order = list(reversed(COLUMNS))
    values = dict(zip(COLUMNS, SETTLED.split(","), strict=True))
    text = "\r\n".join([",".join(order), ",".join(values[c] for c in order)]) + "\r\n"
    with database.writing() as session:
        assert import_cases(session, io.StringIO(text), actor=actor).cases == 1
    with database.read_session() as session:
        case = _case(session, "DX-9-0001")
        assert (case.claimed_fen, case.agreed_fen, case.paid_fen) == (1200000, 1000000, 892250)


def test_import_skips_blank_lines_but_counts_them(database: Database, actor: Actor) -> None:
    text = _csv(SETTLED, "", ",,,,,,,,,,,,", _row(case_number="DX-9-0005", level="county"))
    _assert_refused(database, actor, io.StringIO(text), 5, "level: 'county' is not one of")


def test_import_of_an_empty_body_writes_nothing(database: Database, actor: Actor) -> None:
    with database.writing() as session:
        assert import_cases(session, io.StringIO(_csv()), actor=actor) == ImportResult(0, 0, 0)
        assert set(_counts(session).values()) == {0}


@pytest.mark.slow
def test_import_of_ten_thousand_rows_writes_them_all_and_verifies(
    database: Database, actor: Actor
) -> None:
    rows = []
    for index in range(10_000):
        org = f"企业调解委员会{index % 40:02d}"
        town = f"测试镇{index % 15:02d}"
        if index % 3 == 0:
            rows.append(
                f"IMP-{index:05d},{org},enterprise,{town},wages,2024-01-02,settled,2024-02-03,"
                f"{1000 + index}.50,{900 + index},{index % 900}.25,工人{index},公司{index % 97}"
            )
        else:
            rows.append(
                f"IMP-{index:05d},{org},enterprise,{town},overtime,2024-01-02,failed,2024-02-03,"
                f"{500 + index},,,工人{index},公司{index % 97}"
            )
    with database.writing() as session:
        result = import_cases(session, io.StringIO(_csv(*rows)), actor=actor)
    assert result == ImportResult(cases=10_000, organizations_created=40, towns_created=15)
    with database.read_session() as session:
        assert _counts(session)["events"] == 10_000
        assert verify(session).ok


# --------------------------------------------------------------------------- bad files

BAD_ROWS: list[tuple[str, str, int, str]] = [
    # (id, file text, line, what the message says)
    ("unknown level", _csv(SETTLED, _row(case_number="B", level="county")), 3,
     "level: 'county' is not one of district, town, enterprise"),
    ("bad date", _csv(FAILED, _row(received_on="2024-13-01")), 3,
     "received_on: '2024-13-01' is not a date in the form YYYY-MM-DD"),
    ("date in another form", _csv(_row(closed_on="2024/03/20")), 2,
     "closed_on: '2024/03/20' is not a date in the form YYYY-MM-DD"),
    ("three decimals", _csv(_row(claimed_amount="100.505")), 2,
     "claimed_amount: '100.505' has more than two decimals"),
    ("negative amount", _csv(FAILED, _row(paid_amount="-5")), 3,
     "paid_amount: '-5' is negative"),
    ("not an amount", _csv(_row(agreed_amount="一万")), 2,
     "agreed_amount: '一万' is not an amount in yuan"),
    ("amount too large", _csv(_row(claimed_amount="1000000000000")), 2,
     "claimed_amount: '1000000000000' is too large"),
    ("missing column", _csv(header=HEADER.replace(",town", "")), 1, "missing column 'town'"),
    ("unknown column", _csv(header=HEADER + ",remarks"), 1, "unknown column 'remarks'"),
    ("column twice", _csv(header=HEADER + ",town"), 1, "column 'town' appears twice"),
    ("empty file", "", 1, "the file is empty"),
    ("duplicate in the file", _csv(SETTLED, FAILED, _row(applicant="李四")), 4,
     "case_number: 'DX-9-0001' appears twice (also on line 2)"),
    ("unknown outcome", _csv(_row(outcome="mediated")), 2,
     "outcome: 'mediated' is not one of settled, failed, withdrawn, rejected"),
    ("unknown category", _csv(FAILED, _row(category="奖金")), 3,
     "category: '奖金' is not a dispute category"),
    ("closed before received", _csv(_row(received_on="2024-03-21")), 2,
     "closed_on: 2024-03-20 is before received_on 2024-03-21"),
    ("paid more than agreed", _csv(_row(paid_amount="10000.01")), 2,
     "paid_amount: '10000.01' is more than the agreed amount '10000'"),
    ("settled without agreed amount", _csv(_row(agreed_amount="", paid_amount="")), 2,
     "agreed_amount: required for a settled case"),
    ("settled with zero agreed", _csv(_row(agreed_amount="0", paid_amount="")), 2,
     "agreed_amount: required for a settled case"),
    ("failed with agreed amount", _csv(_row(outcome="failed", paid_amount="")), 2,
     "agreed_amount: '10000' given for a case that was not settled (outcome failed)"),
    ("withdrawn with paid amount", _csv(_row(outcome="withdrawn", agreed_amount="")), 2,
     "paid_amount: '8922.50' given for a case that was not settled (outcome withdrawn)"),
    ("empty case number", _csv(FAILED, _row(case_number=" ")), 3, "case_number: required"),
    ("empty organisation", _csv(_row(organization="")), 2, "organization: required"),
    ("empty applicant", _csv(_row(applicant="")), 2, "applicant: required"),
    ("empty respondent", _csv(_row(respondent="")), 2, "respondent: required"),
    ("empty received_on", _csv(_row(received_on="")), 2, "received_on: required"),
    ("empty closed_on", _csv(_row(closed_on="")), 2, "closed_on: required"),
    ("empty claimed amount", _csv(_row(claimed_amount="")), 2, "claimed_amount: required"),
    ("empty level", _csv(_row(level="")), 2, "level: required"),
    ("empty outcome", _csv(_row(outcome="")), 2, "outcome: required"),
    ("empty category", _csv(_row(category="")), 2, "category: required"),
    ("organisation given two levels",
     _csv(SETTLED, _row(case_number="DX-9-0003", level="enterprise")), 3,
     "level: organization '黄村镇调解中心' is given as 'town' on line 2, here as 'enterprise'"),
    ("too few fields", _csv(SETTLED, "DX-9-0009,黄村镇调解中心,town"), 3,
     "expected 13 fields, found 3"),
    ("too long a case number", _csv(_row(case_number="X" * 41)), 2,
     "case_number: longer than 40 characters"),
    ("first bad line wins", _csv(SETTLED, _row(case_number="C", outcome="x"), "a,b"), 3,
     "outcome: 'x' is not one of"),
    ("line after a quoted line break",
     _csv(_row(respondent='"北京兴旺\n建筑工程有限公司"'), _row(case_number="D", level="x")), 4,
     "level: 'x' is not one of"),
]  # fmt: skip


def _assert_refused(database: Database, actor: Actor, source: Any, line: int, reason: str) -> None:
    with database.read_session() as session:
        before = _counts(session)
    with database.writing() as session:
        with pytest.raises(ImportFailed) as failure:
            import_cases(session, source, actor=actor)
        # Nothing was written even before the caller rolls back.
        assert _counts(session) == before
    assert failure.value.line_number == line
    assert reason in failure.value.message
    assert str(failure.value).startswith(f"line {line}: ")
    with database.read_session() as session:
        assert _counts(session) == before
        assert verify(session).ok


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [pytest.param(text, line, reason, id=name) for name, text, line, reason in BAD_ROWS],
)
def test_import_bad_row_is_refused_with_its_line_and_writes_nothing(
    database: Database, actor: Actor, text: str, line: int, reason: str
) -> None:
    _assert_refused(database, actor, io.StringIO(text), line, reason)
    with database.read_session() as session:
        assert set(_counts(session).values()) == {0}


def test_import_bad_row_after_good_rows_writes_none_of_them(
    database: Database, actor: Actor
) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines.insert(20, _row(case_number="BAD-1", received_on="2024-02-30"))
    _assert_refused(
        database,
        actor,
        io.StringIO("\n".join(lines) + "\n"),
        21,
        "received_on: '2024-02-30' is not a date",
    )
    with database.read_session() as session:
        assert set(_counts(session).values()) == {0}


def test_import_case_number_already_in_the_database_is_refused(
    database: Database, actor: Actor
) -> None:
    with database.writing() as session:
        import_cases(session, io.StringIO(_csv(SETTLED)), actor=actor)
    text = _csv(FAILED, _row(applicant="李四"))
    _assert_refused(
        database, actor, io.StringIO(text), 3, "case_number: 'DX-9-0001' is already in the database"
    )


def test_import_organization_existing_with_another_level_is_refused(
    database: Database, actor: Actor
) -> None:
    with database.writing() as session:
        session.execute(insert(ORGANIZATION).values(name="黄村镇调解中心", level="district"))
    _assert_refused(
        database,
        actor,
        io.StringIO(_csv(FAILED, SETTLED)),
        3,
        "level: organization '黄村镇调解中心' exists with level 'district', not 'town'",
    )


def test_import_of_a_file_not_in_utf8_names_the_line(database: Database, actor: Actor) -> None:
    data = _csv(FAILED, SETTLED).encode("gb18030")
    # The header and the first row's number are ASCII; the Chinese starts on line 2.
    _assert_refused(database, actor, io.BytesIO(data), 2, "the file is not UTF-8 text")


def test_import_failure_is_invalid_input() -> None:
    from mediation.errors import InvalidInput

    failure = ImportFailed(7, "received_on: '2024-13-01' is not a date")
    assert isinstance(failure, InvalidInput)
    assert str(failure) == "line 7: received_on: '2024-13-01' is not a date"
