"""Audit reviews: a sample repeatable from its seed, one review per case, discrepancies open."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.db import Database
from mediation.errors import InvalidInput, NotFound, PermissionDenied
from mediation.supervision import reviews
from mediation.tables import AUDIT_SAMPLE, EVENT
from tests.factories import make_case
from tests.mediation.supervision.helpers import add_user

TODAY = date(2026, 3, 2)
PERIOD = (date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def settled(database: Database, actor: Actor) -> list[int]:
    """Twelve cases settled on TODAY (in the first quarter), and one of a later quarter."""
    ids = [
        make_case(database, state="ensuring_performance", actor=actor, today=TODAY)[0]
        for _ in range(12)
    ]
    make_case(database, state="ensuring_performance", actor=actor, today=date(2026, 4, 2))
    make_case(database, state="failed", actor=actor, today=TODAY)
    return ids


@pytest.fixture
def supervisor(database: Database) -> Actor:
    return add_user(database, "duda", "supervisor")


def _draw(database: Database, supervisor: Actor, size: int, seed: int) -> int:
    with database.writing() as session:
        return reviews.draw_sample(
            session, date_from=PERIOD[0], date_to=PERIOD[1], size=size, seed=seed, actor=supervisor
        )


def _numbers(database: Database, sample_id: int) -> list[str]:
    with database.read_session() as session:
        return [m.number for m in reviews.get_sample(session, sample_id).members]


def test_draw_is_a_pure_function_of_population_size_and_seed() -> None:
    population = [f"DX-{n:03d}" for n in range(50)]
    assert reviews.draw(population, 5, 42) == reviews.draw(list(population), 5, 42)
    assert reviews.draw(population, 5, 42) != reviews.draw(population, 5, 43)
    assert sorted(reviews.draw(population, 80, 1)) == population  # all of a small population


def test_a_sample_drawn_again_with_its_seed_gives_the_same_cases(
    database: Database, settled: list[int], supervisor: Actor
) -> None:
    first = _draw(database, supervisor, 5, 20260115)
    second = _draw(database, supervisor, 5, 20260115)
    other = _draw(database, supervisor, 5, 7)
    assert _numbers(database, first) == _numbers(database, second)
    assert _numbers(database, first) != _numbers(database, other)
    with database.read_session() as session:
        sample = reviews.get_sample(session, first)
        assert (sample.summary.size, sample.summary.seed, sample.summary.population) == (
            5,
            20260115,
            12,
        )
        assert reviews.redraw(session, sample.summary) == _numbers(database, first)
        # Only cases settled in the period, each once.
        assert len(set(_numbers(database, first))) == 5
        assert all(m.outcome_on == TODAY for m in sample.members)


def test_drawing_a_sample_is_an_event_naming_its_cases(
    database: Database, settled: list[int], supervisor: Actor
) -> None:
    sample_id = _draw(database, supervisor, 3, 99)
    with database.read_session() as session:
        event = session.execute(select(EVENT).where(EVENT.c.action == "draw_audit_sample")).one()
        assert verify(session).ok
    payload = json.loads(event.payload)
    assert payload["sample_id"] == sample_id and payload["seed"] == 99 and payload["size"] == 3
    assert payload["cases"] == _numbers(database, sample_id)
    assert event.actor == "duda"


@pytest.mark.parametrize(
    ("size", "seed", "message"),
    [
        (0, 1, "size: a sample has 1 to 200 cases"),
        (201, 1, "size: a sample has 1 to 200 cases"),
        (5, -1, "seed: a whole number from 0 to 999999999999"),
        (5, 10**12, "seed: a whole number from 0 to 999999999999"),
    ],
)
def test_bad_size_or_seed_is_refused_and_nothing_written(
    database: Database, settled: list[int], supervisor: Actor, size: int, seed: int, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _draw(database, supervisor, size, seed)
    with database.read_session() as session:
        assert session.execute(select(func.count()).select_from(AUDIT_SAMPLE)).scalar_one() == 0


def test_a_period_without_settled_cases_has_nothing_to_draw(
    database: Database, supervisor: Actor
) -> None:
    with pytest.raises(InvalidInput, match="period: no case was settled from 2026-01-01"):
        _draw(database, supervisor, 5, 1)


def test_only_a_supervisor_draws_and_reviews(
    database: Database, settled: list[int], supervisor: Actor
) -> None:
    mediator = add_user(database, "tiaojie", "mediator")
    with pytest.raises(PermissionDenied):
        _draw(database, mediator, 5, 1)
    sample_id = _draw(database, supervisor, 2, 1)
    member = _members(database, sample_id)[0]
    with database.writing() as session, pytest.raises(PermissionDenied):
        reviews.record_review(
            session,
            sample_id=sample_id,
            case_id=member,
            result="confirmed",
            note="",
            actor=mediator,
        )


def _members(database: Database, sample_id: int) -> list[int]:
    with database.read_session() as session:
        return [m.case_id for m in reviews.get_sample(session, sample_id).members]


def _review(
    database: Database, actor: Actor, sample_id: int, case_id: int, result: str, note: str
) -> int:
    with database.writing() as session:
        return reviews.record_review(
            session, sample_id=sample_id, case_id=case_id, result=result, note=note, actor=actor
        )


def test_reviews_and_discrepancies_until_resolved(
    database: Database, settled: list[int], supervisor: Actor
) -> None:
    sample_id = _draw(database, supervisor, 3, 5)
    first, second, third = _members(database, sample_id)
    _review(database, supervisor, sample_id, first, "confirmed", "")
    with pytest.raises(InvalidInput, match="note: required"):
        _review(database, supervisor, sample_id, second, "discrepancy", " ")
    discrepancy = _review(database, supervisor, sample_id, second, "discrepancy", "收据少盖章")
    with pytest.raises(InvalidInput, match="already reviewed"):
        _review(database, supervisor, sample_id, first, "discrepancy", "再看")
    with pytest.raises(InvalidInput, match="result: 'fine' is not one of confirmed, discrepancy"):
        _review(database, supervisor, sample_id, third, "fine", "")
    outside = next(c for c in settled if c not in (first, second, third))
    with pytest.raises(NotFound):
        _review(database, supervisor, sample_id, outside, "confirmed", "")

    with database.read_session() as session:
        assert [r.id for r in reviews.open_discrepancies(session)] == [discrepancy]
        summary = reviews.get_sample(session, sample_id).summary
        assert (summary.reviewed, summary.discrepancies) == (2, 1)
    with database.writing() as session:
        reviews.resolve_discrepancy(
            session, review_id=discrepancy, resolution="已补盖章", actor=supervisor
        )
    with database.writing() as session, pytest.raises(InvalidInput, match="already resolved"):
        reviews.resolve_discrepancy(
            session, review_id=discrepancy, resolution="x", actor=supervisor
        )
    with database.read_session() as session:
        assert reviews.open_discrepancies(session) == []
        actions = list(
            session.execute(
                select(EVENT.c.action, EVENT.c.case_id)
                .where(EVENT.c.action.in_(["review_case", "resolve_discrepancy"]))
                .order_by(EVENT.c.seq)
            )
        )
        assert [tuple(a) for a in actions] == [
            ("review_case", first),
            ("review_case", second),
            ("resolve_discrepancy", second),
        ]
        assert verify(session).ok
        found = reviews.findings(session, date(2000, 1, 1), date(2099, 12, 31))
        assert (found.reviewed, found.confirmed, len(found.discrepancies), found.open) == (
            2,
            1,
            1,
            0,
        )
