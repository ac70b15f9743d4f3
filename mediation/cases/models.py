"""The case file: the dispute, its parties and claims, and what each step recorded.

Amounts are integer fen. Rows are written only through :mod:`mediation.cases.service`;
the case row's ``version`` is the optimistic lock every change checks and bumps.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mediation.clock import utcnow


class Case(SQLModel, table=True):
    """One labour dispute brought to a mediation organisation."""

    __tablename__ = "mediation_case"
    __table_args__ = (
        Index("ix_case_outcome_on", "outcome", "outcome_on"),
        Index("ix_case_org_state", "organization_id", "state"),
        # The case list and the dashboard walk one organisation's cases in these orders;
        # the list's filter columns come last, so that counting and choosing a page of a
        # filtered list read the index alone (migration 0003).
        Index(
            "ix_case_org_received",
            "organization_id",
            "received_on",
            "id",
            "state",
            "category",
            "town_id",
        ),
        Index(
            "ix_case_org_state_received",
            "organization_id",
            "state",
            "received_on",
            "id",
            "category",
            "town_id",
        ),
        Index("ix_case_org_updated", "organization_id", "updated_at", "id"),
        # The dashboard's payments due: the cases being performed whose earliest unpaid
        # instalment falls due first (migration 0005).
        Index("ix_case_org_state_next_due", "organization_id", "state", "next_due_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    organization_id: int = Field(foreign_key="organization.id")
    town_id: int | None = Field(default=None, foreign_key="town.id", index=True)
    mediator_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    category: str = Field(max_length=30)
    source: str = Field(default="walk_in", max_length=20)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

    state: str = Field(default="registered", max_length=30, index=True)
    version: int = Field(default=1)
    outcome: str | None = Field(default=None, max_length=20)
    outcome_on: date | None = None
    closed_as: str | None = Field(default=None, max_length=20)
    end_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

    received_on: date = Field(index=True)
    accepted_on: date | None = None
    knew_on: date | None = None

    claimed_fen: int = Field(default=0, sa_type=BigInteger)
    agreed_fen: int = Field(default=0, sa_type=BigInteger)
    paid_fen: int = Field(default=0, sa_type=BigInteger)
    #: The due date of the earliest instalment not yet covered by ``paid_fen`` (payments
    #: settle instalments in due-date order); None when none is owed. Kept by the service
    #: (drafting the agreement, recording a payment), read by the dashboard.
    next_due_on: date | None = None

    crux: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    mediation_plan: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    consent_worker_at: datetime | None = None
    consent_employer_at: datetime | None = None

    registered_at: datetime = Field(default_factory=utcnow)
    accepted_at: datetime | None = None
    opened_at: datetime | None = None
    signed_at: datetime | None = None
    conversion_applied_at: datetime | None = None
    closed_at: datetime | None = None
    failed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    rejected_at: datetime | None = None
    archived_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    imported: bool = Field(default=False)


class Party(SQLModel, table=True):
    """The worker or the employer of a case."""

    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("case_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    role: str = Field(max_length=20)
    name: str = Field(max_length=200)
    # Sealed at rest (mediation.people.sealing): the columns hold AES-GCM tokens.
    id_number: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    legal_representative: str = Field(default="", max_length=100)
    agent_name: str = Field(default="", max_length=100)
    agent_phone: str = Field(default="", max_length=200)


class ClaimItem(SQLModel, table=True):
    """One thing the worker claims, with its amount."""

    __tablename__ = "claim_item"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    category: str = Field(max_length=30)
    amount_fen: int = Field(sa_type=BigInteger)
    description: str = Field(default="", max_length=500)


class Interview(SQLModel, table=True):
    """A separate meeting with one party (step 1, 找症结)."""

    __tablename__ = "interview"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    party_role: str = Field(max_length=20)
    held_on: date
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    mediator_id: int | None = Field(default=None, foreign_key="app_user.id")


class JointSession(SQLModel, table=True):
    """A mediation session with both parties (step 2, 抓机会)."""

    __tablename__ = "joint_session"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    held_on: date
    attendees: str = Field(default="", max_length=500)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Offer(SQLModel, table=True):
    """An offer or counter-offer made during mediation."""

    __tablename__ = "offer"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    by_role: str = Field(max_length=20)
    amount_fen: int = Field(sa_type=BigInteger)
    made_on: date
    notes: str = Field(default="", max_length=1000)


class Agreement(SQLModel, table=True):
    """The settlement agreement; frozen once signed (Art. 14)."""

    __tablename__ = "agreement"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", unique=True)
    method: str = Field(default="", max_length=30)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    signed_worker_at: datetime | None = None
    signed_employer_at: datetime | None = None
    signed_mediator_at: datetime | None = None
    sealed_at: datetime | None = None
    effective_on: date | None = None


class AgreementTerm(SQLModel, table=True):
    """One agreed payment by dispute category."""

    __tablename__ = "agreement_term"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    category: str = Field(max_length=30)
    amount_fen: int = Field(sa_type=BigInteger)
    description: str = Field(default="", max_length=500)


class Instalment(SQLModel, table=True):
    """One agreed payment date and amount."""

    __tablename__ = "instalment"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    seq: int
    due_on: date
    amount_fen: int = Field(sa_type=BigInteger)


class Payment(SQLModel, table=True):
    """Money the worker received under the agreement (step 3, 促履行)."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    paid_on: date
    amount_fen: int = Field(sa_type=BigInteger)
    method: str = Field(default="bank_transfer", max_length=30)
    receipt_ref: str = Field(default="", max_length=100)


class Conversion(SQLModel, table=True):
    """An application to turn the agreement into an enforceable document."""

    __tablename__ = "conversion"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    kind: str = Field(max_length=30)
    applied_on: date
    decided_on: date | None = None
    granted: bool | None = None
    document_number: str = Field(default="", max_length=100)
    issuing_body: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=1000)


class IssuedDocument(SQLModel, table=True):
    """A document the organisation issued, stored with its hash for later verification."""

    __tablename__ = "issued_document"
    __table_args__ = (UniqueConstraint("number", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    kind: str = Field(max_length=40)
    number: str = Field(max_length=60)
    version: int = Field(default=1)
    sha256: str = Field(max_length=64, index=True)
    media_type: str = Field(max_length=60)
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    issued_at: datetime = Field(default_factory=utcnow)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CaseTally(SQLModel, table=True):
    """How many cases an organisation has of a category, in a town, in a state.

    Kept by database triggers on ``mediation_case`` (migration 0005) in the statement that
    inserts, moves or deletes a case, so it is never behind the cases it counts. Roll-up
    rows count every category (``category`` '') and every town (``town_key`` -1), so the
    case list and the dashboard read one row per state for any count they show.
    """

    __tablename__ = "case_tally"
    # Stored in key order on SQLite: a count reads the adjacent rows of its states.
    __table_args__ = {"sqlite_with_rowid": False}

    organization_id: int = Field(foreign_key="organization.id", primary_key=True)
    #: The category, or '' for every category.
    category: str = Field(max_length=30, primary_key=True)
    #: The town's id, 0 for a case without a town, -1 for every town.
    town_key: int = Field(primary_key=True)
    state: str = Field(max_length=30, primary_key=True)
    cases: int
