"""Login rate limiting: failed attempts counted per account and per address (Flask-Limiter).

- **Per account**: the 11th failed login for one user name within 15 minutes is refused with
  429, whatever the password, and so is every attempt after it until the window has moved on.
- **Per address**: 50 failed logins from one client address within 15 minutes (password
  spraying across many accounts).

Only failures count (``deduct_when`` a 401), so a user who logs in and out all day is never
stopped. The counters live in Redis when ``REDIS_URL`` is set — every gunicorn worker on every
host then shares one count — and in the process's memory otherwise (one count per worker:
fine for the embedded single-host default). ``RATELIMIT_STORAGE_URI`` in the application's
configuration overrides both; a test application (``TESTING``) counts in memory unless given
one. If Redis cannot be reached the counters fall back to memory and the error is logged,
rather than refusing every login.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address

from mediation.web import authlog

ACCOUNT_LIMIT = "10 per 15 minutes"
ADDRESS_LIMIT = "50 per 15 minutes"
WINDOW_MINUTES = 15
LOGIN_ENDPOINT = "auth.login"


def storage_uri(app: Flask) -> str:
    """Return where the counters live: configuration, then ``REDIS_URL``, then memory."""
    configured = app.config.get("RATELIMIT_STORAGE_URI")
    if configured:
        return str(configured)
    if app.testing:
        return "memory://"
    return os.environ.get("REDIS_URL", "").strip() or "memory://"


def _attempted_username() -> str:
    return (request.form.get("username") or "").strip().casefold()[:150]


def _account_key() -> str:
    # A digest, not the name: a resident ID typed as a user name must not sit in Redis.
    digest = hashlib.sha256(_attempted_username().encode("utf-8")).hexdigest()[:32]
    return f"account:{digest}"


def _address_key() -> str:
    return f"address:{get_remote_address()}"


def _failed(response: object) -> bool:
    return getattr(response, "status_code", None) == 401


def _breached(_limit: RequestLimit) -> None:
    authlog.login_rate_limited(_attempted_username())


def register(app: Flask) -> Limiter:
    """Limit failed logins on ``app`` (after the auth blueprint is registered)."""
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=storage_uri(app),
        strategy="moving-window",
        key_prefix=str(app.config.get("RATELIMIT_KEY_PREFIX", "mediation-login")),
        in_memory_fallback_enabled=True,
        headers_enabled=False,
    )
    limiter.init_app(app)
    view: Callable[..., Any] = app.view_functions[LOGIN_ENDPOINT]
    for limit, key in ((ACCOUNT_LIMIT, _account_key), (ADDRESS_LIMIT, _address_key)):
        view = limiter.limit(
            limit,
            key_func=key,
            methods=["POST"],
            deduct_when=_failed,
            on_breach=_breached,
        )(view)
    app.view_functions[LOGIN_ENDPOINT] = view
    app.extensions["login_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
    return limiter


def _too_many(_exc: RateLimitExceeded) -> ResponseReturnValue:
    minutes = int(current_app.config.get("RATELIMIT_WINDOW_MINUTES", WINDOW_MINUTES))
    return (
        render_template("errors/429.html", minutes=minutes),
        429,
        {"Retry-After": str(minutes * 60)},
    )
