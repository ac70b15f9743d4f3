"""The Flask application factory."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from mediation.config import Settings
from mediation.db import Database


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application; ``config`` overrides settings (tests pass their own)."""
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    settings = Settings.from_env()
    app.config.update(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
    )
    if config:
        app.config.update(config)
    app.extensions["database"] = Database(app.config["DATABASE_URL"])

    from mediation.web.overview import blueprint as overview

    app.register_blueprint(overview)
    return app


def get_database(app: Flask) -> Database:
    """Return the database of this application."""
    database: Database = app.extensions["database"]
    return database
