"""Password hashing (argon2id) and the password policy.

Hashes are argon2id strings with their parameters and salt inside (``$argon2id$v=19$m=…``),
so the cost can be raised later: :func:`needs_rehash` tells when a stored hash was made with
weaker parameters than today's, and :func:`mediation.people.service.authenticate` rehashes
on the next successful login.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mediation.errors import InvalidInput

#: The shortest password the policy accepts.
MIN_LENGTH = 10

#: The longest password accepted (argon2 would take more, but nobody types more than this).
MAX_LENGTH = 256

# argon2-cffi's defaults are RFC 9106's second recommended profile (argon2id, t=3, 64 MiB,
# p=4): about 0.1 s a hash on our 2-core machine.
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether the password matches the hash; a malformed hash never matches."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's (rehash on login)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of the most common passwords, case-folded."""
    text = (
        resources.files("mediation")
        .joinpath("data/common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password_policy(password: str, *, username: str) -> None:
    """Raise InvalidInput saying what is wrong with a new password; return if it is fine."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"password: must be at least {MIN_LENGTH} characters long "
            f"(this one has {len(password)})"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password: must be at most {MAX_LENGTH} characters long")
    folded = password.strip().casefold()
    if username.strip() and folded == username.strip().casefold():
        raise InvalidInput("password: must not be the same as the username")
    if folded in common_passwords():
        raise InvalidInput(
            "password: is one of the most commonly used passwords and easy to guess; choose another"
        )
    if len(set(folded)) == 1:
        raise InvalidInput("password: must not be one character repeated")
