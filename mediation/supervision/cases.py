"""A case as a supervisor reads it: facts, signed amounts, payments, corrections, reviews, events.

Read-only and district-wide: any case by its number. The supervisor's page never changes the
case; corrections and reviews have their own pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from mediation.errors import NotFound
from mediation.money import format_yuan
from mediation.supervision.corrections import Correction, corrections_of_case
from mediation.supervision.reviews import Review, reviews_of_case
from mediation.tables import (
    AGREEMENT,
    CASE,
    DOCUMENT,
    EVENT,
    INSTALMENT,
    ORGANIZATION,
    PARTY,
    PAYMENT,
    TERM,
    TOWN,
    USER,
    ZONE,
)

#: Case numbers are short printable text.
MAX_NUMBER_LENGTH = 40
#: The most events the page lists (the newest).
MAX_EVENTS = 500


@dataclass(frozen=True)
class Line:
    """A term, instalment or payment: a label, a day and an amount."""

    label: str
    day: date | None
    amount_fen: int
    note: str = ""


@dataclass(frozen=True)
class EventLine:
    """An event of the case's log."""

    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    summary: str


@dataclass(frozen=True)
class DocumentLine:
    """An issued document (no content: supervisors verify, mediators download)."""

    kind: str
    number: str
    version: int
    issued_at: datetime
    sha256: str


@dataclass(frozen=True)
class CaseOverview:
    """Everything the supervisor's case page shows."""

    id: int
    number: str
    organization: str
    level: str
    town: str
    zone: str
    mediator: str
    category: str
    state: str
    version: int
    source: str
    received_on: date
    accepted_on: date | None
    outcome: str | None
    outcome_on: date | None
    closed_as: str | None
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    worker: str
    employer: str
    effective_on: date | None
    terms: tuple[Line, ...]
    instalments: tuple[Line, ...]
    payments: tuple[Line, ...]
    documents: tuple[DocumentLine, ...]
    corrections: tuple[Correction, ...]
    reviews: tuple[Review, ...]
    events: tuple[EventLine, ...]
    events_total: int


def _summary(payload_text: str) -> str:
    try:
        payload = json.loads(payload_text)
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    shown = []
    for key in ("reason", "note", "result", "resolution", "amount_fen", "agreed_fen"):
        value = payload.get(key)
        if value in (None, ""):
            continue
        if key in ("amount_fen", "agreed_fen") and isinstance(value, int):
            value = f"{format_yuan(value)} 元"
        shown.append(f"{key}: {value}")
    return " · ".join(shown)[:300]


def case_id_by_number(session: Session, number: str) -> int:
    """Return the id of the case with this number, or raise ``NotFound``."""
    if len(number) > MAX_NUMBER_LENGTH or any(ord(c) < 32 for c in number):
        raise NotFound("no such case")
    case_id = session.execute(select(CASE.c.id).where(CASE.c.number == number)).scalar()
    if case_id is None:
        raise NotFound(f"no case numbered {number!r}")
    return int(case_id)


def case_overview(session: Session, case_id: int) -> CaseOverview:
    """Read the case page of a supervisor."""
    row = session.execute(
        select(
            CASE,
            ORGANIZATION.c.name.label("organization"),
            ORGANIZATION.c.level.label("level"),
            func.coalesce(TOWN.c.name, "").label("town"),
            func.coalesce(ZONE.c.name, "").label("zone"),
            func.coalesce(USER.c.display_name, "").label("mediator"),
            AGREEMENT.c.id.label("agreement_id"),
            AGREEMENT.c.effective_on,
        )
        .select_from(
            CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
            .outerjoin(TOWN, TOWN.c.id == CASE.c.town_id)
            .outerjoin(ZONE, ZONE.c.id == TOWN.c.zone_id)
            .outerjoin(USER, USER.c.id == CASE.c.mediator_id)
            .outerjoin(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id)
        )
        .where(CASE.c.id == case_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    parties = {
        p.role: p.name
        for p in session.execute(
            select(PARTY.c.role, PARTY.c.name).where(PARTY.c.case_id == case_id)
        )
    }
    terms: tuple[Line, ...] = ()
    instalments: tuple[Line, ...] = ()
    if row.agreement_id is not None:
        terms = tuple(
            Line(t.category, None, t.amount_fen, t.description)
            for t in session.execute(
                select(TERM.c.category, TERM.c.amount_fen, TERM.c.description)
                .where(TERM.c.agreement_id == row.agreement_id)
                .order_by(TERM.c.id)
            )
        )
        instalments = tuple(
            Line(str(i.seq), i.due_on, i.amount_fen)
            for i in session.execute(
                select(INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen)
                .where(INSTALMENT.c.agreement_id == row.agreement_id)
                .order_by(INSTALMENT.c.seq)
            )
        )
    payments = tuple(
        Line(p.method, p.paid_on, p.amount_fen, p.receipt_ref)
        for p in session.execute(
            select(PAYMENT.c.method, PAYMENT.c.paid_on, PAYMENT.c.amount_fen, PAYMENT.c.receipt_ref)
            .where(PAYMENT.c.case_id == case_id)
            .order_by(PAYMENT.c.paid_on, PAYMENT.c.id)
        )
    )
    documents = tuple(
        DocumentLine(d.kind, d.number, d.version, d.issued_at, d.sha256)
        for d in session.execute(
            select(
                DOCUMENT.c.kind,
                DOCUMENT.c.number,
                DOCUMENT.c.version,
                DOCUMENT.c.issued_at,
                DOCUMENT.c.sha256,
            )
            .where(DOCUMENT.c.case_id == case_id)
            .order_by(DOCUMENT.c.kind, DOCUMENT.c.version)
        )
    )
    events_total = int(
        session.execute(
            select(func.count()).select_from(EVENT).where(EVENT.c.case_id == case_id)
        ).scalar_one()
    )
    events = tuple(
        reversed(
            [
                EventLine(
                    e.seq,
                    e.created_at,
                    e.actor,
                    e.action,
                    e.from_state,
                    e.to_state,
                    _summary(e.payload),
                )
                for e in session.execute(
                    select(
                        EVENT.c.seq,
                        EVENT.c.created_at,
                        EVENT.c.actor,
                        EVENT.c.action,
                        EVENT.c.from_state,
                        EVENT.c.to_state,
                        EVENT.c.payload,
                    )
                    .where(EVENT.c.case_id == case_id)
                    .order_by(EVENT.c.seq.desc())
                    .limit(MAX_EVENTS)
                )
            ]
        )
    )
    return CaseOverview(
        id=row.id,
        number=row.number,
        organization=row.organization,
        level=row.level,
        town=row.town,
        zone=row.zone,
        mediator=row.mediator,
        category=row.category,
        state=row.state,
        version=row.version,
        source=row.source,
        received_on=row.received_on,
        accepted_on=row.accepted_on,
        outcome=row.outcome,
        outcome_on=row.outcome_on,
        closed_as=row.closed_as,
        claimed_fen=row.claimed_fen,
        agreed_fen=row.agreed_fen,
        paid_fen=row.paid_fen,
        worker=parties.get("worker", ""),
        employer=parties.get("employer", ""),
        effective_on=row.effective_on,
        terms=terms,
        instalments=instalments,
        payments=payments,
        documents=documents,
        corrections=tuple(corrections_of_case(session, case_id)),
        reviews=tuple(reviews_of_case(session, case_id)),
        events=events,
        events_total=events_total,
    )
