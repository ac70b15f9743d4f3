"""Append events to the chain and compute their hashes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from mediation.clock import utcnow
from mediation.tables import AUDIT_HEAD, EVENT

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, or a named system process such as an import."""

    id: int | None
    name: str


SYSTEM = Actor(None, "system")


@dataclass(frozen=True)
class EventRecord:
    """An event as written, returned to the caller of a service."""

    seq: int
    case_id: int | None
    action: str
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any]
    created_at: datetime
    hash: str


def canonical_json(value: Any) -> str:
    """Serialise with sorted keys and no spaces, so the same content hashes the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def format_timestamp(moment: datetime) -> str:
    """Render a stored UTC time the same way on every database."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    case_id: int | None,
    actor_id: int | None,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    payload: str,
    created_at: datetime,
) -> str:
    """Hash an event's canonical content together with the previous event's hash."""
    content = canonical_json(
        {
            "seq": seq,
            "case_id": case_id,
            "actor_id": actor_id,
            "actor": actor,
            "action": action,
            "from": from_state,
            "to": to_state,
            "payload": payload,
            "at": format_timestamp(created_at),
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


_HEAD = AUDIT_HEAD
_EVENT = EVENT
# Built once (see mediation.cases.facts): the head is locked until the transaction ends, which
# serialises appends on PostgreSQL; SQLite's BEGIN IMMEDIATE already does.
_SELECT_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_EVENT = insert(_EVENT)
_UPDATE_HEAD = update(_HEAD).where(_HEAD.c.id == 1)


@dataclass(frozen=True)
class NewEvent:
    """An event to append: what happened to which case."""

    action: str
    case_id: int | None
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any]


def append_events(
    session: Session | Connection, *, actor: Actor, events: list[NewEvent]
) -> list[EventRecord]:
    """Append events in order in the caller's transaction, locking the chain head once.

    One round trip for the head, one multi-row INSERT and one head update, however many
    events: what a bulk import needs.
    """
    if not events:
        return []
    connection = session.connection() if isinstance(session, Session) else session
    head = connection.execute(_SELECT_HEAD).one_or_none()
    if head is None:
        raise RuntimeError("the audit chain head row is missing: run `mediation init-db`")
    seq, prev_hash = head
    created_at = utcnow()
    rows: list[dict[str, Any]] = []
    records: list[EventRecord] = []
    for event in events:
        seq += 1
        payload_text = canonical_json(event.payload)
        digest = event_hash(
            prev_hash=prev_hash,
            seq=seq,
            case_id=event.case_id,
            actor_id=actor.id,
            actor=actor.name,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            payload=payload_text,
            created_at=created_at,
        )
        rows.append(
            {
                "seq": seq,
                "case_id": event.case_id,
                "actor_id": actor.id,
                "actor": actor.name,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "payload": payload_text,
                "created_at": created_at,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        records.append(
            EventRecord(
                seq,
                event.case_id,
                event.action,
                event.from_state,
                event.to_state,
                event.payload,
                created_at,
                digest,
            )
        )
        prev_hash = digest
    connection.execute(_INSERT_EVENT, rows)
    connection.execute(_UPDATE_HEAD, {"seq": seq, "hash": prev_hash})
    return records


def append_event(
    session: Session | Connection,
    *,
    actor: Actor,
    action: str,
    case_id: int | None,
    from_state: str | None,
    to_state: str | None,
    payload: dict[str, Any],
) -> EventRecord:
    """Append one event in the caller's transaction, locking the chain head until commit."""
    (record,) = append_events(
        session,
        actor=actor,
        events=[NewEvent(action, case_id, from_state, to_state, payload)],
    )
    return record
