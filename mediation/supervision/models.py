"""The supervisors' records: corrections, audit samples and reviews, verification runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mediation.cases.models import Case
from mediation.clock import utcnow

# The supervisors' reports read the cases of a period three times: by the day received, the
# day ended and the day accepted (mediation.reports.series). Each read is a range of one of
# these covering indexes, with the town (→ zone) and organisation (→ level) of each case and
# the figures it adds up: the cases' rows are never visited (migration 0006). Declared here,
# with the reports they serve, on the case table.
_CASE = Case.__table__  # type: ignore[attr-defined]
REPORT_INDEXES = (
    Index(
        "ix_case_report_received",
        _CASE.c.received_on,
        _CASE.c.town_id,
        _CASE.c.organization_id,
        _CASE.c.claimed_fen,
        _CASE.c.outcome,
        _CASE.c.outcome_on,
        _CASE.c.state,
        _CASE.c.imported,
        _CASE.c.accepted_on,
    ),
    Index(
        "ix_case_report_outcome",
        _CASE.c.outcome,
        _CASE.c.outcome_on,
        _CASE.c.town_id,
        _CASE.c.organization_id,
        _CASE.c.agreed_fen,
        _CASE.c.paid_fen,
    ),
    Index(
        "ix_case_report_accepted",
        _CASE.c.accepted_on,
        _CASE.c.town_id,
        _CASE.c.organization_id,
    ),
)


class AmountCorrection(SQLModel, table=True):
    """A request to correct the amounts of a signed agreement, and its decision.

    ``changes`` is the JSON of every term and instalment with its amount before and after
    (``{"terms": [{"id", "category", "description", "old_fen", "new_fen"}], "instalments":
    [{"seq", "due_on", "old_fen", "new_fen"}]}``). Only an approval by a supervisor changes
    the agreement (the recording action ``apply_correction``).
    """

    __tablename__ = "amount_correction"
    __table_args__ = (Index("ix_amount_correction_state_case", "state", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    state: str = Field(default="pending", max_length=20)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    old_agreed_fen: int = Field(sa_type=BigInteger)
    new_agreed_fen: int = Field(sa_type=BigInteger)
    changes: str = Field(sa_column=Column(Text, nullable=False))
    requested_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    requested_by: str = Field(max_length=100)
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_by: str = Field(default="", max_length=100)
    decided_at: datetime | None = None
    decision_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class AuditSample(SQLModel, table=True):
    """A random draw of settled cases of a period, repeatable from its seed."""

    __tablename__ = "audit_sample"

    id: int | None = Field(default=None, primary_key=True)
    date_from: date
    date_to: date
    size: int
    seed: int = Field(sa_type=BigInteger)
    #: How many settled cases the period had when the sample was drawn.
    population: int
    drawn_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    drawn_by: str = Field(max_length=100)
    drawn_at: datetime = Field(default_factory=utcnow)


class AuditSampleCase(SQLModel, table=True):
    """One case of a sample, in the order it was drawn."""

    __tablename__ = "audit_sample_case"
    __table_args__ = (UniqueConstraint("sample_id", "case_id"),)

    sample_id: int = Field(foreign_key="audit_sample.id", primary_key=True)
    position: int = Field(primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)


class AuditReview(SQLModel, table=True):
    """A supervisor's check of a sampled case against its receipts."""

    __tablename__ = "audit_review"
    __table_args__ = (
        UniqueConstraint("sample_id", "case_id"),
        Index("ix_audit_review_open", "result", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="audit_sample.id")
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    #: ``confirmed`` or ``discrepancy``.
    result: str = Field(max_length=20)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reviewer_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewer: str = Field(max_length=100)
    reviewed_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    resolved_by: str = Field(default="", max_length=100)
    resolution: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class VerificationRun(SQLModel, table=True):
    """One run of the chain verification: when, by whom, and what it found."""

    __tablename__ = "audit_verification"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=100)
    #: ``web`` or ``cli``.
    source: str = Field(max_length=10)
    ok: bool
    events_checked: int
    cases_checked: int
    break_seq: int | None = None
    break_case: str | None = Field(default=None, max_length=40)
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
