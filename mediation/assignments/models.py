"""Law firms, volunteer lawyers' profiles and zones, legal-help assignments, conflict checks.

Rows are written only through :mod:`mediation.assignments.service` (assignments) and
:mod:`mediation.assignments.lawyers` (firms and profiles). An assignment's ``version`` is the
optimistic lock every change checks and bumps; time spent is integer minutes, never float.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mediation.clock import utcnow


class LawFirm(SQLModel, table=True):
    """A partner law firm that volunteer lawyers come from (律师事务所)."""

    __tablename__ = "law_firm"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    phone: str = Field(default="", max_length=30)
    active: bool = Field(default=True)


class LawyerProfile(SQLModel, table=True):
    """What the unions know about a volunteer lawyer (a user with the role ``lawyer``)."""

    __tablename__ = "lawyer_profile"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    firm_id: int | None = Field(default=None, foreign_key="law_firm.id", index=True)
    practice_notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    active: bool = Field(default=True)
    availability: str = Field(default="available", max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class LawyerZone(SQLModel, table=True):
    """A zone a volunteer lawyer serves (a lawyer may serve several)."""

    __tablename__ = "lawyer_zone"

    lawyer_id: int = Field(foreign_key="app_user.id", primary_key=True)
    zone_id: int = Field(foreign_key="zone.id", primary_key=True, index=True)


class Assignment(SQLModel, table=True):
    """A piece of legal help a mediator asked for on a case, taken by one lawyer."""

    __tablename__ = "legal_help_assignment"
    __table_args__ = (
        # The pools and "give me the next one": open assignments of some zones, oldest first.
        Index("ix_assignment_pool", "state", "zone_id", "created_at", "id"),
        Index("ix_assignment_lawyer", "claimed_by_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="mediation_case.id", index=True)
    zone_id: int = Field(foreign_key="zone.id")
    kind: str = Field(max_length=30)
    needed: str = Field(sa_column=Column(Text, nullable=False))
    due_on: date
    state: str = Field(default="open", max_length=20)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    claimed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    claimed_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    released_at: datetime | None = None
    outcome: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    minutes_spent: int | None = None
    release_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow)


class ConflictCheck(SQLModel, table=True):
    """A lawyer's answer, with its time, on a conflict of interest with an assignment's parties."""

    __tablename__ = "conflict_check"
    __table_args__ = (UniqueConstraint("assignment_id", "lawyer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="legal_help_assignment.id")
    lawyer_id: int = Field(foreign_key="app_user.id")
    confirmed_at: datetime = Field(default_factory=utcnow)
    has_conflict: bool = Field(default=False)
