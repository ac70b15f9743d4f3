"""Guards of the case workflow: pure predicates over what is known about a case.

A guard never touches a database. The service gathers the facts of a case into a
:class:`CaseFacts`, the user's input for the action into :class:`TriggerInput`, and the
workflow asks each guard of a transition whether it holds. Every guard carries the message
a user sees when it blocks; messages are gettext message ids (English), translated by the
user interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflows import deadlines


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


@dataclass(frozen=True)
class CaseFacts:
    """Everything the guards need to know about a case, gathered by the service."""

    today: date
    received_on: date
    worker_complete: bool = False
    employer_complete: bool = False
    claim_items_with_amount: int = 0
    interviewed_worker: bool = False
    interviewed_employer: bool = False
    has_crux: bool = False
    has_plan: bool = False
    consent_worker: bool = False
    consent_employer: bool = False
    terms_count: int = 0
    terms_total_fen: int = 0
    nonpositive_terms: int = 0
    instalments_count: int = 0
    instalments_total_fen: int = 0
    has_method: bool = False
    signed_worker: bool = False
    signed_employer: bool = False
    signed_mediator: bool = False
    sealed: bool = False
    effective_on: date | None = None
    agreed_fen: int = 0
    paid_fen: int = 0
    due_fen: int = 0
    term_categories: frozenset[str] = frozenset()
    has_archive_bundle: bool = False

    @property
    def overdue(self) -> bool:
        """Tell whether the 15-day window has passed (Art. 14 劳动争议调解仲裁法)."""
        return deadlines.is_mediation_overdue(self.received_on, self.today)


@dataclass(frozen=True)
class TriggerInput:
    """What the user typed into the form of a state-changing action."""

    reason: str = ""
    conversion_kind: str = ""
    document_number: str = ""
    issuing_body: str = ""


@dataclass
class CaseSubject:
    """The thin object the shared state machine acts on: a state, facts and input."""

    state: str
    facts: CaseFacts
    given: TriggerInput = field(default_factory=TriggerInput)


@dataclass(frozen=True)
class Blocker:
    """A guard that does not hold, with the message the user is shown."""

    guard: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        """Return the message, translated and with its parameters filled in."""
        return translate(self.message) % self.params if self.params else translate(self.message)


@dataclass(frozen=True)
class Guard:
    """A named predicate with the message shown when it is false."""

    name: str
    predicate: Callable[[CaseSubject], bool]
    message: str
    params: Callable[[CaseSubject], dict[str, Any]] | None = None

    def holds(self, subject: CaseSubject) -> bool:
        """Tell whether the guard lets the transition through."""
        return self.predicate(subject)

    def blocker(self, subject: CaseSubject) -> Blocker:
        """Describe why the guard blocks for this subject."""
        params = self.params(subject) if self.params else {}
        return Blocker(self.name, self.message, params)


CONVERSION_KINDS = ("arbitral_review", "judicial_confirmation", "payment_order")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _conversion_allowed(s: CaseSubject) -> bool:
    if s.given.conversion_kind != "payment_order":
        return True
    return bool(s.facts.term_categories) and all(
        deadlines.is_payment_order_eligible(c) for c in s.facts.term_categories
    )


def _within_conversion_window(s: CaseSubject) -> bool:
    effective = s.facts.effective_on
    kind = s.given.conversion_kind
    if effective is None or kind == "payment_order":
        # A payment order is asked for on non-performance; no window from the agreement.
        return True
    if kind == "arbitral_review":
        return s.facts.today <= deadlines.arbitral_review_deadline(effective)
    if kind == "judicial_confirmation":
        return s.facts.today <= deadlines.judicial_confirmation_deadline(effective)
    return True


def _conversion_deadline(s: CaseSubject) -> dict[str, Any]:
    effective = s.facts.effective_on
    if effective is None:
        return {"deadline": ""}
    if s.given.conversion_kind == "arbitral_review":
        return {"deadline": deadlines.arbitral_review_deadline(effective).isoformat()}
    return {"deadline": deadlines.judicial_confirmation_deadline(effective).isoformat()}


has_complete_worker = Guard(
    "has_complete_worker",
    lambda s: s.facts.worker_complete,
    N_("Complete the worker's details (name, resident ID number and phone) first."),
)
has_complete_employer = Guard(
    "has_complete_employer",
    lambda s: s.facts.employer_complete,
    N_("Complete the employer's details (name and unified social credit code) first."),
)
has_claim_with_amount = Guard(
    "has_claim_with_amount",
    lambda s: s.facts.claim_items_with_amount > 0,
    N_("Enter at least one claim item with an amount first."),
)
has_reason = Guard(
    "has_reason",
    lambda s: bool(s.given.reason.strip()),
    N_("Give the reason."),
)
has_interviewed_worker = Guard(
    "has_interviewed_worker",
    lambda s: s.facts.interviewed_worker,
    N_("Record a separate interview with the worker first."),
)
has_interviewed_employer = Guard(
    "has_interviewed_employer",
    lambda s: s.facts.interviewed_employer,
    N_("Record a separate interview with the employer first."),
)
has_crux = Guard(
    "has_crux",
    lambda s: s.facts.has_crux,
    N_("Record the crux of the dispute first."),
)
has_plan = Guard(
    "has_plan",
    lambda s: s.facts.has_plan,
    N_("Draw up the mediation plan first."),
)
# Art. 14 劳动争议调解仲裁法: past 15 days from receipt without agreement, mediation may go
# on only with both parties' consent (otherwise they may go to arbitration).
is_within_window_or_consented = Guard(
    "is_within_window_or_consented",
    lambda s: not s.facts.overdue or (s.facts.consent_worker and s.facts.consent_employer),
    N_(
        "The 15-day mediation period ended on %(deadline)s (Art. 14, Labour Dispute Mediation "
        "and Arbitration Law): record both parties' consent to continue, or declare failure."
    ),
    lambda s: {"deadline": deadlines.mediation_deadline(s.facts.received_on).isoformat()},
)
has_complete_terms = Guard(
    "has_complete_terms",
    lambda s: (
        s.facts.terms_count > 0
        and s.facts.nonpositive_terms == 0
        and s.facts.instalments_count > 0
        and s.facts.has_method
    ),
    N_(
        "Draft the agreement first: at least one term with an amount, the performance method "
        "and at least one instalment with its due date."
    ),
)
has_consistent_amounts = Guard(
    "has_consistent_amounts",
    lambda s: s.facts.instalments_total_fen == s.facts.terms_total_fen,
    N_(
        "The instalments add up to %(instalments)s yuan but the terms to %(terms)s yuan: "
        "the amounts must agree."
    ),
    lambda s: {
        "instalments": _yuan(s.facts.instalments_total_fen),
        "terms": _yuan(s.facts.terms_total_fen),
    },
)
# Art. 14 劳动争议调解仲裁法: the agreement binds once signed or sealed by both parties,
# signed by the mediator and sealed by the mediation organisation.
has_worker_signature = Guard(
    "has_worker_signature",
    lambda s: s.facts.signed_worker,
    N_("Record the worker's signature on the agreement first."),
)
has_employer_signature = Guard(
    "has_employer_signature",
    lambda s: s.facts.signed_employer,
    N_("Record the employer's signature or seal on the agreement first."),
)
has_mediator_signature = Guard(
    "has_mediator_signature",
    lambda s: s.facts.signed_mediator,
    N_("Record the mediator's signature on the agreement first."),
)
has_organization_seal = Guard(
    "has_organization_seal",
    lambda s: s.facts.sealed,
    N_("Record the mediation organisation's seal on the agreement first."),
)
is_fully_paid = Guard(
    "is_fully_paid",
    lambda s: s.facts.paid_fen == s.facts.agreed_fen,
    N_("%(paid)s yuan of %(agreed)s yuan has been paid: record the remaining payments first."),
    lambda s: {"paid": _yuan(s.facts.paid_fen), "agreed": _yuan(s.facts.agreed_fen)},
)
has_conversion_kind = Guard(
    "has_conversion_kind",
    lambda s: s.given.conversion_kind in CONVERSION_KINDS,
    N_("Choose arbitral review, judicial confirmation or payment order."),
)
# Art. 16 劳动争议调解仲裁法: only agreements on labour remuneration, work-injury medical
# costs, economic compensation or damages may go to court for a payment order.
is_conversion_allowed_for_terms = Guard(
    "is_conversion_allowed_for_terms",
    _conversion_allowed,
    N_(
        "A payment order (Art. 16) covers only unpaid wages or overtime, work-injury medical "
        "costs, economic compensation and damages; this agreement also has: %(others)s."
    ),
    lambda s: {
        "others": ", ".join(
            sorted(c for c in s.facts.term_categories if not deadlines.is_payment_order_eligible(c))
        )
    },
)
# 办案规则 Art. 74 (15 days) and 人民调解法 Art. 33 (30 days) from the agreement's effect.
is_within_conversion_window = Guard(
    "is_within_conversion_window",
    _within_conversion_window,
    N_("The time to apply ended on %(deadline)s."),
    _conversion_deadline,
)
has_document_number = Guard(
    "has_document_number",
    lambda s: bool(s.given.document_number.strip()),
    N_("Enter the number of the arbitral or judicial document."),
)
has_issuing_body = Guard(
    "has_issuing_body",
    lambda s: bool(s.given.issuing_body.strip()),
    N_("Enter the arbitration commission or court that issued the document."),
)
# Art. 15 劳动争议调解仲裁法: a party that does not perform within the agreed period may be
# taken to arbitration; breach is declared only once a due date has passed unpaid.
is_performance_overdue = Guard(
    "is_performance_overdue",
    lambda s: s.facts.due_fen > s.facts.paid_fen,
    N_("No instalment is past its due date unpaid: a breach cannot be declared yet."),
)
has_archive_bundle = Guard(
    "has_archive_bundle",
    lambda s: s.facts.has_archive_bundle,
    N_("Produce the archive bundle (case file) first."),
)
