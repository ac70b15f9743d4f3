"""Builders that put a case into a given state through the real service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import Database
from mediation.people.models import Organization, Town, Zone

WORKER = PartyInput(name="张伟", id_number="11010519491231002X", phone="13800138000")
EMPLOYER = PartyInput(name="北京兴旺建筑工程有限公司", id_number="91350100M000100Y43")

#: What the service stores as a pre-rendered document where a test needs one but not its
#: rendering (``produce_archive_bundle``, ``issue_document``): see mediation.issuing.
STUB_PDF = b"%PDF-1.7\n% a stand-in for a rendered document, in tests\n%%EOF\n"

#: The shortest path of actions from ``registered`` to each state.
PATHS: dict[str, list[tuple[str, dict[str, Any]]]] = {}


def _agreement(total_fen: int, today: date) -> dict[str, Any]:
    first = total_fen // 2
    return {
        "method": "bank_transfer",
        "terms": [{"category": "wages", "amount_fen": total_fen, "description": "拖欠工资"}],
        "instalments": [
            {"due_on": today + timedelta(days=7), "amount_fen": first},
            {"due_on": today + timedelta(days=30), "amount_fen": total_fen - first},
        ],
    }


def path_to(
    state: str, *, agreed_fen: int = 1_000_000, today: date | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Return the actions that take a fresh case to ``state``."""
    today = today or clock.today()
    finding = [("accept", {})]
    seizing = [
        *finding,
        ("record_interview", {"party_role": "worker", "notes": "单独约谈劳动者"}),
        ("record_interview", {"party_role": "employer", "notes": "单独约谈用人单位"}),
        ("record_crux", {"text": "工资结算周期争议"}),
        ("record_plan", {"text": "先核对考勤，再分期支付"}),
        ("open_mediation", {}),
    ]
    ensuring = [
        *seizing,
        ("draft_agreement", _agreement(agreed_fen, today)),
        ("record_signature", {"signer": "worker"}),
        ("record_signature", {"signer": "employer"}),
        ("record_signature", {"signer": "mediator"}),
        ("record_signature", {"signer": "organization"}),
        ("sign_agreement", {}),
    ]
    awaiting = [*ensuring, ("apply_conversion", {"conversion_kind": "judicial_confirmation"})]
    closed = [
        *ensuring,
        ("record_payment", {"amount_fen": agreed_fen}),
        ("confirm_performance", {}),
    ]
    paths = {
        "registered": [],
        "rejected": [("reject", {"reason": "不属于劳动争议"})],
        "finding_crux": finding,
        "seizing_opening": seizing,
        "ensuring_performance": ensuring,
        "awaiting_conversion": awaiting,
        "failed": [*seizing, ("declare_failure", {"reason": "双方分歧过大"})],
        "withdrawn": [*finding, ("withdraw", {"reason": "申请人撤回"})],
        "closed": closed,
        "archived": [
            *closed,
            ("produce_archive_bundle", {"content": STUB_PDF}),
            ("archive", {}),
        ],
    }
    return paths[state]


def ensure_organization(
    database: Database, name: str = "黄村镇调解中心", level: str = "town"
) -> tuple[int, int]:
    """Return (organization id, town id), creating a zone, town and organisation if needed."""
    with database.writing() as session:
        org = session.exec(select(Organization).where(Organization.name == name)).first()
        if org is not None:
            return org.id, org.town_id  # type: ignore[return-value]
        zone = Zone(name=f"{name}片区")
        session.add(zone)
        session.flush()
        town = Town(name=f"{name}所在镇", zone_id=zone.id)
        session.add(town)
        session.flush()
        org = Organization(name=name, level=level, town_id=town.id)
        session.add(org)
        session.flush()
        return org.id, town.id  # type: ignore[return-value]


def make_case(
    database: Database,
    *,
    state: str = "registered",
    actor: Actor | None = None,
    received_on: date | None = None,
    claimed_fen: int = 1_200_000,
    agreed_fen: int = 1_000_000,
    today: date | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[int, int]:
    """Register a case and drive it to ``state``; return (case id, version)."""
    actor = actor or Actor(None, "测试调解员")
    today = today or clock.today()
    org_id, town_id = ensure_organization(database)
    with database.writing() as session:
        case_id, _ = register_case(
            session,
            actor=actor,
            organization_id=org_id,
            town_id=town_id,
            category="wages",
            received_on=received_on or today,
            worker=WORKER,
            employer=EMPLOYER,
            claims=[ClaimInput("wages", claimed_fen, "拖欠三个月工资")],
            **dict(overrides or {}),
        )
    version = 1
    for action, data in path_to(state, agreed_fen=agreed_fen, today=today):
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
        version += 1
    return case_id, version
