"""Gather what the workflow's guards need to know about a case, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, exists, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from mediation.errors import NotFound
from mediation.tables import AGREEMENT, CASE, CLAIM, DOCUMENT, INSTALMENT, INTERVIEW, PARTY, TERM
from workflows.guards import CaseFacts

#: The case columns every action reads.
CASE_COLUMNS = (
    CASE.c.id,
    CASE.c.number,
    CASE.c.state,
    CASE.c.version,
    CASE.c.received_on,
    CASE.c.claimed_fen,
    CASE.c.agreed_fen,
    CASE.c.paid_fen,
    CASE.c.crux,
    CASE.c.mediation_plan,
    CASE.c.consent_worker_at,
    CASE.c.consent_employer_at,
)


@dataclass(frozen=True)
class CaseRow:
    """The case columns an action works from."""

    id: int
    number: str
    state: str
    version: int
    received_on: date
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    has_crux: bool
    has_plan: bool
    consent_worker: bool
    consent_employer: bool


def _case_row(row: Any) -> CaseRow:
    return CaseRow(
        id=row.id,
        number=row.number,
        state=row.state,
        version=row.version,
        received_on=row.received_on,
        claimed_fen=row.claimed_fen,
        agreed_fen=row.agreed_fen,
        paid_fen=row.paid_fen,
        has_crux=bool(row.crux.strip()),
        has_plan=bool(row.mediation_plan.strip()),
        consent_worker=row.consent_worker_at is not None,
        consent_employer=row.consent_employer_at is not None,
    )


def _party_complete(role: str, *required: Any) -> Any:
    conditions = [PARTY.c.case_id == CASE.c.id, PARTY.c.role == role]
    conditions += [column != "" for column in required]
    return exists().where(and_(*conditions)).label(f"{role}_complete")


def _interviewed(role: str) -> Any:
    return (
        exists()
        .where(and_(INTERVIEW.c.case_id == CASE.c.id, INTERVIEW.c.party_role == role))
        .label(f"interviewed_{role}")
    )


def _facts_statement(case_id: Any, today: Any) -> Any:
    # Correlated with the agreement outer-joined below: one agreement per case at most.
    terms = TERM.c.agreement_id == AGREEMENT.c.id
    instalments = INSTALMENT.c.agreement_id == AGREEMENT.c.id
    return (
        select(
            *CASE_COLUMNS,
            _party_complete("worker", PARTY.c.name, PARTY.c.id_number, PARTY.c.phone),
            _party_complete("employer", PARTY.c.name, PARTY.c.id_number),
            select(func.count())
            .where(CLAIM.c.case_id == CASE.c.id, CLAIM.c.amount_fen > 0)
            .scalar_subquery()
            .label("claims"),
            _interviewed("worker"),
            _interviewed("employer"),
            select(func.count()).where(terms).scalar_subquery().label("terms_count"),
            select(func.coalesce(func.sum(TERM.c.amount_fen), 0))
            .where(terms)
            .scalar_subquery()
            .label("terms_total"),
            select(func.count())
            .where(terms, TERM.c.amount_fen <= 0)
            .scalar_subquery()
            .label("nonpositive_terms"),
            select(func.count()).where(instalments).scalar_subquery().label("instalments_count"),
            select(func.coalesce(func.sum(INSTALMENT.c.amount_fen), 0))
            .where(instalments)
            .scalar_subquery()
            .label("instalments_total"),
            select(func.coalesce(func.sum(INSTALMENT.c.amount_fen), 0))
            .where(instalments, INSTALMENT.c.due_on < today)
            .scalar_subquery()
            .label("due_total"),
            AGREEMENT.c.method,
            AGREEMENT.c.signed_worker_at,
            AGREEMENT.c.signed_employer_at,
            AGREEMENT.c.signed_mediator_at,
            AGREEMENT.c.sealed_at,
            AGREEMENT.c.effective_on,
            exists()
            .where(DOCUMENT.c.case_id == CASE.c.id, DOCUMENT.c.kind == "archive_bundle")
            .label("has_archive_bundle"),
        )
        .select_from(CASE.outerjoin(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id))
        .where(CASE.c.id == case_id)
    )


def _connection(session: Session | Connection) -> Connection:
    return session.connection() if isinstance(session, Session) else session


# Built once: a statement object memoises its cache key, so executing the same object with
# new parameters skips rebuilding and re-keying it (most of the cost of a small query).
FACTS_STATEMENT = _facts_statement(
    bindparam("case_id", type_=Integer), bindparam("today", type_=Date)
)
CASE_ROW_STATEMENT = select(*CASE_COLUMNS).where(CASE.c.id == bindparam("case_id", type_=Integer))


def load_case_row(session: Session | Connection, case_id: int) -> CaseRow:
    """Read the columns of one case that every action needs."""
    row = _connection(session).execute(CASE_ROW_STATEMENT, {"case_id": case_id}).one_or_none()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    return _case_row(row)


def load_facts(
    session: Session | Connection, case_id: int, today: date
) -> tuple[CaseRow, CaseFacts]:
    """Read a case and everything its guards look at, in one statement."""
    row = (
        _connection(session)
        .execute(FACTS_STATEMENT, {"case_id": case_id, "today": today})
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    case = _case_row(row)
    # PostgreSQL sums BIGINT columns as NUMERIC (a Decimal here): the guards want whole fen.
    facts = CaseFacts(
        today=today,
        received_on=case.received_on,
        worker_complete=bool(row.worker_complete),
        employer_complete=bool(row.employer_complete),
        claim_items_with_amount=row.claims,
        interviewed_worker=bool(row.interviewed_worker),
        interviewed_employer=bool(row.interviewed_employer),
        has_crux=case.has_crux,
        has_plan=case.has_plan,
        consent_worker=case.consent_worker,
        consent_employer=case.consent_employer,
        terms_count=row.terms_count,
        terms_total_fen=int(row.terms_total),
        nonpositive_terms=row.nonpositive_terms,
        instalments_count=row.instalments_count,
        instalments_total_fen=int(row.instalments_total),
        has_method=bool(row.method),
        signed_worker=row.signed_worker_at is not None,
        signed_employer=row.signed_employer_at is not None,
        signed_mediator=row.signed_mediator_at is not None,
        sealed=row.sealed_at is not None,
        effective_on=row.effective_on,
        agreed_fen=case.agreed_fen,
        paid_fen=case.paid_fen,
        due_fen=int(row.due_total),
        term_categories=frozenset(),
        has_archive_bundle=bool(row.has_archive_bundle),
    )
    return case, facts


def load_term_categories(session: Session, case_id: int) -> frozenset[str]:
    """Return the categories of the agreement's terms."""
    rows = session.execute(
        select(TERM.c.category)
        .select_from(TERM.join(AGREEMENT, AGREEMENT.c.id == TERM.c.agreement_id))
        .where(AGREEMENT.c.case_id == case_id)
        .distinct()
    )
    return frozenset(r.category for r in rows)
