"""The Flask extensions of the web application, created once and bound in create_app."""

from __future__ import annotations

from flask import session
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


class SessionLoginManager(LoginManager):
    """Flask-Login's manager, its session protection applied to sessions that hold a user.

    A visitor's session (the login form's CSRF token) has nobody to protect: "strong"
    protection would clear it on every page and send a deletion of the remember-me cookie
    (which this application never sets) with each answer.
    """

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


csrf = CSRFProtect()
login_manager = SessionLoginManager()
babel = Babel()
bootstrap = Bootstrap5()
