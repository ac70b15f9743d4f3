"""Re-sealing the parties' numbers with the current key (key rotation, first encryption).

``mediation rotate-data-key`` calls :func:`reseal_parties` after an administrator has made a
new ``MEDIATION_DATA_KEY`` and listed the old one in ``MEDIATION_DATA_KEYS_RETIRED``: every
value sealed with another key is opened and sealed again with the current one, and a value
still stored in clear (a database from before migration 0007) is sealed. Rows are rewritten in
batches, each batch one transaction, so a large table does not hold a lock for long and an
interrupted run can simply be started again. When it reports 0 rows left, the retired key can
be removed from the environment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from mediation.db import Database
from mediation.people.sealing import SEALED_PARTY_FIELDS, KeyRing, key_ring, party_associated
from mediation.tables import PARTY

BATCH = 1000

_SEALED_COLUMNS = tuple(PARTY.c[f] for f in SEALED_PARTY_FIELDS)


def _fresh(ring: KeyRing, row: Any) -> dict[str, str] | None:
    """Return the row's sealed columns sealed with the current key, or None if they are."""
    if all(ring.is_current(getattr(row, f)) for f in SEALED_PARTY_FIELDS):
        return None
    values = {}
    for name in SEALED_PARTY_FIELDS:
        value, associated = getattr(row, name), party_associated(row.case_id, row.role, name)
        if ring.is_current(value):
            values[name] = value
        else:
            clear = ring.open(value, associated) if value.startswith("v1.") else value
            values[name] = ring.seal(clear, associated)
    return values


def reseal_batch(connection: Connection, after_id: int, ring: KeyRing | None = None) -> int:
    """Re-seal the next batch of party rows after ``after_id``; return the last id (0: done)."""
    ring = ring or key_ring()
    rows = connection.execute(
        select(PARTY.c.id, PARTY.c.case_id, PARTY.c.role, *_SEALED_COLUMNS)
        .where(PARTY.c.id > after_id, or_(*(PARTY.c[f] != "" for f in SEALED_PARTY_FIELDS)))
        .order_by(PARTY.c.id)
        .limit(BATCH)
    ).all()
    changes = [
        {"b_id": row.id, **values} for row in rows if (values := _fresh(ring, row)) is not None
    ]
    if changes:
        connection.execute(
            update(PARTY)
            .where(PARTY.c.id == bindparam("b_id", type_=Integer))
            .values({f: bindparam(f) for f in SEALED_PARTY_FIELDS}),
            changes,
        )
    return rows[-1].id if rows else 0


def count_stale(connection: Connection, ring: KeyRing | None = None) -> int:
    """Count the party rows with a number not sealed with the current key."""
    ring = ring or key_ring()
    current = f"v1.{ring.current_id}.%"
    stale = or_(*((PARTY.c[f] != "") & PARTY.c[f].not_like(current) for f in SEALED_PARTY_FIELDS))
    counted = connection.execute(select(func.count()).select_from(PARTY).where(stale))
    return int(counted.scalar_one())


def reseal_parties(database: Database) -> int:
    """Re-seal every party row, one transaction per batch; return how many rows were stale."""
    with database.writing() as session:
        stale = count_stale(session.connection())
    after = 0
    while True:
        with database.writing() as session:
            after = reseal_batch(session.connection(), after)
        if not after:
            return stale


def keys_in_use(connection: Connection) -> set[str]:
    """Return the ids of the keys the stored numbers are sealed with."""
    found: set[str] = set()
    for column in _SEALED_COLUMNS:
        key = func.substr(column, 4, 8)
        found.update(
            connection.execute(select(key).where(column.like("v1.%")).distinct()).scalars()
        )
    return found


def unreadable_keys(connection: Connection, ring: KeyRing | None = None) -> set[str]:
    """Return the ids of keys in use that the key ring does not hold (empty: all readable)."""
    ring = ring or key_ring()
    return keys_in_use(connection) - set(ring.ciphers)
