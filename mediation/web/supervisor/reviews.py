"""Audit reviews: draw a sample, review each case, resolve discrepancies."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms.supervision import REVIEW_RESULTS, ResolveForm, ReviewForm, SampleDrawForm
from mediation import clock
from mediation.cases.enums import Role
from mediation.errors import InvalidInput
from mediation.money import format_yuan
from mediation.supervision import reviews as service
from mediation.supervision.periods import current_quarter
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.navigation import translated, translated_labels
from mediation.web.supervisor import blueprint

#: Ids in URLs are 32-bit integers.
MAX_ID = 2**31 - 1


def _check_id(value: int) -> None:
    if not 1 <= value <= MAX_ID:
        abort(404)


def _draw_form() -> SampleDrawForm:
    quarter = current_quarter(clock.today())
    form = SampleDrawForm(formdata=None, data={"date_from": quarter.start, "date_to": quarter.end})
    return form


def render_reviews(
    form: SampleDrawForm | None = None, *, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """Render the reviews page (with a submitted draw form and its errors, if any)."""
    session = read_session()
    return (
        render_template(
            "supervisor/reviews.html",
            form=form or _draw_form(),
            samples=service.list_samples(session),
            discrepancies=service.open_discrepancies(session),
            resolve_form=ResolveForm(formdata=None),
            error=error,
            max_size=service.MAX_SIZE,
            max_seed=service.MAX_SEED,
        ),
        status,
    )


@blueprint.get("/reviews")
@allow(Role.SUPERVISOR)
def reviews() -> ResponseReturnValue:
    """Show the samples drawn, the open discrepancies, and the form to draw a sample."""
    return render_reviews()


@blueprint.post("/reviews")
@allow(Role.SUPERVISOR)
def draw_sample() -> ResponseReturnValue:
    """Draw a sample of the settled cases of a period (one event), then show it."""
    form = SampleDrawForm()
    if not form.validate():
        return render_reviews(form, status=400)
    seed = form.seed.data if form.seed.data is not None else service.new_seed()
    try:
        with database().writing() as session:
            sample_id = service.draw_sample(
                session,
                date_from=form.date_from.data,
                date_to=form.date_to.data,
                size=int(form.size.data),
                seed=int(seed),
                actor=current_actor(),
            )
    except InvalidInput as exc:
        return render_reviews(form, status=400, error=str(exc))
    flash(_("Sample #%(id)s drawn with seed %(seed)s.", id=sample_id, seed=seed), "success")
    return redirect(url_for("supervisor.sample", sample_id=sample_id))


def render_sample(
    sample_id: int,
    *,
    status: int = 200,
    submitted: tuple[int, ReviewForm] | None = None,
    error: str | None = None,
) -> ResponseReturnValue:
    """Render a sample with a review form for every case not yet reviewed."""
    session = read_session()
    sample = service.get_sample(session, sample_id)
    redrawn = service.redraw(session, sample.summary)
    drawn = [member.number for member in sample.members]
    forms = {member.case_id: ReviewForm(formdata=None) for member in sample.members}
    if submitted is not None:
        forms[submitted[0]] = submitted[1]
    return (
        render_template(
            "supervisor/sample.html",
            sample=sample,
            repeats=redrawn == drawn,
            redrawn=redrawn,
            forms=forms,
            submitted=submitted[0] if submitted else None,
            error=error,
            results=translated(REVIEW_RESULTS),
            labels=translated_labels(),
            format_yuan=format_yuan,
        ),
        status,
    )


@blueprint.get("/reviews/<int:sample_id>")
@allow(Role.SUPERVISOR)
def sample(sample_id: int) -> ResponseReturnValue:
    """Show a sample: its period, size and seed, whether the draw repeats, and its cases."""
    _check_id(sample_id)
    return render_sample(sample_id)


@blueprint.post("/reviews/<int:sample_id>/cases/<int:case_id>")
@allow(Role.SUPERVISOR)
def review_case(sample_id: int, case_id: int) -> ResponseReturnValue:
    """Record the review of one sampled case (one event)."""
    _check_id(sample_id)
    _check_id(case_id)
    session = read_session()
    service.get_sample(session, sample_id)  # 404 for an unknown sample
    session.rollback()
    form = ReviewForm()
    if not form.validate():
        return render_sample(sample_id, status=400, submitted=(case_id, form))
    try:
        with database().writing() as write:
            service.record_review(
                write,
                sample_id=sample_id,
                case_id=case_id,
                result=form.result.data or "",
                note=form.note.data or "",
                actor=current_actor(),
            )
    except InvalidInput as exc:
        return render_sample(sample_id, status=400, submitted=(case_id, form), error=str(exc))
    flash(_("Review recorded."), "success")
    return redirect(url_for("supervisor.sample", sample_id=sample_id, _anchor=f"case-{case_id}"))


@blueprint.post("/reviews/discrepancies/<int:review_id>/resolve")
@allow(Role.SUPERVISOR)
def resolve_discrepancy(review_id: int) -> ResponseReturnValue:
    """Close an open discrepancy with how it was resolved (one event)."""
    _check_id(review_id)
    form = ResolveForm()
    if not form.validate():
        g.resolve_errors = (review_id, [str(e) for e in form.resolution.errors])
        return render_reviews(status=400, error=_("Say how the discrepancy was resolved."))
    try:
        with database().writing() as session:
            service.resolve_discrepancy(
                session,
                review_id=review_id,
                resolution=form.resolution.data or "",
                actor=current_actor(),
            )
    except InvalidInput as exc:
        return render_reviews(status=400, error=str(exc))
    flash(_("Discrepancy resolved."), "success")
    return redirect(url_for("supervisor.reviews", _anchor="discrepancies"))
