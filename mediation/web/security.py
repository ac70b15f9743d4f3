"""Security headers, session cookies and lifetimes, and the proxies in front of the app.

- Every response carries a Content-Security-Policy without inline script or style (the
  templates have none: styles live in ``static/app.css``), ``frame-ancestors 'none'``,
  ``nosniff`` and a Referrer-Policy; HSTS only when the request came over HTTPS.
- Pages with personal data — every page a logged-in user sees, and every PDF — are sent with
  ``Cache-Control: no-store``, so neither the browser nor a proxy keeps a copy.
- The session cookie is HttpOnly and SameSite=Lax, and Secure whenever the request came over
  HTTPS (or ``SESSION_COOKIE_SECURE`` is set).
- A session ends after 30 minutes without a request (idle) and 12 hours after login
  (absolute), whatever the user does; login starts a new session with a new id.
- ``TRUSTED_PROXIES`` (environment, default 0) is the number of reverse proxies in front of
  the application: their ``X-Forwarded-For/-Proto/-Host/-Prefix`` headers are believed, so
  ``request.is_secure`` and the client address are right behind nginx. Never set it higher
  than the real number of proxies: a client could then forge its address and scheme.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response, flash, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from mediation.web import authlog

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)

#: Session keys kept by this module (the rest belong to Flask-Login, CSRF and the views).
SESSION_ID = "_sid"
STARTED = "_started"
SEEN = "_seen"
#: Refresh the "last seen" time at most this often: a cookie rewritten on every request
#: costs a signature and a Set-Cookie header for nothing.
SEEN_RESOLUTION_SECONDS = 60

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Bootstrap's CSS draws a few icons (the menu button) as data: SVG images.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Old browsers that know no frame-ancestors.
    "X-Frame-Options": "DENY",
    # Query strings carry searches for party names: never send them to another site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def now() -> float:
    """Return the current Unix time (tests replace it to move the clock)."""
    return time.time()


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, whose cookie is Secure whenever the request is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or bool(request and request.is_secure)


def start_session() -> None:
    """Begin a fresh session at login: nothing from before survives but the language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    moment = int(now())
    session[SESSION_ID] = secrets.token_urlsafe(16)
    session[STARTED] = moment
    session[SEEN] = moment


def trusted_proxies_from_env() -> int:
    """Read ``TRUSTED_PROXIES`` (a count, default 0)."""
    raw = os.environ.get("TRUSTED_PROXIES", "").strip() or "0"
    if not raw.isdigit():
        raise ValueError(f"TRUSTED_PROXIES must be a whole number of proxies, not {raw!r}")
    return int(raw)


def register(app: Flask) -> None:
    """Install the headers, the cookie policy, the session lifetimes and ProxyFix."""
    app.config.setdefault("SESSION_IDLE_TIMEOUT", IDLE_TIMEOUT)
    app.config.setdefault("SESSION_ABSOLUTE_TIMEOUT", ABSOLUTE_TIMEOUT)
    app.config.setdefault("TRUSTED_PROXIES", trusted_proxies_from_env())
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # The browser keeps the cookie no longer than the absolute lifetime (the server checks
    # both limits itself; the cookie's expiry is only a courtesy).
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    # Send the cookie again only when the session changed (its "last seen" at most once a
    # minute), not re-signed on every request.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.session_interface = _SessionInterface()

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    # First of all before-request functions: an expired session must be gone before anything
    # (Flask-Login, the navigation, a view) looks at the user.
    app.before_request_funcs.setdefault(None, []).insert(0, _enforce_session_lifetime)
    app.after_request(_set_headers)


def _enforce_session_lifetime() -> None:
    if request.endpoint == "static" or not (STARTED in session or "_user_id" in session):
        return
    moment = now()
    idle = current_app_config("SESSION_IDLE_TIMEOUT").total_seconds()
    absolute = current_app_config("SESSION_ABSOLUTE_TIMEOUT").total_seconds()
    started = _number(session.get(STARTED))
    seen = _number(session.get(SEEN))
    reason = None
    if STARTED not in session:
        # A login that did not go through start_session(): no known age, so no trust.
        reason = "unknown_age"
    elif moment - started > absolute:
        reason = "absolute"
    elif moment - seen > idle:
        reason = "idle"
    if reason is not None:
        was_logged_in = "_user_id" in session
        authlog.session_expired(reason=reason, user_token=session.get("_user_id"))
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        if was_logged_in:
            flash(_("Your session has expired. Please log in again."), "info")
        return
    if not session.permanent:
        session.permanent = True  # (setting it marks the session changed)
    if moment - seen >= SEEN_RESOLUTION_SECONDS:
        session[SEEN] = int(moment)


def current_app_config(key: str) -> Any:
    """Return a configuration value of the current application."""
    from flask import current_app

    return current_app.config[key]


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _has_personal_data(req: Request, response: Response) -> bool:
    if response.mimetype == "application/pdf":
        return True
    return req.endpoint != "static" and "_user_id" in session


def _log_denial(response: Response) -> None:
    # 403, and 404 on a route that exists for a logged-in user: what access checks answer
    # (a 404 hides another organisation's case). Unmatched URLs are not denials.
    status = response.status_code
    if status not in (403, 404) or request.url_rule is None or request.endpoint == "static":
        return
    logged_in = "_user_id" in session
    if status == 404 and not logged_in:
        return
    from flask_login import current_user

    user_id = getattr(current_user, "id_number", None) if logged_in else None
    username = getattr(current_user, "username", None) if logged_in else None
    reason = str(g.get("access_denial") or ("forbidden" if status == 403 else "hidden"))
    authlog.access_denied(status, user_id=user_id, username=username, reason=reason)


def _set_headers(response: Response) -> Response:
    _log_denial(response)
    headers = response.headers
    for name, value in STATIC_HEADERS.items():
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _has_personal_data(request, response):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
