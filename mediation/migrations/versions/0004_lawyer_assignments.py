"""volunteer lawyers, their zones, and legal-help assignments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

- ``law_firm``: the firms volunteer lawyers come from;
- ``lawyer_profile``: one row per user with role ``lawyer`` (firm, practice notes, active,
  availability);
- ``lawyer_zone``: which zones a lawyer serves (many to many);
- ``legal_help_assignment``: a mediator's request for legal help on a case, claimed by one
  lawyer; ``version`` is the optimistic lock a claim checks and bumps; time spent is integer
  minutes;
- ``conflict_check``: a lawyer's answer, with its time, to "have you a conflict of interest
  with these parties?" before seeing an assignment's details (``has_conflict`` false: none
  confirmed; true: declared, and the assignment is no longer offered to that lawyer).

``ix_assignment_pool`` lets "give me the next one" and the pools walk open assignments of
some zones oldest first; ``ix_assignment_lawyer`` reads one lawyer's assignments.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "law_firm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "lawyer_profile",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("practice_notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["law_firm.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("lawyer_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lawyer_profile_firm_id"), ["firm_id"], unique=False)

    op.create_table(
        "lawyer_zone",
        sa.Column("lawyer_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["lawyer_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"]),
        sa.PrimaryKeyConstraint("lawyer_id", "zone_id"),
    )
    with op.batch_alter_table("lawyer_zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lawyer_zone_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "legal_help_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("needed", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("minutes_spent", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mediation_case.id"]),
        sa.ForeignKeyConstraint(["claimed_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("legal_help_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_pool", ["state", "zone_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_assignment_lawyer", ["claimed_by_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_legal_help_assignment_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "conflict_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("lawyer_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("has_conflict", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["legal_help_assignment.id"]),
        sa.ForeignKeyConstraint(["lawyer_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id", "lawyer_id"),
    )


def downgrade() -> None:
    op.drop_table("conflict_check")
    with op.batch_alter_table("legal_help_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_help_assignment_case_id"))
        batch_op.drop_index("ix_assignment_lawyer")
        batch_op.drop_index("ix_assignment_pool")

    op.drop_table("legal_help_assignment")
    with op.batch_alter_table("lawyer_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lawyer_zone_zone_id"))

    op.drop_table("lawyer_zone")
    with op.batch_alter_table("lawyer_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lawyer_profile_firm_id"))

    op.drop_table("lawyer_profile")
    op.drop_table("law_firm")
