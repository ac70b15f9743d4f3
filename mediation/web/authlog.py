"""The authentication and authorisation log: who tried what, on what, and how it ended.

Every record goes to the logger ``mediation.auth`` at INFO (WARNING for failures and
denials), with the message

    auth action=<action> outcome=<outcome> actor=<actor> object=<object> ip=<address> [reason=…]

and the same fields as record attributes (``auth_action``, ``auth_outcome``, ``auth_actor``,
``auth_object``, ``auth_ip``, ``auth_reason``) for a JSON formatter. The time is the record's
own (``%(asctime)s`` in the configured format, see :mod:`mediation.logconfig`).

Actions: ``login`` (success, failure, rate_limited), ``logout``, ``password_change`` (success,
failure), ``session_expired`` (idle, absolute, unknown_age) and ``access`` (denied_403,
denied_404). The actor is ``user:<id>/<username>`` for a known user, ``anonymous`` otherwise;
a name typed into the login form is logged only as ``attempted:<name>``, with any run of
digits that could be an ID or phone number masked (people type those into the wrong field).
"""

from __future__ import annotations

import logging
import re

from flask import has_request_context, request

from mediation.logconfig import mask_numbers

LOGGER_NAME = "mediation.auth"
log = logging.getLogger(LOGGER_NAME)

_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]+")


def _clean(value: str, limit: int = 80) -> str:
    # One token per field: no spaces or control characters (a forged line break would
    # otherwise start a fake record), and bounded in length.
    return mask_numbers(_UNSAFE.sub("_", value))[:limit] or "-"


def actor_of(user_id: int | None, username: str | None) -> str:
    """Name a known user as the actor of a record."""
    if user_id is None:
        return "anonymous"
    return f"user:{user_id}/{_clean(username or '')}"


def record(
    action: str,
    outcome: str,
    *,
    actor: str,
    obj: str = "-",
    reason: str | None = None,
    level: int = logging.INFO,
) -> None:
    """Write one record of the log."""
    address = request.remote_addr if has_request_context() else None
    fields = {
        "auth_action": action,
        "auth_outcome": outcome,
        "auth_actor": actor,
        "auth_object": _clean(obj, 200),
        "auth_ip": address or "-",
        "auth_reason": _clean(reason) if reason else None,
    }
    message = (
        f"auth action={action} outcome={outcome} actor={actor} "
        f"object={fields['auth_object']} ip={fields['auth_ip']}"
    )
    if reason:
        message += f" reason={fields['auth_reason']}"
    log.log(level, message, extra=fields)


def login_succeeded(user_id: int, username: str) -> None:
    """Log a successful login."""
    record("login", "success", actor=actor_of(user_id, username), obj=f"user:{user_id}")


def login_failed(attempted: str, *, reason: str = "bad_credentials") -> None:
    """Log a refused login; the typed name is masked and never taken as an identity."""
    record(
        "login",
        "failure",
        actor="anonymous",
        obj=f"attempted:{_clean(attempted)}",
        reason=reason,
        level=logging.WARNING,
    )


def login_rate_limited(attempted: str) -> None:
    """Log a login refused because of too many failed attempts."""
    record(
        "login",
        "rate_limited",
        actor="anonymous",
        obj=f"attempted:{_clean(attempted)}",
        level=logging.WARNING,
    )


def logged_out(user_id: int, username: str) -> None:
    """Log a logout."""
    record("logout", "success", actor=actor_of(user_id, username), obj=f"user:{user_id}")


def password_changed(user_id: int, username: str, *, ok: bool, reason: str | None = None) -> None:
    """Log a change of one's own password, successful or not."""
    record(
        "password_change",
        "success" if ok else "failure",
        actor=actor_of(user_id, username),
        obj=f"user:{user_id}",
        reason=reason,
        level=logging.INFO if ok else logging.WARNING,
    )


def session_expired(*, reason: str, user_token: object) -> None:
    """Log a session ended by its idle or absolute lifetime."""
    user_id, _, _epoch = str(user_token or "").partition(":")
    actor = f"user:{user_id}" if user_id.isdigit() else "anonymous"
    record("session_expired", "ended", actor=actor, obj="session", reason=reason)


def access_denied(status: int, *, user_id: int | None, username: str | None, reason: str) -> None:
    """Log a request refused by an access check (403, or 404 hiding an object)."""
    record(
        "access",
        f"denied_{status}",
        actor=actor_of(user_id, username),
        obj=f"{request.method}:{request.path}",
        reason=reason,
        level=logging.WARNING,
    )
