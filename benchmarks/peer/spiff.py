"""The case lifecycle run by SpiffWorkflow on ``three_steps.bpmn``, persisted after every step.

This is what a team would write with SpiffWorkflow 3 instead of our engine, with the same
guarantees as :func:`mediation.cases.service.advance`:

- the BPMN model is parsed once per process (as our machine is built once);
- every step is one transaction: read the workflow's row, restore the workflow from its JSON
  (``BpmnWorkflowSerializer.deserialize_json``), complete the state's user task with the
  action and its data, run the engine (the script task records, the gateway checks the
  guards), write the workflow back as JSON (``serialize_json``, which is what the serializer
  produces: the workflow with its spec) under a version check, and append an audit row to a
  SHA-256 hash chain (the same hash function as ours, the chain head locked while appending),
  then commit;
- a trigger whose guards do not hold writes nothing (the gateway's default flow would leave
  the case where it was: the step is refused and rolled back, as ours refuses it).

On SQLite the database is a file in WAL mode with ``synchronous=FULL`` and ``BEGIN
IMMEDIATE``, as ours; on PostgreSQL the chain head is locked ``FOR UPDATE``, as ours.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from mediation.audit.chain import GENESIS_HASH, canonical_json, event_hash

MODEL = Path(__file__).with_name("three_steps.bpmn")
PROCESS_ID = "mediation_case"
#: The actions that change the state: when the state did not change, the guards refused.
TRIGGERS = frozenset(
    {
        "accept",
        "reject",
        "withdraw",
        "open_mediation",
        "sign_agreement",
        "declare_failure",
        "confirm_performance",
        "declare_breach",
    }
)

_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS peer_workflow (id INTEGER PRIMARY KEY, state TEXT NOT NULL, "
    "version INTEGER NOT NULL, serialization TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS peer_audit (seq INTEGER PRIMARY KEY, workflow_id INTEGER NOT "
    "NULL REFERENCES peer_workflow (id), actor TEXT NOT NULL, action TEXT NOT NULL, "
    "from_state TEXT, to_state TEXT, payload TEXT NOT NULL, created_at TEXT NOT NULL, "
    "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS peer_audit_head (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, "
    "hash TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS peer_audit_no_update BEFORE UPDATE ON peer_audit "
    "BEGIN SELECT RAISE(ABORT, 'peer_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS peer_audit_no_delete BEFORE DELETE ON peer_audit "
    "BEGIN SELECT RAISE(ABORT, 'peer_audit is append-only'); END",
)
_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS peer_workflow (id BIGSERIAL PRIMARY KEY, state TEXT NOT NULL, "
    "version INTEGER NOT NULL, serialization TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS peer_audit (seq BIGINT PRIMARY KEY, workflow_id BIGINT NOT "
    "NULL REFERENCES peer_workflow (id), actor TEXT NOT NULL, action TEXT NOT NULL, "
    "from_state TEXT, to_state TEXT, payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL, "
    "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS peer_audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, "
    "hash TEXT NOT NULL)",
    "CREATE OR REPLACE FUNCTION peer_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'peer_audit is append-only'; END $$",
    "DROP TRIGGER IF EXISTS peer_audit_append_only ON peer_audit",
    "CREATE TRIGGER peer_audit_append_only BEFORE UPDATE OR DELETE ON peer_audit "
    "FOR EACH ROW EXECUTE FUNCTION peer_audit_append_only()",
)


class PeerRefused(Exception):
    """The step was refused (a guard, a stale version, or no such task): nothing written."""


@cache
def spec() -> Any:
    """Parse the BPMN model once per process and return the process spec."""
    parser = BpmnParser()
    parser.add_bpmn_file(str(MODEL))
    return parser.get_spec(PROCESS_ID)


class PeerStore:
    """Where the peer keeps its workflows and audit chain: a SQLite file or PostgreSQL."""

    def __init__(self, target: Path | str, *, synchronous: str = "FULL") -> None:
        self.postgres = isinstance(target, str) and target.startswith("postgresql")
        self.connection: Any
        statements: tuple[str, ...]
        if self.postgres:
            import psycopg

            self.connection = psycopg.connect(str(target).replace("+psycopg", ""))
            statements = _POSTGRES_SCHEMA
        else:
            self.connection = sqlite3.connect(str(target), isolation_level=None, timeout=10)
            # synchronous=OFF only for the benchmark's diagnostic without a durable commit.
            for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "busy_timeout=10000"):
                self.connection.execute(f"PRAGMA {pragma}")
            self.connection.execute("PRAGMA foreign_keys=ON")
            statements = _SQLITE_SCHEMA
        for statement in statements:
            self.connection.execute(statement)
        self.execute(
            "INSERT INTO peer_audit_head (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT DO NOTHING",
            (GENESIS_HASH,),
        )
        self.commit()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement (``?`` placeholders on both databases)."""
        if self.postgres:
            sql = sql.replace("?", "%s")
        return self.connection.execute(sql, params)

    def begin(self) -> None:
        """Begin a write transaction (SQLite: take the write lock at once)."""
        if not self.postgres:
            self.connection.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Commit the transaction."""
        if self.postgres:
            self.connection.commit()
        elif self.connection.in_transaction:
            self.connection.execute("COMMIT")

    def rollback(self) -> None:
        """Roll the transaction back."""
        if self.postgres:
            self.connection.rollback()
        elif self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def count(self, table: str) -> int:
        """Return the number of rows of one of the peer's tables."""
        value = self.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        self.commit()
        return int(value)


def _state(workflow: Any) -> str:
    if workflow.is_completed():
        return str(workflow.last_task.data["state"])
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    return str(task.data["state"])


class Peer:
    """Register cases and take their steps through SpiffWorkflow, one transaction each."""

    def __init__(self, store: PeerStore, actor: str = "bench") -> None:
        self.store = store
        self.actor = actor
        self.spec = spec()
        self.serializer = BpmnWorkflowSerializer()

    def _append(
        self,
        workflow_id: int,
        action: str,
        from_state: str | None,
        to_state: str,
        payload: Mapping[str, Any],
    ) -> None:
        lock = " FOR UPDATE" if self.store.postgres else ""
        seq, prev_hash = self.store.execute(
            f"SELECT seq, hash FROM peer_audit_head WHERE id = 1{lock}"
        ).fetchone()
        seq += 1
        now = datetime.now(UTC)
        text = canonical_json(payload)
        digest = event_hash(
            prev_hash=prev_hash,
            seq=seq,
            case_id=workflow_id,
            actor_id=None,
            actor=self.actor,
            action=action,
            from_state=from_state,
            to_state=to_state,
            payload=text,
            created_at=now,
        )
        stamp = now.replace(tzinfo=None)
        self.store.execute(
            "INSERT INTO peer_audit (seq, workflow_id, actor, action, from_state, to_state, "
            "payload, created_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                workflow_id,
                self.actor,
                action,
                from_state,
                to_state,
                text,
                stamp if self.store.postgres else stamp.isoformat(sep=" "),
                prev_hash,
                digest,
            ),
        )
        self.store.execute(
            "UPDATE peer_audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, digest)
        )

    def register(self, data: Mapping[str, Any]) -> int:
        """Start a workflow with the case's intake data; store it and log it. Return its id."""
        store = self.store
        store.begin()
        try:
            workflow = BpmnWorkflow(self.spec)
            workflow.task_tree.data.update(data)
            workflow.do_engine_steps()
            state = _state(workflow)
            now = datetime.now(UTC).replace(tzinfo=None)
            workflow_id = store.execute(
                "INSERT INTO peer_workflow (state, version, serialization, updated_at) "
                "VALUES (?, 1, ?, ?) RETURNING id",
                (
                    state,
                    self.serializer.serialize_json(workflow),
                    now if store.postgres else now.isoformat(sep=" "),
                ),
            ).fetchone()[0]
            self._append(
                workflow_id,
                "register",
                None,
                state,
                {"intake": dict(data), "case": {"state": state, "version": 1}},
            )
            store.commit()
        except BaseException:
            store.rollback()
            raise
        return int(workflow_id)

    def step(
        self, workflow_id: int, action: str, data: Mapping[str, Any], expected_version: int
    ) -> int:
        """Take one action on a workflow in one transaction; return the new version."""
        store = self.store
        store.begin()
        try:
            row = store.execute(
                "SELECT state, version, serialization FROM peer_workflow WHERE id = ?",
                (workflow_id,),
            ).fetchone()
            if row is None:
                raise PeerRefused(f"no workflow {workflow_id}")
            state, version, serialization = row
            if version != expected_version:
                raise PeerRefused(f"workflow {workflow_id} is at version {version}")
            workflow = self.serializer.deserialize_json(serialization)
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            if len(ready) != 1 or ready[0].task_spec.name != state:
                raise PeerRefused(f"{action} is not possible in {state}")
            task = ready[0]
            task.set_data(action=action, **data)
            task.run()
            workflow.do_engine_steps()
            new_state = _state(workflow)
            if action in TRIGGERS and new_state == state:
                raise PeerRefused(f"{action}: a guard does not hold in {state}")
            new_version = version + 1
            now = datetime.now(UTC).replace(tzinfo=None)
            cursor = store.execute(
                "UPDATE peer_workflow SET state = ?, version = ?, serialization = ?, "
                "updated_at = ? WHERE id = ? AND version = ?",
                (
                    new_state,
                    new_version,
                    self.serializer.serialize_json(workflow),
                    now if store.postgres else now.isoformat(sep=" "),
                    workflow_id,
                    version,
                ),
            )
            if cursor.rowcount != 1:
                raise PeerRefused(f"workflow {workflow_id} was changed meanwhile")
            latest = workflow.last_task.data
            self._append(
                workflow_id,
                action,
                state,
                new_state,
                {
                    **data,
                    "case": {
                        "state": new_state,
                        "version": new_version,
                        "agreed_fen": latest.get("agreed_fen", 0),
                        "paid_fen": latest.get("paid_fen", 0),
                    },
                },
            )
            store.commit()
        except BaseException:
            store.rollback()
            raise
        return new_version

    def final_state(self, workflow_id: int) -> tuple[str, bool]:
        """Return the stored state and whether the stored workflow has completed."""
        state, serialization = self.store.execute(
            "SELECT state, serialization FROM peer_workflow WHERE id = ?", (workflow_id,)
        ).fetchone()
        self.store.commit()
        return str(state), bool(self.serializer.deserialize_json(serialization).is_completed())
