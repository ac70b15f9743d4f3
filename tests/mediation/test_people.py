"""Passwords, users, and the get-or-create helpers for zones, towns and organisations."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from mediation.audit.verify import verify
from mediation.cases.enums import Role
from mediation.db import Database
from mediation.errors import InvalidInput
from mediation.people import passwords
from mediation.people.models import User
from mediation.people.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from mediation.people.service import (
    authenticate,
    create_user,
    disable_user,
    enable_user,
    ensure_organization,
    ensure_town,
    ensure_zone,
    set_password,
)
from mediation.tables import EVENT

GOOD = "Tiaojie-2026!"


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with the cheapest argon2id parameters: the tests are about logic, not cost."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def _org_and_zone(database: Database) -> tuple[int, int]:
    with database.writing() as session:
        zone = ensure_zone(session, name="北部片区")
        town = ensure_town(session, name="旧宫镇", zone_id=zone.id)
        org = ensure_organization(
            session, name="旧宫镇劳动争议调解中心", level="town", town_id=town.id
        )
        assert org.id is not None and zone.id is not None
        return org.id, zone.id


def _mediator(database: Database, username: str = "zhangwei", password: str = GOOD) -> int:
    org_id, _ = _org_and_zone(database)
    with database.writing() as session:
        user = create_user(
            session,
            username=username,
            password=password,
            role=Role.MEDIATOR,
            display_name="张伟",
            organization_id=org_id,
        )
        assert user.id is not None
        return user.id


# --------------------------------------------------------------------------- hashing


def test_hash_password_is_argon2id_and_verifies() -> None:
    hashed = hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    assert GOOD not in hashed
    assert hashed != hash_password(GOOD)  # salted
    assert verify_password(hashed, GOOD)
    assert not verify_password(hashed, GOOD.lower())
    assert not needs_rehash(hashed)


def test_verify_password_with_malformed_hash_is_false() -> None:
    assert not verify_password("not a hash", GOOD)
    assert not verify_password("", GOOD)


def test_needs_rehash_with_weaker_parameters_is_true() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(GOOD)
    assert verify_password(weak, GOOD)
    assert needs_rehash(weak)
    assert needs_rehash("garbage")


# --------------------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "at least 10 characters long (this one has 4)"),
        ("123456", "at least 10 characters"),
        ("zhangwei2024", "must not be the same as the username"),
        ("ZhangWei2024", "must not be the same as the username"),
        ("woaini1314", "most commonly used passwords"),
        ("WoAiNi1314", "most commonly used passwords"),
        ("1234567890", "most commonly used passwords"),
        ("Password123", "most commonly used passwords"),
        ("qwerty123456", "most commonly used passwords"),
        ("aaaaaaaaaaaa", "one character repeated"),
        ("x" * 200 + "y" * 57, "at most 256 characters"),
    ],
)
def test_check_password_policy_with_weak_password_raises_with_message(
    password: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=r"^password: ") as caught:
        check_password_policy(password, username="zhangwei2024")
    assert message in str(caught.value)


@pytest.mark.parametrize("password", [GOOD, "长城脚下的调解员2026", "correct horse battery"])
def test_check_password_policy_with_good_password_passes(password: str) -> None:
    check_password_policy(password, username="zhangwei")


def test_common_password_list_holds_the_chinese_favourites() -> None:
    common = passwords.common_passwords()
    for password in ("123456", "123456789", "111111", "88888888", "5201314", "woaini1314"):
        assert password in common
    assert "qwerty123" in common and "a1234567" in common and "password" in common


# --------------------------------------------------------------------------- users


@pytest.mark.usefixtures("fast_hashing")
def test_create_user_stores_hash_and_logs_event_without_it(database: Database) -> None:
    user_id = _mediator(database)
    with database.read_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert (user.username, user.role, user.active, user.session_epoch) == (
            "zhangwei",
            "mediator",
            True,
            0,
        )
        assert user.password_hash.startswith("$argon2id$")
        payloads = session.execute(
            select(EVENT.c.payload).where(EVENT.c.action == "create_user")
        ).scalars()
        payload = next(iter(payloads))
        assert "zhangwei" in payload and "argon2" not in payload and GOOD not in payload
        assert verify(session).ok


@pytest.mark.usefixtures("fast_hashing")
def test_create_user_with_duplicate_username_is_refused(database: Database) -> None:
    _mediator(database)
    org_id, _ = _org_and_zone(database)
    with database.writing() as session, pytest.raises(InvalidInput, match="already taken"):
        create_user(
            session,
            username="ZhangWei",
            password=GOOD,
            role="mediator",
            display_name="张伟",
            organization_id=org_id,
        )


@pytest.mark.usefixtures("fast_hashing")
def test_create_user_lawyer_without_zone_is_refused(database: Database) -> None:
    with database.writing() as session, pytest.raises(InvalidInput, match=r"^zone_id: .*zone"):
        create_user(session, username="lvshi1", password=GOOD, role="lawyer", display_name="李律师")


@pytest.mark.usefixtures("fast_hashing")
def test_create_user_lawyer_with_zone_is_created(database: Database) -> None:
    _, zone_id = _org_and_zone(database)
    with database.writing() as session:
        user = create_user(
            session,
            username="lvshi1",
            password=GOOD,
            role="lawyer",
            display_name="李律师",
            zone_id=zone_id,
        )
        assert (user.role, user.zone_id) == ("lawyer", zone_id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "mediator"}, "^organization_id: a mediator must belong"),
        ({"role": "mediator", "organization_id": 999}, "^organization_id: there is no"),
        ({"role": "lawyer", "zone_id": 999}, "^zone_id: there is no zone 999"),
        ({"role": "chief"}, "^role: 'chief' is not one of"),
        ({"username": "ab"}, "^username: 'ab' must be 3 to 80"),
        ({"username": "zhang wei"}, "^username: .* must be 3 to 80"),
        ({"username": "张伟"}, "^username: .* must be 3 to 80"),
        ({"username": "a" * 81}, "^username: .* must be 3 to 80"),
        ({"display_name": "  "}, "^display_name: required"),
        ({"password": "5201314520"}, "^password: is one of the most commonly used"),
        ({"password": "admin-user"}, "^password: must not be the same as the username"),
    ],
)
@pytest.mark.usefixtures("fast_hashing")
def test_create_user_with_bad_input_is_refused(
    database: Database, changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "username": "admin-user",
        "password": GOOD,
        "role": "admin",
        "display_name": "管理员",
    }
    arguments.update(changes)
    with database.writing() as session, pytest.raises(InvalidInput, match=message):
        create_user(session, **arguments)  # type: ignore[arg-type]
    with database.read_session() as session:
        assert session.execute(select(User)).first() is None


@pytest.mark.usefixtures("fast_hashing")
def test_authenticate_with_right_password_returns_user(database: Database) -> None:
    user_id = _mediator(database)
    with database.writing() as session:
        user = authenticate(session, "zhangwei", GOOD)
        assert user is not None and user.id == user_id
        again = authenticate(session, " ZHANGWEI ", GOOD)
        assert again is not None and again.id == user_id


@pytest.mark.usefixtures("fast_hashing")
def test_authenticate_with_wrong_password_or_unknown_user_returns_none(
    database: Database,
) -> None:
    _mediator(database)
    with database.writing() as session:
        assert authenticate(session, "zhangwei", "Tiaojie-2026?") is None
        assert authenticate(session, "zhangwei", "") is None
        assert authenticate(session, "nobody", GOOD) is None


@pytest.mark.usefixtures("fast_hashing")
def test_authenticate_disabled_user_returns_none(database: Database) -> None:
    user_id = _mediator(database)
    with database.writing() as session:
        user = session.get(User, user_id)
        assert user is not None
        disable_user(session, user)
        assert (user.active, user.session_epoch) == (False, 1)
    with database.writing() as session:
        assert authenticate(session, "zhangwei", GOOD) is None
        user = session.get(User, user_id)
        assert user is not None
        enable_user(session, user)
    with database.writing() as session:
        assert authenticate(session, "zhangwei", GOOD) is not None


def test_authenticate_with_outdated_hash_rehashes(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", cheap)
    user_id = _mediator(database)
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    with database.writing() as session:
        user = authenticate(session, "zhangwei", GOOD)
        assert user is not None
    with database.read_session() as session:
        stored = session.get(User, user_id)
        assert stored is not None
        assert "m=2048,t=2,p=1" in stored.password_hash
        assert verify_password(stored.password_hash, GOOD)


@pytest.mark.usefixtures("fast_hashing")
def test_set_password_replaces_password_and_bumps_session_epoch(database: Database) -> None:
    user_id = _mediator(database)
    with database.writing() as session:
        user = session.get(User, user_id)
        assert user is not None
        with pytest.raises(InvalidInput, match="at least 10"):
            set_password(session, user, "short")
        set_password(session, user, "Xinmima-2026#")
        assert user.session_epoch == 1
    with database.writing() as session:
        assert authenticate(session, "zhangwei", GOOD) is None
        assert authenticate(session, "zhangwei", "Xinmima-2026#") is not None
        assert verify(session).ok


# --------------------------------------------------------------------------- places


def test_ensure_helpers_get_or_create(database: Database) -> None:
    with database.writing() as session:
        zone = ensure_zone(session, name=" 北部片区 ")
        assert zone.name == "北部片区"
        assert ensure_zone(session, name="北部片区").id == zone.id
        loose = ensure_town(session, name="西红门镇")
        assert (loose.kind, loose.zone_id) == ("town", None)
        placed = ensure_town(session, name="西红门镇", kind="town", zone_id=zone.id)
        assert (placed.id, placed.zone_id) == (loose.id, zone.id)
        street = ensure_town(session, name="高米店街道", kind="street", zone_id=zone.id)
        assert street.kind == "street"
        other = ensure_zone(session, name="城区片区")
        # A town already in a zone stays where it is.
        assert ensure_town(session, name="高米店街道", zone_id=other.id).zone_id == zone.id
        org = ensure_organization(session, name="大兴区劳动争议调解中心", level="district")
        assert ensure_organization(session, name="大兴区劳动争议调解中心", level="district") is org
        assert verify(session).ok


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: ensure_zone(s, name=" "), "^name: required"),
        (lambda s: ensure_town(s, name="黄村镇", kind="village"), "^kind: 'village' is not"),
        (lambda s: ensure_town(s, name="黄村镇", zone_id=42), "^zone_id: there is no zone 42"),
        (lambda s: ensure_organization(s, name="X", level="city"), "^level: 'city' is not"),
        (
            lambda s: ensure_organization(s, name="X", level="town", town_id=42),
            "^town_id: there is no town 42",
        ),
    ],
)
def test_ensure_helpers_with_bad_input_raise(
    database: Database, call: object, message: str
) -> None:
    with database.writing() as session, pytest.raises(InvalidInput, match=message):
        call(session)  # type: ignore[operator]


def test_ensure_organization_with_other_level_raises(database: Database) -> None:
    with database.writing() as session:
        ensure_organization(session, name="旧宫镇劳动争议调解中心", level="town")
        with pytest.raises(InvalidInput, match="already registered as a town organisation"):
            ensure_organization(session, name="旧宫镇劳动争议调解中心", level="district")
