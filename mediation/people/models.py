"""Organisations, towns, zones and users."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from mediation.clock import utcnow


class Zone(SQLModel, table=True):
    """A group of towns served by one or more volunteer lawyers (片区)."""

    __tablename__ = "zone"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    claim_window_hours: int = Field(default=48)


class Town(SQLModel, table=True):
    """A town, street or industrial base (镇/街道/产业基地) where disputes arise."""

    __tablename__ = "town"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    kind: str = Field(default="town", max_length=20)
    zone_id: int | None = Field(default=None, foreign_key="zone.id", index=True)


class Organization(SQLModel, table=True):
    """A mediation organisation: district centre, town centre or enterprise committee."""

    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    level: str = Field(max_length=20)
    town_id: int | None = Field(default=None, foreign_key="town.id")


class User(SQLModel, table=True):
    """Someone who logs in: mediator, volunteer lawyer, supervisor or admin."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=80)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    organization_id: int | None = Field(default=None, foreign_key="organization.id")
    zone_id: int | None = Field(default=None, foreign_key="zone.id")
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    session_epoch: int = Field(default=0)
    locale: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
