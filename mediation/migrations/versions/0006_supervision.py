"""supervisors: amount corrections, audit samples and reviews, verification runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

- ``amount_correction``: a mediator's request to correct the amounts of a signed agreement
  (the terms and instalments before and after, as JSON; the agreed total before and after as
  integer fen) and the supervisor's decision. Only an approval changes the agreement.
- ``audit_sample`` / ``audit_sample_case``: a random draw of the settled cases of a period,
  with its size and seed (so the draw can be repeated) and the cases in the order drawn.
- ``audit_review``: a supervisor's check of a sampled case (confirmed, or a discrepancy with
  a note, open until resolved). ``ix_audit_review_open`` lists open discrepancies.
- ``audit_verification``: each run of the chain verification (web page or ``mediation
  verify-audit``), with who ran it and the first broken link it found.

- three covering indexes on ``mediation_case`` for the reports by period
  (``ix_case_report_received``, ``ix_case_report_outcome``, ``ix_case_report_accepted``): a
  report reads the cases received, ended and accepted in a period from these alone
  (``benchmarks/reports.py``).

Indexes and new tables only: ``mediation_case`` is not rebuilt, so the ``case_tally``
triggers of 0005 stay in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mediation_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_report_received",
            [
                "received_on",
                "town_id",
                "organization_id",
                "claimed_fen",
                "outcome",
                "outcome_on",
                "state",
                "imported",
                "accepted_on",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_report_outcome",
            ["outcome", "outcome_on", "town_id", "organization_id", "agreed_fen", "paid_fen"],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_report_accepted",
            ["accepted_on", "town_id", "organization_id"],
            unique=False,
        )

    op.create_table(
        "amount_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_agreed_fen", sa.BigInteger(), nullable=False),
        sa.Column("new_agreed_fen", sa.BigInteger(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mediation_case.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("amount_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_amount_correction_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_amount_correction_state_case", ["state", "case_id"], unique=False)

    op.create_table(
        "audit_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("drawn_by", sa.String(length=100), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["drawn_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "audit_sample_case",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mediation_case.id"]),
        sa.ForeignKeyConstraint(["sample_id"], ["audit_sample.id"]),
        sa.PrimaryKeyConstraint("sample_id", "position"),
        sa.UniqueConstraint("sample_id", "case_id"),
    )
    with op.batch_alter_table("audit_sample_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_sample_case_case_id"), ["case_id"], unique=False)

    op.create_table(
        "audit_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mediation_case.id"]),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["sample_id"], ["audit_sample.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sample_id", "case_id"),
    )
    with op.batch_alter_table("audit_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_review_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_audit_review_open", ["result", "resolved_at"], unique=False)

    op.create_table(
        "audit_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("events_checked", sa.Integer(), nullable=False),
        sa.Column("cases_checked", sa.Integer(), nullable=False),
        sa.Column("break_seq", sa.Integer(), nullable=True),
        sa.Column("break_case", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_verification")
    with op.batch_alter_table("audit_review", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_review_open")
        batch_op.drop_index(batch_op.f("ix_audit_review_case_id"))
    op.drop_table("audit_review")
    with op.batch_alter_table("audit_sample_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_sample_case_case_id"))
    op.drop_table("audit_sample_case")
    op.drop_table("audit_sample")
    with op.batch_alter_table("amount_correction", schema=None) as batch_op:
        batch_op.drop_index("ix_amount_correction_state_case")
        batch_op.drop_index(batch_op.f("ix_amount_correction_case_id"))
    op.drop_table("amount_correction")
    with op.batch_alter_table("mediation_case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_report_accepted")
        batch_op.drop_index("ix_case_report_outcome")
        batch_op.drop_index("ix_case_report_received")
