"""The archive bundle (案卷) of an ended case, as a machine-readable JSON case file.

The bundle holds the case record, parties, claims, every step's records, the agreement,
payments, conversions, the hashes of issued documents and the full event timeline with the
chain hashes, so the file can be checked against the audit log later. (The printable PDF/A
bundle of DESIGN §5 is rendered by ``documents/``; this JSON file is what archiving needs to
be complete and verifiable.)
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from mediation.audit.chain import canonical_json
from mediation.tables import (
    AGREEMENT,
    CASE,
    CLAIM,
    CONVERSION,
    DOCUMENT,
    EVENT,
    INSTALMENT,
    INTERVIEW,
    JOINT_SESSION,
    OFFER,
    PARTY,
    PAYMENT,
    TERM,
)

MEDIA_TYPE = "application/json"


def _rows(
    session: Session, table: Table, *where: Any, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    columns = [c for c in table.c if c.name not in exclude]
    result = session.execute(select(*columns).where(*where).order_by(table.c.id))
    return [dict(row._mapping) for row in result]


def build_bundle(session: Session, case_id: int) -> tuple[bytes, str]:
    """Return the bundle's bytes and their SHA-256."""
    agreements = _rows(session, AGREEMENT, AGREEMENT.c.case_id == case_id)
    agreement_ids = [a["id"] for a in agreements]
    by_case = {
        "parties": PARTY,
        "claims": CLAIM,
        "interviews": INTERVIEW,
        "joint_sessions": JOINT_SESSION,
        "offers": OFFER,
        "payments": PAYMENT,
        "conversions": CONVERSION,
        "events": EVENT,
    }
    bundle: dict[str, Any] = {
        "kind": "archive_bundle",
        "case": _rows(session, CASE, CASE.c.id == case_id)[0],
        "agreement": agreements,
        "terms": _rows(session, TERM, TERM.c.agreement_id.in_(agreement_ids)),
        "instalments": _rows(session, INSTALMENT, INSTALMENT.c.agreement_id.in_(agreement_ids)),
        "documents": _rows(session, DOCUMENT, DOCUMENT.c.case_id == case_id, exclude=("content",)),
    }
    for key, table in by_case.items():
        bundle[key] = _rows(session, table, table.c.case_id == case_id)
    content = canonical_json(bundle).encode()
    return content, hashlib.sha256(content).hexdigest()
