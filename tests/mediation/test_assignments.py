"""Legal-help assignments through the service: each change with its event, atomic claims,
"give me the next one", escalation by time, conflict checks — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from mediation import clock
from mediation.assignments import queries
from mediation.assignments import service as svc
from mediation.assignments.lawyers import create_firm, save_lawyer
from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.cases.service import ClaimInput, register_case
from mediation.db import Database
from mediation.errors import (
    Conflict,
    GuardFailed,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from mediation.tables import ASSIGNMENT, CONFLICT_CHECK, EVENT, USER, ZONE
from tests.factories import EMPLOYER, WORKER, ensure_organization, make_case

MEDIATOR = Actor(None, "测试调解员")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- builders


def zone(database: Database, name: str, *, window: int = 48) -> int:
    """Create a zone with one town; return the zone id."""
    with database.writing() as session:
        zone_id = session.execute(
            insert(ZONE).values(name=name, claim_window_hours=window).returning(ZONE.c.id)
        ).scalar_one()
        from mediation.tables import TOWN

        session.execute(insert(TOWN).values(name=f"{name}镇", kind="town", zone_id=zone_id))
    return int(zone_id)


def town_of(database: Database, zone_id: int) -> int:
    from mediation.tables import TOWN

    with Session(database.engine) as session:
        return int(session.execute(select(TOWN.c.id).where(TOWN.c.zone_id == zone_id)).scalar_one())


def case_in(database: Database, zone_id: int) -> int:
    """Register a case whose town is in the zone; return its id."""
    org_id, _ = ensure_organization(database)
    with database.writing() as session:
        case_id, _ = register_case(
            session,
            actor=MEDIATOR,
            organization_id=org_id,
            town_id=town_of(database, zone_id),
            category="wages",
            received_on=clock.today(),
            worker=WORKER,
            employer=EMPLOYER,
            claims=[ClaimInput("wages", 500_000, "拖欠工资")],
        )
    return case_id


def lawyers(database: Database, zone_id: int, n: int = 1, *, prefix: str = "lawyer") -> list[Actor]:
    """Create ``n`` volunteer lawyers whose home zone is ``zone_id`` (no real password)."""
    actors = []
    with database.writing() as session:
        for i in range(n):
            name = f"{prefix}{zone_id}-{i}"
            user_id = session.execute(
                insert(USER)
                .values(
                    username=name,
                    display_name=name,
                    role="lawyer",
                    zone_id=zone_id,
                    password_hash="-",
                    active=True,
                    session_epoch=0,
                    created_at=clock.utcnow(),
                )
                .returning(USER.c.id)
            ).scalar_one()
            actors.append(Actor(int(user_id), name))
    return actors


def request(
    database: Database, case_id: int, *, now: datetime | None = None, n: int = 1
) -> list[int]:
    ids = []
    with database.writing() as session:
        for i in range(n):
            change = svc.request_help(
                session,
                case_id=case_id,
                kind="legal_opinion",
                needed=f"请就拖欠工资数额出具法律意见 {i}",
                due_on=clock.today() + timedelta(days=5),
                actor=MEDIATOR,
                now=now,
            )
            ids.append(change.assignment_id)
    return ids


def row(database: Database, assignment_id: int):
    with Session(database.engine) as session:
        return session.execute(select(ASSIGNMENT).where(ASSIGNMENT.c.id == assignment_id)).one()


def events(database: Database, action: str) -> list:
    with Session(database.engine) as session:
        return list(session.execute(select(EVENT).where(EVENT.c.action == action)))


def confirm(database: Database, assignment_id: int, lawyer: Actor) -> None:
    with database.writing() as session:
        svc.confirm_no_conflict(session, assignment_id=assignment_id, lawyer=lawyer)


@pytest.fixture
def world(database):
    zone_id = zone(database, "测试一片区")
    case_id = case_in(database, zone_id)
    (lawyer,) = lawyers(database, zone_id)
    return database, zone_id, case_id, lawyer


# --------------------------------------------------------------------------- request


def test_request_help_lands_in_the_zone_of_the_case_town(world):
    database, zone_id, case_id, _lawyer = world
    (assignment_id,) = request(database, case_id)
    stored = row(database, assignment_id)
    assert (stored.zone_id, stored.state, stored.version) == (zone_id, "open", 1)
    (event,) = events(database, "request_legal_help")
    assert event.case_id == case_id
    payload = json.loads(event.payload)
    assert payload["assignment"]["state"] == "open" and "case" not in payload


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "lunch"}, "kind"),
        ({"needed": "   "}, "needed"),
        ({"needed": "x" * 2001}, "needed"),
        ({"needed": "bad\x00text"}, "needed"),
        ({"due_on": "2026-01-01"}, "due_on"),
        ({"due_on": clock.today() - timedelta(days=1)}, "due_on"),
        ({"due_on": clock.today() + timedelta(days=400)}, "due_on"),
    ],
)
def test_request_help_with_bad_input_names_the_field_and_writes_nothing(world, overrides, field):
    database, _zone_id, case_id, _lawyer = world
    data = {
        "kind": "consultation",
        "needed": "咨询",
        "due_on": clock.today() + timedelta(days=3),
        **overrides,
    }
    with pytest.raises(InvalidInput, match=f"^{field}: "), database.writing() as session:
        svc.request_help(session, case_id=case_id, actor=MEDIATOR, **data)
    with Session(database.engine) as session:
        assert session.execute(select(func.count()).select_from(ASSIGNMENT)).scalar() == 0


def test_request_help_on_a_case_without_zone_is_refused(database):
    case_id, _ = make_case(database)
    with database.engine.begin() as connection:
        from mediation.tables import TOWN

        connection.execute(update(TOWN).values(zone_id=None))
    with pytest.raises(InvalidInput, match=r"^zone: "), database.writing() as session:
        svc.request_help(
            session,
            case_id=case_id,
            kind="consultation",
            needed="咨询",
            due_on=clock.today(),
            actor=MEDIATOR,
        )


def test_request_help_on_an_unknown_case_is_not_found(database):
    with pytest.raises(NotFound), database.writing() as session:
        svc.request_help(
            session,
            case_id=999,
            kind="consultation",
            needed="咨询",
            due_on=clock.today(),
            actor=MEDIATOR,
        )


# --------------------------------------------------------------------------- the life of one


def test_claim_confirm_complete_with_events_and_versions(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        change = svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    assert (change.state, change.version, change.changed) == ("claimed", 2, True)
    confirm(database, assignment_id, lawyer)
    with database.writing() as session:
        change = svc.complete(
            session,
            assignment_id=assignment_id,
            lawyer=lawyer,
            outcome="已向双方释明法律规定",
            minutes=150,
            expected_version=2,
        )
    stored = row(database, assignment_id)
    assert (stored.state, stored.version, stored.minutes_spent) == ("completed", 3, 150)
    assert stored.claimed_by_id == lawyer.id and stored.completed_at is not None
    actions = [e.action for e in events(database, "claim_assignment")]
    actions += [e.action for e in events(database, "confirm_no_conflict")]
    actions += [e.action for e in events(database, "complete_assignment")]
    assert actions == ["claim_assignment", "confirm_no_conflict", "complete_assignment"]
    with Session(database.engine) as session:
        assert verify(session).ok


def test_claiming_twice_is_a_no_op(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    for _ in range(2):
        with database.writing() as session:
            change = svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    assert not change.changed and change.version == 2
    assert len(events(database, "claim_assignment")) == 1
    assert row(database, assignment_id).version == 2


def test_a_claimed_assignment_is_already_taken_for_another_lawyer(world):
    database, zone_id, case_id, lawyer = world
    (other,) = lawyers(database, zone_id, prefix="other")
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    taken = pytest.raises(svc.AlreadyTaken, match="already taken by another lawyer")
    with taken, database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=other)
    assert row(database, assignment_id).claimed_by_id == lawyer.id


def test_release_puts_it_back_with_the_reason(world):
    database, zone_id, case_id, lawyer = world
    (other,) = lawyers(database, zone_id, prefix="other")
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    with pytest.raises(GuardFailed) as refused, database.writing() as session:
        svc.release(session, assignment_id=assignment_id, lawyer=other, reason="不是我的")
    assert [b.guard for b in refused.value.blockers] == ["is_holder"]
    with database.writing() as session:
        svc.release(session, assignment_id=assignment_id, lawyer=lawyer, reason="出差一周")
    stored = row(database, assignment_id)
    assert (stored.state, stored.claimed_by_id, stored.release_reason) == ("open", None, "出差一周")
    with database.writing() as session:
        assert svc.claim(session, assignment_id=assignment_id, lawyer=other).changed


def test_release_needs_a_reason(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    with pytest.raises(InvalidInput, match=r"^reason: "), database.writing() as session:
        svc.release(session, assignment_id=assignment_id, lawyer=lawyer, reason=" ")


def test_complete_needs_the_conflict_check_and_valid_minutes(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    with pytest.raises(GuardFailed) as refused, database.writing() as session:
        svc.complete(session, assignment_id=assignment_id, lawyer=lawyer, outcome="好", minutes=30)
    assert [b.guard for b in refused.value.blockers] == ["has_confirmed_no_conflict"]
    confirm(database, assignment_id, lawyer)
    for minutes in (0, -5, 60_001, 1.5, True):
        with pytest.raises(InvalidInput, match=r"^minutes: "), database.writing() as session:
            svc.complete(
                session, assignment_id=assignment_id, lawyer=lawyer, outcome="好", minutes=minutes
            )
    assert row(database, assignment_id).state == "claimed"


def test_a_stale_version_is_a_conflict(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    with pytest.raises(Conflict), database.writing() as session:
        svc.release(
            session, assignment_id=assignment_id, lawyer=lawyer, reason="x", expected_version=1
        )


@pytest.mark.parametrize("claimed", [False, True])
def test_cancel_from_open_or_claimed(world, claimed):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    if claimed:
        with database.writing() as session:
            svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    with database.writing() as session:
        svc.cancel(session, assignment_id=assignment_id, actor=MEDIATOR, reason="双方已和解")
    stored = row(database, assignment_id)
    assert (stored.state, stored.cancel_reason) == ("cancelled", "双方已和解")
    with pytest.raises(TransitionNotAllowed), database.writing() as session:
        svc.cancel(session, assignment_id=assignment_id, actor=MEDIATOR, reason="again")
    with pytest.raises(TransitionNotAllowed), database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)


def test_an_inactive_lawyer_cannot_claim(world):
    database, zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    with database.writing() as session:
        save_lawyer(
            session,
            user_id=lawyer.id,
            firm_id=None,
            zone_ids=[zone_id],
            practice_notes="",
            active=False,
            availability="unavailable",
            actor=MEDIATOR,
        )
    with pytest.raises(GuardFailed) as refused, database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer)
    assert [b.guard for b in refused.value.blockers] == ["is_active_lawyer"]
    with pytest.raises(GuardFailed), database.writing() as session:
        svc.claim_next(session, lawyer=lawyer)


def test_a_failed_change_writes_no_event(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    with Session(database.engine) as session:
        before = session.execute(select(func.count()).select_from(EVENT)).scalar()
    with pytest.raises(TransitionNotAllowed), database.writing() as session:
        svc.release(session, assignment_id=assignment_id, lawyer=lawyer, reason="x")
    with Session(database.engine) as session:
        assert session.execute(select(func.count()).select_from(EVENT)).scalar() == before
    assert row(database, assignment_id).version == 1


# --------------------------------------------------------------------------- conflict of interest


def test_declaring_a_conflict_hides_it_and_releases_it(world):
    database, _zone_id, case_id, lawyer = world
    first, second = request(database, case_id, n=2)
    with database.writing() as session:
        svc.claim(session, assignment_id=first, lawyer=lawyer)
        svc.declare_conflict(session, assignment_id=first, lawyer=lawyer)
    assert row(database, first).state == "open"
    assert row(database, first).release_reason.startswith("conflict of interest")
    with Session(database.engine) as session:
        pool = queries.pool(session, lawyer_id=lawyer.id, now=clock.utcnow())
        assert [item.id for item in pool] == [second]
    with pytest.raises(GuardFailed), database.writing() as session:
        svc.claim(session, assignment_id=first, lawyer=lawyer)
    with database.writing() as session:
        taken = svc.claim_next(session, lawyer=lawyer)
    assert taken is not None and taken.assignment_id == second
    with pytest.raises(NotFound), database.writing() as session:
        svc.confirm_no_conflict(session, assignment_id=first, lawyer=lawyer)


def test_confirming_twice_records_once(world):
    database, _zone_id, case_id, lawyer = world
    (assignment_id,) = request(database, case_id)
    confirm(database, assignment_id, lawyer)
    confirm(database, assignment_id, lawyer)
    with Session(database.engine) as session:
        rows = session.execute(select(CONFLICT_CHECK)).all()
    assert len(rows) == 1 and rows[0].has_conflict is False and rows[0].confirmed_at
    assert len(events(database, "confirm_no_conflict")) == 1


def test_a_lawyer_of_another_zone_cannot_confirm_before_escalation(world):
    database, _zone_id, case_id, _lawyer = world
    elsewhere = zone(database, "测试二片区")
    (stranger,) = lawyers(database, elsewhere, prefix="stranger")
    (assignment_id,) = request(database, case_id)
    with pytest.raises(NotFound), database.writing() as session:
        svc.confirm_no_conflict(session, assignment_id=assignment_id, lawyer=stranger)


# --------------------------------------------------------------------------- escalation


def test_escalation_by_time_with_a_controlled_clock(database):
    home = zone(database, "甲片区", window=48)
    elsewhere = zone(database, "乙片区")
    case_id = case_in(database, home)
    (local,) = lawyers(database, home, prefix="local")
    (stranger,) = lawyers(database, elsewhere, prefix="stranger")
    (assignment_id,) = request(database, case_id, now=T0)
    before, at = T0 + timedelta(hours=47, minutes=59), T0 + timedelta(hours=48)

    with Session(database.engine) as session:
        assert [i.id for i in queries.pool(session, lawyer_id=local.id, now=before)] == [
            assignment_id
        ]
        assert queries.pool(session, lawyer_id=stranger.id, now=before) == []
        assert queries.escalated_pool(session, lawyer_id=stranger.id, now=before) == []
        (item,) = queries.escalated_pool(session, lawyer_id=stranger.id, now=at)
        assert item.id == assignment_id and item.escalated and not item.in_my_zones
        assert item.escalates_at == at
        # "Next" draws only from the lawyer's own zones, escalated or not.
        assert svc.may_see(
            session.connection(), svc._load(session.connection(), assignment_id), stranger.id, at
        )

    with pytest.raises(GuardFailed) as refused, database.writing() as session:
        svc.claim(session, assignment_id=assignment_id, lawyer=stranger, now=before)
    assert [b.guard for b in refused.value.blockers] == ["is_in_zone_or_escalated"]
    with database.writing() as session:
        assert svc.claim_next(session, lawyer=stranger, now=at) is None
    with database.writing() as session:
        assert svc.claim(session, assignment_id=assignment_id, lawyer=stranger, now=at).changed
    with Session(database.engine) as session:
        assert queries.escalated_pool(session, lawyer_id=stranger.id, now=at) == []


def test_each_zone_has_its_own_window(database):
    quick = zone(database, "快片区", window=2)
    slow = zone(database, "慢片区", window=72)
    (quick_id,) = request(database, case_in(database, quick), now=T0)
    (slow_id,) = request(database, case_in(database, slow), now=T0)
    (someone,) = lawyers(database, zone(database, "别的片区"))
    with Session(database.engine) as session:
        ids = [
            i.id
            for i in queries.escalated_pool(
                session, lawyer_id=someone.id, now=T0 + timedelta(hours=3)
            )
        ]
        assert ids == [quick_id]
        ids = {
            i.id
            for i in queries.escalated_pool(
                session, lawyer_id=someone.id, now=T0 + timedelta(hours=72)
            )
        }
        assert ids == {quick_id, slow_id}


# --------------------------------------------------------------------------- concurrency


def _run_threads(n: int, target) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = target(index)
        except Exception as exc:  # collected and checked by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_simultaneous_claims_one_winner(database):
    zone_id = zone(database, "并发片区")
    case_id = case_in(database, zone_id)
    contenders = lawyers(database, zone_id, 50)
    (assignment_id,) = request(database, case_id)

    def attempt(index: int) -> svc.Change:
        with database.writing() as session:
            return svc.claim(session, assignment_id=assignment_id, lawyer=contenders[index])

    results = _run_threads(50, attempt)
    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"Change": 1, "AlreadyTaken": 49}, results
    (winner,) = [r for r in results if isinstance(r, svc.Change)]
    assert all("already taken by another lawyer" in str(r) for r in results if r is not winner)
    stored = row(database, assignment_id)
    assert (stored.state, stored.version) == ("claimed", 2)
    assert stored.claimed_by_id == contenders[[r is winner for r in results].index(True)].id
    (event,) = events(database, "claim_assignment")
    assert json.loads(event.payload)["lawyer_id"] == stored.claimed_by_id
    with Session(database.engine) as session:
        assert verify(session).ok


def test_twenty_workers_drawing_next_get_distinct_assignments_of_their_zones(database):
    north, south, nobody = (zone(database, name) for name in ("北片区", "南片区", "无人片区"))
    north_ids = request(database, case_in(database, north), n=100)
    south_ids = request(database, case_in(database, south), n=100)
    untouched = request(database, case_in(database, nobody), n=10)
    workers = lawyers(database, north, 10, prefix="n") + lawyers(database, south, 10, prefix="s")
    home = {w.id: (north if i < 10 else south) for i, w in enumerate(workers)}

    def draw(index: int) -> list[tuple[int, int]]:
        taken = []
        for _ in range(10):
            with database.writing() as session:
                change = svc.claim_next(session, lawyer=workers[index])
            assert change is not None
            taken.append((workers[index].id, change.assignment_id))
        return taken

    results = _run_threads(20, draw)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    drawn = [pair for batch in results for pair in batch]
    ids = [assignment_id for _lawyer, assignment_id in drawn]
    assert len(ids) == 200 and len(set(ids)) == 200
    assert set(ids) == set(north_ids) | set(south_ids)
    with Session(database.engine) as session:
        zones = dict(session.execute(select(ASSIGNMENT.c.id, ASSIGNMENT.c.zone_id)).all())
        holders = dict(session.execute(select(ASSIGNMENT.c.id, ASSIGNMENT.c.claimed_by_id)).all())
    for lawyer_id, assignment_id in drawn:
        assert zones[assignment_id] == home[lawyer_id]
        assert holders[assignment_id] == lawyer_id
    assert all(row(database, i).state == "open" for i in untouched)
    assert len(events(database, "claim_assignment")) == 200


def test_next_takes_the_oldest_first(world):
    database, _zone_id, case_id, lawyer = world
    newer = request(database, case_id, now=T0 + timedelta(hours=1))
    older = request(database, case_id, now=T0)
    with database.writing() as session:
        assert svc.claim_next(session, lawyer=lawyer).assignment_id == older[0]
    with database.writing() as session:
        assert svc.claim_next(session, lawyer=lawyer).assignment_id == newer[0]
    with database.writing() as session:
        assert svc.claim_next(session, lawyer=lawyer) is None


# --------------------------------------------------------------------------- lawyers, workload


def test_a_lawyer_serving_several_zones_sees_all_their_pools(world):
    database, zone_id, _case_id, lawyer = world
    second = zone(database, "第二片区")
    (assignment_id,) = request(database, case_in(database, second))
    with database.writing() as session:
        firm = create_firm(session, name="北京市兴法律师事务所", actor=MEDIATOR)
        changes = save_lawyer(
            session,
            user_id=lawyer.id,
            firm_id=firm.id,
            zone_ids=[zone_id, second],
            practice_notes="劳动争议",
            active=True,
            availability="limited",
            actor=MEDIATOR,
        )
    assert changes["zone_ids"] == [(zone_id,), tuple(sorted((zone_id, second)))]
    with Session(database.engine) as session:
        assert [i.id for i in queries.pool(session, lawyer_id=lawyer.id, now=clock.utcnow())] == [
            assignment_id
        ]
        (entry,) = queries.lawyer_list(session)
        assert entry.firm == "北京市兴法律师事务所" and entry.availability == "limited"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"zone_ids": []}, "zones"),
        ({"zone_ids": [9999]}, "zones"),
        ({"firm_id": 9999}, "firm_id"),
        ({"availability": "asleep"}, "availability"),
        ({"practice_notes": "x" * 2001}, "practice_notes"),
    ],
)
def test_save_lawyer_refuses_bad_input(world, overrides, field):
    database, zone_id, _case_id, lawyer = world
    data = {
        "firm_id": None,
        "zone_ids": [zone_id],
        "practice_notes": "",
        "active": True,
        "availability": "available",
        **overrides,
    }
    with pytest.raises(InvalidInput, match=f"^{field}: "), database.writing() as session:
        save_lawyer(session, user_id=lawyer.id, actor=MEDIATOR, **data)


def test_workload_counts_by_zone_and_lawyer(world):
    database, zone_id, case_id, lawyer = world
    ids = request(database, case_id, n=3)
    with database.writing() as session:
        svc.claim(session, assignment_id=ids[0], lawyer=lawyer)
        svc.claim(session, assignment_id=ids[1], lawyer=lawyer)
        svc.confirm_no_conflict(session, assignment_id=ids[1], lawyer=lawyer)
        svc.complete(session, assignment_id=ids[1], lawyer=lawyer, outcome="完成", minutes=90)
    today = clock.today()
    with Session(database.engine) as session:
        load = queries.workload(session, today=today, now=clock.utcnow())
        (zone_line,) = [z for z in load.zones if z.zone_id == zone_id]
        assert (zone_line.load.open, zone_line.load.claimed, zone_line.load.completed) == (1, 1, 1)
        assert zone_line.load.minutes == 90 and zone_line.lawyers == 1
        (lawyer_line,) = [x for x in load.lawyers if x.user_id == lawyer.id]
        assert (lawyer_line.load.claimed, lawyer_line.load.completed) == (1, 1)
        # Past the due date the open and the claimed one are overdue.
        later = queries.workload(session, today=today + timedelta(days=30), now=clock.utcnow())
        (zone_line,) = [z for z in later.zones if z.zone_id == zone_id]
        assert zone_line.load.overdue == 2 and zone_line.load.escalated == 0


def test_quarter_bounds_are_beijing_quarters():
    start, last, start_utc, end_utc = queries.quarter_bounds(datetime(2026, 5, 17).date())
    assert (start.isoformat(), last.isoformat()) == ("2026-04-01", "2026-06-30")
    assert start_utc == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert end_utc == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- demo data


def test_seed_demo_puts_legal_help_in_every_state(database, monkeypatch):
    from argon2 import PasswordHasher

    from mediation.demo import seed_demo
    from mediation.people import passwords
    from mediation.tables import LAW_FIRM, LAWYER_PROFILE

    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    today = datetime(2026, 3, 16).date()
    seed_demo(database, cases=60, today=today)
    now = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
    with Session(database.engine) as session:
        states = Counter(session.execute(select(ASSIGNMENT.c.state)).scalars())
        assert set(states) == {"open", "claimed", "completed", "cancelled"}
        assert session.execute(select(func.count()).select_from(LAW_FIRM)).scalar() == 3
        profiles = session.execute(select(func.count()).select_from(LAWYER_PROFILE)).scalar()
        assert profiles == 8
        released = session.execute(
            select(func.count()).where(ASSIGNMENT.c.release_reason != "")
        ).scalar()
        assert released >= 1
        (lawyer_id,) = session.execute(
            select(USER.c.id).where(USER.c.username == "dx-lvshi01")
        ).scalars()
        assert queries.escalated_pool(session, lawyer_id=lawyer_id, now=now)
        result = verify(session)
        assert result.ok, result.first_break
