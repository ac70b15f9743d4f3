"""resident ID and phone numbers sealed at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

A party's ``id_number``, ``phone`` and ``agent_phone`` are stored sealed with AES-256-GCM
(:mod:`mediation.people.sealing`): the columns grow to hold the tokens and every value stored
in clear is sealed in place with the key of ``MEDIATION_DATA_KEY`` (set it before upgrading a
production database). Downgrading opens them again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mediation.cases.resealing import reseal_batch
from mediation.people.sealing import SEALED_PARTY_FIELDS, key_ring, party_associated

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SEALED_LENGTH = 200
CLEAR_LENGTH = 30

_PARTY = sa.table(
    "party",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("role", sa.String),
    *(sa.column(name, sa.String) for name in SEALED_PARTY_FIELDS),
)


def _resize(length: int) -> None:
    with op.batch_alter_table("party", schema=None) as batch_op:
        for name in SEALED_PARTY_FIELDS:
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=SEALED_LENGTH + CLEAR_LENGTH - length),
                type_=sa.String(length=length),
                existing_nullable=False,
            )


def _open_all() -> None:
    ring = key_ring()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_PARTY).where(sa.or_(*(_PARTY.c[name] != "" for name in SEALED_PARTY_FIELDS)))
    ).all()
    changes = [
        {
            "b_id": row.id,
            **{
                name: ring.open(getattr(row, name), party_associated(row.case_id, row.role, name))
                for name in SEALED_PARTY_FIELDS
            },
        }
        for row in rows
    ]
    if changes:
        connection.execute(
            _PARTY.update()
            .where(_PARTY.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(name) for name in SEALED_PARTY_FIELDS}),
            changes,
        )


def upgrade() -> None:
    _resize(SEALED_LENGTH)
    connection = op.get_bind()
    after = reseal_batch(connection, 0)
    while after:
        after = reseal_batch(connection, after)


def downgrade() -> None:
    _open_all()
    _resize(CLEAR_LENGTH)
