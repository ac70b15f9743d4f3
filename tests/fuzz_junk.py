"""Junk shared by the fuzz tests of the web forms and of the command line."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from sqlalchemy import func, inspect, select, text

from documents.marks import NUMBER_KEY, VERSION_KEY
from mediation.db import Database
from mediation.tables import EVENT


def marked_pdf(number: str, version: str) -> bytes:
    """A one-page PDF whose metadata claim to be issued document ``number``, ``version``.

    What a forger (or a damaged file) could upload: the marks are read back before the
    database is asked about the number, so junk in them must not reach the query.
    """
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.add_metadata({NUMBER_KEY: number, VERSION_KEY: version})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fingerprint(database: Database) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows (in no particular order).

    The audit log only grows (its triggers refuse UPDATE and DELETE): its count and last
    sequence number say whether it changed.
    """
    out: dict[str, tuple[int, str]] = {}
    with database.engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            if table == EVENT.name:
                count, last = connection.execute(select(func.count(), func.max(EVENT.c.seq))).one()
                out[table] = (count, str(last))
                continue
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            digest = hashlib.sha256()
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(row.encode())
            out[table] = (len(rows), digest.hexdigest()[:16])
    return out


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The tables whose fingerprints differ."""
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
