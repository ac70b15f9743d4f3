"""The recording action ``apply_correction``: a supervisor's approval changes signed amounts.

Signed terms are frozen (劳动争议调解仲裁法 Art. 14: the agreement binds once signed and
sealed); a later correction is a separate, supervisor-approved event, never an edit (DESIGN
§2). This handler is the only code that changes the amounts of a signed agreement. It runs
inside :func:`mediation.cases.service.advance` — under the case's version check, with the
event and its snapshot of the new agreed amount on the hash chain — and refuses unless:

- ``correction_id`` names a *pending* correction of this very case;
- the actor is a user whose role is ``supervisor``;
- the agreement still has the amounts the request started from;
- the corrected amounts hold together: the instalments add up to the terms, the agreed amount
  is not below what has been paid (nor above it for a case closed as performed).

The event's payload carries the complete corrected terms and instalments, so ``verify-audit``
checks the agreement's rows against them from then on.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from mediation.cases.actions import Change, Context
from mediation.cases.deadlines import next_unpaid_due
from mediation.cases.enums import Role
from mediation.cases.inputs import text
from mediation.errors import InvalidInput, PermissionDenied
from mediation.money import format_yuan
from mediation.tables import AGREEMENT, CASE, CORRECTION, INSTALMENT, TERM, USER

#: What a correction can be.
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


def correction_id_of(data: Any) -> int:
    """Return the ``correction_id`` of an action's data, refusing anything but a positive id."""
    value = data.get("correction_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput("correction_id: the number of a correction request is required")
    return value


def is_supervisor(session: Session, user_id: int | None) -> bool:
    """Tell whether the user exists, is active and is a supervisor."""
    if user_id is None:
        return False
    row = session.execute(
        select(USER.c.role, USER.c.active).where(USER.c.id == user_id)
    ).one_or_none()
    return row is not None and row.role == Role.SUPERVISOR.value and bool(row.active)


def check_amounts(
    *, agreed_fen: int, instalments_fen: list[int], paid_fen: int, closed_as: str | None
) -> None:
    """Refuse corrected amounts that do not hold together (InvalidInput says why)."""
    if instalments_fen and sum(instalments_fen) != agreed_fen:
        raise InvalidInput(
            f"instalments: they add up to {format_yuan(sum(instalments_fen))} yuan, the terms "
            f"to {format_yuan(agreed_fen)} yuan; the corrected amounts must agree"
        )
    if agreed_fen < paid_fen:
        raise InvalidInput(
            f"terms: the corrected agreed amount {format_yuan(agreed_fen)} yuan is less than the "
            f"{format_yuan(paid_fen)} yuan already paid"
        )
    if closed_as == "performed" and agreed_fen != paid_fen:
        raise InvalidInput(
            f"terms: the case was closed as performed with {format_yuan(paid_fen)} yuan paid; "
            f"a corrected agreed amount of {format_yuan(agreed_fen)} yuan would contradict it"
        )


def apply_correction(ctx: Context) -> Change:
    """Apply an approved correction to the signed agreement (see the module's documentation)."""
    correction_id = correction_id_of(ctx.data)
    note = text(ctx.data, "note", limit=2000)
    row = ctx.session.execute(
        select(CORRECTION).where(
            CORRECTION.c.id == correction_id, CORRECTION.c.case_id == ctx.case.id
        )
    ).one_or_none()
    if row is None:
        raise InvalidInput(
            f"correction_id: case {ctx.case.number} has no correction request #{correction_id}"
        )
    if row.state != PENDING:
        raise InvalidInput(f"correction_id: correction #{correction_id} is already {row.state}")
    if not is_supervisor(ctx.session, ctx.actor.id):
        raise PermissionDenied("only a supervisor may approve a correction of signed amounts")

    agreement_id = ctx.session.execute(
        select(AGREEMENT.c.id).where(
            AGREEMENT.c.case_id == ctx.case.id, AGREEMENT.c.effective_on.is_not(None)
        )
    ).scalar_one_or_none()
    if agreement_id is None:
        raise InvalidInput(f"case {ctx.case.number} has no signed agreement to correct")
    terms = ctx.session.execute(
        select(TERM.c.id, TERM.c.category, TERM.c.amount_fen)
        .where(TERM.c.agreement_id == agreement_id)
        .order_by(TERM.c.id)
    ).all()
    instalments = ctx.session.execute(
        select(INSTALMENT.c.id, INSTALMENT.c.seq, INSTALMENT.c.due_on, INSTALMENT.c.amount_fen)
        .where(INSTALMENT.c.agreement_id == agreement_id)
        .order_by(INSTALMENT.c.seq)
    ).all()
    changes = json.loads(row.changes)
    asked_terms = {int(t["id"]): t for t in changes.get("terms", [])}
    asked_instalments = {int(i["seq"]): i for i in changes.get("instalments", [])}
    if set(asked_terms) != {t.id for t in terms} or set(asked_instalments) != {
        i.seq for i in instalments
    }:
        raise InvalidInput(
            f"correction_id: the agreement of case {ctx.case.number} no longer has the terms "
            f"and instalments correction #{correction_id} was requested for"
        )
    for term in terms:
        if asked_terms[term.id]["old_fen"] != term.amount_fen:
            raise InvalidInput(
                f"correction_id: a term of case {ctx.case.number} changed since correction "
                f"#{correction_id} was requested"
            )
    for instalment in instalments:
        if asked_instalments[instalment.seq]["old_fen"] != instalment.amount_fen:
            raise InvalidInput(
                f"correction_id: an instalment of case {ctx.case.number} changed since "
                f"correction #{correction_id} was requested"
            )

    new_terms = [
        {"category": t.category, "amount_fen": int(asked_terms[t.id]["new_fen"])} for t in terms
    ]
    new_instalments = [
        {
            "seq": i.seq,
            "due_on": i.due_on.isoformat(),
            "amount_fen": int(asked_instalments[i.seq]["new_fen"]),
        }
        for i in instalments
    ]
    agreed = sum(t["amount_fen"] for t in new_terms)
    check_amounts(
        agreed_fen=agreed,
        instalments_fen=[i["amount_fen"] for i in new_instalments],
        paid_fen=ctx.case.paid_fen,
        closed_as=_closed_as(ctx),
    )
    next_due = next_unpaid_due(
        [(i.due_on, i.seq, int(asked_instalments[i.seq]["new_fen"])) for i in instalments],
        ctx.case.paid_fen,
    )

    def write(session: Session) -> None:
        for term in terms:
            new_fen = int(asked_terms[term.id]["new_fen"])
            if new_fen != term.amount_fen:
                session.execute(update(TERM).where(TERM.c.id == term.id).values(amount_fen=new_fen))
        for instalment in instalments:
            new_fen = int(asked_instalments[instalment.seq]["new_fen"])
            if new_fen != instalment.amount_fen:
                session.execute(
                    update(INSTALMENT)
                    .where(INSTALMENT.c.id == instalment.id)
                    .values(amount_fen=new_fen)
                )
        decided = session.connection().execute(
            update(CORRECTION)
            .where(CORRECTION.c.id == correction_id, CORRECTION.c.state == PENDING)
            .values(
                state=APPROVED,
                decided_by_id=ctx.actor.id,
                decided_by=ctx.actor.name,
                decided_at=ctx.now,
                decision_note=note,
            )
        )
        if decided.rowcount != 1:  # pragma: no cover - the case's version lock serialises this
            raise InvalidInput(f"correction_id: correction #{correction_id} was decided meanwhile")

    payload: dict[str, Any] = {
        "correction_id": correction_id,
        "reason": row.reason,
        "agreed_fen": agreed,
        "previous_agreed_fen": ctx.case.agreed_fen,
        "terms": new_terms,
        "instalments": new_instalments,
    }
    if note:
        payload["note"] = note
    return Change(
        values={"agreed_fen": agreed, "next_due_on": next_due}, payload=payload, writes=[write]
    )


def _closed_as(ctx: Context) -> str | None:
    value = ctx.session.execute(
        select(CASE.c.closed_as).where(CASE.c.id == ctx.case.id)
    ).scalar_one_or_none()
    return None if value is None else str(value)
