"""What a mediator may see: the cases of their own organisation, nothing else (404)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Integer, String, bindparam, select
from sqlmodel import Session

from mediation.db import prebuilt
from mediation.tables import CASE

# Built once (executing the same statement object skips rebuilding its cache key).
_CASE_ID = select(CASE.c.id).where(
    CASE.c.number == bindparam("number", type_=String),
    CASE.c.organization_id == bindparam("organization_id", type_=Integer),
)


def case_id_for_mediator(session: Session, number: str) -> int:
    """Return the id of the case with this number if it is the user's organisation's, else 404.

    Only the id: the page reads the case itself in one go (:mod:`mediation.cases.case_file`).
    """
    case_id = (
        prebuilt(session)
        .execute(_CASE_ID, {"number": number, "organization_id": current_user.organization_id})
        .scalar()
    )
    if case_id is None:
        abort(404)
    return int(case_id)
