"""The assignment workflow: its full transition table, refused pairs, guards and escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows import assignment as wf
from workflows.assignment import (
    AssignmentFacts,
    AssignmentInput,
    AssignmentState,
    AssignmentSubject,
)

S = AssignmentState

#: The whole declared table: (source, trigger) → destination.
TABLE = {
    (S.OPEN, "claim"): S.CLAIMED,
    (S.CLAIMED, "release"): S.OPEN,
    (S.CLAIMED, "complete"): S.COMPLETED,
    (S.OPEN, "cancel"): S.CANCELLED,
    (S.CLAIMED, "cancel"): S.CANCELLED,
}

LAWYER = 7

#: Facts and input under which every guard holds.
GOOD_FACTS = AssignmentFacts(
    actor_id=LAWYER,
    holder_id=LAWYER,
    actor_is_active_lawyer=True,
    in_actor_zones=True,
    conflict_confirmed=True,
)
GOOD_INPUT = AssignmentInput(reason="律所安排冲突", outcome="已出具法律意见书", minutes=90)


def subject(state: S, facts: AssignmentFacts = GOOD_FACTS, given=GOOD_INPUT) -> AssignmentSubject:
    return AssignmentSubject(state.value, facts, given)


def test_the_declared_table_is_the_design():
    declared = {(s, t.trigger): t.dest for t in wf.TRANSITIONS for s in t.sources}
    assert declared == TABLE


@pytest.mark.parametrize(("source", "trigger"), sorted(TABLE, key=str))
def test_declared_transition_fires_to_its_destination(source, trigger):
    s = subject(source)
    assert wf.decide(s, trigger).allowed
    assert wf.fire(s, trigger) == TABLE[(source, trigger)]
    assert s.state == TABLE[(source, trigger)].value


REFUSED = [(s, t) for s in S for t in wf.TRIGGERS if (s, t) not in TABLE]


@pytest.mark.parametrize(("source", "trigger"), REFUSED, ids=[f"{s}-{t}" for s, t in REFUSED])
def test_undeclared_pair_is_refused(source, trigger):
    s = subject(source)
    decision = wf.decide(s, trigger)
    assert not decision.declared and not decision.allowed
    with pytest.raises(wf.WorkflowRefused):
        wf.fire(s, trigger)
    assert s.state == source.value


def test_final_states_have_no_way_out():
    for state in wf.FINAL_STATES:
        assert wf.available(subject(state)) == []


def test_every_state_is_reachable_from_open():
    reached = {S.OPEN}
    frontier = [S.OPEN]
    while frontier:
        state = frontier.pop()
        for (source, _trigger), dest in TABLE.items():
            if source == state and dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    assert reached == set(S)


def test_unknown_trigger_is_refused():
    with pytest.raises(wf.WorkflowRefused):
        wf.fire(subject(S.OPEN), "steal")


GUARD_CASES = [
    ("claim", S.OPEN, {"actor_is_active_lawyer": False}, {}, "is_active_lawyer"),
    ("claim", S.OPEN, {"in_actor_zones": False}, {}, "is_in_zone_or_escalated"),
    ("claim", S.OPEN, {"conflict_declared": True}, {}, "has_no_declared_conflict"),
    ("release", S.CLAIMED, {"holder_id": 99}, {}, "is_holder"),
    ("release", S.CLAIMED, {}, {"reason": "  "}, "has_reason"),
    ("complete", S.CLAIMED, {"holder_id": None}, {}, "is_holder"),
    ("complete", S.CLAIMED, {"conflict_confirmed": False}, {}, "has_confirmed_no_conflict"),
    ("complete", S.CLAIMED, {}, {"outcome": ""}, "has_outcome"),
    ("complete", S.CLAIMED, {}, {"minutes": None}, "has_time_spent"),
    ("complete", S.CLAIMED, {}, {"minutes": 0}, "has_time_spent"),
    ("complete", S.CLAIMED, {}, {"minutes": wf.MAX_MINUTES + 1}, "has_time_spent"),
    ("cancel", S.OPEN, {}, {"reason": ""}, "has_reason"),
    ("cancel", S.CLAIMED, {}, {"reason": ""}, "has_reason"),
]


@pytest.mark.parametrize(
    ("trigger", "state", "facts", "given", "guard"),
    GUARD_CASES,
    ids=[f"{c[0]}-{c[4]}-{i}" for i, c in enumerate(GUARD_CASES)],
)
def test_each_guard_blocks_with_its_message(trigger, state, facts, given, guard):
    from dataclasses import replace

    s = subject(state, replace(GOOD_FACTS, **facts), replace(GOOD_INPUT, **given))
    decision = wf.decide(s, trigger)
    assert decision.declared and not decision.allowed
    assert [b.guard for b in decision.blockers] == [guard]
    assert decision.blockers[0].render()
    with pytest.raises(wf.WorkflowRefused):
        wf.fire(s, trigger)
    assert s.state == state.value


def test_claim_in_another_zone_is_allowed_once_escalated():
    from dataclasses import replace

    facts = replace(GOOD_FACTS, in_actor_zones=False, escalated=True)
    assert wf.decide(subject(S.OPEN, facts), "claim").allowed


def test_a_released_assignment_can_be_claimed_again():
    s = subject(S.OPEN)
    wf.fire(s, "claim")
    wf.fire(s, "release")
    wf.fire(s, "claim")
    wf.fire(s, "complete")
    assert s.state == S.COMPLETED


def test_the_machine_is_built_once():
    import importlib

    assert importlib.import_module("workflows.assignment").MACHINE is wf.MACHINE
    assert wf.MACHINE.models == []


def test_escalation_is_computed_from_the_timestamps():
    created = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert wf.escalates_at(created, 48) == created + timedelta(hours=48)
    assert not wf.is_escalated("open", created, 48, created + timedelta(hours=47, minutes=59))
    assert wf.is_escalated("open", created, 48, created + timedelta(hours=48))
    # Naive times (as SQLite returns them) are UTC.
    assert wf.is_escalated("open", created.replace(tzinfo=None), 1, created + timedelta(hours=1))
    # Only open assignments escalate.
    assert not wf.is_escalated("claimed", created, 1, created + timedelta(days=9))
