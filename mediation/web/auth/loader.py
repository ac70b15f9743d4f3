"""Load the session user, refusing revoked sessions and disabled users."""

from __future__ import annotations

from sqlalchemy import Integer, bindparam, select

from mediation.db import prebuilt
from mediation.tables import USER
from mediation.web.db import read_session
from mediation.web.session_user import SessionUser, parse_token

# Every request with a session runs this: the columns it needs, as plain SQL built once and
# run by the driver (an ORM ``session.get(User)`` costs five times as much, for a row nothing
# else on the page uses).
_USER_STATEMENT = select(
    USER.c.id,
    USER.c.username,
    USER.c.display_name,
    USER.c.role,
    USER.c.organization_id,
    USER.c.zone_id,
    USER.c.locale,
    USER.c.session_epoch,
    USER.c.active,
).where(USER.c.id == bindparam("user_id", type_=Integer))


def load_session_user(token: str) -> SessionUser | None:
    """Return the user of a session token if the session is still valid."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    user_id, epoch = parsed
    user = prebuilt(read_session()).execute(_USER_STATEMENT, {"user_id": user_id}).first()
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return SessionUser.from_user(user)
