"""The administrator's pages: users, organisations, towns and zones."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

from mediation.web.admin import lawyers, places, users  # noqa: E402, F401
