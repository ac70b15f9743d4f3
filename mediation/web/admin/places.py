"""Admin pages: organisations, towns and zones — list, create, edit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from forms.admin import (
    TOWN_KIND_LABELS,
    OrganizationCreateForm,
    OrganizationEditForm,
    TownCreateForm,
    TownMoveForm,
    ZoneCreateForm,
    ZoneEditForm,
)
from forms.labels import LEVELS
from mediation.assignments.queries import zone_map
from mediation.cases.enums import Role
from mediation.errors import InvalidInput
from mediation.people.models import Organization, Town, Zone
from mediation.people.places import (
    create_organization,
    create_town,
    create_zone,
    move_town,
    set_claim_window,
    update_organization,
)
from mediation.tables import ORGANIZATION, TOWN, ZONE
from mediation.web.access import allow, current_actor
from mediation.web.admin import blueprint
from mediation.web.db import database, read_session


def _form_page(
    form: Any, title: str, back: str, *, status: int, subject: str | None = None
) -> ResponseReturnValue:
    page = render_template("admin/form.html", form=form, title=title, back=back, subject=subject)
    return page, status


def _saved(changes: dict[str, list[Any]], message: str) -> None:
    if changes:
        flash(message, "success")
    else:
        flash(_("Nothing was changed."), "info")


def _status(form: Any) -> int:
    return 400 if form.is_submitted() else 200


def _taken(form: Any) -> None:
    # Lost a race to the same name: the unique index refused what the check let through.
    form.name.errors = [*form.name.errors, _("This name is already in use.")]


def _save(
    form: Any, write: Callable[[Session], Any], message: str, back: str, *, created: bool = False
) -> ResponseReturnValue | None:
    """Run a place service in one write transaction; redirect to ``back`` when it is saved.

    ``write`` returns the service's changes (an edit: "nothing was changed" when empty), or
    anything for a creation. A refusal is put on the form and None returned, for the form
    page to be shown again with it.
    """
    try:
        with database().writing() as session:
            changes = write(session)
    except InvalidInput as exc:
        form.show_service_error(exc)
    except IntegrityError:
        _taken(form)
    else:
        if created:
            flash(message, "success")
        else:
            _saved(changes, message)
        return redirect(back)
    return None


def _towns() -> list[tuple[int, str]]:
    query = select(TOWN.c.id, TOWN.c.name).order_by(TOWN.c.name)
    return [(row.id, row.name) for row in read_session().execute(query)]


def _zones() -> list[tuple[int, str]]:
    query = select(ZONE.c.id, ZONE.c.name).order_by(ZONE.c.name)
    return [(row.id, row.name) for row in read_session().execute(query)]


def _get_or_404(model: type[Any], row_id: int) -> Any:
    row = read_session().get(model, row_id)
    if row is None:
        abort(404)
    return row


def _locked(session: Session, model: type[Any], row_id: int) -> Any:
    """The row to change, read again in the write transaction (it was shown to exist)."""
    row = session.get(model, row_id)
    assert row is not None
    return row


# Organisations ---------------------------------------------------------------------


@blueprint.get("/organizations")
@allow(Role.ADMIN)
def organizations() -> ResponseReturnValue:
    """List the mediation organisations with level, town and zone."""
    rows = read_session().execute(
        select(
            ORGANIZATION.c.id,
            ORGANIZATION.c.name,
            ORGANIZATION.c.level,
            TOWN.c.name.label("town"),
            ZONE.c.name.label("zone"),
        )
        .select_from(
            ORGANIZATION.outerjoin(TOWN, TOWN.c.id == ORGANIZATION.c.town_id).outerjoin(
                ZONE, ZONE.c.id == TOWN.c.zone_id
            )
        )
        .order_by(ORGANIZATION.c.level, ORGANIZATION.c.name)
    )
    return render_template("admin/organizations.html", organizations=rows.all(), levels=LEVELS)


@blueprint.route("/organizations/new", methods=["GET", "POST"], endpoint="create_organization")
@allow(Role.ADMIN)
def new_organization() -> ResponseReturnValue:
    """Register a mediation organisation."""
    form = OrganizationCreateForm()
    form.set_towns(_towns())
    back = url_for("admin.organizations")
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda session: create_organization(
                session,
                name=form.name.data or "",
                level=form.level.data or "",
                town_id=form.town.data,
                actor=current_actor(),
            ),
            _("Organisation %(name)s created.", name=form.name.data.strip()),
            back,
            created=True,
        )
        if saved is not None:
            return saved
    return _form_page(form, _("New organisation"), back, status=_status(form))


@blueprint.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_organization(organization_id: int) -> ResponseReturnValue:
    """Change an organisation's name, level or town."""
    organization = _get_or_404(Organization, organization_id)
    form = OrganizationEditForm(
        data={"name": organization.name, "level": organization.level, "town": organization.town_id}
    )
    form.set_towns(_towns())
    back = url_for("admin.organizations")
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda session: update_organization(
                session,
                _locked(session, Organization, organization_id),
                name=form.name.data or "",
                level=form.level.data or "",
                town_id=form.town.data,
                actor=current_actor(),
            ),
            _("Organisation %(name)s saved.", name=form.name.data.strip()),
            back,
        )
        if saved is not None:
            return saved
    title = _("Edit organisation %(name)s", name=organization.name)
    return _form_page(form, title, back, status=_status(form))


# Towns ------------------------------------------------------------------------------


@blueprint.get("/towns")
@allow(Role.ADMIN)
def towns() -> ResponseReturnValue:
    """List the towns, streets and industrial bases with their zone."""
    rows = read_session().execute(
        select(TOWN.c.id, TOWN.c.name, TOWN.c.kind, ZONE.c.name.label("zone"))
        .select_from(TOWN.outerjoin(ZONE, ZONE.c.id == TOWN.c.zone_id))
        .order_by(ZONE.c.name, TOWN.c.name)
    )
    return render_template("admin/towns.html", towns=rows.all(), kinds=TOWN_KIND_LABELS)


@blueprint.route("/towns/new", methods=["GET", "POST"], endpoint="create_town")
@allow(Role.ADMIN)
def new_town() -> ResponseReturnValue:
    """Register a town, street or industrial base."""
    form = TownCreateForm()
    form.set_zones(_zones())
    back = url_for("admin.towns")
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda session: create_town(
                session,
                name=form.name.data or "",
                kind=form.kind.data or "",
                zone_id=form.zone.data,
                actor=current_actor(),
            ),
            _("Town %(name)s created.", name=form.name.data.strip()),
            back,
            created=True,
        )
        if saved is not None:
            return saved
    return _form_page(form, _("New town"), back, status=_status(form))


@blueprint.route("/towns/<int:town_id>", methods=["GET", "POST"], endpoint="move_town")
@allow(Role.ADMIN)
def move_town_page(town_id: int) -> ResponseReturnValue:
    """Move a town to another zone."""
    town = _get_or_404(Town, town_id)
    form = TownMoveForm(data={"zone": town.zone_id})
    form.set_zones(_zones())
    back = url_for("admin.towns")
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda session: move_town(
                session,
                _locked(session, Town, town_id),
                zone_id=form.zone.data,
                actor=current_actor(),
            ),
            _("Town %(name)s moved.", name=town.name),
            back,
        )
        if saved is not None:
            return saved
    title = _("Move %(name)s to another zone", name=town.name)
    return _form_page(form, title, back, status=_status(form))


# Zones ------------------------------------------------------------------------------


@blueprint.get("/zones")
@allow(Role.ADMIN)
def zones() -> ResponseReturnValue:
    """List the zones with their claim window, towns and volunteer lawyers (every zone each
    lawyer serves, as the zone map counts them)."""
    zones, unzoned = zone_map(read_session())
    return render_template("admin/zones.html", zones=zones, unzoned=unzoned)


@blueprint.route("/zones/new", methods=["GET", "POST"], endpoint="create_zone")
@allow(Role.ADMIN)
def new_zone() -> ResponseReturnValue:
    """Create a zone (片区)."""
    form = ZoneCreateForm()
    back = url_for("admin.zones")
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda session: create_zone(
                session,
                name=form.name.data or "",
                claim_window_hours=form.claim_window_hours.data,
                actor=current_actor(),
            ),
            _("Zone %(name)s created.", name=form.name.data.strip()),
            back,
            created=True,
        )
        if saved is not None:
            return saved
    return _form_page(form, _("New zone"), back, status=_status(form))


@blueprint.route("/zones/<int:zone_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_zone(zone_id: int) -> ResponseReturnValue:
    """Change a zone's claim window."""
    zone = _get_or_404(Zone, zone_id)
    form = ZoneEditForm(data={"claim_window_hours": zone.claim_window_hours})
    back = url_for("admin.zones")
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda session: set_claim_window(
                session,
                _locked(session, Zone, zone_id),
                hours=form.claim_window_hours.data,
                actor=current_actor(),
            ),
            _("Zone %(name)s saved.", name=zone.name),
            back,
        )
        if saved is not None:
            return saved
    title = _("Claim window of %(name)s", name=zone.name)
    return _form_page(form, title, back, status=_status(form))
