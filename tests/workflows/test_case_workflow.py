"""The case workflow as a table: what may follow what, behind which guard, saying what."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import transitions

from workflows import case as wf
from workflows.case import TRANSITIONS, CaseState, WorkflowRefused, available, decide, fire
from workflows.guards import Blocker, CaseFacts, CaseSubject, TriggerInput

# --------------------------------------------------------------------------- the table, literally

#: (source, trigger, destination) — DESIGN.md §2, written out by hand.
TABLE: set[tuple[str, str, str]] = {
    ("registered", "accept", "finding_crux"),
    ("registered", "reject", "rejected"),
    ("finding_crux", "open_mediation", "seizing_opening"),
    ("seizing_opening", "sign_agreement", "ensuring_performance"),
    ("seizing_opening", "declare_failure", "failed"),
    ("registered", "withdraw", "withdrawn"),
    ("finding_crux", "withdraw", "withdrawn"),
    ("seizing_opening", "withdraw", "withdrawn"),
    ("ensuring_performance", "confirm_performance", "closed"),
    ("ensuring_performance", "apply_conversion", "awaiting_conversion"),
    ("awaiting_conversion", "record_conversion", "closed"),
    ("awaiting_conversion", "conversion_refused", "ensuring_performance"),
    ("ensuring_performance", "declare_breach", "closed"),
    ("closed", "archive", "archived"),
    ("failed", "archive", "archived"),
    ("withdrawn", "archive", "archived"),
    ("rejected", "archive", "archived"),
}

#: The guards of each trigger, in the order the user meets them.
GUARDS: dict[str, tuple[str, ...]] = {
    "accept": ("has_complete_worker", "has_complete_employer", "has_claim_with_amount"),
    "reject": ("has_reason",),
    "open_mediation": (
        "has_interviewed_worker",
        "has_interviewed_employer",
        "has_crux",
        "has_plan",
        "is_within_window_or_consented",
    ),
    "sign_agreement": (
        "has_complete_terms",
        "has_consistent_amounts",
        "has_worker_signature",
        "has_employer_signature",
        "has_mediator_signature",
        "has_organization_seal",
        "is_within_window_or_consented",
    ),
    "declare_failure": ("has_reason",),
    "withdraw": (),
    "confirm_performance": ("is_fully_paid",),
    "apply_conversion": (
        "has_conversion_kind",
        "is_conversion_allowed_for_terms",
        "is_within_conversion_window",
    ),
    "record_conversion": ("has_document_number", "has_issuing_body"),
    "conversion_refused": ("has_reason",),
    "declare_breach": ("is_performance_overdue",),
    "archive": ("has_archive_bundle",),
}

STATES = [s.value for s in CaseState]
TRIGGERS = sorted({trigger for _, trigger, _ in TABLE})
UNDECLARED = [
    (state, trigger)
    for state in STATES
    for trigger in TRIGGERS
    if not any(src == state and trg == trigger for src, trg, _ in TABLE)
]

# --------------------------------------------------------------------------- facts

RECEIVED = date(2026, 3, 2)
TODAY = RECEIVED + timedelta(days=5)
EFFECTIVE = TODAY

#: Facts under which every guard of every transition holds.
ALL_MET = CaseFacts(
    today=TODAY,
    received_on=RECEIVED,
    worker_complete=True,
    employer_complete=True,
    claim_items_with_amount=1,
    interviewed_worker=True,
    interviewed_employer=True,
    has_crux=True,
    has_plan=True,
    terms_count=2,
    terms_total_fen=1_000_000,
    instalments_count=2,
    instalments_total_fen=1_000_000,
    has_method=True,
    signed_worker=True,
    signed_employer=True,
    signed_mediator=True,
    sealed=True,
    effective_on=EFFECTIVE,
    agreed_fen=1_000_000,
    paid_fen=1_000_000,
    term_categories=frozenset({"wages", "compensation"}),
    has_archive_bundle=True,
)
ALL_GIVEN = TriggerInput(
    reason="双方分歧过大",
    conversion_kind="judicial_confirmation",
    document_number="(2026)京0115民特123号",
    issuing_body="北京市大兴区人民法院",
)
#: A breach needs money due and unpaid, which "fully paid" rules out: its own facts.
MET_FOR: dict[str, dict[str, Any]] = {"declare_breach": {"paid_fen": 0, "due_fen": 500_000}}

#: For each guard, what breaks it alone (facts, input) and the message the user then reads.
BREAK: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "has_complete_worker": (
        {"worker_complete": False},
        {},
        "Complete the worker's details (name, resident ID number and phone) first.",
    ),
    "has_complete_employer": (
        {"employer_complete": False},
        {},
        "Complete the employer's details (name and unified social credit code) first.",
    ),
    "has_claim_with_amount": (
        {"claim_items_with_amount": 0},
        {},
        "Enter at least one claim item with an amount first.",
    ),
    "has_reason": ({}, {"reason": "   "}, "Give the reason."),
    "has_interviewed_worker": (
        {"interviewed_worker": False},
        {},
        "Record a separate interview with the worker first.",
    ),
    "has_interviewed_employer": (
        {"interviewed_employer": False},
        {},
        "Record a separate interview with the employer first.",
    ),
    "has_crux": ({"has_crux": False}, {}, "Record the crux of the dispute first."),
    "has_plan": ({"has_plan": False}, {}, "Draw up the mediation plan first."),
    "is_within_window_or_consented": (
        {"today": RECEIVED + timedelta(days=16), "consent_worker": True},
        {},
        "The 15-day mediation period ended on 2026-03-17 (Art. 14, Labour Dispute Mediation "
        "and Arbitration Law): record both parties' consent to continue, or declare failure.",
    ),
    "has_complete_terms": (
        {"has_method": False},
        {},
        "Draft the agreement first: at least one term with an amount, the performance method "
        "and at least one instalment with its due date.",
    ),
    "has_consistent_amounts": (
        {"instalments_total_fen": 900_050},
        {},
        "The instalments add up to 9000.50 yuan but the terms to 10000.00 yuan: "
        "the amounts must agree.",
    ),
    "has_worker_signature": (
        {"signed_worker": False},
        {},
        "Record the worker's signature on the agreement first.",
    ),
    "has_employer_signature": (
        {"signed_employer": False},
        {},
        "Record the employer's signature or seal on the agreement first.",
    ),
    "has_mediator_signature": (
        {"signed_mediator": False},
        {},
        "Record the mediator's signature on the agreement first.",
    ),
    "has_organization_seal": (
        {"sealed": False},
        {},
        "Record the mediation organisation's seal on the agreement first.",
    ),
    "is_fully_paid": (
        {"paid_fen": 400_001},
        {},
        "4000.01 yuan of 10000.00 yuan has been paid: record the remaining payments first.",
    ),
    "has_conversion_kind": (
        {},
        {"conversion_kind": "mediation_certificate"},
        "Choose arbitral review, judicial confirmation or payment order.",
    ),
    "is_conversion_allowed_for_terms": (
        {"term_categories": frozenset({"wages", "social_insurance", "contract"})},
        {"conversion_kind": "payment_order"},
        "A payment order (Art. 16) covers only unpaid wages or overtime, work-injury medical "
        "costs, economic compensation and damages; this agreement also has: "
        "contract, social_insurance.",
    ),
    "is_within_conversion_window": (
        {"today": EFFECTIVE + timedelta(days=31)},
        {},
        "The time to apply ended on 2026-04-06.",
    ),
    "has_document_number": (
        {},
        {"document_number": ""},
        "Enter the number of the arbitral or judicial document.",
    ),
    "has_issuing_body": (
        {},
        {"issuing_body": " "},
        "Enter the arbitration commission or court that issued the document.",
    ),
    "is_performance_overdue": (
        {"paid_fen": 500_000},
        {},
        "No instalment is past its due date unpaid: a breach cannot be declared yet.",
    ),
    "has_archive_bundle": (
        {"has_archive_bundle": False},
        {},
        "Produce the archive bundle (case file) first.",
    ),
}


def met_subject(state: str, trigger: str = "") -> CaseSubject:
    """A subject in ``state`` whose facts satisfy every guard of ``trigger``."""
    return CaseSubject(state, replace(ALL_MET, **MET_FOR.get(trigger, {})), ALL_GIVEN)


def broken_subject(state: str, trigger: str, guard: str) -> CaseSubject:
    """A subject that satisfies every guard of ``trigger`` except ``guard``."""
    subject = met_subject(state, trigger)
    facts, given, _ = BREAK[guard]
    return CaseSubject(state, replace(subject.facts, **facts), replace(subject.given, **given))


GUARD_CASES = [
    pytest.param(source, trigger, guard, id=f"{trigger}-from-{source}-{guard}")
    for source, trigger, _ in sorted(TABLE)
    for guard in GUARDS[trigger]
]

# --------------------------------------------------------------------------- the table


def test_transitions_match_the_table_written_out():
    declared = {(s.value, t.trigger, t.dest.value) for t in TRANSITIONS for s in t.sources}
    assert declared == TABLE


def test_machine_declares_exactly_the_table():
    built = {
        (source, name, transition.dest)
        for name, event in wf.MACHINE.events.items()
        for source, moves in event.transitions.items()
        for transition in moves
    }
    assert built == TABLE


def test_transitions_have_the_guards_in_the_table():
    assert {t.trigger: tuple(g.name for g in t.guards) for t in TRANSITIONS} == GUARDS


def test_triggers_are_the_declared_triggers():
    assert sorted(wf.TRIGGERS) == TRIGGERS
    assert len(wf.TRIGGERS) == len(set(wf.TRIGGERS))


@pytest.mark.parametrize(("source", "trigger", "dest"), sorted(TABLE))
def test_fire_declared_trigger_with_guards_met_moves_to_dest(source, trigger, dest):
    subject = met_subject(source, trigger)
    decision = decide(subject, trigger)
    assert (decision.declared, decision.dest, decision.blockers) == (True, CaseState(dest), ())
    assert decision.allowed
    assert fire(subject, trigger) is CaseState(dest)
    assert subject.state == dest


@pytest.mark.parametrize(("state", "trigger"), UNDECLARED)
def test_fire_undeclared_trigger_is_refused(state, trigger):
    subject = met_subject(state, trigger)
    decision = decide(subject, trigger)
    assert decision.declared is False
    assert decision.dest is None
    assert not decision.allowed
    with pytest.raises(WorkflowRefused):
        fire(subject, trigger)
    assert subject.state == state


@pytest.mark.parametrize("state", STATES)
def test_fire_unknown_trigger_is_refused(state):
    subject = met_subject(state)
    assert decide(subject, "approve_everything").declared is False
    with pytest.raises(WorkflowRefused, match="unknown trigger"):
        fire(subject, "approve_everything")
    assert subject.state == state


# --------------------------------------------------------------------------- guards


@pytest.mark.parametrize(("source", "trigger", "guard"), GUARD_CASES)
def test_decide_with_one_guard_unmet_names_that_guard_and_its_message(source, trigger, guard):
    subject = broken_subject(source, trigger, guard)
    decision = decide(subject, trigger)
    assert decision.declared
    assert not decision.allowed
    assert [b.guard for b in decision.blockers] == [guard]
    assert decision.blockers[0].render() == BREAK[guard][2]


@pytest.mark.parametrize(("source", "trigger", "guard"), GUARD_CASES)
def test_fire_with_one_guard_unmet_is_refused_and_state_kept(source, trigger, guard):
    subject = broken_subject(source, trigger, guard)
    with pytest.raises(WorkflowRefused, match="blocked by its conditions"):
        fire(subject, trigger)
    assert subject.state == source


@pytest.mark.parametrize(
    "facts",
    [
        {"terms_count": 0},
        {"nonpositive_terms": 1},
        {"instalments_count": 0},
        {"has_method": False},
    ],
    ids=["no-term", "term-without-amount", "no-instalment", "no-method"],
)
def test_sign_agreement_with_incomplete_terms_is_blocked(facts):
    subject = CaseSubject("seizing_opening", replace(ALL_MET, **facts), ALL_GIVEN)
    assert [b.guard for b in decide(subject, "sign_agreement").blockers] == ["has_complete_terms"]


def test_open_mediation_with_nothing_recorded_lists_every_blocker_in_order():
    subject = CaseSubject("finding_crux", CaseFacts(today=TODAY, received_on=RECEIVED))
    assert [b.render() for b in decide(subject, "open_mediation").blockers] == [
        "Record a separate interview with the worker first.",
        "Record a separate interview with the employer first.",
        "Record the crux of the dispute first.",
        "Draw up the mediation plan first.",
    ]


def test_blocker_render_translates_before_filling_parameters():
    blocker = Blocker("is_fully_paid", "%(paid)s of %(agreed)s", {"paid": "1.00", "agreed": "2.00"})
    assert blocker.render({"%(paid)s of %(agreed)s": "已付%(paid)s元，应付%(agreed)s元"}.get) == (
        "已付1.00元，应付2.00元"
    )


# --------------------------------------------------------------------------- the graph


def reachable_from(start: str) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS:
            if CaseState(state) in t.sources and t.dest.value not in seen:
                seen.add(t.dest.value)
                queue.append(t.dest.value)
    return seen


def test_every_state_is_reachable_from_registered():
    assert reachable_from("registered") == set(STATES)


@pytest.mark.parametrize("state", STATES)
def test_every_state_leads_to_archived(state):
    assert "archived" in reachable_from(state)


@pytest.mark.parametrize("state", ["rejected", "failed", "withdrawn", "closed"])
def test_available_in_final_state_is_only_archive(state):
    assert CaseState(state) in wf.ENDED_STATES
    assert [d.trigger for d in available(met_subject(state))] == ["archive"]


def test_ended_states_are_the_final_states():
    assert {s.value for s in wf.ENDED_STATES} == {"rejected", "failed", "withdrawn", "closed"}


def test_available_in_archived_is_empty():
    assert available(met_subject("archived")) == []
    assert not any(t for t in TRANSITIONS if CaseState.ARCHIVED in t.sources)


@pytest.mark.parametrize("action", sorted(wf.RECORDING_ACTIONS))
def test_recording_allowed_in_archived_is_false(action):
    assert not wf.recording_allowed(action, "archived")


def test_recording_allowed_for_unknown_action_is_false():
    assert not wf.recording_allowed("rewrite_history", "seizing_opening")


def test_available_lists_triggers_of_the_state_with_their_blockers():
    subject = CaseSubject("finding_crux", replace(ALL_MET, has_crux=False, has_plan=False))
    decisions = {d.trigger: d for d in available(subject)}
    assert list(decisions) == ["open_mediation", "withdraw"]
    assert [b.guard for b in decisions["open_mediation"].blockers] == ["has_crux", "has_plan"]
    assert not decisions["open_mediation"].allowed
    assert decisions["withdraw"].allowed
    assert decisions["withdraw"].dest is CaseState.WITHDRAWN


@pytest.mark.parametrize("state", STATES)
def test_available_lists_the_table_triggers_of_each_state(state):
    expected = [t.trigger for t in TRANSITIONS if CaseState(state) in t.sources]
    assert [d.trigger for d in available(met_subject(state))] == expected
    assert sorted(expected) == sorted(trg for src, trg, _ in TABLE if src == state)


# --------------------------------------------------------------------------- one machine


def test_fire_many_times_uses_the_one_machine_without_models(monkeypatch):
    machine = wf.MACHINE

    def no_new_machine(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a Machine was built while firing")

    monkeypatch.setattr(transitions.Machine, "__init__", no_new_machine)
    for _ in range(200):
        subject = met_subject("registered", "accept")
        for trigger in ("accept", "open_mediation", "sign_agreement", "confirm_performance"):
            fire(subject, trigger)
        assert subject.state == "closed"
    assert wf.MACHINE is machine
    assert machine.models == []


def test_fire_from_many_threads_at_once_moves_each_subject_once():
    barrier = threading.Barrier(8)
    subjects = [met_subject("ensuring_performance", "declare_breach") for _ in range(8)]
    errors: list[BaseException] = []

    def run(subject: CaseSubject) -> None:
        barrier.wait()
        try:
            for _ in range(100):
                subject.state = "ensuring_performance"
                fire(subject, "declare_breach")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [s.state for s in subjects] == ["closed"] * 8
    assert wf.MACHINE.models == []


def test_closed_as_names_how_each_closing_trigger_closes():
    closing = sorted(trg for _, trg, dest in TABLE if dest == "closed")
    assert sorted(wf.CLOSED_AS) == closing
    assert wf.CLOSED_AS == {
        "confirm_performance": "performed",
        "record_conversion": "converted",
        "declare_breach": "referred",
    }
