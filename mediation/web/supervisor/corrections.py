"""Corrections of signed amounts awaiting a supervisor's decision, and the decisions made.

Approving takes the recording action ``apply_correction`` through ``advance`` (the amounts
change at that moment, with the event) and then issues the signed agreement again as its
next version, rendered after the approval has committed; rejecting only closes the request.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms import labels
from forms.supervision import CorrectionDecisionForm, CorrectionRejectForm
from mediation import clock
from mediation.cases.enums import Role
from mediation.errors import Conflict, InvalidInput, MediationError, TransitionNotAllowed
from mediation.money import format_yuan
from mediation.supervision import corrections as service
from mediation.supervision.corrections import Correction
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.navigation import translated
from mediation.web.supervisor import blueprint
from mediation.web.supervisor.reviews import MAX_ID

log = logging.getLogger(__name__)


def _check_id(value: int) -> None:
    if not 1 <= value <= MAX_ID:
        abort(404)


@blueprint.get("/corrections")
@allow(Role.SUPERVISOR)
def corrections() -> ResponseReturnValue:
    """List the corrections awaiting a decision, then the decided ones."""
    session = read_session()
    return render_template(
        "supervisor/corrections.html",
        pending=service.list_corrections(session, state=service.PENDING),
        decided=[c for c in service.list_corrections(session) if not c.pending][:100],
        format_yuan=format_yuan,
    )


def render_correction(
    correction_id: int,
    *,
    status: int = 200,
    approve_form: CorrectionDecisionForm | None = None,
    reject_form: CorrectionRejectForm | None = None,
    error: str | None = None,
) -> ResponseReturnValue:
    """Render one correction with the approve and reject forms (while pending)."""
    session = read_session()
    correction: Correction = service.get_correction(session, correction_id)
    agreement = service.signed_agreement(session, correction.case_id)
    fresh = {"version": agreement.version}
    return (
        render_template(
            "supervisor/correction.html",
            correction=correction,
            agreement=agreement,
            approve_form=approve_form or CorrectionDecisionForm(formdata=None, data=fresh),
            reject_form=reject_form or CorrectionRejectForm(formdata=None, data=fresh),
            error=error,
            categories=translated(labels.CATEGORIES),
            format_yuan=format_yuan,
        ),
        status,
    )


@blueprint.get("/corrections/<int:correction_id>")
@allow(Role.SUPERVISOR)
def correction(correction_id: int) -> ResponseReturnValue:
    """Show a correction: the amounts before and after, the reason, and the decision."""
    _check_id(correction_id)
    return render_correction(correction_id)


def public_base_url() -> str:
    """Return where the public reaches this application (printed on the re-issued PDF)."""
    configured = str(current_app.config.get("PUBLIC_BASE_URL") or "").strip()
    return configured or request.url_root


@blueprint.post("/corrections/<int:correction_id>/approve")
@allow(Role.SUPERVISOR)
def approve_correction(correction_id: int) -> ResponseReturnValue:
    """Approve: the amounts change now (one event), then the agreement is issued again."""
    _check_id(correction_id)
    session = read_session()
    service.get_correction(session, correction_id)  # 404 for an unknown correction
    session.rollback()
    form = CorrectionDecisionForm()
    if not form.validate():
        return render_correction(correction_id, status=400, approve_form=form)
    try:
        with database().writing() as write:
            service.approve_correction(
                write,
                correction_id=correction_id,
                actor=current_actor(),
                note=form.note.data or "",
                expected_version=int(form.version.data),
            )
    except Conflict:
        return render_correction(
            correction_id,
            status=409,
            error=_("The case changed since this page was loaded. Nothing was saved; check again."),
        )
    except (InvalidInput, TransitionNotAllowed) as exc:
        return render_correction(correction_id, status=409, approve_form=form, error=str(exc))
    flash(_("Correction #%(id)s approved: the amounts are corrected.", id=correction_id), "success")
    try:
        issued = service.reissue_corrected_agreement(
            database(),
            correction_id=correction_id,
            actor=current_actor(),
            base_url=public_base_url(),
            today=clock.today(),
        )
    except MediationError as exc:
        log.warning("correction %s: the agreement was not issued again: %s", correction_id, exc)
        flash(
            _(
                "The settlement agreement was not issued again (%(error)s): a mediator can "
                "issue it from the case page.",
                error=str(exc),
            ),
            "warning",
        )
    except Exception:
        log.exception("correction %s: the agreement was not issued again", correction_id)
        flash(
            _(
                "The settlement agreement was not issued again because of an error: a mediator "
                "can issue it from the case page."
            ),
            "warning",
        )
    else:
        flash(
            _(
                "Settlement agreement %(number)s issued again as version %(version)s.",
                number=issued.number,
                version=issued.version,
            ),
            "success",
        )
    return redirect(url_for("supervisor.correction", correction_id=correction_id))


@blueprint.post("/corrections/<int:correction_id>/reject")
@allow(Role.SUPERVISOR)
def reject_correction(correction_id: int) -> ResponseReturnValue:
    """Reject: the agreement stays as signed (one event)."""
    _check_id(correction_id)
    session = read_session()
    service.get_correction(session, correction_id)
    session.rollback()
    form = CorrectionRejectForm()
    if not form.validate():
        return render_correction(correction_id, status=400, reject_form=form)
    try:
        with database().writing() as write:
            service.reject_correction(
                write, correction_id=correction_id, actor=current_actor(), note=form.note.data or ""
            )
    except (InvalidInput, Conflict) as exc:
        return render_correction(correction_id, status=409, reject_form=form, error=str(exc))
    flash(_("Correction #%(id)s rejected.", id=correction_id), "success")
    return redirect(url_for("supervisor.correction", correction_id=correction_id))
