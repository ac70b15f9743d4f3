"""``Workflow.fire`` runs the machine's transition as ``transitions`` would, callbacks included.

The short way (the prepared ``Transition`` of the trigger and state, without ``transitions``'
event processing and step logging) must call the same callbacks in the same order, check the
same conditions and refuse the same triggers as ``machine.events[name].trigger(subject)``,
which :meth:`Workflow.fire` falls back to when the ``transitions`` logger is enabled or a
machine-wide event hook is set. Each test fires both ways and compares.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pytest

from workflows.engine import Workflow, WorkflowRefused
from workflows.guards import Blocker


class S(StrEnum):
    A = "a"
    B = "b"
    DONE = "done"


@dataclass(frozen=True)
class Check:
    name: str

    def holds(self, subject: Any) -> bool:
        subject.log.append(f"check {self.name}")
        return self.name not in subject.failing

    def blocker(self, subject: Any) -> Blocker:
        return Blocker(self.name, f"{self.name} does not hold")


@dataclass(frozen=True)
class Move:
    trigger: str
    sources: tuple[S, ...]
    dest: S
    guards: tuple[Check, ...] = ()


@dataclass
class Subject:
    state: str
    failing: frozenset[str] = frozenset()
    log: list[str] = field(default_factory=list)


def _workflow() -> Workflow[S]:
    workflow = Workflow(
        S,
        [
            Move("go", (S.A,), S.B, (Check("one"), Check("two"))),
            Move("finish", (S.A, S.B), S.DONE, (Check("three"),)),
        ],
        initial=S.A,
    )
    machine = workflow.machine
    machine.get_state(S.DONE.value).final = True

    def record(what: str) -> Any:
        return lambda event: event.model.log.append(f"{what} {event.state.name}")

    machine.before_state_change = [record("before_state_change")]
    machine.after_state_change = [record("after_state_change")]
    machine.on_final = [record("on_final")]
    for state in machine.states.values():
        state.add_callback("enter", record("enter"))
        state.add_callback("exit", record("exit"))
    for event in machine.events.values():
        for moves in event.transitions.values():
            for transition in moves:
                transition.add_callback("prepare", record(f"prepare {event.name}"))
                transition.add_callback("before", record(f"before {event.name}"))
                transition.add_callback("after", record(f"after {event.name}"))
    return workflow


@contextmanager
def through_transitions_events() -> Iterator[None]:
    """Make ``fire`` take ``transitions``' own event processing (its logger at INFO)."""
    logger = logging.getLogger("transitions.core")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(level)


def _fire_both(state: str, trigger: str, failing: frozenset[str] = frozenset()) -> list[Any]:
    outcomes = []
    for slow in (False, True):
        workflow = _workflow()
        subject = Subject(state, failing)
        with through_transitions_events() if slow else nullcontext():
            try:
                result: Any = workflow.fire(subject, trigger)
            except WorkflowRefused as exc:
                result = ("refused", str(exc))
        outcomes.append((result, subject.state, subject.log))
    return outcomes


@pytest.mark.parametrize(("state", "trigger"), [("a", "go"), ("a", "finish"), ("b", "finish")])
def test_a_transition_calls_the_same_callbacks_in_the_same_order(state, trigger):
    short, through_events = _fire_both(state, trigger)
    assert short == through_events
    result, new_state, log = short
    assert result is S(new_state)
    assert log[0] == f"prepare {trigger} {state}"
    assert log[-1].startswith("after_state_change")
    assert ("on_final done" in log) is (new_state == "done")


@pytest.mark.parametrize("failing", [{"one"}, {"two"}, {"one", "two"}])
def test_an_unmet_condition_refuses_and_stops_where_transitions_stops(failing):
    short, through_events = _fire_both("a", "go", frozenset(failing))
    assert short == through_events
    result, state, log = short
    assert result[0] == "refused" and "blocked by its conditions" in result[1]
    assert state == "a"
    assert not any(entry.startswith(("before", "exit", "enter", "after")) for entry in log)


@pytest.mark.parametrize(("state", "trigger"), [("b", "go"), ("done", "go"), ("a", "nothing")])
def test_a_trigger_not_declared_from_the_state_is_refused_either_way(state, trigger):
    short, through_events = _fire_both(state, trigger)
    assert short[0][0] == "refused" and through_events[0][0] == "refused"
    assert short[1:] == through_events[1:] == (state, [])


def test_a_machine_wide_event_hook_is_honoured():
    workflow = _workflow()
    subject = Subject("a")
    workflow.machine.prepare_event = [lambda event: event.model.log.append("prepare_event")]
    workflow.machine.finalize_event = [lambda event: event.model.log.append("finalize_event")]
    assert workflow.fire(subject, "go") is S.B
    assert subject.log[0] == "prepare_event" and subject.log[-1] == "finalize_event"


def test_the_shared_machine_never_registers_the_subject():
    workflow = _workflow()
    subject = Subject("a")
    workflow.fire(subject, "go")
    workflow.fire(subject, "finish")
    assert workflow.machine.models == []
    assert not hasattr(subject, "trigger")
