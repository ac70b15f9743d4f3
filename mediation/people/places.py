"""Organisations, towns and zones as an administrator creates and edits them.

Unlike :func:`mediation.people.service.ensure_organization` and its siblings, which quietly
return an existing row of the same name, these refuse a taken name (the administrator must
hear it) and write an audit event for every change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from mediation.audit.chain import Actor
from mediation.cases.enums import Level
from mediation.cases.inputs import has_control_characters
from mediation.errors import InvalidInput
from mediation.people.models import Organization, Town, Zone
from mediation.people.service import ensure_organization, ensure_town, log_change

#: The range of a zone's claim window, in hours (default 48; DESIGN §3).
CLAIM_WINDOW_HOURS = (1, 720)


def _clean_name(name: str, *, limit: int) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name: required")
    if has_control_characters(name):  # before any query: PostgreSQL refuses NUL even there
        raise InvalidInput("name: contains control characters")
    if len(name) > limit:
        raise InvalidInput(f"name: longer than {limit} characters")
    return name


def _name_taken(session: Session, model: type[Any], name: str, *, other_than: int | None) -> bool:
    found = session.execute(select(model.id).where(model.name == name)).scalar()
    return found is not None and found != other_than


def _apply(session: Session, row: Any, wanted: dict[str, Any]) -> dict[str, list[Any]]:
    changes = {k: [getattr(row, k), v] for k, v in wanted.items() if getattr(row, k) != v}
    for name, (_old, value) in changes.items():
        setattr(row, name, value)
    if changes:
        session.add(row)
        session.flush()
    return changes


def create_organization(
    session: Session, *, name: str, level: str, town_id: int | None, actor: Actor
) -> Organization:
    """Register a mediation organisation; refuse a name already registered."""
    name = _clean_name(name, limit=200)
    if _name_taken(session, Organization, name, other_than=None):
        raise InvalidInput(f"name: an organisation named {name} already exists")
    return ensure_organization(session, name=name, level=level, town_id=town_id, actor=actor)


def update_organization(
    session: Session,
    organization: Organization,
    *,
    name: str,
    level: str,
    town_id: int | None,
    actor: Actor,
) -> dict[str, list[Any]]:
    """Change an organisation's name, level or town; return the changes as [old, new].

    Its level decides whether its cases count as grassroots or district in every report,
    past periods included; the event records the change.
    """
    name = _clean_name(name, limit=200)
    try:
        level = Level(level).value
    except ValueError:
        raise InvalidInput(
            f"level: {level!r} is not one of {', '.join(v.value for v in Level)}"
        ) from None
    if _name_taken(session, Organization, name, other_than=organization.id):
        raise InvalidInput(f"name: an organisation named {name} already exists")
    if town_id is not None and session.get(Town, town_id) is None:
        raise InvalidInput(f"town_id: there is no town {town_id}")
    changes = _apply(session, organization, {"name": name, "level": level, "town_id": town_id})
    if changes:
        log_change(
            session,
            actor,
            "update_organization",
            {"organization": {"id": organization.id, "name": name}, "changes": changes},
        )
    return changes


def create_town(
    session: Session, *, name: str, kind: str, zone_id: int | None, actor: Actor
) -> Town:
    """Register a town, street or industrial base; refuse a name already registered."""
    name = _clean_name(name, limit=100)
    if _name_taken(session, Town, name, other_than=None):
        raise InvalidInput(f"name: a town named {name} already exists")
    return ensure_town(session, name=name, kind=kind, zone_id=zone_id, actor=actor)


def move_town(
    session: Session, town: Town, *, zone_id: int | None, actor: Actor
) -> dict[str, list[Any]]:
    """Put a town into another zone (or none); return the change as [old, new]."""
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise InvalidInput(f"zone_id: there is no zone {zone_id}")
    changes = _apply(session, town, {"zone_id": zone_id})
    if changes:
        log_change(
            session,
            actor,
            "update_town",
            {"town": {"id": town.id, "name": town.name}, "changes": changes},
        )
    return changes


def _check_window(hours: int) -> int:
    low, high = CLAIM_WINDOW_HOURS
    if not low <= hours <= high:
        raise InvalidInput(
            f"claim_window_hours: the claim window must be {low} to {high} hours, not {hours}"
        )
    return hours


def create_zone(session: Session, *, name: str, claim_window_hours: int, actor: Actor) -> Zone:
    """Create a zone (片区) with its claim window; refuse a name already in use."""
    name = _clean_name(name, limit=100)
    hours = _check_window(claim_window_hours)
    if _name_taken(session, Zone, name, other_than=None):
        raise InvalidInput(f"name: a zone named {name} already exists")
    zone = Zone(name=name, claim_window_hours=hours)
    session.add(zone)
    session.flush()
    log_change(
        session,
        actor,
        "create_zone",
        {"zone": {"id": zone.id, "name": name, "claim_window_hours": hours}},
    )
    return zone


def set_claim_window(
    session: Session, zone: Zone, *, hours: int, actor: Actor
) -> dict[str, list[Any]]:
    """Change how long an assignment waits in the zone's pool before every lawyer sees it.

    Escalation is computed from timestamps, so the new window applies at once to open
    assignments too.
    """
    changes = _apply(session, zone, {"claim_window_hours": _check_window(hours)})
    if changes:
        log_change(
            session,
            actor,
            "update_zone",
            {"zone": {"id": zone.id, "name": zone.name}, "changes": changes},
        )
    return changes


# --------------------------------------------------------------------------- pages
