"""The lawyer's pages and actions (POST/redirect/GET, one write transaction per action).

A view never sets a state: it checks that the lawyer may see the assignment (404 otherwise),
parses the form and hands the input to :mod:`mediation.assignments.service`. A claim lost to
another lawyer answers 409 "already taken by another lawyer"; nothing is written.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from forms.assignments import (
    ASSIGNMENT_STATES,
    KINDS,
    AssignmentClaimForm,
    AssignmentCompleteForm,
    AssignmentReleaseForm,
    ConflictCheckForm,
    format_hours,
    format_local,
)
from forms.labels import CATEGORIES, STATES
from mediation import clock
from mediation.assignments import queries
from mediation.assignments import service as svc
from mediation.assignments.queries import AssignmentDetail
from mediation.cases.enums import Role
from mediation.errors import Conflict, GuardFailed, InvalidInput, NotFound, TransitionNotAllowed
from mediation.money import format_yuan
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.errors import error_page
from mediation.web.lawyer import blueprint
from mediation.web.navigation import translated


def _me() -> int:
    return int(current_user.id_number)


def _labels() -> dict[str, Any]:
    return {
        "kinds": translated(KINDS),
        "states": translated(ASSIGNMENT_STATES),
        "case_states": translated(STATES),
        "categories": translated(CATEGORIES),
        "local": format_local,
        "format_yuan": format_yuan,
        "format_hours": format_hours,
    }


def _visible(assignment_id: int, *, even_if_taken: bool = False) -> AssignmentDetail:
    """Return the assignment if the lawyer may see it at all; 404 otherwise."""
    session = read_session()
    detail = queries.assignment_detail(session, assignment_id)
    if detail is None or not svc.may_see(
        session, detail, _me(), clock.utcnow(), even_if_taken=even_if_taken
    ):
        abort(404)
    return detail


# --------------------------------------------------------------------------- the pools


@blueprint.get("/")
@allow(Role.LAWYER)
def pool() -> ResponseReturnValue:
    """List the open assignments of my zones: party names, kind, town and due date only."""
    session = read_session()
    now = clock.utcnow()
    items = queries.pool(session, lawyer_id=_me(), now=now)
    escalated = queries.escalated_pool(session, lawyer_id=_me(), now=now)
    return render_template(
        "lawyer/pool.html",
        items=items,
        escalated_count=sum(1 for item in escalated if not item.in_my_zones),
        next_form=AssignmentClaimForm(),
        today=clock.today(),
        **_labels(),
    )


@blueprint.get("/escalated")
@allow(Role.LAWYER)
def escalated() -> ResponseReturnValue:
    """List the assignments of every zone left unclaimed past their zone's window."""
    items = queries.escalated_pool(read_session(), lawyer_id=_me(), now=clock.utcnow())
    return render_template("lawyer/escalated.html", items=items, today=clock.today(), **_labels())


@blueprint.get("/mine")
@allow(Role.LAWYER)
def my_assignments() -> ResponseReturnValue:
    """List the assignments I hold or have held."""
    items = queries.my_assignments(read_session(), lawyer_id=_me(), today=clock.today())
    return render_template("lawyer/mine.html", items=items, **_labels())


# --------------------------------------------------------------------------- one assignment


def render_assignment(
    detail: AssignmentDetail,
    *,
    status: int = 200,
    complete_form: AssignmentCompleteForm | None = None,
    release_form: AssignmentReleaseForm | None = None,
    conflict_form: ConflictCheckForm | None = None,
) -> ResponseReturnValue:
    """Render an assignment: the conflict check first, the details only once it is done."""
    session = read_session()
    answer = svc.conflict_answer(session, detail.id, _me())
    mine = detail.claimed_by_id == _me()
    if complete_form is None:
        complete_form = AssignmentCompleteForm(formdata=None, data={"version": detail.version})
    if release_form is None:
        release_form = AssignmentReleaseForm(formdata=None, data={"version": detail.version})
    return (
        render_template(
            "lawyer/assignment.html",
            a=detail,
            confirmed=answer is False,
            mine=mine,
            escalated=detail.escalated(clock.utcnow()),
            conflict_form=conflict_form or ConflictCheckForm(formdata=None),
            claim_form=AssignmentClaimForm(formdata=None),
            complete_form=complete_form,
            release_form=release_form,
            today=clock.today(),
            **_labels(),
        ),
        status,
    )


@blueprint.get("/assignments/<int:assignment_id>")
@allow(Role.LAWYER)
def assignment(assignment_id: int) -> ResponseReturnValue:
    """Show an assignment of my pools or my work (404 for any other)."""
    return render_assignment(_visible(assignment_id))


def _refused(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, svc.AlreadyTaken):
        return render_template("lawyer/taken.html"), 409
    if isinstance(exc, GuardFailed):
        return error_page(
            409, _("This step is not possible yet."), [b.render(_) for b in exc.blockers]
        )
    if isinstance(exc, Conflict):
        return error_page(409)
    return error_page(409, _("This is not possible in the assignment's current state."))


@blueprint.post("/assignments/<int:assignment_id>/conflict")
@allow(Role.LAWYER)
def check_conflict(assignment_id: int) -> ResponseReturnValue:
    """Record my answer on a conflict of interest with the parties."""
    detail = _visible(assignment_id)
    read_session().rollback()
    form = ConflictCheckForm()
    if not form.validate():
        return render_assignment(detail, status=400, conflict_form=form)
    try:
        with database().writing() as session:
            if form.answer.data == "conflict":
                svc.declare_conflict(session, assignment_id=assignment_id, lawyer=current_actor())
            else:
                svc.confirm_no_conflict(
                    session, assignment_id=assignment_id, lawyer=current_actor()
                )
    except NotFound:
        abort(404)
    except (Conflict, GuardFailed, TransitionNotAllowed) as exc:
        return _refused(exc)
    if form.answer.data == "conflict":
        flash(
            _(
                "Recorded: you have a conflict of interest. "
                "The assignment is no longer offered to you."
            ),
            "info",
        )
        return redirect(url_for("lawyer.pool"))
    flash(_("Recorded: no conflict of interest."), "success")
    return redirect(url_for("lawyer.assignment", assignment_id=assignment_id))


@blueprint.post("/assignments/<int:assignment_id>/claim")
@allow(Role.LAWYER)
def claim(assignment_id: int) -> ResponseReturnValue:
    """Take an assignment; of simultaneous claims exactly one wins, the others get 409."""
    # One of my pools' assignments that another lawyer took meanwhile: say so (409).
    _visible(assignment_id, even_if_taken=True)
    read_session().rollback()
    if not AssignmentClaimForm().validate():
        abort(400)
    try:
        with database().writing() as session:
            change = svc.claim(session, assignment_id=assignment_id, lawyer=current_actor())
    except (Conflict, GuardFailed, TransitionNotAllowed) as exc:
        return _refused(exc)
    if change.changed:
        flash(_("The assignment is yours."), "success")
    return redirect(url_for("lawyer.assignment", assignment_id=assignment_id))


@blueprint.post("/next")
@allow(Role.LAWYER)
def claim_next() -> ResponseReturnValue:
    """Take the oldest open assignment of my zones."""
    if not AssignmentClaimForm().validate():
        abort(400)
    try:
        with database().writing() as session:
            change = svc.claim_next(session, lawyer=current_actor())
    except (Conflict, GuardFailed, TransitionNotAllowed) as exc:
        return _refused(exc)
    if change is None:
        flash(_("There is no open assignment in your zones."), "info")
        return redirect(url_for("lawyer.pool"))
    flash(_("The assignment is yours. Check for a conflict of interest first."), "success")
    return redirect(url_for("lawyer.assignment", assignment_id=change.assignment_id))


@blueprint.post("/assignments/<int:assignment_id>/release")
@allow(Role.LAWYER)
def release(assignment_id: int) -> ResponseReturnValue:
    """Give an assignment I hold back to the pool, with the reason."""
    detail = _visible(assignment_id)
    read_session().rollback()
    form = AssignmentReleaseForm()
    if not form.validate():
        return render_assignment(detail, status=400, release_form=form)
    try:
        with database().writing() as session:
            svc.release(
                session,
                assignment_id=assignment_id,
                lawyer=current_actor(),
                reason=form.reason.data or "",
                expected_version=form.version.data,
            )
    except InvalidInput as exc:
        form.show_service_error(str(exc))
        return render_assignment(detail, status=400, release_form=form)
    except (Conflict, GuardFailed, TransitionNotAllowed) as exc:
        return _refused(exc)
    flash(_("The assignment is back in the pool."), "success")
    return redirect(url_for("lawyer.my_assignments"))


@blueprint.post("/assignments/<int:assignment_id>/complete")
@allow(Role.LAWYER)
def complete(assignment_id: int) -> ResponseReturnValue:
    """Record the outcome of an assignment I hold and the hours spent."""
    detail = _visible(assignment_id)
    read_session().rollback()
    form = AssignmentCompleteForm()
    if not form.validate():
        return render_assignment(detail, status=400, complete_form=form)
    try:
        with database().writing() as session:
            svc.complete(
                session,
                assignment_id=assignment_id,
                lawyer=current_actor(),
                outcome=form.outcome.data or "",
                minutes=form.hours.data if form.hours.data is not None else 0,
                expected_version=form.version.data,
            )
    except InvalidInput as exc:
        form.show_service_error(str(exc))
        return render_assignment(detail, status=400, complete_form=form)
    except (Conflict, GuardFailed, TransitionNotAllowed) as exc:
        return _refused(exc)
    flash(_("The legal help is recorded as completed."), "success")
    return redirect(url_for("lawyer.my_assignments"))
