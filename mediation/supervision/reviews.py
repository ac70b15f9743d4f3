"""Audit reviews: a random sample of settled cases, each checked against its receipts.

A supervisor draws a sample of the cases *settled* in a period — the same cases the report's
``settled`` figure counts (:func:`mediation.reports.figures.figure_condition`) — by its size
and a seed. The population is taken in case-number order and the draw is
``random.Random(seed).sample(population, size)``: the same period, size and seed give the
same cases, on any machine and database, as long as the period's settled cases are the same
(:func:`redraw` repeats a stored draw and says whether it still gives the same cases). A
seed is chosen at random when none is given; it is stored and shown with the sample.

Each sampled case is reviewed once: ``confirmed`` (the amounts agree with the receipts) or
``discrepancy`` with a note. Discrepancies stay on the list until a supervisor resolves them,
saying how. Drawing a sample, recording a review and resolving a discrepancy are each an event
on the hash-chained log (``draw_audit_sample``, ``review_case``, ``resolve_discrepancy``).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final, TypeVar

from sqlalchemy import and_, case, func, insert, select, update
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor, EventRecord, append_event
from mediation.cases.inputs import choice, text
from mediation.errors import InvalidInput, NotFound, PermissionDenied
from mediation.reports.figures import check_period, figure_condition
from mediation.supervision.correction_action import is_supervisor
from mediation.tables import (
    AUDIT_HEAD,
    AUDIT_REVIEW,
    AUDIT_SAMPLE,
    AUDIT_SAMPLE_CASE,
    CASE,
    ORGANIZATION,
)

T = TypeVar("T")


class ReviewResult(StrEnum):
    """What a review found."""

    CONFIRMED = "confirmed"
    DISCREPANCY = "discrepancy"


CONFIRMED: Final = ReviewResult.CONFIRMED.value
DISCREPANCY: Final = ReviewResult.DISCREPANCY.value
RESULTS: Final = (CONFIRMED, DISCREPANCY)

#: The largest sample one draw takes.
MAX_SIZE: Final = 200
#: Seeds are whole numbers from 0 to this (twelve digits: easy to write down and type again).
MAX_SEED: Final = 999_999_999_999


def new_seed() -> int:
    """Return a random seed for a draw (shown and stored, so the draw can be repeated)."""
    return secrets.randbelow(MAX_SEED) + 1


def check_size(size: int) -> int:
    """Return the sample size, refusing one outside 1..:data:`MAX_SIZE`."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        raise InvalidInput(f"size: a sample has 1 to {MAX_SIZE} cases")
    return size


def check_seed(seed: int) -> int:
    """Return the seed, refusing one outside 0..:data:`MAX_SEED`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInput(f"seed: a whole number from 0 to {MAX_SEED}")
    return seed


def draw(population: Sequence[T], size: int, seed: int) -> list[T]:
    """Draw ``size`` members of ``population`` (all of them if it is smaller), by ``seed``.

    Pure: the same population (in the same order), size and seed give the same draw.
    """
    rng = random.Random(check_seed(seed))
    return rng.sample(list(population), min(check_size(size), len(population)))


def population(session: Session, date_from: date, date_to: date) -> list[tuple[int, str]]:
    """Return (id, number) of the cases settled in the period, in case-number order."""
    check_period(date_from, date_to)
    settled = figure_condition("settled", date_from, date_to, clock.today())
    rows = session.execute(select(CASE.c.id, CASE.c.number).where(settled).order_by(CASE.c.number))
    return [(row.id, row.number) for row in rows]


def _require_supervisor(session: Session, actor: Actor) -> None:
    if not is_supervisor(session, actor.id):
        raise PermissionDenied("only a supervisor may draw samples and review cases")


def _lock_chain(session: Session) -> None:
    session.execute(select(AUDIT_HEAD.c.id).where(AUDIT_HEAD.c.id == 1).with_for_update())


def draw_sample(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    size: int,
    seed: int,
    actor: Actor,
) -> int:
    """Draw and store a sample of the period's settled cases; return its id. The caller commits."""
    _require_supervisor(session, actor)
    check_size(size)
    check_seed(seed)
    members = population(session, date_from, date_to)
    if not members:
        raise InvalidInput(
            f"period: no case was settled from {date_from.isoformat()} to {date_to.isoformat()}"
        )
    drawn = draw(members, size, seed)
    _lock_chain(session)
    sample_id = session.execute(
        insert(AUDIT_SAMPLE)
        .values(
            date_from=date_from,
            date_to=date_to,
            size=size,
            seed=seed,
            population=len(members),
            drawn_by_id=actor.id,
            drawn_by=actor.name,
            drawn_at=clock.utcnow(),
        )
        .returning(AUDIT_SAMPLE.c.id)
    ).scalar_one()
    session.execute(
        insert(AUDIT_SAMPLE_CASE),
        [
            {"sample_id": sample_id, "position": position, "case_id": case_id}
            for position, (case_id, _number) in enumerate(drawn, start=1)
        ],
    )
    append_event(
        session,
        actor=actor,
        action="draw_audit_sample",
        case_id=None,
        from_state=None,
        to_state=None,
        payload={
            "sample_id": sample_id,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "size": size,
            "seed": seed,
            "population": len(members),
            "cases": [number for _id, number in drawn],
        },
    )
    return int(sample_id)


def record_review(
    session: Session, *, sample_id: int, case_id: int, result: str, note: str, actor: Actor
) -> int:
    """Record the review of a sampled case; return its id. The caller commits.

    A discrepancy needs a note saying what does not agree.
    """
    _require_supervisor(session, actor)
    result = choice({"result": result}, "result", ReviewResult)
    note = text({"note": note}, "note", required=result == DISCREPANCY, limit=2000)
    _lock_chain(session)
    member = session.execute(
        select(CASE.c.state, CASE.c.number)
        .select_from(AUDIT_SAMPLE_CASE.join(CASE, CASE.c.id == AUDIT_SAMPLE_CASE.c.case_id))
        .where(AUDIT_SAMPLE_CASE.c.sample_id == sample_id, AUDIT_SAMPLE_CASE.c.case_id == case_id)
    ).one_or_none()
    if member is None:
        raise NotFound(f"case {case_id} is not in sample #{sample_id}")
    done = session.execute(
        select(AUDIT_REVIEW.c.id).where(
            AUDIT_REVIEW.c.sample_id == sample_id, AUDIT_REVIEW.c.case_id == case_id
        )
    ).scalar_one_or_none()
    if done is not None:
        raise InvalidInput(f"case {member.number} of sample #{sample_id} is already reviewed")
    review_id = session.execute(
        insert(AUDIT_REVIEW)
        .values(
            sample_id=sample_id,
            case_id=case_id,
            result=result,
            note=note,
            reviewer_id=actor.id,
            reviewer=actor.name,
            reviewed_at=clock.utcnow(),
            resolved_by="",
            resolution="",
        )
        .returning(AUDIT_REVIEW.c.id)
    ).scalar_one()
    payload: dict[str, Any] = {"review_id": review_id, "sample_id": sample_id, "result": result}
    if note:
        payload["note"] = note
    append_event(
        session,
        actor=actor,
        action="review_case",
        case_id=case_id,
        from_state=member.state,
        to_state=member.state,
        payload=payload,
    )
    return int(review_id)


def resolve_discrepancy(
    session: Session, *, review_id: int, resolution: str, actor: Actor
) -> EventRecord:
    """Close an open discrepancy, saying how it was resolved."""
    _require_supervisor(session, actor)
    resolution = text({"resolution": resolution}, "resolution", required=True, limit=2000)
    _lock_chain(session)
    row = session.execute(
        select(
            AUDIT_REVIEW.c.case_id, AUDIT_REVIEW.c.result, AUDIT_REVIEW.c.resolved_at, CASE.c.state
        )
        .join(CASE, CASE.c.id == AUDIT_REVIEW.c.case_id)
        .where(AUDIT_REVIEW.c.id == review_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"review #{review_id} does not exist")
    if row.result != DISCREPANCY:
        raise InvalidInput(f"review #{review_id} found no discrepancy")
    if row.resolved_at is not None:
        raise InvalidInput(f"the discrepancy of review #{review_id} is already resolved")
    session.execute(
        update(AUDIT_REVIEW)
        .where(AUDIT_REVIEW.c.id == review_id)
        .values(
            resolved_at=clock.utcnow(),
            resolved_by_id=actor.id,
            resolved_by=actor.name,
            resolution=resolution,
        )
    )
    return append_event(
        session,
        actor=actor,
        action="resolve_discrepancy",
        case_id=row.case_id,
        from_state=row.state,
        to_state=row.state,
        payload={"review_id": review_id, "resolution": resolution},
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class SampleSummary:
    """A drawn sample, with how far its review has come."""

    id: int
    date_from: date
    date_to: date
    size: int
    seed: int
    population: int
    drawn_by: str
    drawn_at: datetime
    cases: int
    reviewed: int
    discrepancies: int


@dataclass(frozen=True)
class Review:
    """The review of one case."""

    id: int
    sample_id: int
    case_id: int
    case_number: str
    organization: str
    result: str
    note: str
    reviewer: str
    reviewed_at: datetime
    resolved_at: datetime | None
    resolved_by: str
    resolution: str

    @property
    def open(self) -> bool:
        """Tell whether this is a discrepancy not yet resolved."""
        return self.result == DISCREPANCY and self.resolved_at is None


@dataclass(frozen=True)
class SampleMember:
    """A case of a sample, with its figures and its review (if any)."""

    position: int
    case_id: int
    number: str
    organization: str
    state: str
    outcome_on: date | None
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    review: Review | None


@dataclass(frozen=True)
class Sample:
    """A sample with its cases in the order drawn."""

    summary: SampleSummary
    members: tuple[SampleMember, ...]


_REVIEW_COLUMNS = (
    AUDIT_REVIEW,
    CASE.c.number.label("case_number"),
    ORGANIZATION.c.name.label("organization"),
)


def _review(row: Any) -> Review:
    return Review(
        id=row.id,
        sample_id=row.sample_id,
        case_id=row.case_id,
        case_number=row.case_number,
        organization=row.organization,
        result=row.result,
        note=row.note,
        reviewer=row.reviewer,
        reviewed_at=row.reviewed_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        resolution=row.resolution,
    )


def _reviews_query() -> Any:
    return select(*_REVIEW_COLUMNS).select_from(
        AUDIT_REVIEW.join(CASE, CASE.c.id == AUDIT_REVIEW.c.case_id).join(
            ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id
        )
    )


def _summaries(session: Session, where: Any = None, limit: int = 100) -> list[SampleSummary]:
    counts = (
        select(
            AUDIT_SAMPLE_CASE.c.sample_id,
            func.count().label("cases"),
        )
        .group_by(AUDIT_SAMPLE_CASE.c.sample_id)
        .subquery()
    )
    reviewed = (
        select(
            AUDIT_REVIEW.c.sample_id,
            func.count().label("reviewed"),
            func.coalesce(
                func.sum(case((AUDIT_REVIEW.c.result == DISCREPANCY, 1), else_=0)), 0
            ).label("discrepancies"),
        )
        .group_by(AUDIT_REVIEW.c.sample_id)
        .subquery()
    )
    query = (
        select(
            AUDIT_SAMPLE,
            func.coalesce(counts.c.cases, 0).label("cases"),
            func.coalesce(reviewed.c.reviewed, 0).label("reviewed"),
            func.coalesce(reviewed.c.discrepancies, 0).label("discrepancies"),
        )
        .select_from(
            AUDIT_SAMPLE.outerjoin(counts, counts.c.sample_id == AUDIT_SAMPLE.c.id).outerjoin(
                reviewed, reviewed.c.sample_id == AUDIT_SAMPLE.c.id
            )
        )
        .order_by(AUDIT_SAMPLE.c.id.desc())
        .limit(limit)
    )
    if where is not None:
        query = query.where(where)
    return [
        SampleSummary(
            id=row.id,
            date_from=row.date_from,
            date_to=row.date_to,
            size=row.size,
            seed=int(row.seed),
            population=row.population,
            drawn_by=row.drawn_by,
            drawn_at=row.drawn_at,
            cases=int(row.cases),
            reviewed=int(row.reviewed),
            discrepancies=int(row.discrepancies),
        )
        for row in session.execute(query)
    ]


def list_samples(session: Session, limit: int = 100) -> list[SampleSummary]:
    """Return the latest samples, newest first, with how many of their cases are reviewed."""
    return _summaries(session, limit=limit)


def get_sample(session: Session, sample_id: int) -> Sample:
    """Return a sample with its cases and their reviews, or raise ``NotFound``."""
    found = _summaries(session, AUDIT_SAMPLE.c.id == sample_id, limit=1)
    if not found:
        raise NotFound(f"sample #{sample_id} does not exist")
    reviews = {
        review.case_id: review
        for review in (
            _review(row)
            for row in session.execute(
                _reviews_query().where(AUDIT_REVIEW.c.sample_id == sample_id)
            )
        )
    }
    rows = session.execute(
        select(
            AUDIT_SAMPLE_CASE.c.position,
            CASE.c.id,
            CASE.c.number,
            ORGANIZATION.c.name.label("organization"),
            CASE.c.state,
            CASE.c.outcome_on,
            CASE.c.claimed_fen,
            CASE.c.agreed_fen,
            CASE.c.paid_fen,
        )
        .select_from(
            AUDIT_SAMPLE_CASE.join(CASE, CASE.c.id == AUDIT_SAMPLE_CASE.c.case_id).join(
                ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id
            )
        )
        .where(AUDIT_SAMPLE_CASE.c.sample_id == sample_id)
        .order_by(AUDIT_SAMPLE_CASE.c.position)
    )
    members = tuple(
        SampleMember(
            position=row.position,
            case_id=row.id,
            number=row.number,
            organization=row.organization,
            state=row.state,
            outcome_on=row.outcome_on,
            claimed_fen=row.claimed_fen,
            agreed_fen=row.agreed_fen,
            paid_fen=row.paid_fen,
            review=reviews.get(row.id),
        )
        for row in rows
    )
    return Sample(found[0], members)


def redraw(session: Session, sample: SampleSummary) -> list[str]:
    """Draw again with the sample's period, size and seed; return the case numbers drawn now."""
    members = population(session, sample.date_from, sample.date_to)
    return [number for _id, number in draw(members, sample.size, sample.seed)]


def open_discrepancies(session: Session, limit: int = 500) -> list[Review]:
    """Return the discrepancies not yet resolved, oldest first."""
    query = (
        _reviews_query()
        .where(AUDIT_REVIEW.c.result == DISCREPANCY, AUDIT_REVIEW.c.resolved_at.is_(None))
        .order_by(AUDIT_REVIEW.c.reviewed_at, AUDIT_REVIEW.c.id)
        .limit(limit)
    )
    return [_review(row) for row in session.execute(query)]


def reviews_of_case(session: Session, case_id: int) -> list[Review]:
    """Return every review of a case, oldest first."""
    query = _reviews_query().where(AUDIT_REVIEW.c.case_id == case_id).order_by(AUDIT_REVIEW.c.id)
    return [_review(row) for row in session.execute(query)]


def utc_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """Return the UTC instants where Beijing's ``date_from`` starts and ``date_to`` ends."""
    start = datetime.combine(date_from, time(), clock.LOCAL_TZ).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(), clock.LOCAL_TZ).astimezone(UTC)
    return start, end


@dataclass(frozen=True)
class Findings:
    """The audit reviews of a period: counts, and every discrepancy found in it."""

    reviewed: int
    confirmed: int
    discrepancies: tuple[Review, ...]

    @property
    def open(self) -> int:
        """Return how many of the period's discrepancies are not yet resolved."""
        return sum(1 for review in self.discrepancies if review.open)


def findings(session: Session, date_from: date, date_to: date) -> Findings:
    """Return the reviews recorded in the period (Beijing days)."""
    start, end = utc_bounds(date_from, date_to)
    in_period = and_(AUDIT_REVIEW.c.reviewed_at >= start, AUDIT_REVIEW.c.reviewed_at < end)
    counts = session.execute(
        select(AUDIT_REVIEW.c.result, func.count()).where(in_period).group_by(AUDIT_REVIEW.c.result)
    ).all()
    by_result = {result: int(n) for result, n in counts}
    discrepancies = tuple(
        _review(row)
        for row in session.execute(
            _reviews_query()
            .where(in_period, AUDIT_REVIEW.c.result == DISCREPANCY)
            .order_by(AUDIT_REVIEW.c.reviewed_at, AUDIT_REVIEW.c.id)
        )
    )
    return Findings(
        reviewed=sum(by_result.values()),
        confirmed=by_result.get(CONFIRMED, 0),
        discrepancies=discrepancies,
    )
