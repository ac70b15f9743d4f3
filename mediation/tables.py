"""The Core ``Table`` of every model, for the SQL-expression hot paths."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from mediation.audit.models import AuditHead, Event
from mediation.cases.models import (
    Agreement,
    AgreementTerm,
    Case,
    ClaimItem,
    Conversion,
    Instalment,
    Interview,
    IssuedDocument,
    JointSession,
    Offer,
    Party,
    Payment,
)
from mediation.people.models import Organization, Town, User, Zone


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


CASE = _table(Case)
PARTY = _table(Party)
CLAIM = _table(ClaimItem)
INTERVIEW = _table(Interview)
JOINT_SESSION = _table(JointSession)
OFFER = _table(Offer)
AGREEMENT = _table(Agreement)
TERM = _table(AgreementTerm)
INSTALMENT = _table(Instalment)
PAYMENT = _table(Payment)
CONVERSION = _table(Conversion)
DOCUMENT = _table(IssuedDocument)
EVENT = _table(Event)
AUDIT_HEAD = _table(AuditHead)
ORGANIZATION = _table(Organization)
TOWN = _table(Town)
ZONE = _table(Zone)
USER = _table(User)
