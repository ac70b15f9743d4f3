"""The case workflow: the three-step method as one state machine shared by every case.

The machine is a ``transitions.Machine`` built once when this module is imported. Cases are
never registered with it (that leaks and is slow, see PERFORMANCE-NOTES); a trigger is fired
on a thin :class:`CaseSubject` through the machine's own prepared transition for the
(trigger, state) pair (:meth:`workflows.engine.Workflow.fire`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflows import guards as g
from workflows.engine import Decision, Workflow, WorkflowRefused  # noqa: F401 (re-exported)
from workflows.guards import CaseSubject, Guard


class CaseState(StrEnum):
    """Where a case stands."""

    REGISTERED = "registered"
    REJECTED = "rejected"
    FINDING_CRUX = "finding_crux"
    SEIZING_OPENING = "seizing_opening"
    ENSURING_PERFORMANCE = "ensuring_performance"
    AWAITING_CONVERSION = "awaiting_conversion"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    ARCHIVED = "archived"


STATE_LABELS_ZH: dict[CaseState, str] = {
    CaseState.REGISTERED: "登记",
    CaseState.REJECTED: "不予受理",
    CaseState.FINDING_CRUX: "找症结",
    CaseState.SEIZING_OPENING: "抓机会",
    CaseState.ENSURING_PERFORMANCE: "促履行",
    CaseState.AWAITING_CONVERSION: "待置换文书",
    CaseState.FAILED: "调解不成",
    CaseState.WITHDRAWN: "撤回",
    CaseState.CLOSED: "结案",
    CaseState.ARCHIVED: "归档",
}

#: States in which mediation is still under way (the 15-day window matters).
MEDIATING_STATES = frozenset(
    {CaseState.REGISTERED, CaseState.FINDING_CRUX, CaseState.SEIZING_OPENING}
)
#: States from which nothing but archiving follows.
ENDED_STATES = frozenset(
    {CaseState.REJECTED, CaseState.FAILED, CaseState.WITHDRAWN, CaseState.CLOSED}
)


@dataclass(frozen=True)
class Transition:
    """One declared move: a trigger from some states to one state, behind guards."""

    trigger: str
    sources: tuple[CaseState, ...]
    dest: CaseState
    guards: tuple[Guard, ...] = ()


S = CaseState
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "accept",
        (S.REGISTERED,),
        S.FINDING_CRUX,
        (g.has_complete_worker, g.has_complete_employer, g.has_claim_with_amount),
    ),
    Transition("reject", (S.REGISTERED,), S.REJECTED, (g.has_reason,)),
    Transition(
        "open_mediation",
        (S.FINDING_CRUX,),
        S.SEIZING_OPENING,
        (
            g.has_interviewed_worker,
            g.has_interviewed_employer,
            g.has_crux,
            g.has_plan,
            g.is_within_window_or_consented,
        ),
    ),
    Transition(
        "sign_agreement",
        (S.SEIZING_OPENING,),
        S.ENSURING_PERFORMANCE,
        (
            g.has_complete_terms,
            g.has_consistent_amounts,
            g.has_worker_signature,
            g.has_employer_signature,
            g.has_mediator_signature,
            g.has_organization_seal,
            g.is_within_window_or_consented,
        ),
    ),
    Transition("declare_failure", (S.SEIZING_OPENING,), S.FAILED, (g.has_reason,)),
    Transition("withdraw", (S.REGISTERED, S.FINDING_CRUX, S.SEIZING_OPENING), S.WITHDRAWN, ()),
    Transition("confirm_performance", (S.ENSURING_PERFORMANCE,), S.CLOSED, (g.is_fully_paid,)),
    Transition(
        "apply_conversion",
        (S.ENSURING_PERFORMANCE,),
        S.AWAITING_CONVERSION,
        (g.has_conversion_kind, g.is_conversion_allowed_for_terms, g.is_within_conversion_window),
    ),
    Transition(
        "record_conversion",
        (S.AWAITING_CONVERSION,),
        S.CLOSED,
        (g.has_document_number, g.has_issuing_body),
    ),
    Transition(
        "conversion_refused", (S.AWAITING_CONVERSION,), S.ENSURING_PERFORMANCE, (g.has_reason,)
    ),
    Transition("declare_breach", (S.ENSURING_PERFORMANCE,), S.CLOSED, (g.is_performance_overdue,)),
    Transition(
        "archive",
        (S.CLOSED, S.FAILED, S.WITHDRAWN, S.REJECTED),
        S.ARCHIVED,
        (g.has_archive_bundle,),
    ),
)

TRIGGERS: tuple[str, ...] = tuple(t.trigger for t in TRANSITIONS)

#: How a case that reaches ``closed`` was closed, by the trigger that closed it.
CLOSED_AS = {
    "confirm_performance": "performed",
    "record_conversion": "converted",
    "declare_breach": "referred",
}

#: Actions that record something without changing the state, and where they may happen.
RECORDING_ACTIONS: dict[str, frozenset[CaseState]] = {
    "update_party": frozenset({S.REGISTERED, S.FINDING_CRUX, S.SEIZING_OPENING}),
    "add_claim_item": frozenset({S.REGISTERED, S.FINDING_CRUX, S.SEIZING_OPENING}),
    "record_interview": frozenset({S.FINDING_CRUX, S.SEIZING_OPENING}),
    "record_crux": frozenset({S.FINDING_CRUX, S.SEIZING_OPENING}),
    "record_plan": frozenset({S.FINDING_CRUX, S.SEIZING_OPENING}),
    "record_overdue_consent": frozenset({S.FINDING_CRUX, S.SEIZING_OPENING}),
    "record_joint_session": frozenset({S.SEIZING_OPENING}),
    "log_offer": frozenset({S.SEIZING_OPENING}),
    "draft_agreement": frozenset({S.SEIZING_OPENING}),
    "record_signature": frozenset({S.SEIZING_OPENING}),
    "record_payment": frozenset({S.ENSURING_PERFORMANCE, S.AWAITING_CONVERSION}),
    "produce_archive_bundle": frozenset(ENDED_STATES),
}

#: The documents issued for a case, and the states in which each may be issued: the PDFs by
#: ``issue_document``, the archive bundle (案卷) by ``produce_archive_bundle``.
DOCUMENT_STATES: dict[str, frozenset[CaseState]] = {
    "agreement": frozenset({S.ENSURING_PERFORMANCE, S.AWAITING_CONVERSION, S.CLOSED}),
    "failure_notice": frozenset({S.FAILED, S.WITHDRAWN}),
    "rejection_notice": frozenset({S.REJECTED}),
    "performance_confirmation": frozenset({S.CLOSED}),
    "archive_bundle": frozenset(ENDED_STATES),
}

#: Recording actions that store what a service prepared (a rendered PDF) rather than what a
#: user typed. ``mediation.issuing`` calls them; no action form offers them, which is why
#: they are kept apart from :data:`RECORDING_ACTIONS` (the case page's forms).
PREPARED_ACTIONS: dict[str, frozenset[CaseState]] = {
    "issue_document": frozenset().union(
        *(states for kind, states in DOCUMENT_STATES.items() if kind != "archive_bundle")
    ),
}

#: Recording actions a supervisor's decision takes (``mediation.supervision``): approving a
#: correction of a signed agreement's amounts, while the agreement is in force and the case is
#: not archived. No action form of the case page offers them.
SUPERVISED_ACTIONS: dict[str, frozenset[CaseState]] = {
    "apply_correction": frozenset({S.ENSURING_PERFORMANCE, S.AWAITING_CONVERSION, S.CLOSED}),
}

_WORKFLOW = Workflow(CaseState, TRANSITIONS, initial=CaseState.REGISTERED)

#: The one machine of this process.
MACHINE = _WORKFLOW.machine

CaseDecision = Decision[CaseState]


def decide(subject: CaseSubject, trigger: str) -> CaseDecision:
    """Say whether ``trigger`` may fire for the subject now, and if not, why not."""
    return _WORKFLOW.decide(subject, trigger)


def available(subject: CaseSubject) -> list[CaseDecision]:
    """List the triggers declared from the subject's state, each with its blockers."""
    return _WORKFLOW.available(subject)


def fire(subject: CaseSubject, trigger: str) -> CaseState:
    """Fire ``trigger`` on the subject through the shared machine and return the new state.

    Callers check :func:`decide` first to learn why a trigger is refused; this function
    still lets the machine itself refuse undeclared triggers and unmet conditions.
    """
    return _WORKFLOW.fire(subject, trigger)


def recording_allowed(action: str, state: str) -> bool:
    """Tell whether a recording action may happen in this state."""
    states = (
        RECORDING_ACTIONS.get(action)
        or PREPARED_ACTIONS.get(action)
        or SUPERVISED_ACTIONS.get(action)
    )
    return states is not None and CaseState(state) in states
