"""Random sequences of actions on one case, with the invariants checked after every step.

Each example copies a SQLite file holding one case that the real service took to a starting
state, then applies random actions — every trigger and recording action, with valid and
invalid data, stale versions and bad amounts — while time passes. After each step: the state
moved along the graph (or not at all on refusal), the version rose by exactly one (or not at
all), paid never exceeds agreed, signed terms never change, the case has one event per
version, and the whole chain verifies. Anything but a user-facing refusal escaping the
service fails the test.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import event, func, select

from mediation.audit.chain import Actor, EventRecord
from mediation.audit.verify import verify
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import Conflict, GuardFailed, InvalidInput, TransitionNotAllowed
from mediation.money import MAX_FEN
from mediation.schema import upgrade
from mediation.tables import AGREEMENT, CASE, EVENT, INSTALMENT, TERM
from tests.factories import EMPLOYER, STUB_PDF, WORKER, make_case
from workflows.case import RECORDING_ACTIONS, TRANSITIONS

START = date(2026, 3, 2)
ACTOR = Actor(None, "测试调解员")

#: What the graph allows: (source, trigger) -> destination.
GRAPH = {(s.value, t.trigger): t.dest.value for t in TRANSITIONS for s in t.sources}
TRIGGERS = sorted({t.trigger for t in TRANSITIONS})
GRAPH_TRIGGERS = frozenset(TRIGGERS)
RECORDINGS = sorted(RECORDING_ACTIONS)
SIGNED_STATES = {"ensuring_performance", "awaiting_conversion"}
#: The refusals a user may meet; anything else escaping ``advance`` is a bug.
REFUSALS = (Conflict, GuardFailed, InvalidInput, TransitionNotAllowed)

COUNTER = itertools.count()

#: Where examples start, one test per group: each gets its own 25 examples, so that the
#: later steps of the method (signing, paying, converting) are reached as often as the early.
STARTS: dict[str, list[str]] = {
    "intake": ["registered", "finding_crux"],
    "mediation": ["seizing_opening"],
    "performance": ["ensuring_performance", "awaiting_conversion"],
    "ended": ["closed", "failed", "withdrawn", "rejected"],
}
ALL_STARTS = sorted({state for states in STARTS.values() for state in states})

#: Triggers that take a case forward on the way to archived (``move_on`` prefers them).
FORWARD = {
    "accept",
    "open_mediation",
    "sign_agreement",
    "confirm_performance",
    "apply_conversion",
    "record_conversion",
    "archive",
}

#: Recording actions worth trying in each state (the ``record_something`` rule).
SENSIBLE: dict[str, list[str]] = {
    "registered": ["add_claim_item", "update_party"],
    "finding_crux": ["record_interview", "record_crux", "record_plan", "record_overdue_consent"],
    "seizing_opening": [
        "draft_agreement",
        "record_signature",
        "record_joint_session",
        "log_offer",
        "record_overdue_consent",
    ],
    "ensuring_performance": ["record_payment"],
    "awaiting_conversion": ["record_payment"],
    "closed": ["produce_archive_bundle"],
    "failed": ["produce_archive_bundle"],
    "withdrawn": ["produce_archive_bundle"],
    "rejected": ["produce_archive_bundle"],
}

PARTY_KEYS = ("name", "id_number", "phone")

#: What a blocked user does next, by the guard that blocked them (the ``move_on`` rule).
#: A draft and a payment get their data when they are made.
FIXES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "has_complete_worker": [
        (
            "update_party",
            {
                "role": "worker",
                "name": WORKER.name,
                "id_number": WORKER.id_number,
                "phone": WORKER.phone,
            },
        )
    ],
    "has_complete_employer": [
        ("update_party", {"role": "employer", "id_number": EMPLOYER.id_number})
    ],
    "has_claim_with_amount": [("add_claim_item", {"category": "wages", "amount_fen": 100_000})],
    "has_interviewed_worker": [("record_interview", {"party_role": "worker", "notes": "约谈"})],
    "has_interviewed_employer": [("record_interview", {"party_role": "employer", "notes": "约谈"})],
    "has_crux": [("record_crux", {"text": "加班费计算基数"})],
    "has_plan": [("record_plan", {"text": "先核对考勤"})],
    "is_within_window_or_consented": [
        ("record_overdue_consent", {"party_role": "worker"}),
        ("record_overdue_consent", {"party_role": "employer"}),
    ],
    "has_complete_terms": [("draft_agreement", {})],
    "has_consistent_amounts": [("draft_agreement", {})],
    "has_worker_signature": [("record_signature", {"signer": "worker"})],
    "has_employer_signature": [("record_signature", {"signer": "employer"})],
    "has_mediator_signature": [("record_signature", {"signer": "mediator"})],
    "has_organization_seal": [("record_signature", {"signer": "organization"})],
    "is_fully_paid": [("record_payment", {})],
    "has_archive_bundle": [("produce_archive_bundle", {"content": STUB_PDF})],
}

CATEGORIES = [
    "wages",
    "overtime",
    "compensation",
    "damages",
    "social_insurance",
    "injury",
    "contract",
    "other",
]
BAD_AMOUNTS = st.one_of(
    st.integers(-1_000_000, 0),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.sampled_from(["100", None, "一百元"]),
    st.integers(MAX_FEN + 1, 2**70),
)


def amounts(good: st.SearchStrategy[int], valid: bool) -> st.SearchStrategy[Any]:
    """Good amounts, or (unless ``valid``) often bad ones."""
    return good if valid else st.one_of(good, good, BAD_AMOUNTS)


def choose(good: list[Any], bad: list[Any], valid: bool) -> st.SearchStrategy[Any]:
    """One of the good values, or (unless ``valid``) of the good and the bad."""
    return st.sampled_from(good if valid else [*good, *bad])


@st.composite
def drafts(draw: st.DrawFn, today: date, *, valid: bool) -> dict[str, Any]:
    """An agreement draft whose instalments add up to its terms, or (if not valid) may not."""
    money = amounts(st.integers(1, 1_000_000), valid)
    terms = draw(
        st.lists(
            st.fixed_dictionaries(
                {"category": choose(CATEGORIES, ["bonus"], valid), "amount_fen": money}
            ),
            min_size=1 if valid else 0,
            max_size=3,
        )
    )
    total = sum(t["amount_fen"] for t in terms if type(t["amount_fen"]) is int)
    if valid or draw(st.booleans()):
        first = draw(st.integers(0, total)) if total > 1 else 0
        parts: list[Any] = [p for p in (first, total - first) if p > 0] or [1]
    else:
        parts = draw(st.lists(money, max_size=2))
    due = [today + timedelta(days=draw(st.sampled_from([-3, 7, 30]))) for _ in parts]
    return {
        "method": draw(choose(["bank_transfer", "cash"], ["iou"], valid)),
        "terms": [{**t, "description": str(t["category"])} for t in terms],
        "instalments": [
            {"due_on": d.isoformat(), "amount_fen": p} for d, p in zip(due, parts, strict=True)
        ],
    }


def inputs(
    action: str, *, today: date, outstanding: int, valid: bool
) -> st.SearchStrategy[dict[str, Any]]:
    """Input for an action: valid, or (unless ``valid``) anything a form might send."""
    roles = choose(["worker", "employer"], ["judge"], valid)
    texts = choose(["双方分歧过大", "约谈记录"], ["", "   "], valid)
    money = amounts(st.integers(1, 2_000_000), valid)
    if action in {"reject", "declare_failure", "withdraw", "declare_breach", "conversion_refused"}:
        return st.fixed_dictionaries({"reason": texts})
    if action == "apply_conversion":
        kinds = ["arbitral_review", "judicial_confirmation", "payment_order"]
        return st.fixed_dictionaries({"conversion_kind": choose(kinds, ["", "公证"], valid)})
    if action == "record_conversion":
        return st.fixed_dictionaries(
            {
                "document_number": choose(["(2026)京0115民特1号"], ["", " "], valid),
                "issuing_body": choose(["北京市大兴区人民法院"], [""], valid),
            }
        )
    if action == "update_party":
        return st.fixed_dictionaries(
            {"role": roles},
            optional={
                "phone": choose(["13900139000"], ["", "x"], valid),
                "address": st.just("大兴区黄村镇"),
                "agent_name": st.just("李律师"),
            },
        )
    if action == "add_claim_item":
        categories = choose(CATEGORIES, ["bonus"], valid)
        return st.fixed_dictionaries({"category": categories, "amount_fen": money})
    if action in {"record_interview", "record_joint_session"}:
        return st.fixed_dictionaries({"party_role": roles, "notes": texts})
    if action in {"record_crux", "record_plan"}:
        return st.fixed_dictionaries({"text": texts})
    if action == "record_overdue_consent":
        return st.fixed_dictionaries({"party_role": roles})
    if action == "log_offer":
        return st.fixed_dictionaries({"by_role": roles, "amount_fen": money})
    if action == "record_signature":
        signers = ["worker", "employer", "mediator", "organization"]
        return st.fixed_dictionaries({"signer": choose(signers, ["lawyer"], valid)})
    if action == "record_payment":
        owed = amounts(st.integers(1, max(1, outstanding)), valid)
        return st.fixed_dictionaries({"amount_fen": owed})
    if action == "draft_agreement":
        return drafts(today, valid=valid)
    if action == "produce_archive_bundle":
        # The bundle is rendered outside the transaction (mediation.issuing): a stand-in.
        return st.fixed_dictionaries({"content": choose([STUB_PDF], [b"", "%PDF-", None], valid)})
    return st.just({})


@dataclass(frozen=True)
class Seen:
    """What the test reads back about the case after a step."""

    state: str
    version: int
    events: int
    agreed: int
    paid: int
    signed: bool
    terms: tuple[tuple[Any, ...], ...]
    instalments: tuple[tuple[Any, ...], ...]

    @property
    def outstanding(self) -> int:
        return self.agreed - self.paid


def _no_fsync(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA synchronous=OFF")


class CaseMachine(RuleBasedStateMachine):
    """One case, driven by random actions; the database is a copy of a migrated file."""

    def __init__(self, templates: dict[str, Path], starts: list[str], workdir: Path) -> None:
        super().__init__()
        self.templates = templates
        self.starts = starts
        self.path = workdir / f"case-{next(COUNTER)}.sqlite3"
        self.database: Database | None = None
        self.today = START
        self.case_id = 1
        self.seen: Seen | None = None
        self.frozen: tuple[Any, ...] | None = None

    def teardown(self) -> None:
        if self.database is not None:
            self.database.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @property
    def db(self) -> Database:
        assert self.database is not None
        return self.database

    def look(self) -> Seen:
        """Read the case back."""
        with self.db.read_session() as session:
            case = session.execute(select(CASE).where(CASE.c.id == self.case_id)).one()
            events = session.execute(
                select(func.count()).where(EVENT.c.case_id == self.case_id)
            ).scalar_one()
            agreement_id = session.execute(
                select(AGREEMENT.c.id).where(AGREEMENT.c.case_id == self.case_id)
            ).scalar_one_or_none()
            terms = session.execute(
                select(TERM.c.category, TERM.c.amount_fen, TERM.c.description)
                .where(TERM.c.agreement_id == agreement_id)
                .order_by(TERM.c.id)
            ).all()
            instalments = session.execute(
                select(INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen)
                .where(INSTALMENT.c.agreement_id == agreement_id)
                .order_by(INSTALMENT.c.seq)
            ).all()
        return Seen(
            state=case.state,
            version=case.version,
            events=events,
            agreed=case.agreed_fen,
            paid=case.paid_fen,
            signed=case.signed_at is not None,
            terms=tuple(tuple(t) for t in terms),
            instalments=tuple(tuple(i) for i in instalments),
        )

    @property
    def now(self) -> Seen:
        assert self.seen is not None
        return self.seen

    def inputs(self, action: str, *, valid: bool = False) -> st.SearchStrategy[dict[str, Any]]:
        return inputs(action, today=self.today, outstanding=self.now.outstanding, valid=valid)

    def attempt(self, action: str, data: dict[str, Any], stale: int = 0) -> EventRecord | Exception:
        """Apply one action; check what it did against what was there before."""
        before = self.now
        outcome: EventRecord | Exception
        try:
            with self.db.writing() as session:
                outcome = advance(
                    session,
                    case_id=self.case_id,
                    action=action,
                    expected_version=before.version + stale,
                    actor=ACTOR,
                    data=data,
                    today=self.today,
                )
        except REFUSALS as exc:
            outcome = exc
        after = self.seen = self.look()

        if stale:
            assert isinstance(outcome, Conflict), (action, data, stale, outcome)
        if not isinstance(outcome, EventRecord):
            assert after == before, (action, data, outcome)
            return outcome
        assert after.version == before.version + 1
        assert after.events == before.events + 1
        assert (outcome.action, outcome.from_state, outcome.to_state) == (
            action,
            before.state,
            after.state,
        )
        if action in GRAPH_TRIGGERS:
            assert GRAPH.get((before.state, action)) == after.state, (before.state, action)
        else:
            assert after.state == before.state
            assert before.state in RECORDING_ACTIONS[action]
        # What each guarded move promises, computed here rather than by the guards.
        if action == "record_payment":
            assert after.paid == before.paid + data["amount_fen"]
        if action == "sign_agreement":
            assert after.terms
            assert after.agreed == sum(t[1] for t in after.terms)
            assert after.agreed == sum(i[2] for i in after.instalments)
        if action == "confirm_performance":
            assert after.paid == after.agreed
        if action == "declare_breach":
            assert sum(i[2] for i in after.instalments if i[1] < self.today) > after.paid
        return outcome

    # ----------------------------------------------------------------------- rules

    @initialize(data=st.data())
    def open_case(self, data: st.DataObject) -> None:
        start = data.draw(st.sampled_from(self.starts), label="start")
        shutil.copyfile(self.templates[start], self.path)
        self.database = Database(f"sqlite:///{self.path}")
        # Durability is not under test here: spare each commit its fsyncs (and shrinking, time).
        event.listen(self.database.engine, "connect", _no_fsync)
        self.seen = self.look()
        assert self.seen.state == start

    @rule(days=st.sampled_from([1, 3, 8, 16, 31]))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(
        action=st.sampled_from(TRIGGERS + RECORDINGS),
        data=st.data(),
        stale=st.sampled_from([0, 0, 0, 0, 0, 0, -1, 1, -3]),
    )
    def anything(self, action: str, data: st.DataObject, stale: int) -> None:
        """Any action, in any state, with data that may be right or wrong."""
        self.attempt(action, data.draw(self.inputs(action), label="data"), stale)

    @precondition(lambda self: self.seen is not None and self.seen.state != "archived")
    @rule(data=st.data())
    def record_something(self, data: st.DataObject) -> None:
        """A recording action that makes sense in the current state, with valid data."""
        action = data.draw(st.sampled_from(SENSIBLE[self.now.state]), label="action")
        self.attempt(action, data.draw(self.inputs(action, valid=True), label="data"))

    @precondition(lambda self: self.seen is not None and self.seen.state != "archived")
    @rule(data=st.data())
    def move_on(self, data: st.DataObject) -> None:
        """Try a trigger of the current state; if a guard blocks, do what its message asks."""
        declared = sorted(
            t
            for (state, t) in GRAPH
            for _ in range(3 if t in FORWARD else 1)
            if state == self.now.state
        )
        trigger = data.draw(st.sampled_from(declared), label="trigger")
        given = data.draw(self.inputs(trigger, valid=True), label="data")
        outcome = self.attempt(trigger, given)
        if not isinstance(outcome, GuardFailed):
            return
        for blocker in outcome.blockers:
            if blocker.guard == "is_performance_overdue":
                self.today += timedelta(days=31)
            for action, payload in FIXES.get(blocker.guard, []):
                if action == "draft_agreement":
                    payload = data.draw(drafts(self.today, valid=True), label="draft")
                if action == "record_payment":
                    payload = {"amount_fen": self.now.outstanding}
                self.attempt(action, payload)
        self.attempt(trigger, given)

    @precondition(lambda self: self.seen is not None and self.seen.state in SIGNED_STATES)
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        """Money in: exactly what is owed, part of it, one fen too much, or nonsense."""
        owed = self.now.outstanding
        amount = data.draw(
            st.one_of(st.sampled_from([owed, max(1, owed // 2), 1, owed + 1]), BAD_AMOUNTS),
            label="amount_fen",
        )
        self.attempt("record_payment", {"amount_fen": amount})

    @precondition(lambda self: self.seen is not None and self.seen.signed)
    @rule(data=st.data())
    def change_signed_agreement(self, data: st.DataObject) -> None:
        """Redraft or re-sign an agreement in force: always refused."""
        action = data.draw(st.sampled_from(["draft_agreement", "record_signature"]))
        outcome = self.attempt(action, data.draw(self.inputs(action, valid=True), label="data"))
        assert isinstance(outcome, TransitionNotAllowed), outcome

    # ----------------------------------------------------------------------- invariants

    @invariant()
    def money_adds_up(self) -> None:
        if self.seen is None:
            return
        assert 0 <= self.seen.paid <= self.seen.agreed
        if self.seen.signed:
            assert self.seen.agreed == sum(t[1] for t in self.seen.terms)

    @invariant()
    def one_event_per_version(self) -> None:
        if self.seen is not None:
            assert self.seen.events == self.seen.version

    @invariant()
    def signed_terms_never_change(self) -> None:
        if self.seen is None or not self.seen.signed:
            return
        terms = (self.seen.agreed, self.seen.terms, self.seen.instalments)
        if self.frozen is None:
            self.frozen = terms
        assert terms == self.frozen

    @invariant()
    def chain_verifies(self) -> None:
        if self.seen is None:
            return
        with self.db.read_session() as session:
            result = verify(session)
        assert result.ok, result.first_break


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """For each starting state, a migrated SQLite file holding one case in that state.

    Each example copies one, so that an example (and shrinking a failure) costs a file copy
    rather than a migration and a dozen transactions.
    """
    folder = tmp_path_factory.mktemp("templates")
    empty = folder / "empty.sqlite3"
    database = Database(f"sqlite:///{empty}")
    upgrade(database.engine)
    database.dispose()
    paths: dict[str, Path] = {}
    for state in ALL_STARTS:
        paths[state] = folder / f"{state}.sqlite3"
        shutil.copyfile(empty, paths[state])
        database = Database(f"sqlite:///{paths[state]}")
        case_id, _ = make_case(database, state=state, actor=ACTOR, today=START)
        database.dispose()
        assert case_id == 1
        assert not Path(f"{paths[state]}-wal").exists()
    return paths


@pytest.mark.parametrize("starts", sorted(STARTS))
def test_random_action_sequences_keep_the_case_invariants(
    templates: dict[str, Path], tmp_path: Path, starts: str
) -> None:
    run_state_machine_as_test(
        lambda: CaseMachine(templates, STARTS[starts], tmp_path),
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None),
    )
