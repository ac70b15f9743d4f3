"""The Flask application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from flask_login import current_user

from mediation import production
from mediation.config import Settings
from mediation.db import Database

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TRANSLATIONS = Path(__file__).with_name("translations")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application; ``config`` overrides settings (tests pass their own)."""
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    settings = Settings.from_env()
    app.config.update(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=production.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BOOTSTRAP_SERVE_LOCAL=True,
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        WTF_CSRF_TIME_LIMIT=None,
        # Where the public reaches the application: the verification URL printed on (and
        # QR-coded into) every issued document. Unset: the address of the request.
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "").strip(),
    )
    if config:
        app.config.update(config)
    app.extensions["database"] = Database(app.config["DATABASE_URL"])
    _init_extensions(app)
    _register_blueprints(app)
    app.teardown_appcontext(_close_read_session)
    return app


def _select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE) or DEFAULT_LOCALE


def _init_extensions(app: Flask) -> None:
    from mediation.web.auth.loader import load_session_user
    from mediation.web.extensions import babel, bootstrap, csrf, login_manager

    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(
        app,
        default_locale=DEFAULT_LOCALE,
        default_timezone="Asia/Shanghai",
        locale_selector=_select_locale,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_session_user)


def _register_blueprints(app: Flask) -> None:
    from mediation.web import errors, input_guard, navigation, ratelimit, security
    from mediation.web.admin import blueprint as admin
    from mediation.web.auth import blueprint as auth
    from mediation.web.lawyer import blueprint as lawyer
    from mediation.web.mediator import blueprint as mediator
    from mediation.web.overview import blueprint as overview
    from mediation.web.supervisor import blueprint as supervisor
    from mediation.web.verify import blueprint as verify

    for blueprint in (auth, mediator, admin, overview, verify, lawyer, supervisor):
        app.register_blueprint(blueprint)
    errors.register(app)
    security.register(app)
    ratelimit.register(app)
    navigation.register(app)
    input_guard.register(app)


def get_database(app: Flask) -> Database:
    """Return the database of this application."""
    database: Database = app.extensions["database"]
    return database


def _close_read_session(_exc: BaseException | None) -> None:
    read_session = g.pop("read_session", None)
    if read_session is not None:
        read_session.close()
