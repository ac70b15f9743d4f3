"""Cases whose figures deserve a second look (the supervisors' anomaly list).

Five kinds, each a plain condition on the case rows (no case is changed by looking):

``agreed_above_claimed``
    a settled case whose agreed amount is larger than what was claimed;
``paid_above_agreed``
    payments beyond the agreed amount (the service refuses them, so these came from elsewhere:
    an import, or a correction that was refused for exactly this reason would show here);
``performance_overdue``
    an agreement being performed whose earliest unpaid instalment is past due (劳动争议调解
    仲裁法 Art. 15: non-performance opens the way to arbitration);
``open_far_beyond``
    a case still being mediated more than :data:`FAR_BEYOND_DAYS` days after its 15-day
    mediation period ended (Art. 14);
``corrected_after_signing``
    a case whose signed amounts were corrected (an approved correction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlmodel import Session

from mediation.cases.enums import Outcome
from mediation.errors import InvalidInput
from mediation.tables import CASE, CORRECTION, ORGANIZATION
from workflows.case import MEDIATING_STATES, CaseState
from workflows.deadlines import MEDIATION_WINDOW_DAYS

KINDS: Final = (
    "agreed_above_claimed",
    "paid_above_agreed",
    "performance_overdue",
    "open_far_beyond",
    "corrected_after_signing",
)

#: How many days past the end of the 15-day mediation period a case counts as "far beyond".
FAR_BEYOND_DAYS: Final = 30

#: The most cases one kind lists on a page.
LIMIT: Final = 200

_PERFORMING = (CaseState.ENSURING_PERFORMANCE.value, CaseState.AWAITING_CONVERSION.value)


@dataclass(frozen=True)
class AnomalyCase:
    """A case on the anomaly list."""

    kind: str
    case_id: int
    number: str
    organization: str
    state: str
    received_on: date
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    next_due_on: date | None
    corrections: int


@dataclass(frozen=True)
class AnomalyList:
    """The cases of one kind (at most :data:`LIMIT`) and how many there are in all."""

    kind: str
    count: int
    cases: tuple[AnomalyCase, ...]


def condition(kind: str, today: date) -> ColumnElement[bool]:
    """Return the condition on a case row that puts it on the list of ``kind``."""
    if kind == "agreed_above_claimed":
        return and_(CASE.c.outcome == Outcome.SETTLED.value, CASE.c.agreed_fen > CASE.c.claimed_fen)
    if kind == "paid_above_agreed":
        return CASE.c.paid_fen > CASE.c.agreed_fen
    if kind == "performance_overdue":
        return and_(CASE.c.state.in_(_PERFORMING), CASE.c.next_due_on < today)
    if kind == "open_far_beyond":
        limit = today - timedelta(days=MEDIATION_WINDOW_DAYS + FAR_BEYOND_DAYS)
        return and_(
            CASE.c.state.in_(sorted(s.value for s in MEDIATING_STATES)),
            CASE.c.received_on < limit,
        )
    if kind == "corrected_after_signing":
        return exists().where(CORRECTION.c.case_id == CASE.c.id, CORRECTION.c.state == "approved")
    raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(KINDS)}")


def _corrections() -> Any:
    return (
        select(func.count())
        .where(CORRECTION.c.case_id == CASE.c.id, CORRECTION.c.state == "approved")
        .scalar_subquery()
    )


def anomaly_list(session: Session, kind: str, today: date, limit: int = LIMIT) -> AnomalyList:
    """Return the cases of one kind, oldest received first."""
    where = condition(kind, today)
    count = session.execute(select(func.count()).select_from(CASE).where(where)).scalar_one()
    rows = session.execute(
        select(
            CASE.c.id,
            CASE.c.number,
            ORGANIZATION.c.name.label("organization"),
            CASE.c.state,
            CASE.c.received_on,
            CASE.c.claimed_fen,
            CASE.c.agreed_fen,
            CASE.c.paid_fen,
            CASE.c.next_due_on,
            _corrections().label("corrections"),
        )
        .select_from(CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id))
        .where(where)
        .order_by(CASE.c.received_on, CASE.c.number)
        .limit(limit)
    )
    return AnomalyList(
        kind,
        int(count),
        tuple(
            AnomalyCase(
                kind=kind,
                case_id=row.id,
                number=row.number,
                organization=row.organization,
                state=row.state,
                received_on=row.received_on,
                claimed_fen=row.claimed_fen,
                agreed_fen=row.agreed_fen,
                paid_fen=row.paid_fen,
                next_due_on=row.next_due_on,
                corrections=int(row.corrections),
            )
            for row in rows
        ),
    )


def all_anomalies(session: Session, today: date, limit: int = LIMIT) -> list[AnomalyList]:
    """Return the list of every kind, in the order of :data:`KINDS`."""
    return [anomaly_list(session, kind, today, limit) for kind in KINDS]
