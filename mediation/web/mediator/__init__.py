"""The mediator's pages: dashboard, case list, intake, and the case page with its actions."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("mediator", __name__, url_prefix="/m")

from mediation.web.mediator import (  # noqa: E402, F401
    case_list,
    case_page,
    corrections,
    dashboard,
    disclosure,
    documents,
    intake,
    legal_help,
)
