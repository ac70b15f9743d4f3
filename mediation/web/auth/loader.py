"""Load the session user, refusing revoked sessions and disabled users."""

from __future__ import annotations

from mediation.people.models import User
from mediation.web.db import read_session
from mediation.web.session_user import SessionUser, parse_token


def load_session_user(token: str) -> SessionUser | None:
    """Return the user of a session token if the session is still valid."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    user_id, epoch = parsed
    user = read_session().get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return SessionUser.from_user(user)
