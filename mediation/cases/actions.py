"""What each action does to a case: one handler per trigger and per recording action.

A handler checks its input, computes the new case columns and the event payload, and
returns the detail-row writes to run once the case row is locked by its version check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlmodel import Session

from mediation.audit.chain import Actor
from mediation.cases.deadlines import next_unpaid_due
from mediation.cases.enums import (
    Category,
    ConversionKind,
    Outcome,
    PartyRole,
    PaymentMethod,
    Signer,
)
from mediation.cases.facts import CaseRow
from mediation.cases.inputs import a_date, choice, fen, text
from mediation.db import prebuilt
from mediation.errors import Conflict, InvalidInput, TransitionNotAllowed
from mediation.issuing.numbering import MEDIA_TYPE, document_number
from mediation.money import MAX_FEN, format_yuan
from mediation.people.identity import is_valid_resident_id, is_valid_uscc
from mediation.people.sealing import seal_party
from mediation.tables import (
    AGREEMENT,
    CLAIM,
    CONVERSION,
    DOCUMENT,
    INSTALMENT,
    INTERVIEW,
    JOINT_SESSION,
    OFFER,
    PARTY,
    PAYMENT,
    TERM,
)
from workflows.case import DOCUMENT_STATES, CaseState

# --------------------------------------------------------------------------- what an action does


@dataclass
class Change:
    """What an action changes: case columns, detail rows (written after the lock), payload."""

    values: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    writes: list[Callable[[Session], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What an action handler is given."""

    session: Session
    case: CaseRow
    data: Mapping[str, Any]
    actor: Actor
    today: date
    now: datetime


Handler = Callable[[Context], Change]


# The handlers' statements, built once and run through mediation.db.Prebuilt (see advance).
_AGREEMENT_ID = select(AGREEMENT.c.id).where(AGREEMENT.c.case_id == bindparam("case_id"))
_TERM_AMOUNTS = select(TERM.c.amount_fen).where(TERM.c.agreement_id == bindparam("agreement_id"))
_UPDATE_AGREEMENT = update(AGREEMENT).where(AGREEMENT.c.id == bindparam("b_agreement_id"))
_PENDING_CONVERSION = (
    select(CONVERSION.c.id)
    .where(CONVERSION.c.case_id == bindparam("case_id"), CONVERSION.c.decided_on.is_(None))
    .order_by(CONVERSION.c.id.desc())
    .limit(1)
)
_INSERT_CONVERSION = insert(CONVERSION)
_UPDATE_CONVERSION = update(CONVERSION).where(CONVERSION.c.id == bindparam("b_conversion_id"))
_INSERT_CLAIM = insert(CLAIM)
_INSERT_INTERVIEW = insert(INTERVIEW)
_INSERT_JOINT_SESSION = insert(JOINT_SESSION)
_INSERT_OFFER = insert(OFFER)
_INSERT_AGREEMENT = insert(AGREEMENT).returning(AGREEMENT.c.id)
_DELETE_TERMS = delete(TERM).where(TERM.c.agreement_id == bindparam("agreement_id"))
_DELETE_INSTALMENTS = delete(INSTALMENT).where(
    INSTALMENT.c.agreement_id == bindparam("agreement_id")
)
_INSERT_TERM = insert(TERM)
_INSERT_INSTALMENT = insert(INSTALMENT)
_INSERT_PAYMENT = insert(PAYMENT)
_INSTALMENTS_OF_CASE = (
    select(INSTALMENT.c.due_on, INSTALMENT.c.seq, INSTALMENT.c.amount_fen)
    .join(AGREEMENT, AGREEMENT.c.id == INSTALMENT.c.agreement_id)
    .where(AGREEMENT.c.case_id == bindparam("case_id"))
)
_LATEST_DOCUMENT_VERSION = select(func.max(DOCUMENT.c.version)).where(
    DOCUMENT.c.case_id == bindparam("case_id"), DOCUMENT.c.kind == bindparam("kind")
)
_INSERT_DOCUMENT = insert(DOCUMENT)


def _agreement_id(session: Session, case_id: int) -> int | None:
    return prebuilt(session).execute(_AGREEMENT_ID, {"case_id": case_id}).scalar_one_or_none()


def _ended(outcome: Outcome, column: str) -> Handler:
    def handler(ctx: Context) -> Change:
        reason = text(ctx.data, "reason", limit=2000)
        return Change(
            values={
                "outcome": outcome.value,
                "outcome_on": ctx.today,
                column: ctx.now,
                "end_reason": reason,
            },
            payload={"reason": reason} if reason else {},
        )

    return handler


def _accept(ctx: Context) -> Change:
    return Change(values={"accepted_on": ctx.today, "accepted_at": ctx.now})


def _open_mediation(ctx: Context) -> Change:
    return Change(values={"opened_at": ctx.now})


def _sign_agreement(ctx: Context) -> Change:
    agreement_id = _agreement_id(ctx.session, ctx.case.id)
    total = prebuilt(ctx.session).execute(_TERM_AMOUNTS, {"agreement_id": agreement_id}).scalars()
    agreed = sum(total)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _UPDATE_AGREEMENT, {"effective_on": ctx.today, "b_agreement_id": agreement_id}
        )

    return Change(
        values={
            "outcome": Outcome.SETTLED.value,
            "outcome_on": ctx.today,
            "signed_at": ctx.now,
            "agreed_fen": agreed,
        },
        payload={"agreed_fen": agreed, "effective_on": ctx.today.isoformat()},
        writes=[write],
    )


def _closed(closed_as: str, *, reason: bool = False) -> Handler:
    def handler(ctx: Context) -> Change:
        values: dict[str, Any] = {"closed_as": closed_as, "closed_at": ctx.now}
        payload: dict[str, Any] = {"closed_as": closed_as}
        if reason:
            reason_text = text(ctx.data, "reason", limit=2000)
            values["end_reason"] = reason_text
            payload["reason"] = reason_text
        return Change(values=values, payload=payload)

    return handler


def _pending_conversion(session: Session, case_id: int) -> int:
    conversion_id = (
        prebuilt(session).execute(_PENDING_CONVERSION, {"case_id": case_id}).scalar_one_or_none()
    )
    if conversion_id is None:
        raise InvalidInput("there is no pending conversion application")
    return int(conversion_id)


def _apply_conversion(ctx: Context) -> Change:
    kind = choice(ctx.data, "conversion_kind", ConversionKind)
    applied_on = a_date(ctx.data, "applied_on", default=ctx.today)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_CONVERSION, {"case_id": ctx.case.id, "kind": kind, "applied_on": applied_on}
        )

    return Change(
        values={"conversion_applied_at": ctx.now},
        payload={"conversion_kind": kind, "applied_on": applied_on.isoformat()},
        writes=[write],
    )


def _record_conversion(ctx: Context) -> Change:
    conversion_id = _pending_conversion(ctx.session, ctx.case.id)
    number = text(ctx.data, "document_number", required=True, limit=100)
    body = text(ctx.data, "issuing_body", required=True, limit=200)
    decided_on = a_date(ctx.data, "decided_on", default=ctx.today)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _UPDATE_CONVERSION,
            {
                "decided_on": decided_on,
                "granted": True,
                "document_number": number,
                "issuing_body": body,
                "b_conversion_id": conversion_id,
            },
        )

    return Change(
        values={"closed_as": "converted", "closed_at": ctx.now},
        payload={"closed_as": "converted", "document_number": number, "issuing_body": body},
        writes=[write],
    )


def _conversion_refused(ctx: Context) -> Change:
    conversion_id = _pending_conversion(ctx.session, ctx.case.id)
    reason = text(ctx.data, "reason", required=True, limit=1000)
    decided_on = a_date(ctx.data, "decided_on", default=ctx.today)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _UPDATE_CONVERSION,
            {
                "decided_on": decided_on,
                "granted": False,
                "reason": reason,
                "b_conversion_id": conversion_id,
            },
        )

    return Change(payload={"reason": reason}, writes=[write])


def _archive(ctx: Context) -> Change:
    return Change(values={"archived_at": ctx.now})


TRIGGER_HANDLERS: dict[str, Handler] = {
    "accept": _accept,
    "reject": _ended(Outcome.REJECTED, "rejected_at"),
    "open_mediation": _open_mediation,
    "sign_agreement": _sign_agreement,
    "declare_failure": _ended(Outcome.FAILED, "failed_at"),
    "withdraw": _ended(Outcome.WITHDRAWN, "withdrawn_at"),
    "confirm_performance": _closed("performed"),
    "apply_conversion": _apply_conversion,
    "record_conversion": _record_conversion,
    "conversion_refused": _conversion_refused,
    "declare_breach": _closed("referred", reason=True),
    "archive": _archive,
}


# --------------------------------------------------------------------------- recording actions

PARTY_FIELDS = (
    "name",
    "id_number",
    "phone",
    "address",
    "legal_representative",
    "agent_name",
    "agent_phone",
)


#: The longest phone number accepted (with its dashes and spaces).
PHONE_LIMIT = 30


def blank_party() -> dict[str, str]:
    """Return every party column empty, to be overlaid with what is known."""
    return dict.fromkeys(PARTY_FIELDS, "")


def validate_party(role: str, values: Mapping[str, str]) -> None:
    """Check a party's identity number and phone; raise InvalidInput naming the field."""
    id_number = values.get("id_number", "")
    if id_number and role == PartyRole.WORKER and not is_valid_resident_id(id_number):
        raise InvalidInput(f"id_number: {id_number!r} is not a valid 18-digit resident ID number")
    if id_number and role == PartyRole.EMPLOYER and not is_valid_uscc(id_number):
        raise InvalidInput(f"id_number: {id_number!r} is not a valid unified social credit code")
    for key in ("phone", "agent_phone"):
        phone = values.get(key, "")
        if phone and not (
            phone.replace("-", "").replace(" ", "").isdigit() and 7 <= len(phone) <= PHONE_LIMIT
        ):
            raise InvalidInput(f"{key}: {phone!r} is not a phone number")


def party_values(data: Mapping[str, Any]) -> dict[str, str]:
    values = {key: text(data, key, limit=300) for key in PARTY_FIELDS if key in data}
    if "id_number" in values:
        values["id_number"] = values["id_number"].upper()
    return values


def _update_party(ctx: Context) -> Change:
    role = choice(ctx.data, "role", PartyRole)
    values = party_values(ctx.data)
    if not values:
        raise InvalidInput(f"role: no details of the {role} given ({', '.join(PARTY_FIELDS)})")
    if "name" in values and not values["name"]:
        raise InvalidInput("name: required")
    validate_party(role, values)

    def write(session: Session) -> None:
        session.execute(
            update(PARTY)
            .where(PARTY.c.case_id == ctx.case.id, PARTY.c.role == role)
            .values(**seal_party(ctx.case.id, role, values))
        )

    payload: dict[str, Any] = {"role": role, "fields": sorted(values)}
    return Change(payload=payload, writes=[write])


def _add_claim_item(ctx: Context) -> Change:
    category = choice(ctx.data, "category", Category)
    amount = fen(ctx.data, "amount_fen")
    description = text(ctx.data, "description", limit=500)
    if ctx.case.claimed_fen + amount > MAX_FEN:
        raise InvalidInput(
            f"amount_fen: the claims would add up to more than {format_yuan(MAX_FEN)} yuan"
        )

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_CLAIM,
            {
                "case_id": ctx.case.id,
                "category": category,
                "amount_fen": amount,
                "description": description,
            },
        )

    return Change(
        values={"claimed_fen": ctx.case.claimed_fen + amount},
        payload={"category": category, "amount_fen": amount},
        writes=[write],
    )


def _record_interview(ctx: Context) -> Change:
    role = choice(ctx.data, "party_role", PartyRole)
    held_on = a_date(ctx.data, "held_on", default=ctx.today)
    notes = text(ctx.data, "notes", required=True)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_INTERVIEW,
            {
                "case_id": ctx.case.id,
                "party_role": role,
                "held_on": held_on,
                "notes": notes,
                "mediator_id": ctx.actor.id,
            },
        )

    return Change(payload={"party_role": role, "held_on": held_on.isoformat()}, writes=[write])


def _record_text(column: str) -> Handler:
    def handler(ctx: Context) -> Change:
        value = text(ctx.data, "text", required=True, limit=10_000)
        return Change(values={column: value}, payload={column: value})

    return handler


def _record_overdue_consent(ctx: Context) -> Change:
    role = choice(ctx.data, "party_role", PartyRole)
    return Change(values={f"consent_{role}_at": ctx.now}, payload={"party_role": role})


def _record_joint_session(ctx: Context) -> Change:
    held_on = a_date(ctx.data, "held_on", default=ctx.today)
    notes = text(ctx.data, "notes", required=True)
    attendees = text(ctx.data, "attendees", limit=500)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_JOINT_SESSION,
            {"case_id": ctx.case.id, "held_on": held_on, "notes": notes, "attendees": attendees},
        )

    return Change(payload={"held_on": held_on.isoformat()}, writes=[write])


def _log_offer(ctx: Context) -> Change:
    by_role = choice(ctx.data, "by_role", PartyRole)
    amount = fen(ctx.data, "amount_fen")
    made_on = a_date(ctx.data, "made_on", default=ctx.today)
    notes = text(ctx.data, "notes", limit=1000)

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_OFFER,
            {
                "case_id": ctx.case.id,
                "by_role": by_role,
                "amount_fen": amount,
                "made_on": made_on,
                "notes": notes,
            },
        )

    return Change(payload={"by_role": by_role, "amount_fen": amount}, writes=[write])


def _draft_agreement(ctx: Context) -> Change:
    method = choice(ctx.data, "method", PaymentMethod)
    notes = text(ctx.data, "notes", limit=5000)
    raw_terms = ctx.data.get("terms") or []
    raw_instalments = ctx.data.get("instalments") or []
    if not isinstance(raw_terms, list) or not raw_terms:
        raise InvalidInput("terms: at least one term is required")
    if not isinstance(raw_instalments, list) or not raw_instalments:
        raise InvalidInput("instalments: at least one instalment with a due date is required")
    terms: list[dict[str, Any]] = []
    for index, term in enumerate(raw_terms, start=1):
        try:
            if not isinstance(term, Mapping):
                raise InvalidInput("a category, an amount and a description are required")
            terms.append(
                {
                    "category": choice(term, "category", Category),
                    "amount_fen": fen(term, "amount_fen"),
                    "description": text(term, "description", limit=500),
                }
            )
        except InvalidInput as exc:
            raise InvalidInput(f"term {index}: {exc}") from None
    if sum(t["amount_fen"] for t in terms) > MAX_FEN:
        raise InvalidInput(f"terms: the terms add up to more than {format_yuan(MAX_FEN)} yuan")
    instalments: list[dict[str, Any]] = []
    for index, instalment in enumerate(raw_instalments, start=1):
        try:
            if not isinstance(instalment, Mapping):
                raise InvalidInput("a due date and an amount are required")
            instalments.append(
                {
                    "seq": index,
                    "due_on": a_date(instalment, "due_on"),
                    "amount_fen": fen(instalment, "amount_fen"),
                }
            )
        except InvalidInput as exc:
            raise InvalidInput(f"instalment {index}: {exc}") from None
    case_id = ctx.case.id

    def write(session: Session) -> None:
        runner = prebuilt(session)
        agreement_id = _agreement_id(session, case_id)
        if agreement_id is None:
            agreement_id = runner.execute(
                _INSERT_AGREEMENT, {"case_id": case_id, "method": method, "notes": notes}
            ).scalar_one()
        else:
            # A redrafted agreement must be signed again.
            runner.execute(
                _UPDATE_AGREEMENT,
                {
                    "method": method,
                    "notes": notes,
                    "signed_worker_at": None,
                    "signed_employer_at": None,
                    "signed_mediator_at": None,
                    "sealed_at": None,
                    "b_agreement_id": agreement_id,
                },
            )
            runner.execute(_DELETE_TERMS, {"agreement_id": agreement_id})
            runner.execute(_DELETE_INSTALMENTS, {"agreement_id": agreement_id})
        runner.execute(_INSERT_TERM, [{"agreement_id": agreement_id, **t} for t in terms])
        runner.execute(
            _INSERT_INSTALMENT, [{"agreement_id": agreement_id, **i} for i in instalments]
        )

    due = ((i["due_on"], i["seq"], i["amount_fen"]) for i in instalments)
    return Change(
        values={"next_due_on": next_unpaid_due(due, ctx.case.paid_fen)},
        payload={
            "method": method,
            "terms": terms,
            "instalments": [{**i, "due_on": i["due_on"].isoformat()} for i in instalments],
        },
        writes=[write],
    )


_SIGNATURE_COLUMN = {
    Signer.WORKER: "signed_worker_at",
    Signer.EMPLOYER: "signed_employer_at",
    Signer.MEDIATOR: "signed_mediator_at",
    Signer.ORGANIZATION: "sealed_at",
}


def _record_signature(ctx: Context) -> Change:
    signer = Signer(choice(ctx.data, "signer", Signer))
    agreement_id = _agreement_id(ctx.session, ctx.case.id)
    if agreement_id is None:
        raise InvalidInput("signer: draft the agreement before recording signatures")
    column = _SIGNATURE_COLUMN[signer]

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _UPDATE_AGREEMENT, {column: ctx.now, "b_agreement_id": agreement_id}
        )

    return Change(payload={"signer": signer.value}, writes=[write])


def _record_payment(ctx: Context) -> Change:
    amount = fen(ctx.data, "amount_fen")
    paid_on = a_date(ctx.data, "paid_on", default=ctx.today)
    method = choice({"method": ctx.data.get("method", "bank_transfer")}, "method", PaymentMethod)
    receipt = text(ctx.data, "receipt_ref", limit=100)
    outstanding = ctx.case.agreed_fen - ctx.case.paid_fen
    if amount > outstanding:
        raise InvalidInput(
            f"amount_fen: {amount} fen is more than the {outstanding} fen still outstanding"
        )

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_PAYMENT,
            {
                "case_id": ctx.case.id,
                "paid_on": paid_on,
                "amount_fen": amount,
                "method": method,
                "receipt_ref": receipt,
            },
        )

    paid = ctx.case.paid_fen + amount
    instalments = (
        prebuilt(ctx.session).execute(_INSTALMENTS_OF_CASE, {"case_id": ctx.case.id}).all()
    )
    return Change(
        # The dashboard's payments due read the earliest unpaid instalment from the case.
        values={"paid_fen": paid, "next_due_on": next_unpaid_due(instalments, paid)},
        payload={"amount_fen": amount, "paid_on": paid_on.isoformat(), "receipt_ref": receipt},
        writes=[write],
    )


def _store_document(ctx: Context, kind: str) -> Change:
    """Store a document rendered outside the transaction (see :mod:`mediation.issuing`).

    ``data`` carries the PDF's bytes (``content``) and, to be checked, the ``number`` and
    ``version`` printed on it: the version is decided here, under the case's version lock,
    so a document issued meanwhile makes this one a :class:`Conflict` (render it again).
    """
    content = ctx.data.get("content")
    if not isinstance(content, bytes) or not content.startswith(b"%PDF-"):
        raise InvalidInput(
            "content: the rendered PDF is required; documents are issued through "
            "mediation.issuing, which renders them"
        )
    number = document_number(ctx.case.number, kind)
    latest = (
        prebuilt(ctx.session)
        .execute(_LATEST_DOCUMENT_VERSION, {"case_id": ctx.case.id, "kind": kind})
        .scalar_one_or_none()
    )
    version = (latest or 0) + 1
    printed = (ctx.data.get("number", number), ctx.data.get("version", version))
    if printed != (number, version):
        raise Conflict(
            f"{number} is at version {version}, but the file was rendered as "
            f"{printed[0]} v{printed[1]}: render it again",
            current_state=ctx.case.state,
            current_version=ctx.case.version,
        )
    reason = text(ctx.data, "reason", limit=1000)
    if version > 1 and not reason and kind != "archive_bundle":
        raise InvalidInput(
            f"reason: {number} v{latest} is already issued; say why it is issued again"
        )
    digest = hashlib.sha256(content).hexdigest()

    def write(session: Session) -> None:
        prebuilt(session).execute(
            _INSERT_DOCUMENT,
            {
                "case_id": ctx.case.id,
                "kind": kind,
                "number": number,
                "version": version,
                "sha256": digest,
                "media_type": MEDIA_TYPE,
                "issued_by_id": ctx.actor.id,
                "issued_at": ctx.now,
                "content": content,
            },
        )

    payload: dict[str, Any] = {
        "kind": kind,
        "document_number": number,
        "document_version": version,
        "sha256": digest,
    }
    if reason:
        payload["reason"] = reason
    return Change(payload=payload, writes=[write])


def _issue_document(ctx: Context) -> Change:
    kind = ctx.data.get("kind")
    if not isinstance(kind, str) or kind not in DOCUMENT_STATES or kind == "archive_bundle":
        raise InvalidInput(f"kind: {kind!r} is not a document issued by issue_document")
    if CaseState(ctx.case.state) not in DOCUMENT_STATES[kind]:
        raise TransitionNotAllowed(
            f"a {kind.replace('_', ' ')} cannot be issued while the case is {ctx.case.state}"
        )
    return _store_document(ctx, kind)


def _produce_archive_bundle(ctx: Context) -> Change:
    return _store_document(ctx, "archive_bundle")


def _apply_correction(ctx: Context) -> Change:
    # Imported when used: the supervision package builds on this module.
    from mediation.supervision.correction_action import apply_correction

    return apply_correction(ctx)


RECORDING_HANDLERS: dict[str, Handler] = {
    "update_party": _update_party,
    "add_claim_item": _add_claim_item,
    "record_interview": _record_interview,
    "record_crux": _record_text("crux"),
    "record_plan": _record_text("mediation_plan"),
    "record_overdue_consent": _record_overdue_consent,
    "record_joint_session": _record_joint_session,
    "log_offer": _log_offer,
    "draft_agreement": _draft_agreement,
    "record_signature": _record_signature,
    "record_payment": _record_payment,
    "produce_archive_bundle": _produce_archive_bundle,
    "issue_document": _issue_document,
    "apply_correction": _apply_correction,
}

ACTIONS = frozenset(TRIGGER_HANDLERS) | frozenset(RECORDING_HANDLERS)
