"""One declared workflow on one shared ``transitions.Machine``: decide, list, fire.

:mod:`workflows.case` and :mod:`workflows.assignment` each declare their states and their
transitions (a trigger from some states to one state, behind guards) and hand them to a
:class:`Workflow`, built once when the module is imported. Subjects (thin objects with a
``state``) are never registered with the machine — that leaks and is slow, see
PERFORMANCE-NOTES — a trigger is fired with ``machine.events[name].trigger(subject)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from transitions import Machine, MachineError

from workflows.guards import Blocker

StateT = TypeVar("StateT", bound=StrEnum)
StateT_co = TypeVar("StateT_co", bound=StrEnum, covariant=True)


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


@dataclass(frozen=True)
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
    return lambda event: guard.holds(event.model)


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
        self._by_trigger_and_source = {
            (t.trigger, source): t for t in self.transitions for source in t.sources
        }
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

    def decide(self, subject: Subject, trigger: str) -> Decision[StateT]:
        """Say whether ``trigger`` may fire for the subject now, and if not, why not."""
        transition = self._by_trigger_and_source.get((trigger, self.states(subject.state)))
        if transition is None:
            return Decision(trigger, declared=False, dest=None)
        blockers = tuple(
            guard.blocker(subject) for guard in transition.guards if not guard.holds(subject)
        )
        return Decision(trigger, declared=True, dest=transition.dest, blockers=blockers)

    def available(self, subject: Subject) -> list[Decision[StateT]]:
        """List the triggers declared from the subject's state, each with its blockers."""
        state = self.states(subject.state)
        return [self.decide(subject, t.trigger) for t in self.transitions if state in t.sources]

    def fire(self, subject: Subject, trigger: str) -> StateT:
        """Fire ``trigger`` on the subject through the shared machine; return the new state.

        Callers check :meth:`decide` first to learn why a trigger is refused; this still lets
        the machine itself refuse undeclared triggers and unmet conditions.
        """
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
