"""Users, organisations, towns and zones: create, authenticate, get-or-create.

Plain functions on a SQLModel session, ``session`` first and keyword-only arguments after:
they add and flush, the caller commits once. Every change is also an event on the audit
chain (with no case), so who created a user or disabled one is on the record; passwords and
their hashes never go into an event.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from mediation.audit.chain import SYSTEM, Actor, append_event
from mediation.cases.enums import Level, Role
from mediation.cases.inputs import has_control_characters
from mediation.errors import InvalidInput
from mediation.people.models import Organization, Town, User, Zone
from mediation.people.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)

#: Letters, digits, dot, underscore and hyphen; 3 to 80 of them.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,80}", re.ASCII)

#: What a town row may be: a town (镇), a street (街道) or an industrial base (产业基地).
TOWN_KINDS = ("town", "street", "base")


# --------------------------------------------------------------------------- users


def _user_payload(user: User) -> dict[str, Any]:
    return {
        "user": {
            "id": user.id,
            "username": user.username,
            "role": user.role,
            "display_name": user.display_name,
            "organization_id": user.organization_id,
            "zone_id": user.zone_id,
            "active": user.active,
        }
    }


def log_change(session: Session, actor: Actor, action: str, payload: dict[str, Any]) -> None:
    """Log a change that concerns no case (users, places) on the audit chain."""
    append_event(
        session,
        actor=actor,
        action=action,
        case_id=None,
        from_state=None,
        to_state=None,
        payload=payload,
    )


def find_user(session: Session, username: str) -> User | None:
    """Return the user with this username, ignoring case, or None."""
    if not USERNAME_PATTERN.fullmatch(username.strip()):
        # Not a name anyone could have (and PostgreSQL refuses some of it, such as NUL).
        return None
    return session.exec(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).first()


def check_username(username: str) -> str:
    """Return the username stripped, or raise InvalidInput saying what is wrong with it."""
    username = username.strip()
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput(
            f"username: {username!r} must be 3 to 80 characters of letters, digits, '.', '_' or '-'"
        )
    return username


def _checked_role_and_place(
    session: Session,
    role: str,
    display_name: str,
    *,
    organization_id: int | None,
    zone_id: int | None,
) -> tuple[str, str]:
    """Check a user's role, name and place; a mediator needs an organisation, a lawyer a zone."""
    try:
        role = Role(role).value
    except ValueError:
        raise InvalidInput(
            f"role: {role!r} is not one of {', '.join(r.value for r in Role)}"
        ) from None
    display_name = display_name.strip()
    if not display_name:
        raise InvalidInput("display_name: required")
    if has_control_characters(display_name):  # PostgreSQL cannot store a NUL
        raise InvalidInput("display_name: contains control characters")
    if len(display_name) > 100:
        raise InvalidInput("display_name: longer than 100 characters")
    if role == Role.MEDIATOR and organization_id is None:
        raise InvalidInput("organization_id: a mediator must belong to a mediation organisation")
    if role == Role.LAWYER and zone_id is None:
        raise InvalidInput("zone_id: a volunteer lawyer must be assigned to a zone (片区)")
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise InvalidInput(f"organization_id: there is no organisation {organization_id}")
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise InvalidInput(f"zone_id: there is no zone {zone_id}")
    return role, display_name


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str,
    organization_id: int | None = None,
    zone_id: int | None = None,
    actor: Actor = SYSTEM,
) -> User:
    """Create a user; a mediator needs an organisation and a volunteer lawyer a zone.

    Usernames are unique ignoring case. Raises InvalidInput naming the field at fault.
    """
    username = check_username(username)
    role, display_name = _checked_role_and_place(
        session, role, display_name, organization_id=organization_id, zone_id=zone_id
    )
    check_password_policy(password, username=username)
    if find_user(session, username) is not None:
        raise InvalidInput(f"username: {username!r} is already taken")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        organization_id=organization_id,
        zone_id=zone_id,
        password_hash=hash_password(password),
    )
    try:
        # A savepoint, so that losing a race to the same username leaves the session usable.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise InvalidInput(f"username: {username!r} is already taken") from None
    log_change(session, actor, "create_user", _user_payload(user))
    return user


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, or None.

    An unknown username costs as much time as a wrong password, so the answer's timing does
    not tell which usernames exist. A hash made with older parameters is replaced.
    """
    user = find_user(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, actor: Actor = SYSTEM) -> None:
    """Give the user a new password (policy checked) and end their other sessions."""
    check_password_policy(password, username=user.username)
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    session.add(user)
    session.flush()
    log_change(session, actor, "set_password", {"user": {"id": user.id, "username": user.username}})


def disable_user(session: Session, user: User, *, actor: Actor = SYSTEM) -> None:
    """Stop the user from logging in and revoke their sessions (bumps ``session_epoch``)."""
    user.active = False
    user.session_epoch += 1
    session.add(user)
    session.flush()
    log_change(session, actor, "disable_user", _user_payload(user))


def enable_user(session: Session, user: User, *, actor: Actor = SYSTEM) -> None:
    """Let a disabled user log in again."""
    user.active = True
    session.add(user)
    session.flush()
    log_change(session, actor, "enable_user", _user_payload(user))


# --------------------------------------------------------------------------- places


def _name(name: str, *, limit: int) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name: required")
    if has_control_characters(name):  # before any query: PostgreSQL refuses NUL even there
        raise InvalidInput("name: contains control characters")
    if len(name) > limit:
        raise InvalidInput(f"name: longer than {limit} characters")
    return name


def ensure_zone(session: Session, *, name: str, actor: Actor = SYSTEM) -> Zone:
    """Return the zone (片区) of this name, creating it if there is none."""
    name = _name(name, limit=100)
    zone = session.exec(select(Zone).where(Zone.name == name)).first()
    if zone is None:
        zone = Zone(name=name)
        session.add(zone)
        session.flush()
        log_change(session, actor, "create_zone", {"zone": {"id": zone.id, "name": name}})
    return zone


def ensure_town(
    session: Session,
    *,
    name: str,
    kind: str | None = None,
    zone_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Town:
    """Return the town, street or base of this name, creating it if there is none.

    ``kind`` (town, street or base; town by default) is used when creating. A town found
    without a zone is put into ``zone_id``; one already in another zone stays where it is.
    """
    name = _name(name, limit=100)
    if kind is not None and kind not in TOWN_KINDS:
        raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(TOWN_KINDS)}")
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise InvalidInput(f"zone_id: there is no zone {zone_id}")
    town = session.exec(select(Town).where(Town.name == name)).first()
    if town is None:
        town = Town(name=name, kind=kind or "town", zone_id=zone_id)
        action = "create_town"
    elif town.zone_id is None and zone_id is not None:
        town.zone_id = zone_id
        action = "update_town"
    else:
        return town
    session.add(town)
    session.flush()
    log_change(
        session,
        actor,
        action,
        {"town": {"id": town.id, "name": name, "kind": town.kind, "zone_id": town.zone_id}},
    )
    return town


def ensure_organization(
    session: Session,
    *,
    name: str,
    level: str,
    town_id: int | None = None,
    actor: Actor = SYSTEM,
) -> Organization:
    """Return the mediation organisation of this name, creating it if there is none.

    An existing organisation must have the same level (it decides whether its cases count
    as grassroots or district); one found without a town gets ``town_id``.
    """
    name = _name(name, limit=200)
    try:
        level = Level(level).value
    except ValueError:
        raise InvalidInput(
            f"level: {level!r} is not one of {', '.join(v.value for v in Level)}"
        ) from None
    if town_id is not None and session.get(Town, town_id) is None:
        raise InvalidInput(f"town_id: there is no town {town_id}")
    organization = session.exec(select(Organization).where(Organization.name == name)).first()
    if organization is None:
        organization = Organization(name=name, level=level, town_id=town_id)
        action = "create_organization"
    elif organization.level != level:
        raise InvalidInput(
            f"level: {name} is already registered as a {organization.level} organisation, "
            f"not {level}"
        )
    elif organization.town_id is None and town_id is not None:
        organization.town_id = town_id
        action = "update_organization"
    else:
        return organization
    session.add(organization)
    session.flush()
    log_change(
        session,
        actor,
        action,
        {
            "organization": {
                "id": organization.id,
                "name": name,
                "level": level,
                "town_id": organization.town_id,
            }
        },
    )
    return organization


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str,
    role: str,
    organization_id: int | None,
    zone_id: int | None,
    actor: Actor,
) -> dict[str, list[Any]]:
    """Change a user's name, role, organisation or zone; return the changes as [old, new].

    The same rules as :func:`mediation.people.service.create_user`: a mediator needs an
    organisation and a volunteer lawyer a zone. The new values apply from the user's next
    request (the session user is reloaded every request), so no session needs to end.
    """
    role, display_name = _checked_role_and_place(
        session, role, display_name, organization_id=organization_id, zone_id=zone_id
    )
    wanted = {
        "display_name": display_name,
        "role": role,
        "organization_id": organization_id,
        "zone_id": zone_id,
    }
    changes = {
        name: [getattr(user, name), value]
        for name, value in wanted.items()
        if getattr(user, name) != value
    }
    if not changes:
        return changes
    for name, (_old, value) in changes.items():
        setattr(user, name, value)
    session.add(user)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="update_user",
        case_id=None,
        from_state=None,
        to_state=None,
        payload={"user": {"id": user.id, "username": user.username}, "changes": changes},
    )
    return changes


# --------------------------------------------------------------------------- pages
