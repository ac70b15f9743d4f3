"""The one way a case changes: ``advance`` on SQLite and PostgreSQL.

Every success writes one event and bumps the version by one; every refusal — undeclared
trigger, unmet guard, bad input, stale version, a failure half-way — writes nothing at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from mediation import clock
from mediation.audit.chain import Actor, EventRecord
from mediation.audit.verify import verify
from mediation.cases import service
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import Database
from mediation.errors import (
    Conflict,
    GuardFailed,
    InvalidInput,
    MediationError,
    NotFound,
    TransitionNotAllowed,
)
from mediation.money import MAX_FEN
from mediation.people.sealing import open_party
from mediation.tables import (
    AGREEMENT,
    AUDIT_HEAD,
    CASE,
    CLAIM,
    CONVERSION,
    DOCUMENT,
    EVENT,
    INSTALMENT,
    INTERVIEW,
    JOINT_SESSION,
    OFFER,
    PARTY,
    PAYMENT,
    TERM,
)
from tests.factories import (
    EMPLOYER,
    STUB_PDF,
    WORKER,
    ensure_organization,
    make_case,
    path_to,
)

TODAY = date(2026, 3, 2)
AGREED = 1_000_000
STATES = [
    "registered",
    "rejected",
    "finding_crux",
    "seizing_opening",
    "ensuring_performance",
    "awaiting_conversion",
    "failed",
    "withdrawn",
    "closed",
    "archived",
]
TRIGGERS = [
    "accept",
    "reject",
    "open_mediation",
    "sign_agreement",
    "declare_failure",
    "withdraw",
    "confirm_performance",
    "apply_conversion",
    "record_conversion",
    "conversion_refused",
    "declare_breach",
    "archive",
]
DECLARED = {
    "registered": {"accept", "reject", "withdraw"},
    "finding_crux": {"open_mediation", "withdraw"},
    "seizing_opening": {"sign_agreement", "declare_failure", "withdraw"},
    "ensuring_performance": {"confirm_performance", "apply_conversion", "declare_breach"},
    "awaiting_conversion": {"record_conversion", "conversion_refused"},
    "rejected": {"archive"},
    "failed": {"archive"},
    "withdrawn": {"archive"},
    "closed": {"archive"},
    "archived": set(),
}
TABLES = (
    CASE,
    PARTY,
    CLAIM,
    INTERVIEW,
    JOINT_SESSION,
    OFFER,
    AGREEMENT,
    TERM,
    INSTALMENT,
    PAYMENT,
    CONVERSION,
    DOCUMENT,
    EVENT,
    AUDIT_HEAD,
)
COURT = {"document_number": "(2026)京0115民特123号", "issuing_body": "北京市大兴区人民法院"}


def steps_to(dest: str, *, start: str, drop_last: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """The factory's path from ``start`` to ``dest`` (without its final trigger)."""
    before, path = path_to(start, today=TODAY), path_to(dest, today=TODAY)
    assert path[: len(before)] == before
    return path[len(before) : -1 if drop_last else None]


def fingerprint(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the engine writes, to prove that nothing was written."""
    with database.read_session() as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in TABLES
        }


@dataclass
class CaseRef:
    """A case under test: its id, the version the test expects, and how to act on it."""

    database: Database
    id: int
    version: int
    actor: Actor

    def act(
        self,
        action: str,
        data: Mapping[str, Any] | None = None,
        *,
        today: date = TODAY,
        version: int | None = None,
    ) -> EventRecord:
        with self.database.writing() as session:
            event = advance(
                session,
                case_id=self.id,
                action=action,
                expected_version=self.version if version is None else version,
                actor=self.actor,
                data=dict(data or {}),
                today=today,
            )
        self.version += 1
        return event

    def play(self, steps: list[tuple[str, dict[str, Any]]], *, today: date = TODAY) -> CaseRef:
        for action, data in steps:
            self.act(action, data, today=today)
        return self

    def row(self) -> Any:
        with self.database.read_session() as session:
            return session.execute(select(CASE).where(CASE.c.id == self.id)).one()

    def events(self) -> list[Any]:
        with self.database.read_session() as session:
            return session.execute(
                select(EVENT).where(EVENT.c.case_id == self.id).order_by(EVENT.c.seq)
            ).all()

    def rows(self, table: Any, *where: Any) -> list[Any]:
        with self.database.read_session() as session:
            return session.execute(select(table).where(*where).order_by(table.c.id)).all()

    def agreement(self) -> Any:
        return self.rows(AGREEMENT, AGREEMENT.c.case_id == self.id)[0]

    def terms(self) -> list[tuple[str, int, str]]:
        agreement_id = self.agreement().id
        return [
            (t.category, t.amount_fen, t.description)
            for t in self.rows(TERM, TERM.c.agreement_id == agreement_id)
        ]


@pytest.fixture
def new_case(database: Database, actor: Actor) -> Callable[..., CaseRef]:
    """Build a case in a state through the real service, then play extra steps."""

    def build(
        state: str = "registered",
        steps: list[tuple[str, dict[str, Any]]] | None = None,
        **options: Any,
    ) -> CaseRef:
        options.setdefault("today", TODAY)
        case_id, version = make_case(database, state=state, actor=actor, **options)
        return CaseRef(database, case_id, version, actor).play(steps or [])

    return build


def agreement(*terms: tuple[str, int], instalments: list[tuple[int, int]]) -> dict[str, Any]:
    """Draft data: (category, fen) terms; (days from TODAY, fen) instalments."""
    return {
        "method": "bank_transfer",
        "terms": [{"category": c, "amount_fen": a, "description": c} for c, a in terms],
        "instalments": [
            {"due_on": (TODAY + timedelta(days=d)).isoformat(), "amount_fen": a}
            for d, a in instalments
        ],
    }


SIGNATURES = [("record_signature", {"signer": s}) for s in ("worker", "employer", "mediator")] + [
    ("record_signature", {"signer": "organization"})
]

# --------------------------------------------------------------------------- state changes

TRIGGER_CASES = [
    pytest.param("registered", [], "accept", {}, 0, "finding_crux", id="accept"),
    pytest.param(
        "registered", [], "reject", {"reason": "不属于劳动争议"}, 0, "rejected", id="reject"
    ),
    pytest.param("registered", [], "withdraw", {}, 0, "withdrawn", id="withdraw-registered"),
    pytest.param(
        "finding_crux", [], "withdraw", {"reason": "已和解"}, 0, "withdrawn", id="withdraw-crux"
    ),
    pytest.param("seizing_opening", [], "withdraw", {}, 0, "withdrawn", id="withdraw-seizing"),
    pytest.param(
        "finding_crux",
        steps_to("seizing_opening", start="finding_crux"),
        "open_mediation",
        {},
        0,
        "seizing_opening",
        id="open_mediation",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "declare_failure",
        {"reason": "双方分歧过大"},
        0,
        "failed",
        id="declare_failure",
    ),
    pytest.param(
        "seizing_opening",
        steps_to("ensuring_performance", start="seizing_opening"),
        "sign_agreement",
        {},
        0,
        "ensuring_performance",
        id="sign_agreement",
    ),
    pytest.param(
        "ensuring_performance",
        [("record_payment", {"amount_fen": AGREED})],
        "confirm_performance",
        {},
        0,
        "closed",
        id="confirm_performance",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "apply_conversion",
        {"conversion_kind": "arbitral_review"},
        0,
        "awaiting_conversion",
        id="apply_conversion",
    ),
    pytest.param(
        "awaiting_conversion", [], "record_conversion", COURT, 0, "closed", id="record_conversion"
    ),
    pytest.param(
        "awaiting_conversion",
        [],
        "conversion_refused",
        {"reason": "协议内容超出调解范围"},
        0,
        "ensuring_performance",
        id="conversion_refused",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "declare_breach",
        {"reason": "第一期未付"},
        8,
        "closed",
        id="declare_breach",
    ),
    *[
        pytest.param(
            state,
            [("produce_archive_bundle", {"content": STUB_PDF})],
            "archive",
            {},
            0,
            "archived",
            id=f"archive-{state}",
        )
        for state in ("closed", "failed", "withdrawn", "rejected")
    ],
]


@pytest.mark.parametrize(("state", "steps", "trigger", "data", "later", "dest"), TRIGGER_CASES)
def test_advance_trigger_writes_one_event_and_bumps_version(
    new_case, state, steps, trigger, data, later, dest
):
    case = new_case(state, steps)
    before = case.version
    events_before = case.events()

    event = case.act(trigger, data, today=TODAY + timedelta(days=later))

    assert (event.action, event.from_state, event.to_state) == (trigger, state, dest)
    assert event.payload["case"]["state"] == dest
    assert event.payload["case"]["version"] == before + 1
    row = case.row()
    assert (row.state, row.version) == (dest, before + 1)
    events = case.events()
    assert len(events) == len(events_before) + 1 == row.version
    assert (events[-1].seq, events[-1].action, events[-1].from_state, events[-1].to_state) == (
        event.seq,
        trigger,
        state,
        dest,
    )


RECORDING_CASES = [
    pytest.param("registered", [], "update_party", {"role": "worker", "phone": "13900139000"}),
    pytest.param(
        "finding_crux", [], "update_party", {"role": "employer", "address": "大兴区黄村镇"}
    ),
    pytest.param(
        "registered", [], "add_claim_item", {"category": "overtime", "amount_fen": 50_000}
    ),
    pytest.param("finding_crux", [], "record_interview", {"party_role": "worker", "notes": "约谈"}),
    pytest.param("finding_crux", [], "record_crux", {"text": "加班费计算基数"}),
    pytest.param("seizing_opening", [], "record_plan", {"text": "先核对考勤"}),
    pytest.param("finding_crux", [], "record_overdue_consent", {"party_role": "employer"}),
    pytest.param(
        "seizing_opening", [], "record_joint_session", {"notes": "面对面", "attendees": "双方"}
    ),
    pytest.param(
        "seizing_opening", [], "log_offer", {"by_role": "employer", "amount_fen": 800_000}
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(("wages", AGREED), instalments=[(7, AGREED)]),
    ),
    pytest.param(
        "seizing_opening",
        [("draft_agreement", agreement(("wages", AGREED), instalments=[(7, AGREED)]))],
        "record_signature",
        {"signer": "worker"},
    ),
    pytest.param("ensuring_performance", [], "record_payment", {"amount_fen": 300_000}),
    pytest.param("awaiting_conversion", [], "record_payment", {"amount_fen": AGREED}),
    *[
        pytest.param(s, [], "produce_archive_bundle", {"content": STUB_PDF})
        for s in ("closed", "failed", "rejected")
    ],
]


@pytest.mark.parametrize(("state", "steps", "action", "data"), RECORDING_CASES)
def test_advance_recording_action_writes_one_event_and_keeps_state(
    new_case, state, steps, action, data
):
    case = new_case(state, steps)
    before = case.version
    events_before = len(case.events())

    event = case.act(action, data)

    assert (event.action, event.from_state, event.to_state) == (action, state, state)
    row = case.row()
    assert (row.state, row.version) == (state, before + 1)
    assert len(case.events()) == events_before + 1 == row.version
    assert event.payload["case"]["version"] == before + 1


def test_add_claim_item_adds_to_claimed_amount(new_case):
    case = new_case("registered")
    case.act("add_claim_item", {"category": "overtime", "amount_fen": 50_001})
    assert case.row().claimed_fen == 1_200_000 + 50_001
    assert len(case.rows(CLAIM, CLAIM.c.case_id == case.id)) == 2


def test_record_payment_adds_to_paid_amount(new_case):
    case = new_case("ensuring_performance")
    case.act("record_payment", {"amount_fen": 300_000, "receipt_ref": "BJ-001"})
    case.act("record_payment", {"amount_fen": 200_000})
    assert case.row().paid_fen == 500_000
    assert [p.amount_fen for p in case.rows(PAYMENT, PAYMENT.c.case_id == case.id)] == [
        300_000,
        200_000,
    ]


# --------------------------------------------------------------------------- refusals


GUARD_CASES = [
    pytest.param(
        "registered",
        [("update_party", {"role": "worker", "phone": ""})],
        "accept",
        {},
        0,
        ["Complete the worker's details (name, resident ID number and phone) first."],
        id="accept-worker-incomplete",
    ),
    pytest.param("registered", [], "reject", {"reason": " "}, 0, ["Give the reason."], id="reject"),
    pytest.param(
        "finding_crux",
        [],
        "open_mediation",
        {},
        0,
        [
            "Record a separate interview with the worker first.",
            "Record a separate interview with the employer first.",
            "Record the crux of the dispute first.",
            "Draw up the mediation plan first.",
        ],
        id="open_mediation-nothing-recorded",
    ),
    pytest.param(
        "finding_crux",
        steps_to("seizing_opening", start="finding_crux")[1:],
        "open_mediation",
        {},
        0,
        ["Record a separate interview with the worker first."],
        id="open_mediation-worker-not-interviewed",
    ),
    pytest.param(
        "seizing_opening",
        [("draft_agreement", agreement(("wages", AGREED), instalments=[(7, AGREED)]))],
        "sign_agreement",
        {},
        0,
        [
            "Record the worker's signature on the agreement first.",
            "Record the employer's signature or seal on the agreement first.",
            "Record the mediator's signature on the agreement first.",
            "Record the mediation organisation's seal on the agreement first.",
        ],
        id="sign_agreement-unsigned",
    ),
    pytest.param(
        "seizing_opening",
        [
            ("draft_agreement", agreement(("wages", AGREED), instalments=[(7, 600_000)])),
            *SIGNATURES,
        ],
        "sign_agreement",
        {},
        0,
        [
            "The instalments add up to 6000.00 yuan but the terms to 10000.00 yuan: "
            "the amounts must agree."
        ],
        id="sign_agreement-amounts-disagree",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "sign_agreement",
        {},
        0,
        [
            "Draft the agreement first: at least one term with an amount, the performance "
            "method and at least one instalment with its due date.",
            "Record the worker's signature on the agreement first.",
            "Record the employer's signature or seal on the agreement first.",
            "Record the mediator's signature on the agreement first.",
            "Record the mediation organisation's seal on the agreement first.",
        ],
        id="sign_agreement-no-draft",
    ),
    pytest.param(
        "seizing_opening", [], "declare_failure", {}, 0, ["Give the reason."], id="declare_failure"
    ),
    pytest.param(
        "ensuring_performance",
        [("record_payment", {"amount_fen": 600_000})],
        "confirm_performance",
        {},
        0,
        ["6000.00 yuan of 10000.00 yuan has been paid: record the remaining payments first."],
        id="confirm_performance-partly-paid",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "apply_conversion",
        {"conversion_kind": ""},
        0,
        ["Choose arbitral review, judicial confirmation or payment order."],
        id="apply_conversion-no-kind",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "apply_conversion",
        {"conversion_kind": "arbitral_review"},
        16,
        ["The time to apply ended on 2026-03-17."],
        id="apply_conversion-arbitral-review-day-16",
    ),
    pytest.param(
        "awaiting_conversion",
        [],
        "record_conversion",
        {"document_number": " "},
        0,
        [
            "Enter the number of the arbitral or judicial document.",
            "Enter the arbitration commission or court that issued the document.",
        ],
        id="record_conversion-no-document",
    ),
    pytest.param(
        "awaiting_conversion",
        [],
        "conversion_refused",
        {},
        0,
        ["Give the reason."],
        id="conversion_refused-no-reason",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "declare_breach",
        {},
        7,
        ["No instalment is past its due date unpaid: a breach cannot be declared yet."],
        id="declare_breach-on-due-date",
    ),
    pytest.param(
        "closed",
        [],
        "archive",
        {},
        0,
        ["Produce the archive bundle (case file) first."],
        id="archive-no-bundle",
    ),
]


@pytest.mark.parametrize(("state", "steps", "trigger", "data", "later", "messages"), GUARD_CASES)
def test_advance_with_unmet_guard_raises_guard_failed_and_writes_nothing(
    database, new_case, state, steps, trigger, data, later, messages
):
    case = new_case(state, steps)
    before = fingerprint(database)

    with pytest.raises(GuardFailed) as failed:
        case.act(trigger, data, today=TODAY + timedelta(days=later))

    assert failed.value.trigger == trigger
    assert [b.render() for b in failed.value.blockers] == messages
    assert str(failed.value) == "; ".join(messages)
    assert fingerprint(database) == before


@pytest.mark.parametrize("state", STATES)
def test_advance_undeclared_trigger_raises_transition_not_allowed_and_writes_nothing(
    database, new_case, state
):
    case = new_case(state)
    before = fingerprint(database)
    for trigger in sorted(set(TRIGGERS) - DECLARED[state]):
        with pytest.raises(TransitionNotAllowed, match=f"{trigger} is not possible from {state}"):
            case.act(trigger, {"reason": "x", **COURT, "conversion_kind": "payment_order"})
    assert fingerprint(database) == before


@pytest.mark.parametrize(
    ("state", "action", "data"),
    [
        ("registered", "record_interview", {"party_role": "worker", "notes": "约谈"}),
        ("finding_crux", "draft_agreement", agreement(("wages", 1), instalments=[(1, 1)])),
        ("seizing_opening", "record_payment", {"amount_fen": 100}),
        ("ensuring_performance", "draft_agreement", agreement(("wages", 1), instalments=[(1, 1)])),
        ("ensuring_performance", "add_claim_item", {"category": "wages", "amount_fen": 100}),
        ("closed", "record_payment", {"amount_fen": 1}),
        ("archived", "produce_archive_bundle", {}),
        ("archived", "update_party", {"role": "worker", "phone": "13900139000"}),
    ],
)
def test_advance_recording_action_in_wrong_state_is_refused_and_writes_nothing(
    database, new_case, state, action, data
):
    case = new_case(state)
    before = fingerprint(database)
    with pytest.raises(TransitionNotAllowed, match=f"{action} is not possible"):
        case.act(action, data)
    assert fingerprint(database) == before


def test_advance_unknown_action_raises_invalid_input(database, new_case):
    case = new_case("registered")
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match="unknown action 'set_state'"):
        case.act("set_state", {"state": "closed"})
    assert fingerprint(database) == before


def test_advance_missing_case_raises_not_found(database, actor):
    with pytest.raises(NotFound), database.writing() as session:
        advance(session, case_id=999, action="accept", expected_version=1, actor=actor)


BAD_AMOUNTS = [0, -1, -100_000, 1.5, 100.0, True, False, "100", None, Decimal("100")]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_add_claim_item_with_bad_amount_raises_invalid_input(database, new_case, amount):
    case = new_case("registered")
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match="amount_fen"):
        case.act("add_claim_item", {"category": "wages", "amount_fen": amount})
    assert fingerprint(database) == before


@pytest.mark.parametrize("amount", [*BAD_AMOUNTS, AGREED + 1], ids=repr)
def test_record_payment_with_bad_amount_raises_invalid_input(database, new_case, amount):
    case = new_case("ensuring_performance")
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match="amount_fen"):
        case.act("record_payment", {"amount_fen": amount})
    assert fingerprint(database) == before


def test_record_payment_beyond_outstanding_raises_invalid_input(database, new_case):
    case = new_case("ensuring_performance", [("record_payment", {"amount_fen": 600_000})])
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match="400000 fen still outstanding"):
        case.act("record_payment", {"amount_fen": 400_001})
    assert fingerprint(database) == before
    case.act("record_payment", {"amount_fen": 400_000})
    assert case.row().paid_fen == AGREED


INVALID_INPUTS = [
    pytest.param(
        "registered",
        [],
        "add_claim_item",
        {"category": "bonus", "amount_fen": 100},
        "category",
        id="claim-unknown-category",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "log_offer",
        {"by_role": "employer", "amount_fen": -5},
        "amount_fen",
        id="offer-negative",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "worker", "id_number": "110105194912310021"},
        "id_number",
        id="resident-id-check-digit",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "worker", "id_number": "11010519491231002"},
        "id_number",
        id="resident-id-17-digits",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "employer", "id_number": "91350100M000100Y44"},
        "id_number",
        id="credit-code-check",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "employer", "id_number": "91350100I000100Y43"},
        "id_number",
        id="credit-code-letter-I",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "worker", "phone": "call me"},
        "phone",
        id="phone",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "worker", "name": " "},
        "name",
        id="party-name-blank",
    ),
    pytest.param(
        "registered", [], "update_party", {"role": "judge", "name": "王"}, "role", id="party-role"
    ),
    pytest.param(
        "finding_crux",
        [],
        "record_interview",
        {"party_role": "worker", "notes": ""},
        "notes",
        id="interview-empty-notes",
    ),
    pytest.param(
        "finding_crux",
        [],
        "record_interview",
        {"party_role": "worker", "notes": "  \n"},
        "notes",
        id="interview-blank-notes",
    ),
    pytest.param(
        "finding_crux",
        [],
        "record_interview",
        {"party_role": "judge", "notes": "约谈"},
        "party_role",
        id="interview-role",
    ),
    pytest.param(
        "finding_crux",
        [],
        "record_interview",
        {"party_role": "worker", "notes": "约谈", "held_on": "2026-02-30"},
        "held_on",
        id="interview-date",
    ),
    pytest.param("finding_crux", [], "record_crux", {"text": ""}, "text", id="crux-empty"),
    pytest.param(
        "seizing_opening",
        [],
        "record_signature",
        {"signer": "worker"},
        "draft the agreement",
        id="signature-before-draft",
    ),
    pytest.param(
        "seizing_opening",
        [("draft_agreement", agreement(("wages", 100), instalments=[(1, 100)]))],
        "record_signature",
        {"signer": "lawyer"},
        "signer",
        id="signature-unknown-signer",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(("wages", 0), instalments=[(7, 100)]),
        "term 1: amount_fen",
        id="draft-term-zero",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(("wages", 100), ("bonus", 100), instalments=[(7, 200)]),
        "term 2: category",
        id="draft-term-category",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        {
            **agreement(("wages", 100), instalments=[]),
            "instalments": [{"due_on": "2026-03-09", "amount_fen": 99.5}],
        },
        "instalment 1: amount_fen",
        id="draft-instalment-float",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        {
            **agreement(("wages", 100), instalments=[]),
            "instalments": [{"due_on": "9/3/2026", "amount_fen": 100}],
        },
        "instalment 1: due_on",
        id="draft-instalment-date",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(instalments=[(7, 100)]),
        "terms",
        id="draft-no-terms",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(("wages", 100), instalments=[]),
        "instalments",
        id="draft-no-instalments",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        {**agreement(("wages", 100), instalments=[(7, 100)]), "method": "bitcoin"},
        "method",
        id="draft-method",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "record_payment",
        {"amount_fen": 100, "method": "iou"},
        "method",
        id="payment-method",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "apply_conversion",
        {"conversion_kind": "payment_order", "applied_on": "tomorrow"},
        "applied_on",
        id="conversion-date",
    ),
    pytest.param(
        "registered",
        [],
        "update_party",
        {"role": "worker"},
        "no details of the worker",
        id="party-nothing-given",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        {**agreement(instalments=[(7, 100)]), "terms": ["wages 100"]},
        "term 1",
        id="draft-term-not-a-mapping",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        {**agreement(("wages", 100), instalments=[]), "instalments": [100]},
        "instalment 1",
        id="draft-instalment-not-a-mapping",
    ),
    # Amounts beyond the engine's maximum (999,999,999,999.99 yuan): refused, not a crash.
    pytest.param(
        "registered",
        [],
        "add_claim_item",
        {"category": "wages", "amount_fen": MAX_FEN + 1},
        "amount_fen",
        id="claim-above-maximum",
    ),
    pytest.param(
        "registered",
        [],
        "add_claim_item",
        {"category": "wages", "amount_fen": 2**64},
        "amount_fen",
        id="claim-above-64-bits",
    ),
    pytest.param(
        "registered",
        [],
        "add_claim_item",
        {"category": "wages", "amount_fen": MAX_FEN},
        "add up to more than",
        id="claims-total-above-maximum",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "log_offer",
        {"by_role": "worker", "amount_fen": 2**63},
        "amount_fen",
        id="offer-above-maximum",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(("wages", MAX_FEN + 1), instalments=[(7, 100)]),
        "term 1: amount_fen",
        id="draft-term-above-maximum",
    ),
    pytest.param(
        "seizing_opening",
        [],
        "draft_agreement",
        agreement(("wages", MAX_FEN), ("damages", 1), instalments=[(7, 100)]),
        "terms: the terms add up",
        id="draft-terms-total-above-maximum",
    ),
    pytest.param(
        "ensuring_performance",
        [],
        "record_payment",
        {"amount_fen": 2**63},
        "amount_fen",
        id="payment-above-maximum",
    ),
]


@pytest.mark.parametrize(("state", "steps", "action", "data", "field"), INVALID_INPUTS)
def test_advance_with_invalid_input_raises_invalid_input_and_writes_nothing(
    database, new_case, state, steps, action, data, field
):
    case = new_case(state, steps)
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match=field):
        case.act(action, data)
    assert fingerprint(database) == before


# --------------------------------------------------------------------------- optimistic lock


@pytest.mark.parametrize("offset", [-1, 1, -5])
@pytest.mark.parametrize(
    ("state", "action", "data"),
    [
        ("registered", "accept", {}),
        ("ensuring_performance", "record_payment", {"amount_fen": 100}),
    ],
)
def test_advance_with_stale_version_raises_conflict_and_writes_nothing(
    database, new_case, state, action, data, offset
):
    case = new_case(state)
    before = fingerprint(database)
    with pytest.raises(Conflict) as conflict:
        case.act(action, data, version=case.version + offset)
    assert (conflict.value.current_state, conflict.value.current_version) == (state, case.version)
    assert fingerprint(database) == before
    case.act(action, data)
    assert case.row().version == case.version


def test_advance_after_someone_else_moved_raises_conflict(new_case):
    case = new_case("registered")
    loaded = case.version
    case.act("add_claim_item", {"category": "overtime", "amount_fen": 100})
    with pytest.raises(Conflict, match="reload"):
        case.act("accept", version=loaded)


# --------------------------------------------------------------------------- atomicity


@pytest.mark.parametrize(
    ("state", "action", "data"),
    [
        ("registered", "accept", {}),
        ("registered", "add_claim_item", {"category": "overtime", "amount_fen": 100}),
        ("ensuring_performance", "record_payment", {"amount_fen": 300_000}),
        ("seizing_opening", "sign_agreement", {}),
    ],
)
def test_advance_failing_before_its_event_leaves_nothing_behind(
    database, new_case, monkeypatch, state, action, data
):
    steps = (
        steps_to("ensuring_performance", start="seizing_opening")
        if action == "sign_agreement"
        else []
    )
    case = new_case(state, steps)
    before = fingerprint(database)

    def broken_append(*args: Any, **kwargs: Any) -> EventRecord:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(service, "append_event", broken_append)
        with pytest.raises(RuntimeError, match="disk full"), database.writing() as session:
            advance(
                session,
                case_id=case.id,
                action=action,
                expected_version=case.version,
                actor=case.actor,
                data=data,
                today=TODAY,
            )

    assert fingerprint(database) == before
    event = case.act(action, data)
    assert case.row().version == event.payload["case"]["version"] == case.version


# --------------------------------------------------------------------------- concurrency


def race(
    case: CaseRef, action: str, data: Mapping[str, Any], writers: int
) -> list[EventRecord | MediationError]:
    """Let ``writers`` sessions apply the same action to the same version at once."""
    database = case.database
    start = threading.Barrier(writers, timeout=30)

    def attempt() -> EventRecord | MediationError:
        with database.write_session() as session:
            start.wait()
            try:
                event = advance(
                    session,
                    case_id=case.id,
                    action=action,
                    expected_version=case.version,
                    actor=case.actor,
                    data=dict(data),
                    today=TODAY,
                )
                session.commit()
                return event
            except MediationError as exc:
                session.rollback()
                return exc

    with ThreadPoolExecutor(writers) as pool:
        return [f.result(timeout=60) for f in [pool.submit(attempt) for _ in range(writers)]]


@pytest.fixture
def read_together(database: Database, monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """On PostgreSQL, hold every writer after it has checked the version, until all have.

    Then every writer has read the same version before any writes, and only the version
    check of the UPDATE can keep them apart. (On SQLite BEGIN IMMEDIATE makes the second
    writer wait for the first to commit, so it cannot even read before the first is done.)
    """

    def arm(writers: int) -> None:
        if database.is_sqlite:
            return
        checked = threading.Barrier(writers, timeout=30)
        original = service._check_version

        def check_then_wait(case: Any, expected_version: int) -> None:
            original(case, expected_version)
            checked.wait()

        monkeypatch.setattr(service, "_check_version", check_then_wait)

    return arm


@pytest.mark.parametrize("writers", [2, 10])
@pytest.mark.parametrize(
    ("state", "action", "data"),
    [
        ("registered", "accept", {}),
        ("ensuring_performance", "record_payment", {"amount_fen": 600_000}),
    ],
)
def test_advance_from_the_same_version_at_once_lets_exactly_one_succeed(
    database, new_case, read_together, state, action, data, writers
):
    case = new_case(state)
    events_before = len(case.events())
    read_together(writers)

    results = race(case, action, data, writers)

    events = [r for r in results if isinstance(r, EventRecord)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(events), len(conflicts)) == (1, writers - 1), results
    row = case.row()
    assert row.version == case.version + 1
    assert len(case.events()) == events_before + 1
    if action == "record_payment":
        assert row.paid_fen == 600_000
        assert len(case.rows(PAYMENT, PAYMENT.c.case_id == case.id)) == 1
    with database.read_session() as session:
        assert verify(session).ok


def test_advance_different_cases_at_once_all_succeed_on_one_chain(database, new_case):
    cases = [new_case("registered") for _ in range(6)]
    start = threading.Barrier(len(cases), timeout=30)

    def accept(case: CaseRef) -> EventRecord:
        start.wait()
        return case.act("accept")

    with ThreadPoolExecutor(len(cases)) as pool:
        events = list(pool.map(accept, cases))

    assert len({e.seq for e in events}) == len(cases)
    assert [c.row().state for c in cases] == ["finding_crux"] * len(cases)
    with database.read_session() as session:
        assert verify(session).ok


# --------------------------------------------------------------------------- the agreement


def test_draft_agreement_again_resets_signatures_and_replaces_terms(new_case):
    case = new_case(
        "seizing_opening",
        [("draft_agreement", agreement(("wages", AGREED), instalments=[(7, AGREED)])), *SIGNATURES],
    )
    signed = case.agreement()
    assert signed.signed_worker_at is not None
    assert signed.sealed_at is not None

    case.act("draft_agreement", agreement(("wages", 800_000), instalments=[(7, 800_000)]))

    redrafted = case.agreement()
    assert (
        redrafted.signed_worker_at,
        redrafted.signed_employer_at,
        redrafted.signed_mediator_at,
        redrafted.sealed_at,
    ) == (None, None, None, None)
    assert case.terms() == [("wages", 800_000, "wages")]
    with pytest.raises(GuardFailed) as failed:
        case.act("sign_agreement")
    assert [b.guard for b in failed.value.blockers] == [
        "has_worker_signature",
        "has_employer_signature",
        "has_mediator_signature",
        "has_organization_seal",
    ]


def test_sign_agreement_sets_agreed_to_terms_total_and_freezes_terms(database, new_case):
    case = new_case(
        "seizing_opening",
        [
            (
                "draft_agreement",
                agreement(
                    ("wages", 600_000),
                    ("compensation", 400_050),
                    instalments=[(7, 500_000), (30, 500_050)],
                ),
            ),
            *SIGNATURES,
        ],
    )
    event = case.act("sign_agreement")
    row = case.row()
    assert row.agreed_fen == 1_000_050 == event.payload["agreed_fen"]
    assert (row.outcome, row.outcome_on) == ("settled", TODAY)
    assert case.agreement().effective_on == TODAY
    frozen = case.terms()
    before = fingerprint(database)

    with pytest.raises(TransitionNotAllowed, match="draft_agreement"):
        case.act("draft_agreement", agreement(("wages", 1), instalments=[(7, 1)]))
    with pytest.raises(TransitionNotAllowed, match="record_signature"):
        case.act("record_signature", {"signer": "worker"})

    assert fingerprint(database) == before
    assert (
        case.terms()
        == frozen
        == [
            ("wages", 600_000, "wages"),
            ("compensation", 400_050, "compensation"),
        ]
    )


def test_confirm_performance_needs_paid_equal_to_agreed(new_case):
    case = new_case("ensuring_performance", [("record_payment", {"amount_fen": 999_999})])
    with pytest.raises(GuardFailed, match=r"9999\.99 yuan of 10000\.00 yuan"):
        case.act("confirm_performance")
    case.act("record_payment", {"amount_fen": 1})
    event = case.act("confirm_performance")
    row = case.row()
    assert (event.to_state, row.closed_as, row.paid_fen, row.agreed_fen) == (
        "closed",
        "performed",
        AGREED,
        AGREED,
    )


@pytest.mark.parametrize(("later", "paid", "allowed"), [
    (0, 0, False),
    (7, 0, False),  # due on day 7: not past due on the day itself
    (8, 0, True),
    (8, 499_999, True),
    (8, 500_000, False),  # the first instalment is paid; the second is not due yet
    (30, 500_000, False),
    (31, 500_000, True),
])  # fmt: skip
def test_declare_breach_needs_a_past_due_unpaid_instalment(new_case, later, paid, allowed):
    steps = [("record_payment", {"amount_fen": paid})] if paid else []
    case = new_case("ensuring_performance", steps)
    when = TODAY + timedelta(days=later)
    if not allowed:
        with pytest.raises(GuardFailed, match="No instalment is past its due date"):
            case.act("declare_breach", today=when)
        return
    event = case.act("declare_breach", {"reason": "逾期未付"}, today=when)
    row = case.row()
    assert (event.to_state, row.closed_as, row.end_reason) == ("closed", "referred", "逾期未付")


# --------------------------------------------------------------------------- conversions


def test_record_conversion_closes_the_case_as_converted(new_case):
    case = new_case("ensuring_performance")
    case.act("apply_conversion", {"conversion_kind": "judicial_confirmation"}, today=TODAY)
    event = case.act("record_conversion", {**COURT, "decided_on": "2026-03-20"})
    row = case.row()
    assert (event.to_state, row.state, row.closed_as) == ("closed", "closed", "converted")
    [conversion] = case.rows(CONVERSION, CONVERSION.c.case_id == case.id)
    assert (
        conversion.kind,
        conversion.applied_on,
        conversion.decided_on,
        conversion.granted,
        conversion.document_number,
        conversion.issuing_body,
    ) == (
        "judicial_confirmation",
        TODAY,
        date(2026, 3, 20),
        True,
        COURT["document_number"],
        COURT["issuing_body"],
    )


def test_conversion_refused_returns_to_performance_and_allows_a_new_application(new_case):
    case = new_case("awaiting_conversion")
    event = case.act("conversion_refused", {"reason": "超出司法确认范围"})
    assert (event.from_state, event.to_state) == ("awaiting_conversion", "ensuring_performance")
    [refused] = case.rows(CONVERSION, CONVERSION.c.case_id == case.id)
    assert (refused.granted, refused.reason, refused.decided_on) == (
        False,
        "超出司法确认范围",
        TODAY,
    )

    case.act("record_payment", {"amount_fen": 100_000})
    case.act("apply_conversion", {"conversion_kind": "payment_order"}, today=TODAY + timedelta(60))
    case.act("record_payment", {"amount_fen": 100_000})
    case.act("record_conversion", COURT)
    first, second = case.rows(CONVERSION, CONVERSION.c.case_id == case.id)
    assert (first.granted, second.kind, second.granted) == (False, "payment_order", True)
    row = case.row()
    assert (row.state, row.closed_as, row.paid_fen) == ("closed", "converted", 200_000)


def test_apply_conversion_judicial_confirmation_on_day_31_is_refused(database, new_case):
    case = new_case("ensuring_performance")
    before = fingerprint(database)
    with pytest.raises(GuardFailed, match="The time to apply ended on 2026-04-01"):
        case.act(
            "apply_conversion",
            {"conversion_kind": "judicial_confirmation"},
            today=TODAY + timedelta(days=31),
        )
    assert fingerprint(database) == before
    case.act(
        "apply_conversion",
        {"conversion_kind": "judicial_confirmation"},
        today=TODAY + timedelta(days=30),
    )


def test_apply_conversion_payment_order_with_social_insurance_term_is_refused(new_case):
    case = new_case(
        "seizing_opening",
        [
            (
                "draft_agreement",
                agreement(
                    ("wages", 600_000),
                    ("social_insurance", 400_000),
                    instalments=[(7, AGREED)],
                ),
            ),
            *SIGNATURES,
            ("sign_agreement", {}),
        ],
    )
    with pytest.raises(GuardFailed, match="this agreement also has: social_insurance"):
        case.act("apply_conversion", {"conversion_kind": "payment_order"})
    case.act("apply_conversion", {"conversion_kind": "arbitral_review"})
    assert case.row().state == "awaiting_conversion"


# --------------------------------------------------------------------------- registration


def register(database: Database, actor: Actor, received_on: date = TODAY, **changes: Any):
    org_id, town_id = ensure_organization(database)
    options: dict[str, Any] = {
        "actor": actor,
        "organization_id": org_id,
        "town_id": town_id,
        "category": "wages",
        "received_on": received_on,
        "worker": WORKER,
        "employer": EMPLOYER,
        "claims": [ClaimInput("wages", 1_200_000, "拖欠工资")],
        **changes,
    }
    with database.writing() as session:
        case_id, event = register_case(session, **options)
    with database.read_session() as session:
        number = session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()
    return number, event


def test_register_case_numbers_cases_per_year(database, actor):
    assert register(database, actor)[0] == "DX-2026-00001"
    assert register(database, actor)[0] == "DX-2026-00002"
    assert register(database, actor, date(2027, 1, 4))[0] == "DX-2027-00001"
    assert register(database, actor)[0] == "DX-2026-00003"
    assert register(database, actor, number_prefix="SY")[0] == "SY-2026-00001"


def test_register_case_writes_the_register_event_at_version_1(database, actor):
    number, event = register(database, actor)
    assert (event.action, event.from_state, event.to_state) == ("register", None, "registered")
    assert event.payload["number"] == number
    assert event.payload["case"] == {
        "state": "registered",
        "version": 1,
        "claimed_fen": 1_200_000,
        "agreed_fen": 0,
        "paid_fen": 0,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"worker": PartyInput(name="张伟", id_number="110105194912310021")}, "id_number"),
        ({"employer": PartyInput(name="某公司", id_number="91350100M000100Y44")}, "id_number"),
        ({"worker": PartyInput(name=" ")}, "worker name"),
        ({"category": "bonus"}, "category"),
        ({"claims": [ClaimInput("wages", 0)]}, "claim 1: amount_fen"),
        ({"claims": [ClaimInput("wages", 100), ClaimInput("wages", -1)]}, "claim 2: amount_fen"),
        ({"claims": [ClaimInput("wages", 1.5)]}, "claim 1: amount_fen"),  # type: ignore[arg-type]
        ({"claims": [ClaimInput("bonus", 100)]}, "claim 1: category"),
        ({"knew_on": TODAY + timedelta(days=1)}, "knew_on"),
        ({"source": "telepathy"}, "source"),
        ({"claims": [ClaimInput("wages", MAX_FEN + 1)]}, "claim 1: amount_fen"),
        (
            {"claims": [ClaimInput("wages", MAX_FEN), ClaimInput("damages", 1)]},
            "claims: the claims",
        ),
    ],
)
def test_register_case_with_invalid_input_raises_and_writes_nothing(
    database, actor, changes, field
):
    ensure_organization(database)
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match=field):
        register(database, actor, **changes)
    assert fingerprint(database) == before


def test_register_case_many_at_once_gives_distinct_numbers(database, actor):
    ensure_organization(database)
    start = threading.Barrier(5, timeout=30)

    def one(_: int) -> str:
        start.wait()
        return register(database, actor)[0]

    with ThreadPoolExecutor(5) as pool:
        numbers = sorted(pool.map(one, range(5)))

    assert numbers == [f"DX-2026-{n:05d}" for n in range(1, 6)]
    with database.read_session() as session:
        assert session.execute(select(func.count()).select_from(EVENT)).scalar_one() == 5
        assert verify(session).ok


def test_register_case_with_the_largest_amount_keeps_it_whole(database, actor):
    number, event = register(database, actor, claims=[ClaimInput("wages", MAX_FEN)])
    with database.read_session() as session:
        claimed = session.execute(
            select(CASE.c.claimed_fen).where(CASE.c.number == number)
        ).scalar_one()
        assert verify(session).ok
    assert claimed == event.payload["case"]["claimed_fen"] == 99_999_999_999_999


def _raw_rows(database: Database, table: str, where: str) -> list[dict[str, Any]]:
    """Rows as the driver returns them (text dates on SQLite), not through the column types."""
    with database.engine.connect() as connection:
        result = connection.exec_driver_sql(f"SELECT * FROM {table} WHERE {where} ORDER BY id")
        return [dict(zip(result.keys(), row, strict=True)) for row in result]


def test_register_case_stores_the_rows_sqlalchemy_would(database, actor, monkeypatch):
    # register_case runs its statements through Prebuilt: its rows, written with every kind of
    # value it takes (dates, None, a boolean, omitted columns), are the ones SQLAlchemy's own
    # INSERTs of the same values store, byte for byte as the driver reads them back.
    now = datetime(2026, 3, 2, 8, 30, 1, 123456, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    worker = PartyInput(
        name=" 张伟 ",
        id_number="11010519491231002x",
        phone="13800138000",
        address="北京市大兴区",
        agent_name="李律师",
        agent_phone="010-12345678",
    )
    employer = PartyInput(
        name="北京兴旺建筑工程有限公司",
        id_number="91350100M000100Y43",
        legal_representative="王总",
    )
    claims = [ClaimInput("wages", 1_200_000, "拖欠工资"), ClaimInput("damages", 5)]
    number, event = register(
        database,
        actor,
        worker=worker,
        employer=employer,
        claims=claims,
        source="referral",
        summary="工资纠纷",
        knew_on=date(2026, 1, 5),
    )
    with database.read_session() as session:
        assert verify(session).ok
    org_id, town_id = ensure_organization(database)
    with database.writing() as session:
        case_id = session.execute(select(CASE.c.id).where(CASE.c.number == number)).scalar_one()
        copy_id = session.execute(
            insert(CASE).returning(CASE.c.id),
            {
                "number": "COPY-1",
                "organization_id": org_id,
                "town_id": town_id,
                "mediator_id": None,
                "category": "wages",
                "source": "referral",
                "summary": "工资纠纷",
                "state": "registered",
                "version": 1,
                "end_reason": "",
                "received_on": TODAY,
                "knew_on": date(2026, 1, 5),
                "claimed_fen": 1_200_005,
                "agreed_fen": 0,
                "paid_fen": 0,
                "crux": "",
                "mediation_plan": "",
                "registered_at": now,
                "updated_at": now,
                "imported": False,
            },
        ).scalar_one()
        session.execute(
            insert(CLAIM),
            [
                {"case_id": copy_id, "category": "wages", "amount_fen": 1_200_000},
                {"case_id": copy_id, "category": "damages", "amount_fen": 5, "description": ""},
            ],
        )
    registered, copy = _raw_rows(database, "mediation_case", f"id IN ({case_id}, {copy_id})")
    assert registered.pop("number") == number and copy.pop("number") == "COPY-1"
    assert {**registered, "id": None} == {**copy, "id": None}
    stored_claims = _raw_rows(database, "claim_item", f"case_id = {case_id}")
    copied_claims = _raw_rows(database, "claim_item", f"case_id = {copy_id}")
    assert [(c["category"], c["amount_fen"], c["description"]) for c in stored_claims] == [
        ("wages", 1_200_000, "拖欠工资"),
        ("damages", 5, ""),
    ]
    copied_claims[0]["description"] = "拖欠工资"
    assert [{**c, "id": None, "case_id": None} for c in stored_claims] == [
        {**c, "id": None, "case_id": None} for c in copied_claims
    ]
    parties = _raw_rows(database, "party", f"case_id = {case_id}")
    assert [p["role"] for p in parties] == ["worker", "employer"]
    opened = [open_party(case_id, p["role"], p) for p in parties]
    assert [{k: v for k, v in p.items() if k not in ("id", "case_id", "role")} for p in opened] == [
        {
            "name": "张伟",
            "id_number": "11010519491231002X",
            "phone": "13800138000",
            "address": "北京市大兴区",
            "legal_representative": "",
            "agent_name": "李律师",
            "agent_phone": "010-12345678",
        },
        {
            "name": "北京兴旺建筑工程有限公司",
            "id_number": "91350100M000100Y43",
            "phone": "",
            "address": "",
            "legal_representative": "王总",
            "agent_name": "",
            "agent_phone": "",
        },
    ]
    # Sealed at rest, for that row and column: no number is stored in clear.
    assert parties[0]["id_number"].startswith("v1.") and parties[0]["phone"].startswith("v1.")
    assert parties[1]["phone"] == ""
    (logged,) = _raw_rows(database, "audit_event", f"case_id = {case_id}")
    assert (logged["seq"], logged["action"], logged["hash"]) == (event.seq, "register", event.hash)
    assert (logged["from_state"], logged["to_state"], logged["actor"]) == (
        None,
        "registered",
        actor.name,
    )
    with database.read_session() as session:
        assert session.execute(select(AUDIT_HEAD.c.seq, AUDIT_HEAD.c.hash)).one() == (
            event.seq,
            event.hash,
        )


def test_register_case_with_a_number_taken_raises_and_writes_nothing(database, actor):
    register(database, actor, number="DX-2026-00042")
    before = fingerprint(database)
    with pytest.raises(IntegrityError):
        register(database, actor, number="DX-2026-00042")
    assert fingerprint(database) == before
    # The chain and the numbering carry on from where they were.
    number, event = register(database, actor)
    assert (number, event.seq) == ("DX-2026-00043", 2)


def test_register_case_inside_a_transaction_that_advanced_another_case(database, actor):
    # register_case and advance share the session's transaction (the demo seeds this way):
    # both events are chained, in order, and commit together.
    org_id, town_id = ensure_organization(database)
    with database.writing() as session:
        first, registered = register_case(
            session,
            actor=actor,
            organization_id=org_id,
            town_id=town_id,
            category="wages",
            received_on=TODAY,
            worker=WORKER,
            employer=EMPLOYER,
            claims=[ClaimInput("wages", 100)],
        )
        accepted = advance(
            session, case_id=first, action="accept", expected_version=1, actor=actor, today=TODAY
        )
        second, registered_too = register_case(
            session,
            actor=actor,
            organization_id=org_id,
            town_id=town_id,
            category="injury",
            received_on=TODAY,
            worker=WORKER,
            employer=EMPLOYER,
            claims=[],
        )
    assert [registered.seq, accepted.seq, registered_too.seq] == [1, 2, 3]
    assert registered_too.payload["number"] == "DX-2026-00002"
    with database.read_session() as session:
        assert session.execute(select(CLAIM.c.case_id).where(CLAIM.c.case_id == second)).all() == []
        assert verify(session).ok
