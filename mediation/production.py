"""The production configuration: what must be set before the service may start.

``MEDIATION_ENV=production`` turns the checks on. The service then refuses to start (each
worker, and ``mediation serve`` before it forks) unless:

- ``SECRET_KEY`` is set, at least 32 characters, and not a placeholder — it signs every session
  cookie; a guessable key lets anyone forge a login;
- ``PUBLIC_BASE_URL`` is set to an ``https://`` address — it is printed on every issued
  document, and without it the ``Host`` header of a request would decide what is printed;
- ``MEDIATION_DATA_KEY`` is a 32-byte key in base64 other than the published development key —
  it seals the ID and phone numbers at rest (:mod:`mediation.people.sealing`).

Outside production an unset ``SECRET_KEY`` is replaced by a random one (``mediation serve``
draws it once, before forking, so that every worker accepts the others' cookies).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from mediation.errors import MediationError
from mediation.people.sealing import configuration_problems as data_key_problems

MIN_SECRET_KEY_LENGTH = 32
PLACEHOLDER_KEYS = frozenset(
    {"dev", "development", "secret", "change-me", "changeme", "change_me", "replace-me", "test"}
)


class ConfigurationError(MediationError):
    """The environment does not allow a production start."""


def is_production(env: Mapping[str, str] | None = None) -> bool:
    """Tell whether ``MEDIATION_ENV`` says production."""
    env = os.environ if env is None else env
    return env.get("MEDIATION_ENV", "").strip().lower() in {"production", "prod"}


def problems(env: Mapping[str, str] | None = None) -> list[str]:
    """Return what keeps the environment from a production start (empty: nothing)."""
    env = os.environ if env is None else env
    if not is_production(env):
        return []
    found = []
    key = env.get("SECRET_KEY", "").strip()
    if not key:
        found.append("SECRET_KEY is not set (make one: openssl rand -hex 32)")
    elif key.lower() in PLACEHOLDER_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        found.append(
            f"SECRET_KEY is a placeholder or shorter than {MIN_SECRET_KEY_LENGTH} characters"
        )
    base = env.get("PUBLIC_BASE_URL", "").strip()
    if not base.startswith("https://"):
        found.append("PUBLIC_BASE_URL must be the https:// address the public uses")
    found.extend(data_key_problems(env))
    return found


def check(env: Mapping[str, str] | None = None) -> None:
    """Raise :class:`ConfigurationError` naming every problem of a production environment."""
    found = problems(env)
    if found:
        raise ConfigurationError(
            "refusing to start with MEDIATION_ENV=production: " + "; ".join(found)
        )


def secret_key(env: Mapping[str, str] | None = None) -> str:
    """Return the session-signing key: the environment's, or (outside production) a random one."""
    env = os.environ if env is None else env
    check(env)
    return env.get("SECRET_KEY", "").strip() or secrets.token_hex(32)
