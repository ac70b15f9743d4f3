"""Corrections of signed amounts: only a supervisor's approval changes them, through advance."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, text

from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.cases.case_file import load_case_file
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from mediation.money import format_yuan
from mediation.reports.figures import build_report
from mediation.supervision import corrections
from mediation.tables import CASE, CORRECTION, DOCUMENT, EVENT
from tests.factories import make_case
from tests.mediation.supervision.helpers import add_user, amounts, signed_case
from workflows.case import RECORDING_ACTIONS, SUPERVISED_ACTIONS, CaseState

TODAY = date(2026, 3, 2)
QUARTER = (date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def people(database: Database) -> dict[str, Actor]:
    return {
        "mediator": add_user(database, "tiaojie", "mediator"),
        "supervisor": add_user(database, "duda", "supervisor"),
    }


@pytest.fixture
def signed(database: Database, people: dict[str, Actor]) -> int:
    """A signed agreement of 10000.00 yuan: one term, instalments 5000.00 + 5000.00."""
    case_id, _ = signed_case(database, actor=people["mediator"], today=TODAY)
    return case_id


def _request(
    database: Database, actor: Actor, case_id: int, terms: list[int], instalments: list[int]
) -> int:
    with database.writing() as session:
        return corrections.request_correction(
            session,
            case_id=case_id,
            terms=terms,
            instalments=instalments,
            reason="协议金额笔误",
            actor=actor,
        )


def _version(database: Database, case_id: int) -> int:
    with database.read_session() as session:
        return int(session.execute(select(CASE.c.version).where(CASE.c.id == case_id)).scalar_one())


def _actions(database: Database, case_id: int) -> list[str]:
    with database.read_session() as session:
        return list(
            session.execute(
                select(EVENT.c.action).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
            ).scalars()
        )


def _agreed_in_report(database: Database) -> str:
    with database.read_session() as session:
        report = build_report(session, date_from=QUARTER[0], date_to=QUARTER[1], by="level")
    return format_yuan(report.total.agreed_fen)


def test_a_request_changes_nothing_until_approved(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    version = _version(database, signed)
    correction_id = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    assert amounts(database, signed) == (1_000_000, [1_000_000], [500_000, 500_000])
    assert _version(database, signed) == version
    assert _actions(database, signed)[-1] == "request_correction"
    assert _agreed_in_report(database) == "10000.00"
    with database.read_session() as session:
        correction = corrections.get_correction(session, correction_id)
        assert (correction.state, correction.old_agreed_fen, correction.new_agreed_fen) == (
            "pending",
            1_000_000,
            900_000,
        )
        assert [(t.old_fen, t.new_fen) for t in correction.terms] == [(1_000_000, 900_000)]
        assert verify(session).ok


def test_approval_by_a_supervisor_corrects_the_amounts_and_the_reports(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    correction_id = _request(database, people["mediator"], signed, [900_050], [500_000, 400_050])
    version = _version(database, signed)
    with database.writing() as session:
        event = corrections.approve_correction(
            session, correction_id=correction_id, actor=people["supervisor"], note="已核实"
        )
    assert amounts(database, signed) == (900_050, [900_050], [500_000, 400_050])
    assert _version(database, signed) == version + 1
    assert event.action == "apply_correction"
    assert event.payload["case"]["agreed_fen"] == 900_050
    assert event.payload["previous_agreed_fen"] == 1_000_000
    assert _actions(database, signed)[-2:] == ["request_correction", "apply_correction"]
    assert _agreed_in_report(database) == "9000.50"
    with database.read_session() as session:
        history = corrections.corrections_of_case(session, signed)
        assert [(c.state, c.decided_by, c.decision_note) for c in history] == [
            ("approved", "duda", "已核实")
        ]
        result = verify(session)
        assert result.ok, result.first_break
    with database.writing() as session, pytest.raises(InvalidInput, match="already approved"):
        corrections.approve_correction(
            session, correction_id=correction_id, actor=people["supervisor"]
        )


def test_a_mediator_cannot_approve(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    correction_id = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    for actor in (people["mediator"], Actor(None, "cli")):
        with database.writing() as session, pytest.raises(PermissionDenied):
            corrections.approve_correction(session, correction_id=correction_id, actor=actor)
        with database.writing() as session, pytest.raises(PermissionDenied):
            corrections.reject_correction(
                session, correction_id=correction_id, actor=actor, note="不同意"
            )
    assert amounts(database, signed) == (1_000_000, [1_000_000], [500_000, 500_000])


def test_rejection_keeps_the_signed_amounts(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    correction_id = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    with database.writing() as session, pytest.raises(InvalidInput, match="note: required"):
        corrections.reject_correction(
            session, correction_id=correction_id, actor=people["supervisor"], note=""
        )
    with database.writing() as session:
        corrections.reject_correction(
            session, correction_id=correction_id, actor=people["supervisor"], note="无依据"
        )
    assert amounts(database, signed) == (1_000_000, [1_000_000], [500_000, 500_000])
    assert _actions(database, signed)[-2:] == ["request_correction", "reject_correction"]
    # Decided: a new request may be made.
    _request(database, people["mediator"], signed, [800_000], [400_000, 400_000])


@pytest.mark.parametrize(
    ("terms", "instalments", "message"),
    [
        ([1_000_000], [500_000, 500_000], "terms: no amount is changed"),
        ([900_000], [500_000, 500_000], "instalments: they add up to 10000.00 yuan, the terms"),
        ([900_000], [900_000], "instalments: 2 amounts are required"),
        ([0], [0, 0], "terms 1: amount_fen: the amount must be greater than zero"),
    ],
)
def test_a_request_must_hold_together(
    database: Database,
    people: dict[str, Actor],
    signed: int,
    terms: list[int],
    instalments: list[int],
    message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _request(database, people["mediator"], signed, terms, instalments)
    with database.read_session() as session:
        assert session.execute(select(CORRECTION.c.id)).first() is None


def test_a_correction_below_what_was_paid_is_refused(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    with database.writing() as session:
        advance(
            session,
            case_id=signed,
            action="record_payment",
            expected_version=_version(database, signed),
            actor=people["mediator"],
            data={"amount_fen": 600_000},
            today=TODAY,
        )
    with pytest.raises(InvalidInput, match=r"less than the 6000\.00 yuan already paid"):
        _request(database, people["mediator"], signed, [500_000], [250_000, 250_000])


def test_one_request_at_a_time(database: Database, people: dict[str, Actor], signed: int) -> None:
    first = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    with pytest.raises(InvalidInput, match=f"correction #{first} is still awaiting"):
        _request(database, people["mediator"], signed, [800_000], [400_000, 400_000])


@pytest.mark.parametrize("state", ["seizing_opening", "archived", "failed"])
def test_only_a_signed_agreement_in_force_can_be_corrected(
    database: Database, people: dict[str, Actor], state: str
) -> None:
    case_id, _ = make_case(database, state=state, actor=people["mediator"], today=TODAY)
    with pytest.raises(InvalidInput, match=r"not signed|cannot be corrected while"):
        _request(database, people["mediator"], case_id, [900_000], [450_000, 450_000])


def test_nothing_but_an_approved_correction_changes_a_signed_amount(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    # Redrafting happens before signing only; after it, the action is refused.
    signed_states = {CaseState.ENSURING_PERFORMANCE, CaseState.AWAITING_CONVERSION}
    assert not RECORDING_ACTIONS["draft_agreement"] & (signed_states | {CaseState.CLOSED})
    assert set(SUPERVISED_ACTIONS) == {"apply_correction"}
    with database.writing() as session, pytest.raises(TransitionNotAllowed):
        advance(
            session,
            case_id=signed,
            action="draft_agreement",
            expected_version=_version(database, signed),
            actor=people["mediator"],
            data={"method": "cash", "terms": [], "instalments": []},
            today=TODAY,
        )
    # The recording action itself: refused without a pending correction, or without a
    # supervisor, whoever calls advance.
    with database.writing() as session, pytest.raises(InvalidInput, match="correction_id"):
        advance(
            session,
            case_id=signed,
            action="apply_correction",
            expected_version=_version(database, signed),
            actor=people["supervisor"],
            data={"correction_id": 12345},
        )
    correction_id = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    with database.writing() as session, pytest.raises(PermissionDenied):
        advance(
            session,
            case_id=signed,
            action="apply_correction",
            expected_version=_version(database, signed),
            actor=people["mediator"],
            data={"correction_id": correction_id},
        )
    assert amounts(database, signed) == (1_000_000, [1_000_000], [500_000, 500_000])


def _tamper(database: Database, statement: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("UPDATE agreement_term SET amount_fen = 990000", "the agreement terms stored"),
        ("UPDATE mediation_case SET agreed_fen = 990000", "agreed_fen is 990000 but the log"),
        ("UPDATE instalment SET amount_fen = 440000 WHERE seq = 2", "the instalments stored"),
    ],
)
def test_verify_catches_a_direct_update_of_corrected_amounts(
    database: Database, people: dict[str, Actor], signed: int, statement: str, found: str
) -> None:
    correction_id = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    with database.writing() as session:
        corrections.approve_correction(
            session, correction_id=correction_id, actor=people["supervisor"]
        )
    _tamper(database, statement)
    with database.read_session() as session:
        result = verify(session)
    assert not result.ok
    assert found in str(result.first_break)


def test_a_direct_update_of_a_signed_amount_without_correction_is_caught(
    database: Database, signed: int
) -> None:
    _tamper(database, "UPDATE agreement_term SET amount_fen = amount_fen - 100")
    with database.read_session() as session:
        result = verify(session)
    assert not result.ok and "agreement terms stored" in str(result.first_break)


def test_the_corrected_agreement_is_issued_again_as_a_new_version(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    correction_id = _request(database, people["mediator"], signed, [900_000], [450_000, 450_000])
    with database.writing() as session:
        corrections.approve_correction(
            session, correction_id=correction_id, actor=people["supervisor"]
        )
    issued = corrections.reissue_corrected_agreement(
        database,
        correction_id=correction_id,
        actor=people["supervisor"],
        base_url="http://127.0.0.1:5000",
        today=TODAY,
    )
    assert issued.kind == "agreement"
    with database.read_session() as session:
        versions = list(
            session.execute(
                select(DOCUMENT.c.version).where(
                    DOCUMENT.c.case_id == signed, DOCUMENT.c.kind == "agreement"
                )
            ).scalars()
        )
        reason = json.loads(
            session.execute(
                select(EVENT.c.payload)
                .where(EVENT.c.case_id == signed, EVENT.c.action == "issue_document")
                .order_by(EVENT.c.seq.desc())
            )
            .scalars()
            .first()
        )["reason"]
        assert verify(session).ok
    assert versions == [issued.version] and issued.version >= 1
    assert f"更正申请#{correction_id}" in reason


@pytest.mark.parametrize(
    "state", ["seizing_opening", "ensuring_performance", "closed", "archived", "registered"]
)
def test_the_case_page_reads_the_signed_agreement_as_the_service_does(
    database: Database, people: dict[str, Actor], state: str
) -> None:
    # The corrections panel takes the signed amounts from the case page's read model instead
    # of reading them again: both must say the same (None only without an agreement).
    case_id, _ = make_case(database, state=state, today=TODAY, actor=people["mediator"])
    with database.read_session() as session:
        page = load_case_file(session, case_id, today=TODAY)
        expected = corrections.signed_agreement(session, case_id)
    from_page = corrections.signed_agreement_of(page)
    if page.agreement is None:
        assert from_page is None
        assert expected.effective_on is None and not expected.terms
    else:
        assert from_page == expected


def test_the_case_page_reads_a_corrected_agreement_as_the_service_does(
    database: Database, people: dict[str, Actor], signed: int
) -> None:
    correction_id = _request(database, people["mediator"], signed, [900_000], [400_000, 500_000])
    with database.writing() as session:
        corrections.approve_correction(
            session, correction_id=correction_id, actor=people["supervisor"]
        )
    with database.read_session() as session:
        page = load_case_file(session, signed, today=TODAY)
        assert corrections.signed_agreement_of(page) == corrections.signed_agreement(
            session, signed
        )
        assert [c.id for c in corrections.corrections_of_case(session, signed)] == [correction_id]
