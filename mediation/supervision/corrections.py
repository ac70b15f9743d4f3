"""Corrections of signed amounts: a mediator asks, a supervisor approves or rejects.

A signed agreement is frozen (劳动争议调解仲裁法 Art. 14). When an amount in it turns out to be
wrong, a mediator of the case's organisation requests a correction: the corrected amount of
each term and instalment, and why (:func:`request_correction`, an event
``request_correction`` on the case's chain). Nothing changes until a supervisor decides:

- :func:`approve_correction` takes the recording action ``apply_correction`` through
  :func:`mediation.cases.service.advance` — the only path that changes a signed amount (see
  :mod:`mediation.supervision.correction_action`) — so the new amounts, the case's new agreed
  amount and the event with its snapshot commit together under the case's version check. The
  reports read the case's amounts, so they show the corrected figures at once. Afterwards the
  signed agreement is issued again as its next version (:func:`reissue_corrected_agreement`,
  rendered outside any transaction).
- :func:`reject_correction` closes the request with the supervisor's note (an event
  ``reject_correction``); the agreement stays as signed.

One request per case is pending at a time. The case page shows every request and decision.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, bindparam, func, insert, select, update
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor, EventRecord, append_event
from mediation.cases.inputs import fen, text
from mediation.cases.service import advance
from mediation.db import Database, prebuilt
from mediation.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mediation.money import MAX_FEN
from mediation.supervision.correction_action import (
    APPROVED,
    PENDING,
    REJECTED,
    check_amounts,
    is_supervisor,
)
from mediation.tables import (
    AGREEMENT,
    AUDIT_HEAD,
    CASE,
    CORRECTION,
    INSTALMENT,
    ORGANIZATION,
    TERM,
)
from workflows.case import SUPERVISED_ACTIONS, CaseState

if TYPE_CHECKING:
    from mediation.cases.case_file import CaseFile

STATES = (PENDING, APPROVED, REJECTED)
#: The states in which a signed agreement may be corrected.
CORRECTABLE_STATES = SUPERVISED_ACTIONS["apply_correction"]


@dataclass(frozen=True)
class TermAmount:
    """A term of the signed agreement (or of a correction: before and after)."""

    id: int
    category: str
    description: str
    old_fen: int
    new_fen: int

    @property
    def changed(self) -> bool:
        """Tell whether the correction changes this amount."""
        return self.old_fen != self.new_fen


@dataclass(frozen=True)
class InstalmentAmount:
    """An instalment of the signed agreement (or of a correction: before and after)."""

    seq: int
    due_on: str
    old_fen: int
    new_fen: int

    @property
    def changed(self) -> bool:
        """Tell whether the correction changes this amount."""
        return self.old_fen != self.new_fen


@dataclass(frozen=True)
class SignedAgreement:
    """What a correction starts from: the case and the amounts of its signed agreement."""

    case_id: int
    number: str
    state: str
    version: int
    closed_as: str | None
    agreed_fen: int
    paid_fen: int
    effective_on: date | None
    terms: tuple[TermAmount, ...]
    instalments: tuple[InstalmentAmount, ...]

    @property
    def correctable(self) -> bool:
        """Tell whether the agreement is signed and the case in a state that allows a correction."""
        return self.effective_on is not None and CaseState(self.state) in CORRECTABLE_STATES


@dataclass(frozen=True)
class Correction:
    """A correction request and its decision."""

    id: int
    case_id: int
    case_number: str
    organization: str
    state: str
    reason: str
    old_agreed_fen: int
    new_agreed_fen: int
    terms: tuple[TermAmount, ...]
    instalments: tuple[InstalmentAmount, ...]
    requested_by: str
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_note: str

    @property
    def pending(self) -> bool:
        """Tell whether a supervisor has yet to decide."""
        return self.state == PENDING


def signed_agreement(session: Session, case_id: int) -> SignedAgreement:
    """Return the case's signed agreement as a correction would start from it."""
    case = session.execute(
        select(
            CASE.c.id,
            CASE.c.number,
            CASE.c.state,
            CASE.c.version,
            CASE.c.closed_as,
            CASE.c.agreed_fen,
            CASE.c.paid_fen,
            AGREEMENT.c.id.label("agreement_id"),
            AGREEMENT.c.effective_on,
        )
        .select_from(CASE.outerjoin(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id))
        .where(CASE.c.id == case_id)
    ).one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    terms: tuple[TermAmount, ...] = ()
    instalments: tuple[InstalmentAmount, ...] = ()
    if case.agreement_id is not None:
        terms = tuple(
            TermAmount(row.id, row.category, row.description, row.amount_fen, row.amount_fen)
            for row in session.execute(
                select(TERM.c.id, TERM.c.category, TERM.c.description, TERM.c.amount_fen)
                .where(TERM.c.agreement_id == case.agreement_id)
                .order_by(TERM.c.id)
            )
        )
        instalments = tuple(
            InstalmentAmount(row.seq, row.due_on.isoformat(), row.amount_fen, row.amount_fen)
            for row in session.execute(
                select(INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen)
                .where(INSTALMENT.c.agreement_id == case.agreement_id)
                .order_by(INSTALMENT.c.seq)
            )
        )
    return SignedAgreement(
        case_id=case.id,
        number=case.number,
        state=case.state,
        version=case.version,
        closed_as=case.closed_as,
        agreed_fen=case.agreed_fen,
        paid_fen=case.paid_fen,
        effective_on=case.effective_on,
        terms=terms,
        instalments=instalments,
    )


def signed_agreement_of(case: CaseFile) -> SignedAgreement | None:
    """Return what :func:`signed_agreement` reads, from a case page's read model (no query;
    None without an agreement)."""
    agreement = case.agreement
    if agreement is None:
        return None
    return SignedAgreement(
        case_id=case.id,
        number=case.number,
        state=case.state,
        version=case.version,
        closed_as=case.closed_as,
        agreed_fen=case.agreed_fen,
        paid_fen=case.paid_fen,
        effective_on=agreement.effective_on,
        terms=tuple(
            TermAmount(t.id, t.category, t.description, t.amount_fen, t.amount_fen)
            for t in agreement.terms
        ),
        instalments=tuple(
            InstalmentAmount(i.seq, i.due_on.isoformat(), i.amount_fen, i.amount_fen)
            for i in agreement.instalments
        ),
    )


def _amounts(values: Sequence[Any], count: int, what: str) -> list[int]:
    if len(values) != count:
        raise InvalidInput(
            f"{what}: {count} amounts are required, one for each, {len(values)} given"
        )
    amounts = []
    for index, value in enumerate(values, start=1):
        try:
            amounts.append(fen({"amount_fen": value}, "amount_fen"))
        except InvalidInput as exc:
            raise InvalidInput(f"{what} {index}: {exc}") from None
    return amounts


def request_correction(
    session: Session,
    *,
    case_id: int,
    terms: Sequence[int],
    instalments: Sequence[int],
    reason: str,
    actor: Actor,
) -> int:
    """Record a request to correct the signed amounts; return its id. The caller commits.

    ``terms`` and ``instalments`` are the corrected amounts in fen, in the agreement's order
    (terms as listed, instalments by number). Raises ``NotFound`` or ``InvalidInput`` (not
    signed, not in a state that allows it, a request already pending, nothing changed,
    amounts that do not hold together, no reason).
    """
    agreement = signed_agreement(session, case_id)
    if agreement.effective_on is None:
        raise InvalidInput(f"case {agreement.number}: the agreement is not signed; edit the draft")
    if not agreement.correctable:
        raise InvalidInput(
            f"case {agreement.number}: a signed amount cannot be corrected while the case is "
            f"{agreement.state}"
        )
    reason = text({"reason": reason}, "reason", required=True, limit=2000)
    new_terms = _amounts(terms, len(agreement.terms), "terms")
    new_instalments = _amounts(instalments, len(agreement.instalments), "instalments")
    if sum(new_terms) > MAX_FEN:
        raise InvalidInput("terms: the corrected terms add up to too much")
    changed_terms = tuple(
        TermAmount(t.id, t.category, t.description, t.old_fen, new)
        for t, new in zip(agreement.terms, new_terms, strict=True)
    )
    changed_instalments = tuple(
        InstalmentAmount(i.seq, i.due_on, i.old_fen, new)
        for i, new in zip(agreement.instalments, new_instalments, strict=True)
    )
    if not any(t.changed for t in changed_terms) and not any(
        i.changed for i in changed_instalments
    ):
        raise InvalidInput("terms: no amount is changed; enter the corrected amounts")
    check_amounts(
        agreed_fen=sum(new_terms),
        instalments_fen=new_instalments,
        paid_fen=agreement.paid_fen,
        closed_as=agreement.closed_as,
    )
    # Lock the chain head (taken anyway to log the event) before looking for a pending request:
    # two requests for the same case are then serialised on PostgreSQL too (SQLite's write
    # transaction already is), so at most one is pending.
    _lock_chain(session)
    pending = session.execute(
        select(CORRECTION.c.id).where(
            CORRECTION.c.case_id == case_id, CORRECTION.c.state == PENDING
        )
    ).scalar_one_or_none()
    if pending is not None:
        raise InvalidInput(
            f"case {agreement.number}: correction #{pending} is still awaiting a supervisor's "
            "decision"
        )
    changes = {
        "terms": [vars(t) for t in changed_terms],
        "instalments": [vars(i) for i in changed_instalments],
    }
    correction_id = session.execute(
        insert(CORRECTION)
        .values(
            case_id=case_id,
            state=PENDING,
            reason=reason,
            old_agreed_fen=agreement.agreed_fen,
            new_agreed_fen=sum(new_terms),
            changes=json.dumps(changes, ensure_ascii=False, sort_keys=True),
            requested_by_id=actor.id,
            requested_by=actor.name,
            requested_at=clock.utcnow(),
            decided_by="",
            decision_note="",
        )
        .returning(CORRECTION.c.id)
    ).scalar_one()
    append_event(
        session,
        actor=actor,
        action="request_correction",
        case_id=case_id,
        from_state=agreement.state,
        to_state=agreement.state,
        payload={
            "correction_id": correction_id,
            "reason": reason,
            "requested_agreed_fen": sum(new_terms),
            "previous_agreed_fen": agreement.agreed_fen,
            "changes": changes,
        },
    )
    return int(correction_id)


def _lock_chain(session: Session) -> None:
    session.execute(select(AUDIT_HEAD.c.id).where(AUDIT_HEAD.c.id == 1).with_for_update())


def _pending_row(session: Session, correction_id: int) -> Any:
    row = session.execute(
        select(
            CORRECTION.c.id,
            CORRECTION.c.case_id,
            CORRECTION.c.state,
            CASE.c.state.label("case_state"),
            CASE.c.version,
        )
        .join(CASE, CASE.c.id == CORRECTION.c.case_id)
        .where(CORRECTION.c.id == correction_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"correction #{correction_id} does not exist")
    if row.state != PENDING:
        raise InvalidInput(f"correction #{correction_id} is already {row.state}")
    return row


def approve_correction(
    session: Session,
    *,
    correction_id: int,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
) -> EventRecord:
    """Approve a pending correction: the amounts change now, through ``advance``.

    ``expected_version`` is the case version the supervisor saw (a ``Conflict`` if the case
    changed since); without it the current version is used. Raises ``NotFound``,
    ``PermissionDenied`` (not a supervisor), ``InvalidInput``, ``Conflict`` or
    ``TransitionNotAllowed``; nothing is written then.
    """
    row = _pending_row(session, correction_id)
    return advance(
        session,
        case_id=row.case_id,
        action="apply_correction",
        expected_version=row.version if expected_version is None else expected_version,
        actor=actor,
        data={"correction_id": correction_id, "note": note},
    )


def reject_correction(
    session: Session, *, correction_id: int, actor: Actor, note: str
) -> EventRecord:
    """Reject a pending correction with a note; the agreement stays as signed."""
    if not is_supervisor(session, actor.id):
        raise PermissionDenied("only a supervisor may reject a correction of signed amounts")
    note = text({"note": note}, "note", required=True, limit=2000)
    _lock_chain(session)
    row = _pending_row(session, correction_id)
    decided = session.connection().execute(
        update(CORRECTION)
        .where(CORRECTION.c.id == correction_id, CORRECTION.c.state == PENDING)
        .values(
            state=REJECTED,
            decided_by_id=actor.id,
            decided_by=actor.name,
            decided_at=clock.utcnow(),
            decision_note=note,
        )
    )
    if decided.rowcount != 1:
        raise Conflict(f"correction #{correction_id} was decided meanwhile")
    return append_event(
        session,
        actor=actor,
        action="reject_correction",
        case_id=row.case_id,
        from_state=row.case_state,
        to_state=row.case_state,
        payload={"correction_id": correction_id, "reason": note},
    )


# --------------------------------------------------------------------------- reading


_COLUMNS = (
    CORRECTION,
    CASE.c.number.label("case_number"),
    ORGANIZATION.c.name.label("organization"),
)


def _correction(row: Any) -> Correction:
    changes = json.loads(row.changes)
    return Correction(
        id=row.id,
        case_id=row.case_id,
        case_number=row.case_number,
        organization=row.organization,
        state=row.state,
        reason=row.reason,
        old_agreed_fen=row.old_agreed_fen,
        new_agreed_fen=row.new_agreed_fen,
        terms=tuple(TermAmount(**t) for t in changes.get("terms", [])),
        instalments=tuple(InstalmentAmount(**i) for i in changes.get("instalments", [])),
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
    )


def _select() -> Any:
    return select(*_COLUMNS).select_from(
        CORRECTION.join(CASE, CASE.c.id == CORRECTION.c.case_id).join(
            ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id
        )
    )


def get_correction(session: Session, correction_id: int) -> Correction:
    """Return one correction, or raise ``NotFound``."""
    row = session.execute(_select().where(CORRECTION.c.id == correction_id)).one_or_none()
    if row is None:
        raise NotFound(f"correction #{correction_id} does not exist")
    return _correction(row)


# The case page reads its history on every request: built once, run by the driver
# (mediation.db.Prebuilt).
_CASE_CORRECTIONS = (
    _select()
    .where(CORRECTION.c.case_id == bindparam("case_id", type_=Integer))
    .order_by(CORRECTION.c.id)
)


def corrections_of_case(session: Session, case_id: int) -> list[Correction]:
    """Return every correction of a case, oldest first (its history)."""
    rows = prebuilt(session).execute(_CASE_CORRECTIONS, {"case_id": case_id})
    return [_correction(row) for row in rows]


def list_corrections(
    session: Session, *, state: str | None = None, limit: int = 200
) -> list[Correction]:
    """Return corrections, pending ones oldest first, decided ones newest first."""
    query = _select()
    if state is not None:
        if state not in STATES:
            raise InvalidInput(f"state: {state!r} is not one of {', '.join(STATES)}")
        query = query.where(CORRECTION.c.state == state)
    order = CORRECTION.c.id if state == PENDING else CORRECTION.c.id.desc()
    return [_correction(row) for row in session.execute(query.order_by(order).limit(limit))]


def count_pending(session: Session) -> int:
    """Return how many corrections await a decision."""
    return int(
        session.execute(
            select(func.count()).select_from(CORRECTION).where(CORRECTION.c.state == PENDING)
        ).scalar_one()
    )


# --------------------------------------------------------------------------- re-issuing


def reissue_corrected_agreement(
    database: Database,
    *,
    correction_id: int,
    actor: Actor,
    base_url: str,
    today: date,
) -> Any:
    """Issue the signed agreement again (version n+1) after a correction was approved.

    The hook between corrections and document issuing (``mediation.issuing``): called once the
    approval has committed, it renders outside any transaction and stores the new version with
    the correction as its reason. Returns the :class:`~mediation.issuing.service.Issued`
    document; raises what ``issue_document`` raises (the approval stands either way).
    """
    from mediation.issuing.service import issue_document

    with database.read_session() as session:
        correction = get_correction(session, correction_id)
    if correction.state != APPROVED:
        raise InvalidInput(f"correction #{correction_id} is {correction.state}, not approved")
    reason = f"经督导审批更正金额（更正申请#{correction_id}）：{correction.reason}"
    return issue_document(
        database,
        correction.case_id,
        "agreement",
        actor,
        reason=reason[:1000],
        base_url=base_url,
        today=today,
        correction_id=correction_id,
    )
