"""Builders shared by the supervision tests: users by role, signed cases, corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlmodel import Session

from mediation.audit.chain import Actor
from mediation.db import Database
from mediation.tables import AGREEMENT, CASE, INSTALMENT, TERM, USER
from tests.factories import make_case


def add_user(database: Database, username: str, role: str) -> Actor:
    """Insert a user of ``role`` (no usable password) and return it as an actor."""
    with database.writing() as session:
        user_id = session.execute(
            insert(USER)
            .values(
                username=username,
                display_name=f"{username} 名",
                role=role,
                password_hash="-",
                active=True,
                session_epoch=0,
                created_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
            .returning(USER.c.id)
        ).scalar_one()
    return Actor(int(user_id), username)


def amounts(database: Database, case_id: int) -> tuple[int, list[int], list[int]]:
    """Return (agreed, term amounts, instalment amounts) of a case as stored."""
    with database.read_session() as session:
        return amounts_in(session, case_id)


def amounts_in(session: Session, case_id: int) -> tuple[int, list[int], list[int]]:
    """Return (agreed, term amounts, instalment amounts) of a case as stored."""
    agreed = session.execute(select(CASE.c.agreed_fen).where(CASE.c.id == case_id)).scalar_one()
    agreement = select(AGREEMENT.c.id).where(AGREEMENT.c.case_id == case_id).scalar_subquery()
    terms = list(
        session.execute(
            select(TERM.c.amount_fen).where(TERM.c.agreement_id == agreement).order_by(TERM.c.id)
        ).scalars()
    )
    instalments = list(
        session.execute(
            select(INSTALMENT.c.amount_fen)
            .where(INSTALMENT.c.agreement_id == agreement)
            .order_by(INSTALMENT.c.seq)
        ).scalars()
    )
    return int(agreed), terms, instalments


def signed_case(
    database: Database,
    *,
    actor: Actor | None = None,
    today: date,
    received_on: date | None = None,
    agreed_fen: int = 1_000_000,
    claimed_fen: int = 1_200_000,
) -> tuple[int, int]:
    """A case whose agreement is signed (being performed): (id, version).

    ``agreed_fen`` is split into two instalments: half, and the rest.
    """
    return make_case(
        database,
        state="ensuring_performance",
        actor=actor,
        today=today,
        received_on=received_on or today,
        agreed_fen=agreed_fen,
        claimed_fen=claimed_fen,
    )
