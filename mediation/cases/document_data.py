"""Read one case into the plain data a document prints (see :mod:`documents.context`).

Unlike the case page (:mod:`mediation.cases.case_file`), documents are legal instruments:
identity numbers and phones are printed in full. Amounts come pre-formatted in figures and
in capitals, dates as official documents write them, and the time limits are computed here
with the rules of :mod:`workflows.deadlines`, so the templates only lay text out.

A kind the case cannot have yet (an agreement before one is drafted, a failure notice for a
case still in mediation …) raises :class:`DocumentUnavailable`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlmodel import Session

from documents.context import (
    TITLES,
    AgreementContext,
    DocumentContext,
    DocumentKind,
    FailureNoticeContext,
    InstalmentData,
    ItemData,
    PartyData,
    PaymentData,
    PerformanceConfirmationContext,
    RejectionNoticeContext,
    TermData,
    amount,
    chinese_date,
)
from mediation.cases.case_file import (
    AGREEMENT_OF_CASE,
    CLAIMS_OF_CASE,
    INSTALMENTS_OF_CASE,
    PAYMENTS_OF_CASE,
    TERMS_OF_CASE,
    case_id_param,
)
from mediation.cases.enums import CATEGORY_LABELS, Category, Outcome, PartyRole, PaymentMethod
from mediation.errors import MediationError, NotFound
from mediation.people.sealing import open_party
from mediation.tables import (
    CASE,
    ORGANIZATION,
    PARTY,
    USER,
)
from workflows import deadlines as rules

#: How a payment method is written on a document.
PAYMENT_METHOD_LABELS: dict[str, str] = {
    PaymentMethod.BANK_TRANSFER: "银行转账",
    PaymentMethod.CASH: "现金",
    PaymentMethod.CHEQUE: "支票",
    PaymentMethod.OTHER: "其他方式",
}


class DocumentUnavailable(MediationError):
    """The case has no such document (yet): e.g. no agreement, or mediation did not fail."""


_CASE = (
    select(
        CASE,
        ORGANIZATION.c.name.label("organization_name"),
        USER.c.display_name.label("mediator_name"),
    )
    .select_from(
        CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id).outerjoin(
            USER, USER.c.id == CASE.c.mediator_id
        )
    )
    .where(CASE.c.id == case_id_param())
)
_PARTIES = select(PARTY).where(PARTY.c.case_id == case_id_param())


def category_label(category: str) -> str:
    """Return the Chinese name of a dispute category (the identifier if unknown)."""
    try:
        return CATEGORY_LABELS[Category(category)]
    except ValueError:
        return category


def method_label(method: str) -> str:
    """Return how a payment method is written on a document ('' when none was agreed)."""
    return PAYMENT_METHOD_LABELS.get(method, method)


def _rows(session: Session, statement: Any, case_id: int) -> list[Row[Any]]:
    return list(session.execute(statement, {"case_id": case_id}))


def _party(row: Row[Any] | None) -> PartyData:
    if row is None:
        return {
            "name": "",
            "id_number": "",
            "phone": "",
            "address": "",
            "legal_representative": "",
            "agent_name": "",
            "agent_phone": "",
        }
    numbers = open_party(
        row.case_id,
        row.role,
        {"id_number": row.id_number, "phone": row.phone, "agent_phone": row.agent_phone},
    )
    return {
        "name": row.name,
        "id_number": numbers["id_number"],
        "phone": numbers["phone"],
        "address": row.address,
        "legal_representative": row.legal_representative,
        "agent_name": row.agent_name,
        "agent_phone": numbers["agent_phone"],
    }


def _item(row: Row[Any]) -> ItemData:
    return {
        "category": row.category,
        "label": category_label(row.category),
        "description": row.description,
        "amount": amount(row.amount_fen),
    }


def _term(row: Row[Any]) -> TermData:
    return {
        **_item(row),
        "payment_order_eligible": rules.is_payment_order_eligible(row.category),
    }


def document_context(
    session: Session, case_id: int, kind: DocumentKind | str, *, number: str, today: date
) -> DocumentContext:
    """Read what a document of ``kind`` prints about a case, issued as ``number`` on ``today``.

    Raises NotFound for an unknown case and DocumentUnavailable when the case cannot have
    this document.
    """
    kind = DocumentKind(kind)
    case = session.execute(_CASE, {"case_id": case_id}).one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    parties = {row.role: row for row in _rows(session, _PARTIES, case_id)}
    common: DocumentContext = {
        "kind": kind.value,
        "title": TITLES[kind],
        "document_number": number,
        "issued_on": chinese_date(today),
        "organization": case.organization_name,
        "case_number": case.number,
        "category": category_label(case.category),
        "received_on": chinese_date(case.received_on),
        "worker": _party(parties.get(PartyRole.WORKER.value)),
        "employer": _party(parties.get(PartyRole.EMPLOYER.value)),
        "mediator": case.mediator_name or "",
    }
    if kind is DocumentKind.AGREEMENT:
        return _agreement(session, case, common)
    if kind is DocumentKind.FAILURE_NOTICE:
        return _failure_notice(session, case, common)
    if kind is DocumentKind.REJECTION_NOTICE:
        return _rejection_notice(session, case, common)
    return _performance_confirmation(session, case, common)


def _claims(session: Session, case_id: int) -> tuple[list[ItemData], int]:
    claims = [_item(row) for row in _rows(session, CLAIMS_OF_CASE, case_id)]
    return claims, sum(claim["amount"]["fen"] for claim in claims)


def _agreement(session: Session, case: Row[Any], common: DocumentContext) -> AgreementContext:
    agreement = session.execute(AGREEMENT_OF_CASE, {"case_id": case.id}).one_or_none()
    terms = [_term(row) for row in _rows(session, TERMS_OF_CASE, case.id)]
    if agreement is None or not terms:
        raise DocumentUnavailable(f"case {case.number} has no drafted agreement")
    instalments: list[InstalmentData] = [
        {"seq": row.seq, "due_on": chinese_date(row.due_on), "amount": amount(row.amount_fen)}
        for row in _rows(session, INSTALMENTS_OF_CASE, case.id)
    ]
    claims, claimed = _claims(session, case.id)
    effective: date | None = agreement.effective_on
    return {
        **common,
        "summary": case.summary,
        "claims": claims,
        "claimed_total": amount(claimed),
        "crux": case.crux,
        "terms": terms,
        "agreed_total": amount(sum(term["amount"]["fen"] for term in terms)),
        "instalments": instalments,
        "instalments_total": amount(sum(i["amount"]["fen"] for i in instalments)),
        "method": method_label(agreement.method),
        "notes": agreement.notes,
        "payment_order_labels": list(
            dict.fromkeys(term["label"] for term in terms if term["payment_order_eligible"])
        ),
        "effective_on": chinese_date(effective),
        "arbitral_review_deadline": chinese_date(
            rules.arbitral_review_deadline(effective) if effective else None
        ),
        "judicial_confirmation_deadline": chinese_date(
            rules.judicial_confirmation_deadline(effective) if effective else None
        ),
    }


def _failure_notice(
    session: Session, case: Row[Any], common: DocumentContext
) -> FailureNoticeContext:
    if case.outcome not in (Outcome.FAILED, Outcome.WITHDRAWN) or case.outcome_on is None:
        raise DocumentUnavailable(
            f"mediation of case {case.number} has not ended without agreement"
        )
    withdrawn = case.outcome == Outcome.WITHDRAWN
    ended_on: date = case.outcome_on
    claims, claimed = _claims(session, case.id)
    # Art. 27, second paragraph: mediation interrupted the limitation; it runs afresh, one
    # year from the day mediation ended.
    deadline = rules.limitation_deadline(case.knew_on or ended_on, interrupted_until=ended_on)
    return {
        **common,
        "title": "终止调解告知书" if withdrawn else TITLES[DocumentKind.FAILURE_NOTICE],
        "withdrawn": withdrawn,
        "accepted_on": chinese_date(case.accepted_on),
        "summary": case.summary,
        "claims": claims,
        "claimed_total": amount(claimed),
        "ended_on": chinese_date(ended_on),
        "reason": case.end_reason,
        "limitation_deadline": chinese_date(deadline),
    }


def _rejection_notice(
    session: Session, case: Row[Any], common: DocumentContext
) -> RejectionNoticeContext:
    if case.outcome != Outcome.REJECTED:
        raise DocumentUnavailable(f"case {case.number} was not rejected")
    claims, claimed = _claims(session, case.id)
    return {
        **common,
        "summary": case.summary,
        "claims": claims,
        "claimed_total": amount(claimed),
        "rejected_on": chinese_date(case.outcome_on),
        "reason": case.end_reason,
    }


def _performance_confirmation(
    session: Session, case: Row[Any], common: DocumentContext
) -> PerformanceConfirmationContext:
    agreement = session.execute(AGREEMENT_OF_CASE, {"case_id": case.id}).one_or_none()
    terms = [_term(row) for row in _rows(session, TERMS_OF_CASE, case.id)]
    agreed = sum(term["amount"]["fen"] for term in terms)
    payments: list[PaymentData] = [
        {
            "paid_on": chinese_date(row.paid_on),
            "amount": amount(row.amount_fen),
            "method": method_label(row.method),
            "receipt_ref": row.receipt_ref,
        }
        for row in _rows(session, PAYMENTS_OF_CASE, case.id)
    ]
    paid = sum(payment["amount"]["fen"] for payment in payments)
    if agreement is None or agreement.effective_on is None or agreed <= 0:
        raise DocumentUnavailable(f"case {case.number} has no signed agreement")
    if paid < agreed:
        raise DocumentUnavailable(
            f"case {case.number}: {paid} of {agreed} fen paid, the agreement is not performed"
        )
    return {
        **common,
        "effective_on": chinese_date(agreement.effective_on),
        "terms": terms,
        "agreed_total": amount(agreed),
        "payments": payments,
        "paid_total": amount(paid),
        "method": method_label(agreement.method),
    }
