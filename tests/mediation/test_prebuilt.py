"""``mediation.db.Prebuilt`` runs a prebuilt statement as SQLAlchemy would, on the driver.

Each test writes or reads through :class:`Prebuilt` and through SQLAlchemy itself and
compares: the stored values (defaults of omitted columns, dates and times as SQLAlchemy
stores them), the rows read back (types processed), errors (SQLAlchemy's exception classes)
and the session's transaction (one, committed or rolled back as a whole).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, MultipleResultsFound, NoResultFound

from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.cases.service import advance
from mediation.db import Database, Prebuilt, prebuilt, prebuilt_in
from mediation.tables import AGREEMENT, AUDIT_HEAD, CASE, CONVERSION, EVENT, INSTALMENT
from tests.factories import make_case

TODAY = date(2026, 3, 2)
LATER = date(2026, 4, 1)
NOW = datetime(2026, 3, 2, 8, 30, 0, 0, tzinfo=UTC)  # whole seconds: SQLite's format keeps .000000

_INSERT_CONVERSION = insert(CONVERSION)
_CONVERSIONS = select(CONVERSION).where(CONVERSION.c.case_id == bindparam("case_id"))
_UPDATE_CONVERSION = update(CONVERSION).where(CONVERSION.c.id == bindparam("b_id"))
_INSERT_AGREEMENT = insert(AGREEMENT).returning(AGREEMENT.c.id)
_INSERT_INSTALMENT = insert(INSTALMENT)
_INSTALMENTS = (
    select(INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen)
    .where(INSTALMENT.c.agreement_id == bindparam("agreement_id"))
    .order_by(INSTALMENT.c.seq)
)
_CASE_TIMES = select(CASE.c.received_on, CASE.c.updated_at, CASE.c.imported).where(
    CASE.c.id == bindparam("case_id")
)
_HEAD = select(AUDIT_HEAD.c.seq).where(AUDIT_HEAD.c.id == 1)
_INSERT_EVENT = insert(EVENT)


def _stored(database: Database, case_id: int) -> list[tuple]:
    """The conversion rows as the driver returns them (text on SQLite), not through types."""
    with database.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT kind, applied_on, decided_on, granted, document_number, issuing_body, "
                f"reason FROM conversion WHERE case_id = {int(case_id)} ORDER BY id"
            )
        ]


def test_an_insert_stores_what_sqlalchemy_stores_defaults_included(database: Database, actor):
    case_id, _ = make_case(database, state="ensuring_performance", actor=actor)
    values = {"case_id": case_id, "kind": "arbitral_review", "applied_on": TODAY}
    with database.writing() as session:
        session.execute(insert(CONVERSION).values(**values))
    with database.writing() as session:
        prebuilt(session).execute(_INSERT_CONVERSION, values)
    through_sqlalchemy, through_prebuilt = _stored(database, case_id)
    assert through_prebuilt == through_sqlalchemy


def test_rows_are_read_with_the_columns_types(database: Database, actor):
    case_id, _ = make_case(database, state="ensuring_performance", actor=actor)
    with database.writing() as session:
        runner = prebuilt(session)
        runner.execute(
            _INSERT_CONVERSION, {"case_id": case_id, "kind": "payment_order", "applied_on": TODAY}
        )
        (row,) = runner.execute(_CONVERSIONS, {"case_id": case_id}).all()
        expected = session.execute(_CONVERSIONS, {"case_id": case_id}).one()
        times = runner.execute(_CASE_TIMES, {"case_id": case_id}).one()
        expected_times = session.execute(_CASE_TIMES, {"case_id": case_id}).one()
    assert tuple(row) == tuple(expected)
    assert row.applied_on == TODAY and isinstance(row.applied_on, date)
    assert row.decided_on is None and row.document_number == ""
    assert tuple(times) == tuple(expected_times)
    assert times.updated_at.tzinfo is not None and times.imported is False


def test_an_update_sets_the_given_columns_and_the_where_parameters(database: Database, actor):
    case_id, _ = make_case(database, state="ensuring_performance", actor=actor)
    with database.writing() as session:
        runner = prebuilt(session)
        runner.execute(
            _INSERT_CONVERSION, {"case_id": case_id, "kind": "arbitral_review", "applied_on": TODAY}
        )
        (conversion_id,) = runner.execute(_CONVERSIONS, {"case_id": case_id}).one()[:1]
        result = runner.execute(
            _UPDATE_CONVERSION,
            {
                "decided_on": TODAY,
                "granted": True,
                "document_number": "京劳仲字1号",
                "b_id": conversion_id,
            },
        )
        assert result.rowcount == 1
        missing = runner.execute(
            _UPDATE_CONVERSION, {"granted": False, "b_id": conversion_id + 1000}
        )
        assert missing.rowcount == 0
        row = runner.execute(_CONVERSIONS, {"case_id": case_id}).one()
    assert (row.decided_on, row.granted, row.document_number) == (TODAY, True, "京劳仲字1号")


def test_returning_and_a_list_of_parameters(database: Database, actor):
    case_id, _ = make_case(database, state="seizing_opening", actor=actor)
    with database.writing() as session:
        runner = prebuilt(session)
        agreement_id = runner.execute(
            _INSERT_AGREEMENT, {"case_id": case_id, "method": "cash", "notes": ""}
        ).scalar_one()
        runner.execute(
            _INSERT_INSTALMENT,
            [
                {"agreement_id": agreement_id, "seq": 1, "due_on": TODAY, "amount_fen": 100},
                {
                    "agreement_id": agreement_id,
                    "seq": 2,
                    "due_on": date(2026, 4, 1),
                    "amount_fen": 5,
                },
            ],
        )
        assert runner.execute(_INSERT_INSTALMENT, []).rows == []
        rows = runner.execute(_INSTALMENTS, {"agreement_id": agreement_id}).all()
    assert [tuple(r) for r in rows] == [(1, TODAY, 100), (2, LATER, 5)]
    assert [r.due_on for r in rows] == [TODAY, LATER]


def test_results_read_like_sqlalchemys(database: Database):
    with database.writing() as session:
        runner = prebuilt(session)
        assert runner.execute(_HEAD).scalar_one() == 0
        assert runner.execute(_HEAD).scalars() == [0]
        assert runner.execute(_CONVERSIONS, {"case_id": -1}).one_or_none() is None
        assert runner.execute(_CONVERSIONS, {"case_id": -1}).scalar() is None
        with pytest.raises(NoResultFound):
            runner.execute(_CONVERSIONS, {"case_id": -1}).one()


def test_more_than_one_row_where_one_is_expected_is_an_error(database: Database, actor):
    case_id, _ = make_case(database, state="ensuring_performance", actor=actor)
    with database.writing() as session:
        runner = prebuilt(session)
        for kind in ("arbitral_review", "payment_order"):
            runner.execute(
                _INSERT_CONVERSION, {"case_id": case_id, "kind": kind, "applied_on": TODAY}
            )
        with pytest.raises(MultipleResultsFound):
            runner.execute(_CONVERSIONS, {"case_id": case_id}).one_or_none()


def test_a_missing_parameter_is_refused_before_the_database_sees_it(database: Database):
    with database.writing() as session, pytest.raises(ValueError, match="b_id"):
        prebuilt(session).execute(_UPDATE_CONVERSION, {"granted": True})


def test_driver_errors_are_sqlalchemys_and_roll_the_transaction_back(database: Database, actor):
    case_id, _ = make_case(database, state="registered", actor=actor)
    with database.read_session() as session:
        events = session.execute(select(EVENT.c.seq)).scalars().all()
    duplicate = {
        "seq": events[0],  # seq is unique
        "case_id": case_id,
        "actor_id": None,
        "actor": "test",
        "action": "accept",
        "from_state": None,
        "to_state": None,
        "payload": "{}",
        "created_at": NOW,
        "prev_hash": "0" * 64,
        "hash": "f" * 64,
    }
    with pytest.raises(IntegrityError) as caught, database.writing() as session:
        runner = prebuilt(session)
        runner.execute(
            _INSERT_CONVERSION, {"case_id": case_id, "kind": "payment_order", "applied_on": TODAY}
        )
        runner.execute(_INSERT_EVENT, duplicate)
    assert isinstance(caught.value, DBAPIError)
    assert "INSERT INTO audit_event" in str(caught.value)
    assert _stored(database, case_id) == []  # the conversion went with the rollback
    with database.read_session() as session:
        assert verify(session).ok


def test_inside_advance_the_handlers_share_one_runner_on_the_sessions_transaction(
    database: Database, actor: Actor
):
    case_id, version = make_case(database, state="registered", actor=actor)
    seen: list[Prebuilt] = []
    with database.writing() as session:
        with prebuilt_in(session) as runner:
            seen.append(prebuilt(session))
            assert prebuilt(session) is runner
        assert prebuilt(session) is not runner  # gone with the block
        advance(session, case_id=case_id, action="accept", expected_version=version, actor=actor)
        assert session.info == {}
    assert seen == [runner]
    with database.read_session() as session:
        assert session.execute(select(CASE.c.state).where(CASE.c.id == case_id)).scalar_one() == (
            "finding_crux"
        )
        assert verify(session).ok
