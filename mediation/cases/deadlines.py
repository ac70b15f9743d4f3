"""The legal time limits of one case, read from the database for display and reminders.

The rules themselves (and their articles) are in :mod:`workflows.deadlines`; this module
applies them to a stored case: the 15-day mediation window and its overdue flag, the agreed
performance dates, the arbitral-review and judicial-confirmation windows, the payment-order
eligibility of each term, and the one-year limitation warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from mediation.errors import NotFound
from mediation.tables import AGREEMENT, CASE, INSTALMENT, TERM
from workflows import deadlines as rules
from workflows.case import MEDIATING_STATES, CaseState


@dataclass(frozen=True)
class InstalmentDue:
    """An agreed performance date and how much of it has been paid."""

    seq: int
    due_on: date
    amount_fen: int
    paid_fen: int
    days_left: int

    @property
    def settled(self) -> bool:
        """Tell whether this instalment is fully paid."""
        return self.paid_fen >= self.amount_fen

    @property
    def overdue(self) -> bool:
        """Tell whether the due date has passed with money still owed (Art. 15)."""
        return not self.settled and self.days_left < 0


@dataclass(frozen=True)
class TermEligibility:
    """Whether an agreed term may go to court as a payment order (Art. 16)."""

    category: str
    amount_fen: int
    payment_order_eligible: bool


@dataclass(frozen=True)
class CaseDeadlines:
    """Every time limit that matters for a case today."""

    today: date
    mediation_deadline: date
    mediation_days_left: int
    overdue: bool
    consent_to_continue: bool
    instalments: tuple[InstalmentDue, ...]
    terms: tuple[TermEligibility, ...]
    arbitral_review_deadline: date | None
    judicial_confirmation_deadline: date | None
    limitation: rules.LimitationWarning | None

    @property
    def next_instalment(self) -> InstalmentDue | None:
        """Return the earliest instalment not yet fully paid."""
        return next((i for i in self.instalments if not i.settled), None)


def _instalments_with_payments(
    rows: list[Any], paid_fen: int, today: date
) -> tuple[InstalmentDue, ...]:
    # Payments settle instalments in due-date order.
    remaining = paid_fen
    result = []
    for row in rows:
        applied = min(remaining, row.amount_fen)
        remaining -= applied
        result.append(
            InstalmentDue(
                seq=row.seq,
                due_on=row.due_on,
                amount_fen=row.amount_fen,
                paid_fen=applied,
                days_left=rules.days_left(row.due_on, today),
            )
        )
    return tuple(result)


def case_deadlines(session: Session, case_id: int, today: date) -> CaseDeadlines:
    """Compute the time limits of one case as of ``today`` (Asia/Shanghai)."""
    case = session.execute(
        select(
            CASE.c.state,
            CASE.c.received_on,
            CASE.c.knew_on,
            CASE.c.paid_fen,
            CASE.c.outcome,
            CASE.c.outcome_on,
            CASE.c.consent_worker_at,
            CASE.c.consent_employer_at,
            AGREEMENT.c.id.label("agreement_id"),
            AGREEMENT.c.effective_on,
        )
        .select_from(CASE.outerjoin(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id))
        .where(CASE.c.id == case_id)
    ).one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    instalment_rows: list[Any] = []
    term_rows: list[Any] = []
    if case.agreement_id is not None:
        instalment_rows = list(
            session.execute(
                select(INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen)
                .where(INSTALMENT.c.agreement_id == case.agreement_id)
                .order_by(INSTALMENT.c.due_on, INSTALMENT.c.seq)
            )
        )
        term_rows = list(
            session.execute(
                select(TERM.c.category, TERM.c.amount_fen)
                .where(TERM.c.agreement_id == case.agreement_id)
                .order_by(TERM.c.id)
            )
        )
    deadline = rules.mediation_deadline(case.received_on)
    mediating = CaseState(case.state) in MEDIATING_STATES
    effective = case.effective_on
    # Art. 27 (second paragraph): asking for mediation interrupts the limitation; it runs
    # afresh from the day mediation ended without agreement.
    interrupted_until = case.outcome_on if case.outcome in ("failed", "withdrawn") else None
    return CaseDeadlines(
        today=today,
        mediation_deadline=deadline,
        mediation_days_left=rules.days_left(deadline, today),
        overdue=mediating and rules.is_mediation_overdue(case.received_on, today),
        consent_to_continue=case.consent_worker_at is not None
        and case.consent_employer_at is not None,
        instalments=_instalments_with_payments(instalment_rows, case.paid_fen, today),
        terms=tuple(
            TermEligibility(
                row.category, row.amount_fen, rules.is_payment_order_eligible(row.category)
            )
            for row in term_rows
        ),
        arbitral_review_deadline=rules.arbitral_review_deadline(effective) if effective else None,
        judicial_confirmation_deadline=(
            rules.judicial_confirmation_deadline(effective) if effective else None
        ),
        limitation=rules.limitation_warning(case.knew_on, today, interrupted_until)
        if mediating or interrupted_until
        else None,
    )


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL condition for cases still in mediation past the 15-day window (Art. 14)."""
    cutoff = today - timedelta(days=rules.MEDIATION_WINDOW_DAYS)
    return and_(
        CASE.c.state.in_([s.value for s in MEDIATING_STATES]),
        CASE.c.received_on < cutoff,
    )
