"""indexes for the case list and the dashboard

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

The mediator's pages read one organisation's cases newest first, by state, and by last
change. These indexes let them walk the cases in that order instead of sorting the whole
organisation, and count a filtered list from the index alone (benchmarks/pages.py,
100,000 cases):

- ``ix_case_org_received``: the case list, newest received first; the filter columns
  (state, category, town) follow, for counting and choosing a page without the table;
- ``ix_case_org_state_received``: the case list filtered by state, the dashboard's counts by
  state and its overdue cases (each mediating state, oldest first);
- ``ix_case_org_updated``: the dashboard's recently changed cases.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mediation_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_org_received",
            ["organization_id", "received_on", "id", "state", "category", "town_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_org_state_received",
            ["organization_id", "state", "received_on", "id", "category", "town_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_case_org_updated", ["organization_id", "updated_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mediation_case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_org_updated")
        batch_op.drop_index("ix_case_org_state_received")
        batch_op.drop_index("ix_case_org_received")
