"""One declared workflow on one shared ``transitions.Machine``: decide, list, fire.

:mod:`workflows.case` and :mod:`workflows.assignment` each declare their states and their
transitions (a trigger from some states to one state, behind guards) and hand them to a
:class:`Workflow`, built once when the module is imported. Subjects (thin objects with a
``state``) are never registered with the machine — that leaks and is slow, see
PERFORMANCE-NOTES.

Firing runs the machine's own ``Transition`` of the trigger from the subject's state —
prepared once per (trigger, state) — through its conditions (the guards, checked again) and
every callback ``transitions`` would run (prepare, before, exit, enter, after, on_final). It
leaves out only what this machine is built without: the event queue and the machine-wide
``prepare_event``/``finalize_event``/``on_exception`` hooks, and ``transitions``' eight log
calls per transition. When any of those is in use (a hook set, or the ``transitions`` logger
enabled for INFO) a trigger goes through ``machine.events[name].trigger(subject)`` instead,
exactly as ``transitions`` fires it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any, Generic, Protocol, TypeVar

from transitions import Machine, MachineError
from transitions.core import Event, EventData, State, Transition

from workflows.guards import Blocker

StateT = TypeVar("StateT", bound=StrEnum)
StateT_co = TypeVar("StateT_co", bound=StrEnum, covariant=True)

#: ``transitions`` logs each step of a transition (DEBUG and INFO) on this logger.
_TRANSITIONS_LOGGER = logging.getLogger("transitions.core")


class Subject(Protocol):
    """What a machine fires on: anything with a ``state``."""

    state: str


class GuardLike(Protocol):
    """A guard: a predicate over a subject, and the message a user sees when it blocks."""

    def holds(self, subject: Any) -> bool: ...

    def blocker(self, subject: Any) -> Blocker: ...


class TransitionLike(Protocol[StateT_co]):
    """One declared move."""

    @property
    def trigger(self) -> str: ...

    @property
    def sources(self) -> tuple[StateT_co, ...]: ...

    @property
    def dest(self) -> StateT_co: ...

    @property
    def guards(self) -> tuple[GuardLike, ...]: ...


class WorkflowRefused(Exception):
    """The machine refused a trigger the caller had been told was allowed."""


@dataclass(frozen=True, slots=True)
class Decision(Generic[StateT]):
    """The workflow's answer to "may this trigger fire now?"."""

    trigger: str
    declared: bool
    dest: StateT | None
    blockers: tuple[Blocker, ...] = ()

    @property
    def allowed(self) -> bool:
        """Tell whether the trigger may fire."""
        return self.declared and not self.blockers


def _condition(guard: GuardLike) -> Callable[[Any], bool]:
    holds = guard.holds
    return lambda event: holds(event.model)


@dataclass(frozen=True, slots=True)
class _Move(Generic[StateT]):
    """One (trigger, source state), prepared once: the declaration and the machine's objects."""

    declared: TransitionLike[StateT]
    #: The answer of :meth:`Workflow.decide` when no guard blocks (immutable, so shared).
    allowed: Decision[StateT]
    checks: tuple[Callable[[Any], bool], ...]
    event: Event
    transition: Transition
    source: State
    dest: State


class Workflow(Generic[StateT]):
    """The transitions of one kind of subject, and the one machine that fires them."""

    def __init__(
        self,
        states: type[StateT],
        transitions: Iterable[TransitionLike[StateT]],
        *,
        initial: StateT,
    ) -> None:
        self.states = states
        self.transitions = tuple(transitions)
        self._members: dict[str, StateT] = {state.value: state for state in states}
        self.machine = Machine(
            model=None,
            states=[s.value for s in states],
            initial=initial.value,
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": [s.value for s in t.sources],
                    "dest": t.dest.value,
                    "conditions": [_condition(guard) for guard in t.guards],
                }
                for t in self.transitions
            ],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        # The short way of firing below is transitions' own Transition.execute and
        # State.enter/exit, written out: it holds for those classes, not for subclasses.
        self._plain = all(type(s) is State for s in self.machine.states.values()) and all(
            type(t) is Transition
            for event in self.machine.events.values()
            for moves in event.transitions.values()
            for t in moves
        )
        self._moves: dict[tuple[str, str], _Move[StateT]] = {}
        for t in self.transitions:
            event = self.machine.events[t.trigger]
            for source in t.sources:
                (transition,) = event.transitions[source.value]
                self._moves[(t.trigger, source.value)] = _Move(
                    declared=t,
                    allowed=Decision(t.trigger, declared=True, dest=t.dest),
                    checks=tuple(guard.holds for guard in t.guards),
                    event=event,
                    transition=transition,
                    source=self.machine.states[source.value],
                    dest=self.machine.states[t.dest.value],
                )

    def decide(self, subject: Subject, trigger: str) -> Decision[StateT]:
        """Say whether ``trigger`` may fire for the subject now, and if not, why not."""
        move = self._moves.get((trigger, subject.state))
        if move is None:
            self.states(subject.state)  # an unknown state is an error, not "undeclared"
            return Decision(trigger, declared=False, dest=None)
        for check in move.checks:
            if not check(subject):
                guards = move.declared.guards
                blockers = tuple(g.blocker(subject) for g in guards if not g.holds(subject))
                return Decision(trigger, declared=True, dest=move.declared.dest, blockers=blockers)
        return move.allowed

    def available(self, subject: Subject) -> list[Decision[StateT]]:
        """List the triggers declared from the subject's state, each with its blockers."""
        state = self.states(subject.state)
        return [self.decide(subject, t.trigger) for t in self.transitions if state in t.sources]

    def fire(self, subject: Subject, trigger: str) -> StateT:
        """Fire ``trigger`` on the subject through the shared machine; return the new state.

        Callers check :meth:`decide` first to learn why a trigger is refused; this still lets
        the machine itself refuse undeclared triggers and unmet conditions.
        """
        move = self._moves.get((trigger, subject.state))
        machine = self.machine
        if (
            move is None
            or not self._plain
            or machine.has_queue
            or machine.prepare_event
            or machine.finalize_event
            or machine.on_exception
            or _TRANSITIONS_LOGGER.isEnabledFor(logging.INFO)
        ):
            return self._fire_event(subject, trigger)
        # What Event.trigger → Transition.execute do for this one transition, logging aside.
        transition = move.transition
        data = EventData(move.source, move.event, machine, subject, (), {})
        data.transition = transition
        if transition.prepare:
            machine.callbacks(transition.prepare, data)
        for condition in transition.conditions:
            if not condition.check(data):
                raise WorkflowRefused(
                    f"{trigger} blocked by its conditions in state {subject.state}"
                )
        machine.callbacks(chain(machine.before_state_change, transition.before), data)
        machine.callbacks(move.source.on_exit, data)
        setattr(subject, machine.model_attribute, move.dest.value)
        data.state = move.dest
        machine.callbacks(move.dest.on_enter, data)
        if move.dest.final:
            machine.callbacks(machine.on_final, data)
        machine.callbacks(chain(transition.after, machine.after_state_change), data)
        data.result = True
        return self._members[subject.state]

    def _fire_event(self, subject: Subject, trigger: str) -> StateT:
        """Fire through ``transitions``' own event processing (and its errors)."""
        event = self.machine.events.get(trigger)
        if event is None:
            raise WorkflowRefused(f"unknown trigger {trigger!r}")
        try:
            fired = event.trigger(subject)
        except MachineError as exc:
            raise WorkflowRefused(str(exc)) from exc
        if not fired:
            raise WorkflowRefused(f"{trigger} blocked by its conditions in state {subject.state}")
        return self.states(subject.state)
