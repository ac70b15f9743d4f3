"""The append-only, hash-chained event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class Event(SQLModel, table=True):
    """One change, chained to the event before it by ``prev_hash``.

    ``seq`` numbers the whole log without gaps; ``hash`` covers ``prev_hash`` and the
    event's own canonical content, so an edited, deleted or reordered row breaks the chain.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    case_id: int | None = Field(default=None, foreign_key="mediation_case.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(max_length=100)
    action: str = Field(max_length=50)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str | None = Field(default=None, max_length=30)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The one row that names the newest event; appending locks it (serialises the chain)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0)
    hash: str = Field(default="0" * 64, max_length=64)
