"""The legal time limits of one case, read from the database for display and reminders.

The rules themselves (and their articles) are in :mod:`workflows.deadlines`; this module
applies them to a stored case: the 15-day mediation window and its overdue flag, the agreed
performance dates, the arbitral-review and judicial-confirmation windows, the payment-order
eligibility of each term, and the one-year limitation warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

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


def next_unpaid_due(instalments: Iterable[tuple[date, int, int]], paid_fen: int) -> date | None:
    """Return the due date of the earliest instalment ``paid_fen`` does not fully cover.

    ``instalments`` are (due_on, seq, amount_fen); payments settle them in due-date order
    (as :func:`case_deadlines` shows them). None when every instalment is paid. The service
    stores this as ``mediation_case.next_due_on`` for the dashboard.
    """
    remaining = paid_fen
    for due_on, _seq, amount_fen in sorted(instalments):
        if remaining < amount_fen:
            return due_on
        remaining -= amount_fen
    return None


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
    return deadlines_of(
        state=case.state,
        received_on=case.received_on,
        knew_on=case.knew_on,
        paid_fen=case.paid_fen,
        outcome=case.outcome,
        outcome_on=case.outcome_on,
        consent_to_continue=case.consent_worker_at is not None
        and case.consent_employer_at is not None,
        effective_on=case.effective_on,
        instalments=[(r.seq, r.due_on, r.amount_fen) for r in instalment_rows],
        terms=[(r.category, r.amount_fen) for r in term_rows],
        today=today,
    )


def deadlines_of(
    *,
    state: str,
    received_on: date,
    knew_on: date | None,
    paid_fen: int,
    outcome: str | None,
    outcome_on: date | None,
    consent_to_continue: bool,
    effective_on: date | None,
    instalments: Iterable[tuple[int, date, int]],
    terms: Iterable[tuple[str, int]],
    today: date,
) -> CaseDeadlines:
    """Compute the time limits of a case from what is known of it, as of ``today``.

    ``instalments`` are (seq, due_on, amount_fen) in any order, ``terms`` (category,
    amount_fen) in the agreement's order. The case page passes what it has read already;
    :func:`case_deadlines` reads it first.
    """
    deadline = rules.mediation_deadline(received_on)
    mediating = CaseState(state) in MEDIATING_STATES
    rows = [
        _InstalmentRow(seq, due_on, amount)
        for seq, due_on, amount in sorted(instalments, key=lambda i: (i[1], i[0]))
    ]
    # Art. 27 (second paragraph): asking for mediation interrupts the limitation; it runs
    # afresh from the day mediation ended without agreement.
    interrupted_until = outcome_on if outcome in ("failed", "withdrawn") else None
    return CaseDeadlines(
        today=today,
        mediation_deadline=deadline,
        mediation_days_left=rules.days_left(deadline, today),
        overdue=mediating and rules.is_mediation_overdue(received_on, today),
        consent_to_continue=consent_to_continue,
        instalments=_instalments_with_payments(rows, paid_fen, today),
        terms=tuple(
            TermEligibility(category, amount_fen, rules.is_payment_order_eligible(category))
            for category, amount_fen in terms
        ),
        arbitral_review_deadline=rules.arbitral_review_deadline(effective_on)
        if effective_on
        else None,
        judicial_confirmation_deadline=(
            rules.judicial_confirmation_deadline(effective_on) if effective_on else None
        ),
        limitation=rules.limitation_warning(knew_on, today, interrupted_until)
        if mediating or interrupted_until
        else None,
    )


class _InstalmentRow(NamedTuple):
    seq: int
    due_on: date
    amount_fen: int


def overdue_cutoff(today: date) -> date:
    """Return the receipt date before which a case still in mediation is overdue today."""
    return today - timedelta(days=rules.MEDIATION_WINDOW_DAYS)


def overdue_since(cutoff: Any) -> ColumnElement[bool]:
    """SQL condition for cases still in mediation received before ``cutoff`` (a date or a
    bound parameter standing for :func:`overdue_cutoff`)."""
    return and_(
        CASE.c.state.in_([s.value for s in MEDIATING_STATES]),
        CASE.c.received_on < cutoff,
    )


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL condition for cases still in mediation past the 15-day window (Art. 14)."""
    return overdue_since(overdue_cutoff(today))
