"""The Core ``Table`` of every model, for the SQL-expression hot paths."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from mediation.assignments.models import (
    Assignment,
    ConflictCheck,
    LawFirm,
    LawyerProfile,
    LawyerZone,
)
from mediation.audit.models import AuditHead, Event
from mediation.cases.models import (
    Agreement,
    AgreementTerm,
    Case,
    CaseTally,
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
from mediation.supervision.models import (
    AmountCorrection,
    AuditReview,
    AuditSample,
    AuditSampleCase,
    VerificationRun,
)


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


CASE = _table(Case)
CASE_TALLY = _table(CaseTally)
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
LAW_FIRM = _table(LawFirm)
LAWYER_PROFILE = _table(LawyerProfile)
LAWYER_ZONE = _table(LawyerZone)
ASSIGNMENT = _table(Assignment)
CONFLICT_CHECK = _table(ConflictCheck)
CORRECTION = _table(AmountCorrection)
AUDIT_SAMPLE = _table(AuditSample)
AUDIT_SAMPLE_CASE = _table(AuditSampleCase)
AUDIT_REVIEW = _table(AuditReview)
VERIFICATION_RUN = _table(VerificationRun)
