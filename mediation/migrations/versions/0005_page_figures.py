"""figures the mediator's pages read instead of recomputing them on every request

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

The case list counted one organisation's matching cases and the dashboard computed running
totals of every instalment being performed, on every request (benchmarks/pages.py: 1 ms and
9 ms of SQL with 100,000 cases). Two stored figures replace that work, each kept right in the
same transaction as the change it depends on:

- ``case_tally``: how many cases each organisation has per category, town and state, with
  roll-up rows for "every category" (``category`` '') and "every town" (``town_key`` -1;
  0 is a case without a town), so that any count the case list or the dashboard asks for
  (no filter, or any of state, category and town) reads at most one row per state.
  Triggers on ``mediation_case`` keep it: whatever inserts, moves or deletes a case (the
  service, the import, a direct SQL edit) changes the counters in the same statement. They
  change them in key order, so that on PostgreSQL two transactions moving cases between
  the same counters cannot deadlock. On SQLite the table has no rowid: stored in key order.
- ``mediation_case.next_due_on``: the due date of the earliest instalment of the case's
  agreement not yet covered by what has been paid (payments settle instalments in due-date
  order), NULL when there is none. The service sets it when an agreement is drafted and when
  a payment is recorded (mediation.cases.actions). ``ix_case_org_state_next_due`` lets the
  dashboard take the cases being performed with the earliest unpaid instalments straight
  from the index.

Existing rows are backfilled. Note for later migrations: SQLite's batch mode rebuilds a
table by copying it, which drops its triggers; a migration that rebuilds ``mediation_case``
must create the ``case_tally_*`` triggers again (see ``create_tally_triggers``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEY = "organization_id, category, town_key, state"


def _keys(row: str, delta: int, source: str = "") -> str:
    """The four counters a case row counts in (exact, every town, every category, both):
    of the trigger's ``NEW`` or ``OLD`` row, or of every row of ``source``."""
    town = f"coalesce({row}.town_id, 0)"
    return " UNION ALL ".join(
        f"SELECT {row}.organization_id AS organization_id, {category} AS category, "
        f"{town_key} AS town_key, {row}.state AS state, {delta} AS delta{source}"
        for category, town_key in (
            (f"{row}.category", town),
            (f"{row}.category", "-1"),
            ("''", town),
            ("''", "-1"),
        )
    )


def _count(*changes: str) -> str:
    """The statement adding ``changes`` to the counters, one row per counter, in key order."""
    return (
        f"INSERT INTO case_tally ({_KEY}, cases) "
        f"SELECT {_KEY}, sum(delta) FROM ({' UNION ALL '.join(changes)}) AS change "
        f"WHERE true GROUP BY {_KEY} HAVING sum(delta) <> 0 ORDER BY {_KEY} "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET cases = case_tally.cases + excluded.cases"
    )


_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER case_tally_insert AFTER INSERT ON mediation_case
    BEGIN {_count(_keys("NEW", 1))}; END""",
    f"""CREATE TRIGGER case_tally_update
    AFTER UPDATE OF organization_id, state, category, town_id ON mediation_case
    WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.state IS NOT NEW.state
      OR OLD.category IS NOT NEW.category OR OLD.town_id IS NOT NEW.town_id
    BEGIN {_count(_keys("NEW", 1), _keys("OLD", -1))}; END""",
    f"""CREATE TRIGGER case_tally_delete AFTER DELETE ON mediation_case
    BEGIN {_count(_keys("OLD", -1))}; END""",
)

_POSTGRES_FUNCTION = f"""CREATE FUNCTION case_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_count(_keys("NEW", 1))};
  ELSIF TG_OP = 'UPDATE' THEN
    {_count(_keys("NEW", 1), _keys("OLD", -1))};
  ELSE
    {_count(_keys("OLD", -1))};
  END IF;
  RETURN NULL;
END $$"""

_POSTGRES_TRIGGERS = (
    "CREATE TRIGGER case_tally_insert AFTER INSERT ON mediation_case "
    "FOR EACH ROW EXECUTE FUNCTION case_tally_count()",
    "CREATE TRIGGER case_tally_update AFTER UPDATE ON mediation_case FOR EACH ROW "
    "WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id "
    "OR OLD.state IS DISTINCT FROM NEW.state OR OLD.category IS DISTINCT FROM NEW.category "
    "OR OLD.town_id IS DISTINCT FROM NEW.town_id) EXECUTE FUNCTION case_tally_count()",
    "CREATE TRIGGER case_tally_delete AFTER DELETE ON mediation_case "
    "FOR EACH ROW EXECUTE FUNCTION case_tally_count()",
)

#: The earliest instalment whose running total (in due-date order) exceeds what was paid.
_BACKFILL_NEXT_DUE = """UPDATE mediation_case SET next_due_on = (
  SELECT min(i.due_on) FROM instalment i JOIN agreement a ON a.id = i.agreement_id
  WHERE a.case_id = mediation_case.id
    AND (SELECT sum(j.amount_fen) FROM instalment j
         WHERE j.agreement_id = i.agreement_id
           AND (j.due_on < i.due_on OR (j.due_on = i.due_on AND j.seq <= i.seq)))
        > mediation_case.paid_fen)
WHERE id IN (SELECT case_id FROM agreement)"""


def create_tally_triggers() -> None:
    """Create the triggers that keep ``case_tally`` (also for later table rebuilds)."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
        return
    op.execute(_POSTGRES_FUNCTION)
    for statement in _POSTGRES_TRIGGERS:
        op.execute(statement)


def _drop_tally_triggers() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in ("case_tally_insert", "case_tally_update", "case_tally_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON mediation_case"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS case_tally_count()")


def upgrade() -> None:
    # The column first: adding it does not rebuild the table, and nothing after this may
    # (a rebuild would drop the triggers created below).
    with op.batch_alter_table("mediation_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_on", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_case_org_state_next_due",
            ["organization_id", "state", "next_due_on", "id"],
            unique=False,
        )
    op.execute(_BACKFILL_NEXT_DUE)

    op.create_table(
        "case_tally",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("town_key", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("organization_id", "category", "town_key", "state"),
        # Stored in key order on SQLite: a count reads the adjacent rows of its states.
        sqlite_with_rowid=False,
    )
    op.execute(_count(_keys("mediation_case", 1, " FROM mediation_case")))
    create_tally_triggers()


def downgrade() -> None:
    _drop_tally_triggers()
    op.drop_table("case_tally")
    with op.batch_alter_table("mediation_case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_org_state_next_due")
        batch_op.drop_column("next_due_on")
