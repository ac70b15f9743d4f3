"""The read model of one case for its page: everything recorded, in a fixed number of queries.

One query per kind of record (the case with its agreement, parties, claims, interviews,
sessions, offers, terms, instalments, payments, conversions, documents, events); the guards'
facts and the deadlines are computed from those rows: the count never depends on how many
rows a case has. Identity
numbers and phones are masked here, so a page cannot show them by mistake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.engine import Row
from sqlmodel import Session

from mediation.cases.deadlines import CaseDeadlines, deadlines_of
from mediation.cases.enums import PartyRole
from mediation.clock import LOCAL_TZ
from mediation.db import prebuilt
from mediation.errors import NotFound
from mediation.people.identity import mask_id_number
from mediation.people.sealing import open_party_value
from mediation.tables import (
    AGREEMENT,
    CASE,
    CLAIM,
    CONVERSION,
    DOCUMENT,
    EVENT,
    INSTALMENT,
    INTERVIEW,
    JOINT_SESSION,
    OFFER,
    ORGANIZATION,
    PARTY,
    PAYMENT,
    TERM,
    TOWN,
    USER,
)
from workflows import case as workflow
from workflows.deadlines import is_payment_order_eligible
from workflows.guards import CaseFacts, CaseSubject

#: Payload keys of an event worth showing on the timeline, in this order.
EVENT_DETAIL_KEYS = (
    "party_role",
    "by_role",
    "signer",
    "role",
    "category",
    "amount_fen",
    "agreed_fen",
    "conversion_kind",
    "document_number",
    "issuing_body",
    "closed_as",
    "reason",
)


def mask_phone(value: str) -> str:
    """Hide the middle of a phone number: 13800138000 -> 138****8000."""
    digits = value.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def to_local(moment: datetime | None) -> datetime | None:
    """Return a stored UTC time (naive on SQLite, aware on PostgreSQL) in Asia/Shanghai."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TZ)


@dataclass(frozen=True)
class PartyView:
    """A party as the page shows it, its identity number and phones masked."""

    role: str
    name: str
    id_number: str
    phone: str
    address: str
    legal_representative: str
    agent_name: str
    agent_phone: str


@dataclass(frozen=True)
class ClaimView:
    """One claim item."""

    category: str
    amount_fen: int
    description: str


@dataclass(frozen=True)
class InterviewView:
    """A separate interview with one party."""

    party_role: str
    held_on: date
    notes: str
    mediator: str


@dataclass(frozen=True)
class JointSessionView:
    """A joint session with both parties."""

    held_on: date
    attendees: str
    notes: str


@dataclass(frozen=True)
class OfferView:
    """An offer made during mediation."""

    by_role: str
    amount_fen: int
    made_on: date
    notes: str


@dataclass(frozen=True)
class TermView:
    """One agreed payment, and whether it may go to court as a payment order (Art. 16)."""

    category: str
    amount_fen: int
    description: str
    #: The term's row id (a correction names the terms it changes by it).
    id: int = 0

    @property
    def payment_order_eligible(self) -> bool:
        """Tell whether this term's category is covered by Art. 16."""
        return is_payment_order_eligible(self.category)


@dataclass(frozen=True)
class InstalmentView:
    """One agreed payment date."""

    seq: int
    due_on: date
    amount_fen: int


@dataclass(frozen=True)
class AgreementView:
    """The settlement agreement (draft or signed) with its terms and instalments."""

    method: str
    notes: str
    signed_worker_at: datetime | None
    signed_employer_at: datetime | None
    signed_mediator_at: datetime | None
    sealed_at: datetime | None
    effective_on: date | None
    terms: tuple[TermView, ...]
    instalments: tuple[InstalmentView, ...]

    @property
    def terms_total_fen(self) -> int:
        """Return the sum of the terms."""
        return sum(t.amount_fen for t in self.terms)

    @property
    def instalments_total_fen(self) -> int:
        """Return the sum of the instalments."""
        return sum(i.amount_fen for i in self.instalments)

    @property
    def signatures(self) -> dict[str, datetime | None]:
        """Return when each signer signed or sealed (Asia/Shanghai), None if not yet."""
        return {
            "worker": self.signed_worker_at,
            "employer": self.signed_employer_at,
            "mediator": self.signed_mediator_at,
            "organization": self.sealed_at,
        }


@dataclass(frozen=True)
class PaymentView:
    """Money received under the agreement."""

    paid_on: date
    amount_fen: int
    method: str
    receipt_ref: str


@dataclass(frozen=True)
class ConversionView:
    """An application for an enforceable document and its decision."""

    kind: str
    applied_on: date
    decided_on: date | None
    granted: bool | None
    document_number: str
    issuing_body: str
    reason: str


@dataclass(frozen=True)
class DocumentView:
    """A document the organisation issued (content not loaded)."""

    kind: str
    number: str
    version: int
    sha256: str
    issued_at: datetime | None


@dataclass(frozen=True)
class EventView:
    """One line of the case's timeline."""

    seq: int
    at: datetime | None
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    details: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows about one case."""

    id: int
    number: str
    state: str
    version: int
    organization: str
    organization_level: str
    town: str
    mediator: str
    category: str
    source: str
    summary: str
    received_on: date
    accepted_on: date | None
    knew_on: date | None
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    outcome: str | None
    outcome_on: date | None
    closed_as: str | None
    end_reason: str
    crux: str
    mediation_plan: str
    consent_worker_at: datetime | None
    consent_employer_at: datetime | None
    parties: tuple[PartyView, ...]
    claims: tuple[ClaimView, ...]
    interviews: tuple[InterviewView, ...]
    joint_sessions: tuple[JointSessionView, ...]
    offers: tuple[OfferView, ...]
    agreement: AgreementView | None
    payments: tuple[PaymentView, ...]
    conversions: tuple[ConversionView, ...]
    documents: tuple[DocumentView, ...]
    events: tuple[EventView, ...]
    facts: CaseFacts
    deadlines: CaseDeadlines

    @property
    def outstanding_fen(self) -> int:
        """Return what is agreed but not yet paid."""
        return self.agreed_fen - self.paid_fen

    def party(self, role: str) -> PartyView | None:
        """Return the worker or the employer."""
        return next((p for p in self.parties if p.role == role), None)

    def decisions(self) -> list[workflow.Decision]:
        """Return the triggers declared from the current state, each with its blockers."""
        return workflow.available(CaseSubject(self.state, self.facts))

    def recording_actions(self) -> list[str]:
        """Return the recording actions allowed in the current state."""
        return [
            action
            for action in workflow.RECORDING_ACTIONS
            if workflow.recording_allowed(action, self.state)
        ]


def case_id_param() -> Any:
    """The bound ``case_id`` parameter of the per-case statements built at import."""
    return bindparam("case_id", type_=Integer)


# The case with its organisation, town, mediator and agreement (one per case at most).
_CASE_STATEMENT = (
    select(
        CASE,
        ORGANIZATION.c.name.label("organization_name"),
        ORGANIZATION.c.level.label("organization_level"),
        TOWN.c.name.label("town_name"),
        USER.c.display_name.label("mediator_name"),
        AGREEMENT.c.id.label("agreement_id"),
        AGREEMENT.c.method.label("agreement_method"),
        AGREEMENT.c.notes.label("agreement_notes"),
        AGREEMENT.c.signed_worker_at,
        AGREEMENT.c.signed_employer_at,
        AGREEMENT.c.signed_mediator_at,
        AGREEMENT.c.sealed_at,
        AGREEMENT.c.effective_on,
    )
    .select_from(
        CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
        .outerjoin(TOWN, TOWN.c.id == CASE.c.town_id)
        .outerjoin(USER, USER.c.id == CASE.c.mediator_id)
        .outerjoin(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id)
    )
    .where(CASE.c.id == case_id_param())
)
_PARTIES = select(PARTY).where(PARTY.c.case_id == case_id_param()).order_by(PARTY.c.role.desc())
# Shared with mediation.cases.document_data: the rows of one case, by bound case_id.
CLAIMS_OF_CASE = select(CLAIM).where(CLAIM.c.case_id == case_id_param()).order_by(CLAIM.c.id)
_INTERVIEWS = (
    select(INTERVIEW, USER.c.display_name.label("mediator_name"))
    .select_from(INTERVIEW.outerjoin(USER, USER.c.id == INTERVIEW.c.mediator_id))
    .where(INTERVIEW.c.case_id == case_id_param())
    .order_by(INTERVIEW.c.held_on, INTERVIEW.c.id)
)
_SESSIONS = (
    select(JOINT_SESSION)
    .where(JOINT_SESSION.c.case_id == case_id_param())
    .order_by(JOINT_SESSION.c.held_on, JOINT_SESSION.c.id)
)
_OFFERS = (
    select(OFFER).where(OFFER.c.case_id == case_id_param()).order_by(OFFER.c.made_on, OFFER.c.id)
)
AGREEMENT_OF_CASE = select(AGREEMENT).where(AGREEMENT.c.case_id == case_id_param())
TERMS_OF_CASE = (
    select(TERM)
    .join(AGREEMENT, AGREEMENT.c.id == TERM.c.agreement_id)
    .where(AGREEMENT.c.case_id == case_id_param())
    .order_by(TERM.c.id)
)
INSTALMENTS_OF_CASE = (
    select(INSTALMENT)
    .join(AGREEMENT, AGREEMENT.c.id == INSTALMENT.c.agreement_id)
    .where(AGREEMENT.c.case_id == case_id_param())
    .order_by(INSTALMENT.c.seq)
)
PAYMENTS_OF_CASE = (
    select(PAYMENT)
    .where(PAYMENT.c.case_id == case_id_param())
    .order_by(PAYMENT.c.paid_on, PAYMENT.c.id)
)
_CONVERSIONS = (
    select(CONVERSION).where(CONVERSION.c.case_id == case_id_param()).order_by(CONVERSION.c.id)
)
# Never the content column: a bundle can be large and the page only lists documents.
_DOCUMENTS = (
    select(
        DOCUMENT.c.kind,
        DOCUMENT.c.number,
        DOCUMENT.c.version,
        DOCUMENT.c.sha256,
        DOCUMENT.c.issued_at,
    )
    .where(DOCUMENT.c.case_id == case_id_param())
    .order_by(DOCUMENT.c.issued_at, DOCUMENT.c.id)
)
_EVENTS = (
    select(
        EVENT.c.seq,
        EVENT.c.created_at,
        EVENT.c.actor,
        EVENT.c.action,
        EVENT.c.from_state,
        EVENT.c.to_state,
        EVENT.c.payload,
    )
    .where(EVENT.c.case_id == case_id_param())
    .order_by(EVENT.c.seq)
)


def _event_details(payload: str) -> tuple[tuple[str, Any], ...]:
    try:
        data = json.loads(payload)
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    return tuple((key, data[key]) for key in EVENT_DETAIL_KEYS if data.get(key) not in (None, ""))


def _party(row: Row[Any]) -> PartyView:
    id_number = open_party_value(row.case_id, row.role, "id_number", row.id_number)
    phone = open_party_value(row.case_id, row.role, "phone", row.phone)
    agent_phone = open_party_value(row.case_id, row.role, "agent_phone", row.agent_phone)
    return PartyView(
        role=row.role,
        name=row.name,
        id_number=mask_id_number(id_number) if id_number else "",
        phone=mask_phone(phone) if phone else "",
        address=row.address,
        legal_representative=row.legal_representative,
        agent_name=row.agent_name,
        agent_phone=mask_phone(agent_phone) if agent_phone else "",
    )


def facts_of(
    case: Any,
    *,
    parties: list[Any],
    claims: list[Any],
    interviews: list[Any],
    terms: list[Any],
    instalments: list[Any],
    documents: list[Any],
    today: date,
) -> CaseFacts:
    """Return what the guards know of a case, from the rows its page has read.

    The same facts as :func:`mediation.cases.facts.load_facts` computes in SQL for the
    service (a test holds the two together); the page has every row they come from.
    """
    worker = next((p for p in parties if p.role == PartyRole.WORKER), None)
    employer = next((p for p in parties if p.role == PartyRole.EMPLOYER), None)
    roles = {i.party_role for i in interviews}
    has_agreement = case.agreement_id is not None
    return CaseFacts(
        today=today,
        received_on=case.received_on,
        worker_complete=worker is not None
        and bool(worker.name and worker.id_number and worker.phone),
        employer_complete=employer is not None and bool(employer.name and employer.id_number),
        claim_items_with_amount=sum(1 for c in claims if c.amount_fen > 0),
        interviewed_worker=PartyRole.WORKER in roles,
        interviewed_employer=PartyRole.EMPLOYER in roles,
        has_crux=bool(case.crux.strip()),
        has_plan=bool(case.mediation_plan.strip()),
        consent_worker=case.consent_worker_at is not None,
        consent_employer=case.consent_employer_at is not None,
        terms_count=len(terms),
        terms_total_fen=sum(t.amount_fen for t in terms),
        nonpositive_terms=sum(1 for t in terms if t.amount_fen <= 0),
        instalments_count=len(instalments),
        instalments_total_fen=sum(i.amount_fen for i in instalments),
        has_method=has_agreement and bool(case.agreement_method),
        signed_worker=case.signed_worker_at is not None,
        signed_employer=case.signed_employer_at is not None,
        signed_mediator=case.signed_mediator_at is not None,
        sealed=case.sealed_at is not None,
        effective_on=case.effective_on,
        agreed_fen=case.agreed_fen,
        paid_fen=case.paid_fen,
        due_fen=sum(i.amount_fen for i in instalments if i.due_on < today),
        term_categories=frozenset(t.category for t in terms) if has_agreement else frozenset(),
        has_archive_bundle=any(d.kind == "archive_bundle" for d in documents),
    )


def load_case_file(session: Session, case_id: int, *, today: date) -> CaseFile:
    """Read everything the case page shows about a case, as of ``today`` (Asia/Shanghai).

    One statement per kind of record (the agreement comes with the case); the guards'
    facts and the deadlines are computed from these rows, not read again.
    """
    # The statements are built once at import: the driver runs them (mediation.db.Prebuilt),
    # without SQLAlchemy's execution machinery around each — half the cost of the page's read.
    connection = prebuilt(session)
    parameters = {"case_id": case_id}

    def rows(statement: Any) -> list[Any]:
        return connection.execute(statement, parameters).rows

    case = connection.execute(_CASE_STATEMENT, parameters).one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    # Read even without an agreement, so every page costs the same number of queries.
    terms = rows(TERMS_OF_CASE)
    instalments = rows(INSTALMENTS_OF_CASE)
    parties = rows(_PARTIES)
    claims = rows(CLAIMS_OF_CASE)
    interviews = rows(_INTERVIEWS)
    payments = rows(PAYMENTS_OF_CASE)
    documents = rows(_DOCUMENTS)
    agreement: AgreementView | None = None
    if case.agreement_id is not None:
        agreement = AgreementView(
            method=case.agreement_method,
            notes=case.agreement_notes,
            signed_worker_at=to_local(case.signed_worker_at),
            signed_employer_at=to_local(case.signed_employer_at),
            signed_mediator_at=to_local(case.signed_mediator_at),
            sealed_at=to_local(case.sealed_at),
            effective_on=case.effective_on,
            terms=tuple(TermView(r.category, r.amount_fen, r.description, r.id) for r in terms),
            instalments=tuple(InstalmentView(r.seq, r.due_on, r.amount_fen) for r in instalments),
        )
    facts = facts_of(
        case,
        parties=parties,
        claims=claims,
        interviews=interviews,
        terms=terms,
        instalments=instalments,
        documents=documents,
        today=today,
    )
    deadlines = deadlines_of(
        state=case.state,
        received_on=case.received_on,
        knew_on=case.knew_on,
        paid_fen=case.paid_fen,
        outcome=case.outcome,
        outcome_on=case.outcome_on,
        consent_to_continue=facts.consent_worker and facts.consent_employer,
        effective_on=case.effective_on,
        instalments=[(r.seq, r.due_on, r.amount_fen) for r in instalments],
        terms=[(r.category, r.amount_fen) for r in terms],
        today=today,
    )
    return CaseFile(
        id=case.id,
        number=case.number,
        state=case.state,
        version=case.version,
        organization=case.organization_name,
        organization_level=case.organization_level,
        town=case.town_name or "",
        mediator=case.mediator_name or "",
        category=case.category,
        source=case.source,
        summary=case.summary,
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        knew_on=case.knew_on,
        claimed_fen=case.claimed_fen,
        agreed_fen=case.agreed_fen,
        paid_fen=case.paid_fen,
        outcome=case.outcome,
        outcome_on=case.outcome_on,
        closed_as=case.closed_as,
        end_reason=case.end_reason,
        crux=case.crux,
        mediation_plan=case.mediation_plan,
        consent_worker_at=to_local(case.consent_worker_at),
        consent_employer_at=to_local(case.consent_employer_at),
        parties=tuple(_party(r) for r in parties),
        claims=tuple(ClaimView(r.category, r.amount_fen, r.description) for r in claims),
        interviews=tuple(
            InterviewView(r.party_role, r.held_on, r.notes, r.mediator_name or "")
            for r in interviews
        ),
        joint_sessions=tuple(
            JointSessionView(r.held_on, r.attendees, r.notes) for r in rows(_SESSIONS)
        ),
        offers=tuple(OfferView(r.by_role, r.amount_fen, r.made_on, r.notes) for r in rows(_OFFERS)),
        agreement=agreement,
        payments=tuple(
            PaymentView(r.paid_on, r.amount_fen, r.method, r.receipt_ref) for r in payments
        ),
        conversions=tuple(
            ConversionView(
                r.kind,
                r.applied_on,
                r.decided_on,
                r.granted,
                r.document_number,
                r.issuing_body,
                r.reason,
            )
            for r in rows(_CONVERSIONS)
        ),
        documents=tuple(
            DocumentView(r.kind, r.number, r.version, r.sha256, to_local(r.issued_at))
            for r in documents
        ),
        events=tuple(
            EventView(
                seq=seq,
                at=to_local(created_at),
                actor=actor,
                action=action,
                from_state=from_state,
                to_state=to_state,
                details=_event_details(payload),
            )
            for seq, created_at, actor, action, from_state, to_state, payload in rows(_EVENTS)
        ),
        facts=facts,
        deadlines=deadlines,
    )
