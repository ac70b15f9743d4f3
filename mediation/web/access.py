"""Who may open which page: every view declares its roles, and one check enforces them.

A view is decorated with :func:`allow` (the roles that may use it) or :func:`public`. The
access-matrix test walks the application's URL map and fails for any endpoint that has
neither, so a new route cannot ship without a policy.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user

from mediation.audit.chain import Actor
from mediation.cases.enums import Role

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = frozenset({"public"})
POLICY_ATTRIBUTE = "access_policy"


def allow(*roles: Role) -> Callable[[F], F]:
    """Let logged-in users with one of ``roles`` use the view; anonymous users go to log in.

    A user of another role gets 403 on a page, and 404 on a URL that names an object (a case,
    an assignment, a user …): such a URL does not even tell them whether the object exists.
    """
    allowed = frozenset(r.value for r in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from mediation.web.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                g.access_denial = "role"  # for the authorisation log (web/authlog.py)
                abort(404 if kwargs else 403)
            return view(*args, **kwargs)

        setattr(guarded, POLICY_ATTRIBUTE, allowed)
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view as open to anyone, logged in or not."""
    setattr(view, POLICY_ATTRIBUTE, PUBLIC)
    return view


def policy_of(view: Callable[..., Any]) -> frozenset[str] | None:
    """Return the roles a view allows (``PUBLIC`` for public views), or None if undeclared."""
    return getattr(view, POLICY_ATTRIBUTE, None)


def current_actor() -> Actor:
    """Return the logged-in user as the actor of audit events."""
    return Actor(int(current_user.id_number), current_user.username)
