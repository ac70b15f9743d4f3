"""The assignment workflow: legal help asked of the volunteer lawyers of a zone (DESIGN §3).

``open → claimed → completed``; ``claimed → open`` (released, with a reason); ``open`` or
``claimed → cancelled``. Like :mod:`workflows.case`, one ``transitions.Machine`` is built when
this module is imported and shared by every assignment; a trigger is fired on a thin
:class:`AssignmentSubject`, never on the row. Guards are pure predicates over
:class:`AssignmentFacts` (gathered by the service) and :class:`AssignmentInput` (what the user
typed), each with the message a user sees when it blocks (a gettext message id).

Whether an open assignment is *escalated* — unclaimed past its zone's claim window, and so
visible to every volunteer lawyer of the district — is computed from its timestamps by
:func:`is_escalated`; no timer has to run for it to be right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from workflows.engine import Decision, Workflow, WorkflowRefused  # noqa: F401 (re-exported)
from workflows.guards import N_, Blocker


class AssignmentState(StrEnum):
    """Where a legal-help assignment stands."""

    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


STATE_LABELS_ZH: dict[AssignmentState, str] = {
    AssignmentState.OPEN: "待认领",
    AssignmentState.CLAIMED: "已认领",
    AssignmentState.COMPLETED: "已完成",
    AssignmentState.CANCELLED: "已取消",
}


class AssignmentKind(StrEnum):
    """What a mediator asks a volunteer lawyer for."""

    CONSULTATION = "consultation"
    LEGAL_OPINION = "legal_opinion"
    ATTEND_SESSION = "attend_session"
    LEGAL_AID = "legal_aid"


KIND_LABELS_ZH: dict[AssignmentKind, str] = {
    AssignmentKind.CONSULTATION: "法律咨询",
    AssignmentKind.LEGAL_OPINION: "法律意见",
    AssignmentKind.ATTEND_SESSION: "参与调解",
    AssignmentKind.LEGAL_AID: "法律援助申请",
}

#: States in which nothing more happens to an assignment.
FINAL_STATES = frozenset({AssignmentState.COMPLETED, AssignmentState.CANCELLED})

#: The longest time a lawyer may record for one assignment: 1,000 hours, in minutes.
MAX_MINUTES = 1000 * 60

#: How a lawyer is available for new work (shown to mediators and administrators).
AVAILABILITY = ("available", "limited", "unavailable")


@dataclass(frozen=True)
class AssignmentFacts:
    """What the guards need to know about an assignment and the user acting on it."""

    #: The user acting (a volunteer lawyer for claim, release and complete).
    actor_id: int | None = None
    #: The lawyer holding the assignment, if it is claimed.
    holder_id: int | None = None
    #: The actor is a volunteer lawyer whose profile is active.
    actor_is_active_lawyer: bool = False
    #: The assignment's zone is one of the actor's zones.
    in_actor_zones: bool = False
    #: Unclaimed past its zone's window: every lawyer of the district may take it.
    escalated: bool = False
    #: The actor confirmed having no conflict of interest with the parties.
    conflict_confirmed: bool = False
    #: The actor declared a conflict of interest with the parties.
    conflict_declared: bool = False


@dataclass(frozen=True)
class AssignmentInput:
    """What the user typed into the form of an action."""

    reason: str = ""
    outcome: str = ""
    minutes: int | None = None


@dataclass
class AssignmentSubject:
    """The thin object the shared state machine acts on: a state, facts and input."""

    state: str
    facts: AssignmentFacts = field(default_factory=AssignmentFacts)
    given: AssignmentInput = field(default_factory=AssignmentInput)


@dataclass(frozen=True)
class AssignmentGuard:
    """A named predicate with the message shown when it is false."""

    name: str
    predicate: Callable[[AssignmentSubject], bool]
    message: str

    def holds(self, subject: AssignmentSubject) -> bool:
        """Tell whether the guard lets the transition through."""
        return self.predicate(subject)

    def blocker(self, subject: AssignmentSubject) -> Blocker:
        """Describe why the guard blocks."""
        return Blocker(self.name, self.message)


is_active_lawyer = AssignmentGuard(
    "is_active_lawyer",
    lambda s: s.facts.actor_is_active_lawyer,
    N_("Only an active volunteer lawyer can take on legal help."),
)
is_in_zone_or_escalated = AssignmentGuard(
    "is_in_zone_or_escalated",
    lambda s: s.facts.in_actor_zones or s.facts.escalated,
    N_(
        "This assignment belongs to another zone; it is open to you only once it has waited "
        "past that zone's claim window."
    ),
)
has_no_declared_conflict = AssignmentGuard(
    "has_no_declared_conflict",
    lambda s: not s.facts.conflict_declared,
    N_("You declared a conflict of interest with these parties."),
)
is_holder = AssignmentGuard(
    "is_holder",
    lambda s: s.facts.actor_id is not None and s.facts.actor_id == s.facts.holder_id,
    N_("Only the lawyer who took this assignment can do this."),
)
has_confirmed_no_conflict = AssignmentGuard(
    "has_confirmed_no_conflict",
    lambda s: s.facts.conflict_confirmed,
    N_("Confirm that you have no conflict of interest with the parties first."),
)
has_reason = AssignmentGuard(
    "has_reason",
    lambda s: bool(s.given.reason.strip()),
    N_("Give the reason."),
)
has_outcome = AssignmentGuard(
    "has_outcome",
    lambda s: bool(s.given.outcome.strip()),
    N_("Describe the outcome of the legal help."),
)
has_time_spent = AssignmentGuard(
    "has_time_spent",
    lambda s: s.given.minutes is not None and 0 < s.given.minutes <= MAX_MINUTES,
    N_("Enter the time spent (more than zero, at most 1000 hours)."),
)


@dataclass(frozen=True)
class Transition:
    """One declared move: a trigger from some states to one state, behind guards."""

    trigger: str
    sources: tuple[AssignmentState, ...]
    dest: AssignmentState
    guards: tuple[AssignmentGuard, ...] = ()


S = AssignmentState
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "claim",
        (S.OPEN,),
        S.CLAIMED,
        (is_active_lawyer, is_in_zone_or_escalated, has_no_declared_conflict),
    ),
    Transition("release", (S.CLAIMED,), S.OPEN, (is_holder, has_reason)),
    Transition(
        "complete",
        (S.CLAIMED,),
        S.COMPLETED,
        (is_holder, has_confirmed_no_conflict, has_outcome, has_time_spent),
    ),
    Transition("cancel", (S.OPEN, S.CLAIMED), S.CANCELLED, (has_reason,)),
)

TRIGGERS: tuple[str, ...] = tuple(t.trigger for t in TRANSITIONS)

#: The audit-log action of each trigger (and of the actions that change no state).
ACTIONS: dict[str, str] = {
    "request": "request_legal_help",
    "claim": "claim_assignment",
    "release": "release_assignment",
    "complete": "complete_assignment",
    "cancel": "cancel_assignment",
    "confirm_no_conflict": "confirm_no_conflict",
    "declare_conflict": "declare_conflict",
}

_WORKFLOW = Workflow(AssignmentState, TRANSITIONS, initial=AssignmentState.OPEN)

#: The one machine of this process.
MACHINE = _WORKFLOW.machine

AssignmentDecision = Decision[AssignmentState]


def decide(subject: AssignmentSubject, trigger: str) -> AssignmentDecision:
    """Say whether ``trigger`` may fire for the subject now, and if not, why not."""
    return _WORKFLOW.decide(subject, trigger)


def available(subject: AssignmentSubject) -> list[AssignmentDecision]:
    """List the triggers declared from the subject's state, each with its blockers."""
    return _WORKFLOW.available(subject)


def fire(subject: AssignmentSubject, trigger: str) -> AssignmentState:
    """Fire ``trigger`` on the subject through the shared machine and return the new state.

    Callers check :func:`decide` first to learn why a trigger is refused; this function
    still lets the machine itself refuse undeclared triggers and unmet conditions.
    """
    return _WORKFLOW.fire(subject, trigger)


def _aware(moment: datetime) -> datetime:
    # SQLite hands stored UTC times back naive.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def escalates_at(created_at: datetime, window_hours: int) -> datetime:
    """Return when an assignment left open escalates to the whole district (UTC)."""
    return _aware(created_at) + timedelta(hours=window_hours)


def is_escalated(state: str, created_at: datetime, window_hours: int, now: datetime) -> bool:
    """Tell whether an open assignment has waited past its zone's claim window at ``now``."""
    return state == AssignmentState.OPEN and _aware(now) >= escalates_at(created_at, window_hours)
