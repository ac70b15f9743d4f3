"""Import every table model, so the metadata knows them all."""

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

__all__ = [
    "Agreement",
    "AgreementTerm",
    "AuditHead",
    "Case",
    "ClaimItem",
    "Conversion",
    "Event",
    "Instalment",
    "Interview",
    "IssuedDocument",
    "JointSession",
    "Offer",
    "Organization",
    "Party",
    "Payment",
    "Town",
    "User",
    "Zone",
]
