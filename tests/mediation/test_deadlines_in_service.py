"""The 15-day window of Art. 14 as a mediator meets it through the service."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mediation.cases.service import advance
from mediation.errors import GuardFailed
from mediation.tables import EVENT
from tests.factories import make_case, path_to

RECEIVED = date(2026, 3, 2)
ART_14 = (
    "The 15-day mediation period ended on 2026-03-17 (Art. 14, Labour Dispute Mediation "
    "and Arbitration Law): record both parties' consent to continue, or declare failure."
)
#: The last step before each guarded trigger, and the state it is fired from.
BEFORE = {"open_mediation": "finding_crux", "sign_agreement": "seizing_opening"}


@pytest.fixture
def ready(database, actor):  # type: ignore[no-untyped-def]
    """Return a builder: a case received on RECEIVED, ready for ``trigger`` but for time."""

    def build(trigger: str) -> tuple[int, int]:
        target = {"open_mediation": "seizing_opening", "sign_agreement": "ensuring_performance"}
        case_id, version = make_case(
            database, state=BEFORE[trigger], actor=actor, received_on=RECEIVED, today=RECEIVED
        )
        before = path_to(BEFORE[trigger], today=RECEIVED)
        for action, data in path_to(target[trigger], today=RECEIVED)[len(before) : -1]:
            version = act(database, actor, case_id, version, action, data, RECEIVED)
        return case_id, version

    return build


def act(database, actor, case_id, version, action, data, today):  # type: ignore[no-untyped-def]
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action=action,
            expected_version=version,
            actor=actor,
            data=data,
            today=today,
        )
    return version + 1


def events(database) -> int:  # type: ignore[no-untyped-def]
    with database.read_session() as session:
        return session.execute(select(func.count()).select_from(EVENT)).scalar_one()


@pytest.mark.parametrize("trigger", sorted(BEFORE))
def test_trigger_on_day_15_without_consent_succeeds(database, actor, ready, trigger):
    case_id, version = ready(trigger)
    act(database, actor, case_id, version, trigger, {}, RECEIVED + timedelta(days=15))


@pytest.mark.parametrize("trigger", sorted(BEFORE))
def test_trigger_on_day_16_without_both_consents_is_blocked_until_both_recorded(
    database, actor, ready, trigger
):
    case_id, version = ready(trigger)
    day_16 = RECEIVED + timedelta(days=16)
    count = events(database)
    with pytest.raises(GuardFailed) as blocked:
        act(database, actor, case_id, version, trigger, {}, day_16)
    assert [b.render() for b in blocked.value.blockers] == [ART_14]
    assert events(database) == count

    version = act(
        database,
        actor,
        case_id,
        version,
        "record_overdue_consent",
        {"party_role": "worker"},
        day_16,
    )
    with pytest.raises(GuardFailed, match="15-day mediation period ended on 2026-03-17"):
        act(database, actor, case_id, version, trigger, {}, day_16)

    version = act(
        database,
        actor,
        case_id,
        version,
        "record_overdue_consent",
        {"party_role": "employer"},
        day_16,
    )
    act(database, actor, case_id, version, trigger, {}, RECEIVED + timedelta(days=40))
