"""The Daxing demo data: every state, every role, valid identity numbers, a sound chain."""

from __future__ import annotations

import random
from datetime import date
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from mediation.audit.verify import verify
from mediation.cases.enums import Level, Role
from mediation.db import Database
from mediation.demo import (
    DEMO_PASSWORD,
    SCENARIOS,
    ZONES,
    allocate,
    credit_code,
    organization_code_check,
    resident_id,
    seed_demo,
)
from mediation.people import passwords
from mediation.people.identity import is_valid_resident_id, is_valid_uscc
from mediation.people.passwords import check_password_policy
from mediation.people.sealing import open_party
from mediation.people.service import authenticate
from mediation.tables import (
    CASE,
    CONVERSION,
    EVENT,
    INSTALMENT,
    ORGANIZATION,
    PARTY,
    PAYMENT,
    TOWN,
    USER,
    ZONE,
)
from workflows import deadlines
from workflows.case import CaseState

TODAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash the demo users' passwords with the cheapest argon2id parameters."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def _counts(database: Database) -> dict[str, int]:
    with database.read_session() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (CASE, PARTY, EVENT, USER, ORGANIZATION, TOWN, ZONE, PAYMENT)
        }


def test_seed_demo_reaches_every_state_and_verifies(database: Database) -> None:
    summary = seed_demo(database, cases=40, today=TODAY)
    assert summary.created and summary.cases == 40
    assert summary.password == DEMO_PASSWORD
    check_password_policy(summary.password, username="dx-admin")
    with database.read_session() as session:
        states = dict(
            session.execute(select(CASE.c.state, func.count()).group_by(CASE.c.state)).all()
        )
        assert set(states) == {s.value for s in CaseState}
        assert sum(states.values()) == 40
        closed_as = set(
            session.execute(select(CASE.c.closed_as).where(CASE.c.closed_as.is_not(None)))
            .scalars()
            .all()
        )
        assert closed_as == {"performed", "converted", "referred"}
        result = verify(session)
        assert result.ok, result.first_break
        assert result.cases_checked == 40


def test_seed_demo_has_a_user_of_every_role_and_a_lawyer_per_zone(database: Database) -> None:
    summary = seed_demo(database, cases=12, today=TODAY)
    roles = {role for _, role, _ in summary.users}
    assert roles == {r.value for r in Role}
    lawyer_zones = {where for _, role, where in summary.users if role == "lawyer"}
    assert lawyer_zones == {name for name, _ in ZONES}
    with database.read_session() as session:
        users = session.execute(select(USER)).all()
        assert {u.role for u in users} == {r.value for r in Role}
        assert all(u.organization_id is not None for u in users if u.role == "mediator")
        assert all(u.zone_id is not None for u in users if u.role == "lawyer")
        levels = set(session.execute(select(ORGANIZATION.c.level)).scalars())
        assert levels == {level.value for level in Level}
        kinds = dict(session.execute(select(TOWN.c.kind, func.count()).group_by(TOWN.c.kind)).all())
        assert kinds == {"street": 8, "town": 14, "base": 3}
        assert session.execute(select(TOWN).where(TOWN.c.zone_id.is_(None))).first() is None
    with database.writing() as session:
        for username, _, _ in summary.users:
            assert authenticate(session, username, summary.password) is not None


def test_seed_demo_parties_have_valid_identity_numbers(database: Database) -> None:
    seed_demo(database, cases=40, today=TODAY)
    with database.read_session() as session:
        parties = [
            SimpleNamespace(**open_party(p.case_id, p.role, p._mapping))
            for p in session.execute(
                select(PARTY.c.case_id, PARTY.c.role, PARTY.c.id_number, PARTY.c.phone)
            )
        ]
    workers = [p for p in parties if p.role == "worker"]
    employers = [p for p in parties if p.role == "employer"]
    assert len(workers) == len(employers) == 40
    # Registered cases may still be waiting for the worker's ID card.
    assert sum(1 for w in workers if w.id_number) >= 38
    for worker in workers:
        if worker.id_number:
            assert is_valid_resident_id(worker.id_number), worker.id_number
            assert 1960 <= int(worker.id_number[6:10]) <= 2004
        assert len(worker.phone) == 11 and worker.phone.startswith("1")
    for employer in employers:
        assert is_valid_uscc(employer.id_number), employer.id_number
        assert organization_code_check(employer.id_number[8:16]) == employer.id_number[16]


def test_seed_demo_dates_are_consistent_with_the_deadlines(database: Database) -> None:
    seed_demo(database, cases=60, today=TODAY)
    with database.read_session() as session:
        cases = session.execute(select(CASE)).all()
        instalments = session.execute(select(INSTALMENT)).all()
        conversions = session.execute(select(CONVERSION)).all()
        numbers = session.execute(
            select(CASE.c.number, CASE.c.received_on).order_by(CASE.c.number)
        ).all()
    assert all(c.received_on <= TODAY for c in cases)
    assert min(c.received_on for c in cases) >= date(2024, 12, 1)
    assert [r.received_on for r in numbers] == sorted(r.received_on for r in numbers)
    mediating = {"registered", "finding_crux", "seizing_opening"}
    overdue = [
        c
        for c in cases
        if c.state in mediating and deadlines.is_mediation_overdue(c.received_on, TODAY)
    ]
    assert overdue, "some open cases are past the 15-day window"
    for case in cases:
        if case.signed_at is not None:
            settled_on = case.outcome_on
            assert case.received_on <= settled_on <= TODAY
            consented = case.consent_worker_at is not None and case.consent_employer_at is not None
            assert consented or not deadlines.is_mediation_overdue(case.received_on, settled_on)
        assert 0 <= case.paid_fen <= case.agreed_fen
    assert any(
        c.state == "ensuring_performance" and 0 < c.paid_fen < c.agreed_fen for c in cases
    ), "some agreements are partly performed"
    assert all(i.amount_fen > 0 for i in instalments)
    granted = [c for c in conversions if c.granted]
    assert granted and all(c.document_number and c.issuing_body for c in granted)


def test_seed_demo_second_run_changes_nothing(database: Database) -> None:
    first = seed_demo(database, cases=15, today=TODAY)
    before = _counts(database)
    second = seed_demo(database, cases=15, today=TODAY)
    assert not second.created
    assert "already there" in second.message
    assert second.cases == 15
    assert second.users == first.users
    assert _counts(database) == before


def test_seed_demo_is_reproducible(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mediation.schema import upgrade

    rows = []
    for name in ("a", "b"):
        database = Database(f"sqlite:///{tmp_path / name}.sqlite3")
        upgrade(database.engine)
        seed_demo(database, cases=20, today=TODAY)
        with database.read_session() as session:
            rows.append(
                session.execute(
                    select(
                        CASE.c.number,
                        CASE.c.state,
                        CASE.c.claimed_fen,
                        CASE.c.agreed_fen,
                        CASE.c.paid_fen,
                        PARTY.c.name,
                        PARTY.c.case_id,
                        PARTY.c.role,
                        PARTY.c.id_number,
                    )
                    .join(PARTY, PARTY.c.case_id == CASE.c.id)
                    .order_by(CASE.c.number, PARTY.c.role)
                ).all()
            )
            # The same numbers, each sealed with its own nonce: compare them opened.
            rows[-1] = [
                (*row[:-3], open_party(row.case_id, row.role, {"id_number": row.id_number}))
                for row in rows[-1]
            ]
        database.dispose()
    assert rows[0] == rows[1]


def test_seed_demo_with_no_cases_creates_places_and_users(database: Database) -> None:
    summary = seed_demo(database, cases=0, today=TODAY)
    assert summary.created and summary.cases == 0
    assert _counts(database)["mediation_case"] == 0
    assert len(summary.users) == _counts(database)["app_user"]


@pytest.mark.parametrize("cases", [0, 1, 5, 12, 13, 40, 300, 1000])
def test_allocate_covers_every_scenario_once_there_is_room(cases: int) -> None:
    scenarios = allocate(cases)
    assert len(scenarios) == cases
    if cases >= len(SCENARIOS):
        assert {name for name, _ in SCENARIOS} == set(scenarios)


def test_identity_generators_produce_valid_numbers() -> None:
    rng = random.Random(7)
    for _ in range(500):
        male = rng.random() < 0.5
        number = resident_id(rng, male=male, born=date(1988, 2, 29), area="110115")
        assert is_valid_resident_id(number)
        assert number.startswith("11011519880229")
        assert int(number[16]) % 2 == (1 if male else 0)
        code = credit_code(rng)
        assert is_valid_uscc(code) and code.startswith("91110115")
        assert organization_code_check(code[8:16]) == code[16]


def test_organization_code_check_matches_a_known_code() -> None:
    # 91350100M000100Y43: organisation code M000100Y-4 (GB 11714), USCC check 3 (GB 32100).
    assert organization_code_check("M000100Y") == "4"
