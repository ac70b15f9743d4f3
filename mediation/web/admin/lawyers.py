"""Admin pages: law firms, volunteer lawyers (firm, zones, notes, activity, availability) and
the zone map (each zone with its towns and lawyers)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forms.admin import TOWN_KIND_LABELS
from forms.assignments import AVAILABILITY, LawFirmForm, LawyerProfileForm
from mediation.assignments import queries
from mediation.assignments.lawyers import create_firm, lawyer_settings, save_lawyer, update_firm
from mediation.assignments.models import LawFirm
from mediation.cases.enums import Role
from mediation.errors import InvalidInput, NotFound
from mediation.tables import LAW_FIRM, ZONE
from mediation.web.access import allow, current_actor
from mediation.web.admin import blueprint
from mediation.web.db import database, read_session
from mediation.web.navigation import translated


def _form_page(form: Any, title: str, back: str, *, status: int) -> ResponseReturnValue:
    return render_template("admin/form.html", form=form, title=title, back=back), status


def _status(form: Any) -> int:
    return 400 if form.is_submitted() else 200


def _saved(changes: dict[str, Any], message: str) -> None:
    flash(message if changes else _("Nothing was changed."), "success" if changes else "info")


# --------------------------------------------------------------------------- law firms


@blueprint.get("/law-firms")
@allow(Role.ADMIN)
def law_firms() -> ResponseReturnValue:
    """List the partner law firms with their number of volunteer lawyers."""
    return render_template("admin/law_firms.html", firms=queries.firms(read_session()))


@blueprint.route("/law-firms/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create_law_firm() -> ResponseReturnValue:
    """Register a partner law firm."""
    form = LawFirmForm()
    if form.validate_on_submit():
        try:
            with database().writing() as session:
                create_firm(
                    session,
                    name=form.name.data or "",
                    phone=form.phone.data or "",
                    actor=current_actor(),
                )
        except InvalidInput as exc:
            form.show_service_error(exc)
        except IntegrityError:
            form.name.errors = [*form.name.errors, _("This name is already in use.")]
        else:
            flash(_("Law firm %(name)s created.", name=(form.name.data or "").strip()), "success")
            return redirect(url_for("admin.law_firms"))
    return _form_page(form, _("New law firm"), url_for("admin.law_firms"), status=_status(form))


@blueprint.route("/law-firms/<int:firm_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_law_firm(firm_id: int) -> ResponseReturnValue:
    """Change a law firm's name, phone, or whether it still sends volunteers."""
    firm = read_session().get(LawFirm, firm_id)
    if firm is None:
        abort(404)
    form = LawFirmForm(data={"name": firm.name, "phone": firm.phone, "active": firm.active})
    if form.validate_on_submit():
        try:
            with database().writing() as session:
                changes = update_firm(
                    session,
                    firm_id=firm_id,
                    name=form.name.data or "",
                    phone=form.phone.data or "",
                    active=bool(form.active.data),
                    actor=current_actor(),
                )
        except InvalidInput as exc:
            form.show_service_error(exc)
        except IntegrityError:
            form.name.errors = [*form.name.errors, _("This name is already in use.")]
        else:
            _saved(changes, _("Law firm %(name)s saved.", name=(form.name.data or "").strip()))
            return redirect(url_for("admin.law_firms"))
    title = _("Edit law firm %(name)s", name=firm.name)
    return _form_page(form, title, url_for("admin.law_firms"), status=_status(form))


# --------------------------------------------------------------------------- lawyers


@blueprint.get("/lawyers")
@allow(Role.ADMIN)
def lawyers() -> ResponseReturnValue:
    """List the volunteer lawyers with firm, zones, activity and availability."""
    return render_template(
        "admin/lawyers.html",
        lawyers=queries.lawyer_list(read_session()),
        availability=translated(AVAILABILITY),
    )


def _choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    session = read_session()
    firms = [
        (row.id, row.name if row.active else f"{row.name} (—)")
        for row in session.execute(
            select(LAW_FIRM.c.id, LAW_FIRM.c.name, LAW_FIRM.c.active).order_by(LAW_FIRM.c.name)
        )
    ]
    zones = [
        (row.id, row.name)
        for row in session.execute(select(ZONE.c.id, ZONE.c.name).order_by(ZONE.c.name))
    ]
    return firms, zones


@blueprint.route("/lawyers/<int:lawyer_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_lawyer(lawyer_id: int) -> ResponseReturnValue:
    """Set a volunteer lawyer's firm, zones, practice notes, activity and availability."""
    try:
        settings = lawyer_settings(read_session(), lawyer_id)
    except NotFound:
        abort(404)
    form = LawyerProfileForm(
        data={
            "firm": settings.firm_id,
            "zones": list(settings.zone_ids),
            "practice_notes": settings.practice_notes,
            "availability": settings.availability,
            "active": settings.active,
        }
    )
    form.set_choices(*_choices())
    if form.validate_on_submit():
        try:
            with database().writing() as session:
                changes = save_lawyer(
                    session,
                    user_id=lawyer_id,
                    firm_id=form.firm.data,
                    zone_ids=list(form.zones.data or []),
                    practice_notes=form.practice_notes.data or "",
                    active=bool(form.active.data),
                    availability=form.availability.data or "",
                    actor=current_actor(),
                )
        except InvalidInput as exc:
            form.show_service_error(exc)
        else:
            _saved(changes, _("Volunteer lawyer %(name)s saved.", name=settings.display_name))
            return redirect(url_for("admin.lawyers"))
    title = _(
        "Volunteer lawyer %(name)s (%(username)s)",
        name=settings.display_name,
        username=settings.username,
    )
    return _form_page(form, title, url_for("admin.lawyers"), status=_status(form))


# --------------------------------------------------------------------------- zone map


@blueprint.get("/zone-map")
@allow(Role.ADMIN)
def zone_map() -> ResponseReturnValue:
    """List each zone with its towns and its volunteer lawyers."""
    zones, unzoned = queries.zone_map(read_session())
    return render_template(
        "admin/zone_map.html",
        zones=zones,
        unzoned=unzoned,
        kinds=translated(TOWN_KIND_LABELS),
        availability=translated(AVAILABILITY),
    )
