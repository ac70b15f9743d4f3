"""Demo legal help for Daxing: partner law firms, the zone lawyers' profiles, assignments.

Called by :func:`mediation.demo.seed_demo` after the cases, through the real services, so
every assignment has its events on the case's audit log. Each zone's lawyer
(``dx-lvshi01`` …) gets a firm and a profile; two of them also serve a neighbouring zone. On
the cases still being mediated or performed, assignments are put in every state: open, open
past the zone's window (escalated), claimed, claimed but not yet conflict-checked, completed,
released back to the pool with a reason, and cancelled. Times are relative to the demo's
``today``; the random choices come from the demo's seed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session

from mediation import clock
from mediation.assignments import service as svc
from mediation.assignments.lawyers import create_firm, save_lawyer
from mediation.audit.chain import Actor
from mediation.db import Database
from mediation.tables import CASE, TOWN, USER, ZONE

#: Partner law firms of the district (fictional): name, phone.
FIRMS = (
    ("北京市兴法律师事务所", "010-69241100"),
    ("北京市南郊律师事务所", "010-61271200"),
    ("北京市亦城律师事务所", "010-67881300"),
)

PRACTICE_NOTES = (
    "劳动争议、工伤赔偿；可参与周末调解",
    "劳动合同解除、经济补偿；熟悉建筑业欠薪",
    "社会保险与工伤认定；法律援助申请经验丰富",
    "劳动争议仲裁代理；可出具书面法律意见",
)

#: What the mediators ask for, by kind.
NEEDS = {
    "consultation": (
        "申请人对加班费计算基数有疑问，请律师向其释明法律规定",
        "用人单位主张双方系劳务关系，请律师就劳动关系认定提供咨询",
    ),
    "legal_opinion": (
        "请就违法解除劳动合同赔偿金的计算出具书面法律意见",
        "请就包工头欠薪时总承包单位的责任出具法律意见",
    ),
    "attend_session": (
        "请律师参加下周的面对面调解，协助双方核对工资表",
        "用人单位委托律师到场，请我方律师志愿者一同参与调解",
    ),
    "legal_aid": (
        "劳动者经济困难，调解不成后拟申请劳动仲裁，请协助准备法律援助申请材料",
        "工伤职工需申请法律援助，请协助审核材料并指导提交",
    ),
}

OUTCOMES = (
    "已向劳动者释明加班费计算规则，劳动者调整了诉求",
    "已出具书面法律意见一份，送调解员附卷",
    "已参加面对面调解，双方就分期支付达成一致",
    "已协助准备法律援助申请材料并提交区法律援助中心",
)

RELEASE_REASONS = (
    "本周在外地开庭，无法按时处理，退回待认领",
    "与被申请人的关联企业有业务往来，为避免利益冲突退回",
)

#: The life of the demo assignments, in the order they are given out, zone by zone.
SCENARIOS = (
    "open",
    "completed",
    "claimed",
    "escalated",
    "released",
    "completed",
    "cancelled",
    "unchecked",
)

ACTIVE_CASE_STATES = ("registered", "finding_crux", "seizing_opening", "ensuring_performance")


def _base_time(today: date) -> datetime:
    if today == clock.today():
        return clock.utcnow()
    return datetime.combine(today, time(10, 0), clock.LOCAL_TZ).astimezone(UTC)


def _lawyers(session: Session) -> dict[int, Actor]:
    """Return each zone's demo lawyer (the first one whose home zone it is)."""
    found: dict[int, Actor] = {}
    for row in session.execute(
        select(USER.c.id, USER.c.display_name, USER.c.zone_id)
        .where(USER.c.role == "lawyer", USER.c.username.like("dx-lvshi%"))
        .order_by(USER.c.username)
    ):
        if row.zone_id is not None and row.zone_id not in found:
            found[row.zone_id] = Actor(row.id, row.display_name)
    return found


def _profiles(database: Database, rng: random.Random, actor: Actor) -> dict[int, Actor]:
    with database.writing() as session:
        firm_ids = [
            create_firm(session, name=name, phone=phone, actor=actor).id for name, phone in FIRMS
        ]
        lawyers = _lawyers(session)
        zones = sorted(lawyers)
        for index, zone_id in enumerate(zones):
            lawyer = lawyers[zone_id]
            assert lawyer.id is not None
            served = [zone_id]
            if index % 4 == 1:
                # Two lawyers also serve the neighbouring zone.
                served.append(zones[(index + 1) % len(zones)])
            save_lawyer(
                session,
                user_id=lawyer.id,
                firm_id=firm_ids[index % len(firm_ids)],
                zone_ids=served,
                practice_notes=rng.choice(PRACTICE_NOTES),
                active=True,
                availability=("available", "available", "limited")[index % 3],
                actor=actor,
            )
    return lawyers


def _cases_by_zone(database: Database) -> dict[int, list[tuple[int, int | None]]]:
    with database.read_session() as session:
        rows = session.execute(
            select(CASE.c.id, CASE.c.mediator_id, TOWN.c.zone_id)
            .join(TOWN, TOWN.c.id == CASE.c.town_id)
            .where(CASE.c.state.in_(ACTIVE_CASE_STATES), TOWN.c.zone_id.is_not(None))
            .order_by(CASE.c.received_on.desc(), CASE.c.id)
        )
        by_zone: dict[int, list[tuple[int, int | None]]] = {}
        for row in rows:
            by_zone.setdefault(row.zone_id, []).append((row.id, row.mediator_id))
    return by_zone


def _mediator(session: Session, mediator_id: int | None, fallback: Actor) -> Actor:
    if mediator_id is None:
        return fallback
    name = session.execute(select(USER.c.display_name).where(USER.c.id == mediator_id)).scalar_one()
    return Actor(mediator_id, name)


def seed_legal_help(
    database: Database, *, today: date, seed: int, actor: Actor, per_zone: int = 3
) -> int:
    """Create firms, lawyer profiles and up to ``per_zone`` assignments a zone; return how many."""
    rng = random.Random(seed + 5)
    lawyers = _profiles(database, rng, actor)
    base = _base_time(today)
    windows: dict[int, int] = {}
    with database.read_session() as session:
        windows = dict(session.execute(select(ZONE.c.id, ZONE.c.claim_window_hours)).all())
    created = 0
    turn = 0
    for zone_id, cases in sorted(_cases_by_zone(database).items()):
        lawyer = lawyers.get(zone_id)
        for case_id, mediator_id in cases[:per_zone]:
            scenario = SCENARIOS[turn % len(SCENARIOS)]
            turn += 1
            if lawyer is None and scenario not in ("open", "escalated", "cancelled"):
                scenario = "open"
            _play(
                database,
                scenario,
                case_id=case_id,
                mediator_id=mediator_id,
                lawyer=lawyer,
                fallback=actor,
                rng=rng,
                today=today,
                base=base,
                window=windows.get(zone_id, 48),
            )
            created += 1
    return created


def _play(
    database: Database,
    scenario: str,
    *,
    case_id: int,
    mediator_id: int | None,
    lawyer: Actor | None,
    fallback: Actor,
    rng: random.Random,
    today: date,
    base: datetime,
    window: int,
) -> None:
    kind = rng.choice(sorted(NEEDS))
    if scenario == "escalated":
        asked = base - timedelta(hours=window + rng.randint(2, 30))
    elif scenario == "open":
        asked = base - timedelta(hours=rng.randint(1, max(1, window - 6)))
    else:
        asked = base - timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8))
    due_on = today + timedelta(days=rng.randint(2, 14))
    if scenario == "claimed" and rng.random() < 0.5:
        due_on = today  # due today: the workload view shows it as nearly overdue
    with database.writing() as session:
        mediator = _mediator(session, mediator_id, fallback)
        change = svc.request_help(
            session,
            case_id=case_id,
            kind=kind,
            needed=rng.choice(NEEDS[kind]),
            due_on=due_on,
            actor=mediator,
            today=today,
            now=asked,
        )
        assignment_id = change.assignment_id
        if scenario in ("open", "escalated"):
            return
        if scenario == "cancelled":
            svc.cancel(
                session,
                assignment_id=assignment_id,
                actor=mediator,
                reason="双方已自行和解，不再需要法律帮助",
                now=asked + timedelta(hours=5),
            )
            return
        assert lawyer is not None
        claimed = asked + timedelta(hours=rng.randint(1, max(1, min(40, window - 1))))
        if scenario != "unchecked":
            svc.confirm_no_conflict(
                session, assignment_id=assignment_id, lawyer=lawyer, now=claimed
            )
        svc.claim(session, assignment_id=assignment_id, lawyer=lawyer, now=claimed)
        if scenario == "released":
            svc.release(
                session,
                assignment_id=assignment_id,
                lawyer=lawyer,
                reason=rng.choice(RELEASE_REASONS),
                now=claimed + timedelta(hours=6),
            )
        elif scenario == "completed":
            svc.complete(
                session,
                assignment_id=assignment_id,
                lawyer=lawyer,
                outcome=rng.choice(OUTCOMES),
                minutes=rng.choice((30, 45, 60, 90, 120, 150, 180, 240)),
                now=min(claimed + timedelta(days=2), base),
            )
