"""Revealing a party's full ID and phone numbers: allowed with a reason, and always logged.

Pages show the numbers masked (:mod:`mediation.cases.case_file`). When a mediator needs a full
number — to phone the worker about a late instalment, to check an identity card at a joint
session — :func:`reveal_party_numbers` opens the sealed values and appends a
``reveal_numbers`` event to the case's chain in the same transaction: who, when, which party,
which numbers and why. The event holds no number. Nothing is revealed if the event cannot be
written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, String, bindparam, select
from sqlmodel import Session

from mediation.audit.chain import Actor, append_event
from mediation.cases.enums import PartyRole
from mediation.cases.inputs import choice, text
from mediation.errors import NotFound
from mediation.people.sealing import SEALED_PARTY_FIELDS, open_party
from mediation.tables import PARTY

#: The event every reveal appends.
REVEAL_ACTION = "reveal_numbers"

REASON_LIMIT = 200

_PARTY = select(PARTY).where(
    PARTY.c.case_id == bindparam("case_id", type_=Integer),
    PARTY.c.role == bindparam("role", type_=String),
)


@dataclass(frozen=True)
class RevealedNumbers:
    """A party's full numbers, as shown once to the user who asked."""

    role: str
    name: str
    id_number: str
    phone: str
    agent_name: str
    agent_phone: str

    @property
    def any(self) -> bool:
        """Tell whether there is any number to show."""
        return bool(self.id_number or self.phone or self.agent_phone)


def reveal_party_numbers(
    session: Session, *, actor: Actor, case_id: int, role: str, reason: str
) -> RevealedNumbers:
    """Open a party's sealed numbers and log who saw them and why (one event)."""
    role = choice({"role": role}, "role", PartyRole)
    reason = text({"reason": reason}, "reason", required=True, limit=REASON_LIMIT)
    connection = session.connection()
    row = connection.execute(_PARTY, {"case_id": case_id, "role": role}).one_or_none()
    if row is None:
        raise NotFound(f"case {case_id} has no {role}")
    numbers = open_party(case_id, role, {f: getattr(row, f) for f in SEALED_PARTY_FIELDS})
    append_event(
        connection,
        actor=actor,
        action=REVEAL_ACTION,
        case_id=case_id,
        from_state=None,
        to_state=None,
        payload={
            "role": role,
            "fields": [f for f in SEALED_PARTY_FIELDS if numbers[f]],
            "reason": reason,
        },
    )
    return RevealedNumbers(
        role=role,
        name=row.name,
        id_number=numbers["id_number"],
        phone=numbers["phone"],
        agent_name=row.agent_name,
        agent_phone=numbers["agent_phone"],
    )
