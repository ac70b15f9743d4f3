"""Law firms and volunteer lawyers' profiles as an administrator manages them.

A volunteer lawyer is a user with the role ``lawyer`` (created on the users page); the
profile adds the firm, the zones served, practice notes, whether the lawyer takes on work
(active) and how available they are. The user's own ``zone_id`` stays the lawyer's home zone:
it is kept among the zones chosen here (the first of them when it is not). Every change is an
event on the audit chain with no case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from mediation import clock
from mediation.assignments.models import LawFirm, LawyerProfile
from mediation.audit.chain import Actor
from mediation.cases.inputs import has_control_characters
from mediation.errors import InvalidInput, NotFound
from mediation.people.models import User
from mediation.people.service import log_change
from mediation.tables import LAW_FIRM, LAWYER_PROFILE, LAWYER_ZONE, USER, ZONE
from workflows.assignment import AVAILABILITY

PHONE_LIMIT = 30
NOTES_LIMIT = 2000


def _text(value: str, key: str, *, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{key}: required")
    if len(value) > limit:
        raise InvalidInput(f"{key}: longer than {limit} characters")
    if has_control_characters(value):
        raise InvalidInput(f"{key}: contains control characters")
    return value


def _firm_name_taken(session: Session, name: str, other_than: int | None) -> bool:
    found = session.execute(select(LAW_FIRM.c.id).where(LAW_FIRM.c.name == name)).scalar()
    return found is not None and found != other_than


# --------------------------------------------------------------------------- firms


def create_firm(session: Session, *, name: str, phone: str = "", actor: Actor) -> LawFirm:
    """Register a partner law firm; refuse a name already registered."""
    name = _text(name, "name", limit=200, required=True)
    phone = _text(phone, "phone", limit=PHONE_LIMIT)
    if _firm_name_taken(session, name, None):
        raise InvalidInput(f"name: a law firm named {name} already exists")
    firm = LawFirm(name=name, phone=phone, active=True)
    session.add(firm)
    session.flush()
    log_change(session, actor, "create_law_firm", {"law_firm": {"id": firm.id, "name": name}})
    return firm


def update_firm(
    session: Session, *, firm_id: int, name: str, phone: str, active: bool, actor: Actor
) -> dict[str, list[Any]]:
    """Change a firm's name, phone or whether it still sends volunteers; return the changes."""
    firm = session.get(LawFirm, firm_id)
    if firm is None:
        raise NotFound(f"there is no law firm {firm_id}")
    name = _text(name, "name", limit=200, required=True)
    wanted: dict[str, Any] = {
        "name": name,
        "phone": _text(phone, "phone", limit=PHONE_LIMIT),
        "active": bool(active),
    }
    if _firm_name_taken(session, name, firm_id):
        raise InvalidInput(f"name: a law firm named {name} already exists")
    changes = {k: [getattr(firm, k), v] for k, v in wanted.items() if getattr(firm, k) != v}
    if changes:
        for key, (_old, value) in changes.items():
            setattr(firm, key, value)
        session.add(firm)
        session.flush()
        log_change(
            session, actor, "update_law_firm", {"law_firm": {"id": firm_id}, "changes": changes}
        )
    return changes


# --------------------------------------------------------------------------- lawyers


@dataclass(frozen=True)
class LawyerSettings:
    """A lawyer's profile as the administrator's form shows it."""

    user_id: int
    username: str
    display_name: str
    firm_id: int | None
    zone_ids: tuple[int, ...]
    practice_notes: str
    active: bool
    availability: str


def lawyer_settings(session: Session, user_id: int) -> LawyerSettings:
    """Return a volunteer lawyer's profile (defaults when none is saved yet)."""
    user = session.get(User, user_id)
    if user is None or user.role != "lawyer":
        raise NotFound(f"there is no volunteer lawyer {user_id}")
    profile = session.get(LawyerProfile, user_id)
    zones = set(
        session.execute(
            select(LAWYER_ZONE.c.zone_id).where(LAWYER_ZONE.c.lawyer_id == user_id)
        ).scalars()
    )
    if user.zone_id is not None:
        zones.add(user.zone_id)
    return LawyerSettings(
        user_id=user_id,
        username=user.username,
        display_name=user.display_name,
        firm_id=profile.firm_id if profile else None,
        zone_ids=tuple(sorted(zones)),
        practice_notes=profile.practice_notes if profile else "",
        active=profile.active if profile else True,
        availability=profile.availability if profile else AVAILABILITY[0],
    )


def save_lawyer(
    session: Session,
    *,
    user_id: int,
    firm_id: int | None,
    zone_ids: list[int],
    practice_notes: str,
    active: bool,
    availability: str,
    actor: Actor,
) -> dict[str, list[Any]]:
    """Save a volunteer lawyer's firm, zones, notes, activity and availability.

    Returns the changes as ``{name: [old, new]}``; raises ``InvalidInput`` naming the field.
    """
    before = lawyer_settings(session, user_id)
    if firm_id is not None and session.get(LawFirm, firm_id) is None:
        raise InvalidInput(f"firm_id: there is no law firm {firm_id}")
    zones = sorted(set(zone_ids))
    if not zones:
        raise InvalidInput("zones: a volunteer lawyer must serve at least one zone")
    known = set(session.execute(select(ZONE.c.id).where(ZONE.c.id.in_(zones))).scalars())
    missing = [z for z in zones if z not in known]
    if missing:
        raise InvalidInput(f"zones: there is no zone {missing[0]}")
    if availability not in AVAILABILITY:
        raise InvalidInput(
            f"availability: {availability!r} is not one of {', '.join(AVAILABILITY)}"
        )
    notes = _text(practice_notes, "practice_notes", limit=NOTES_LIMIT)
    after = LawyerSettings(
        user_id=user_id,
        username=before.username,
        display_name=before.display_name,
        firm_id=firm_id,
        zone_ids=tuple(zones),
        practice_notes=notes,
        active=bool(active),
        availability=availability,
    )
    changes = {
        name: [getattr(before, name), getattr(after, name)]
        for name in ("firm_id", "zone_ids", "practice_notes", "active", "availability")
        if getattr(before, name) != getattr(after, name)
    }
    has_profile = session.get(LawyerProfile, user_id) is not None
    if not changes and has_profile:
        return {}
    now = clock.utcnow()
    values = {
        "firm_id": firm_id,
        "practice_notes": notes,
        "active": bool(active),
        "availability": availability,
        "updated_at": now,
    }
    if has_profile:
        session.execute(
            update(LAWYER_PROFILE).where(LAWYER_PROFILE.c.user_id == user_id).values(**values)
        )
    else:
        session.execute(insert(LAWYER_PROFILE).values(user_id=user_id, **values))
    session.execute(delete(LAWYER_ZONE).where(LAWYER_ZONE.c.lawyer_id == user_id))
    session.execute(insert(LAWYER_ZONE), [{"lawyer_id": user_id, "zone_id": z} for z in zones])
    home = session.execute(select(USER.c.zone_id).where(USER.c.id == user_id)).scalar()
    if home not in zones:
        session.execute(update(USER).where(USER.c.id == user_id).values(zone_id=zones[0]))
    # The ORM's copies of these rows (if the session holds them) are stale now.
    for model in (User, LawyerProfile):
        held = session.identity_map.get(session.identity_key(model, user_id))
        if held is not None:
            session.expire(held)
    log_change(
        session,
        actor,
        "update_lawyer",
        {
            "lawyer": {"id": user_id, "username": before.username},
            "changes": {k: [_plain(v) for v in pair] for k, pair in changes.items()},
        },
    )
    return changes


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
