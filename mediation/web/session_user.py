"""The logged-in user as Flask-Login sees it, and how a session is revoked.

The session cookie carries ``"<user id>:<session epoch>"``. Logging out everywhere, disabling
a user or changing a password bumps the user's ``session_epoch`` in the database, and every
session carrying the old epoch stops being accepted at its next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_login import UserMixin

from mediation.people.models import User


@dataclass(frozen=True)
class SessionUser(UserMixin):
    """What a request knows about its user."""

    id_number: int
    username: str
    display_name: str
    role: str
    organization_id: int | None
    zone_id: int | None
    locale: str | None
    session_epoch: int

    def get_id(self) -> str:
        """Return the session token: user id and the epoch it was issued in."""
        return f"{self.id_number}:{self.session_epoch}"

    @classmethod
    def from_user(cls, user: User | Any) -> SessionUser:
        """Build the session user from a ``User`` or a row with the same columns."""
        assert user.id is not None
        return cls(
            id_number=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            organization_id=user.organization_id,
            zone_id=user.zone_id,
            locale=user.locale,
            session_epoch=user.session_epoch,
        )


def parse_token(token: str) -> tuple[int, int] | None:
    """Split a session token into (user id, epoch); None if it is malformed."""
    user_id, _, epoch = token.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    return int(user_id), int(epoch)
