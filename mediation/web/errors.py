"""Friendly error pages in the user's language; no stack trace reaches a browser."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from mediation.errors import (
    Conflict,
    GuardFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StorageFull,
    TransitionNotAllowed,
)

log = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Not logged in"), _("Log in to continue.")),
        403: (_("Forbidden"), _("You may not open this page.")),
        404: (_("Not found"), _("There is no such page, or you may not see it.")),
        405: (_("Not allowed"), _("This page does not accept that kind of request.")),
        409: (
            _("Changed meanwhile"),
            _("Someone changed this record while you were working on it. Nothing was saved."),
        ),
        413: (_("Too large"), _("What you sent is too large.")),
        429: (_("Too many requests"), _("Wait a moment and try again.")),
        500: (_("Something went wrong"), _("The error has been logged. Please try again.")),
        507: (
            _("The disk is full"),
            _(
                "The server's disk is full: nothing was saved. Tell your administrator; "
                "try again once space has been freed."
            ),
        ),
    }


def error_page(
    code: int, message: str | None = None, details: list[str] | None = None
) -> ResponseReturnValue:
    """Render the error page for an HTTP status."""
    title, default = _titles().get(code, (str(code), ""))
    return (
        render_template(
            "errors/error.html", code=code, title=title, message=message or default, details=details
        ),
        code,
    )


def register(app: Flask) -> None:
    """Install the error handlers on the application."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return error_page(
            400,
            _(
                "The form has expired or was not sent from this site. "
                "Reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        return error_page(code)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> ResponseReturnValue:
        return error_page(404)

    @app.errorhandler(PermissionDenied)
    def forbidden(exc: PermissionDenied) -> ResponseReturnValue:
        return error_page(403)

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict) -> ResponseReturnValue:
        return error_page(409)

    @app.errorhandler(InvalidInput)
    def invalid(exc: InvalidInput) -> ResponseReturnValue:
        return error_page(400, str(exc))

    @app.errorhandler(TransitionNotAllowed)
    def not_allowed(exc: TransitionNotAllowed) -> ResponseReturnValue:
        return error_page(409, str(exc))

    @app.errorhandler(GuardFailed)
    def guard_failed(exc: GuardFailed) -> ResponseReturnValue:
        return error_page(
            409, _("This step is not possible yet."), [b.render(_) for b in exc.blockers]
        )

    @app.errorhandler(StorageFull)
    def storage_full(exc: StorageFull) -> ResponseReturnValue:
        log.error("write refused: %s", exc)
        return error_page(507)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return error_page(500)
