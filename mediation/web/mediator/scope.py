"""What a mediator may see: the cases of their own organisation, nothing else (404)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlmodel import Session, select

from mediation.cases.models import Case


def case_for_mediator(session: Session, number: str) -> Case:
    """Return the case with this number if it belongs to the user's organisation, else 404."""
    case = session.exec(
        select(Case).where(
            Case.number == number, Case.organization_id == current_user.organization_id
        )
    ).first()
    if case is None:
        abort(404)
    return case
