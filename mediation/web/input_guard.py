"""Refuse URL parameters that carry control characters, before any view sees them.

No person types a control character (other than tab and line breaks) into a search box or a
filter, and PostgreSQL refuses NUL in text outright: such a request is answered 400 naming
the parameter, instead of failing deep inside a query. (Form fields are checked by their
forms and by the services, which name the field next to it.)
"""

from __future__ import annotations

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from mediation.cases.inputs import has_control_characters
from mediation.web.errors import error_page


def _refuse_control_characters() -> ResponseReturnValue | None:
    for name, value in request.args.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            return error_page(
                400, _("The field %(name)s contains control characters.", name=name[:40])
            )
    return None


def register(app: Flask) -> None:
    """Install the check on every request."""
    app.before_request(_refuse_control_characters)
