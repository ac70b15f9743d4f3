"""Import every table model, so the metadata knows them all."""

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

__all__ = [
    "Agreement",
    "AgreementTerm",
    "AmountCorrection",
    "Assignment",
    "AuditHead",
    "AuditReview",
    "AuditSample",
    "AuditSampleCase",
    "Case",
    "CaseTally",
    "ClaimItem",
    "ConflictCheck",
    "Conversion",
    "Event",
    "Instalment",
    "Interview",
    "IssuedDocument",
    "JointSession",
    "LawFirm",
    "LawyerProfile",
    "LawyerZone",
    "Offer",
    "Organization",
    "Party",
    "Payment",
    "Town",
    "User",
    "VerificationRun",
    "Zone",
]
