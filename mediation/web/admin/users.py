"""Admin pages: users — list, create, edit, disable and enable, reset a password."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from forms.admin import ConfirmForm, PasswordResetForm, UserCreateForm, UserEditForm
from forms.labels import ROLES
from mediation.cases.enums import Role
from mediation.errors import InvalidInput
from mediation.people.models import User
from mediation.people.service import (
    create_user,
    disable_user,
    enable_user,
    set_password,
    update_user,
)
from mediation.tables import ORGANIZATION, USER, ZONE
from mediation.web.access import allow, current_actor
from mediation.web.admin import blueprint
from mediation.web.db import database, read_session
from mediation.web.errors import error_page


def _places() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    session = read_session()
    organizations = [
        (row.id, row.name)
        for row in session.execute(
            select(ORGANIZATION.c.id, ORGANIZATION.c.name).order_by(ORGANIZATION.c.name)
        )
    ]
    zones = [
        (row.id, row.name)
        for row in session.execute(select(ZONE.c.id, ZONE.c.name).order_by(ZONE.c.name))
    ]
    return organizations, zones


def _user_or_404(user_id: int) -> User:
    user = read_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _is_me(user: User) -> bool:
    return user.id == current_user.id_number


@blueprint.get("/users")
@allow(Role.ADMIN)
def users() -> ResponseReturnValue:
    """List every user with role, organisation or zone, and whether they may log in."""
    rows = read_session().execute(
        select(
            USER.c.id,
            USER.c.username,
            USER.c.display_name,
            USER.c.role,
            USER.c.active,
            ORGANIZATION.c.name.label("organization"),
            ZONE.c.name.label("zone"),
        )
        .select_from(
            USER.outerjoin(ORGANIZATION, ORGANIZATION.c.id == USER.c.organization_id).outerjoin(
                ZONE, ZONE.c.id == USER.c.zone_id
            )
        )
        .order_by(USER.c.active.desc(), USER.c.username)
    )
    return render_template(
        "admin/users.html", users=rows.all(), roles=ROLES, me=current_user.id_number
    )


@blueprint.route("/users/new", methods=["GET", "POST"], endpoint="create_user")
@allow(Role.ADMIN)
def new_user() -> ResponseReturnValue:
    """Create a user with an initial password."""
    form = UserCreateForm()
    form.set_places(*_places())
    if form.validate_on_submit():
        try:
            with database().writing() as session:
                user = create_user(
                    session,
                    username=form.username.data or "",
                    password=form.password.data or "",
                    role=form.role.data or "",
                    display_name=form.display_name.data or "",
                    organization_id=form.organization_id,
                    zone_id=form.zone_id,
                    actor=current_actor(),
                )
                username = user.username
        except InvalidInput as exc:
            form.show_service_error(exc)
        else:
            flash(_("User %(name)s created.", name=username), "success")
            return redirect(url_for("admin.users"))
    return _form_page(form, _("New user"), status=400 if form.is_submitted() else 200)


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change a user's name, role, organisation or zone."""
    user = _user_or_404(user_id)
    form = UserEditForm(
        data={
            "display_name": user.display_name,
            "role": user.role,
            "organization": user.organization_id,
            "zone": user.zone_id,
        }
    )
    form.set_places(*_places())
    if form.validate_on_submit():
        if _is_me(user) and form.role.data != Role.ADMIN:
            form.role.errors.append(_("You cannot take the administrator role from yourself."))
        else:
            try:
                with database().writing() as session:
                    row = session.get(User, user_id)
                    if row is None:
                        abort(404)
                    changes = update_user(
                        session,
                        row,
                        display_name=form.display_name.data or "",
                        role=form.role.data or "",
                        organization_id=form.organization_id,
                        zone_id=form.zone_id,
                        actor=current_actor(),
                    )
            except InvalidInput as exc:
                form.show_service_error(exc)
            else:
                if changes:
                    flash(_("User %(name)s saved.", name=user.username), "success")
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(url_for("admin.users"))
    return _form_page(
        form,
        _("Edit user %(name)s", name=user.username),
        status=400 if form.is_submitted() else 200,
    )


@blueprint.post("/users/<int:user_id>/disable", endpoint="disable_user")
@allow(Role.ADMIN)
def disable(user_id: int) -> ResponseReturnValue:
    """Stop a user from logging in; every session of theirs ends."""
    user = _user_or_404(user_id)
    if _is_me(user):
        return error_page(400, _("You cannot disable your own account."))
    if ConfirmForm().validate_on_submit():
        with database().writing() as session:
            row = session.get(User, user_id)
            assert row is not None
            disable_user(session, row, actor=current_actor())
        flash(_("User %(name)s disabled; their sessions have ended.", name=user.username), "info")
    return redirect(url_for("admin.users"))


@blueprint.post("/users/<int:user_id>/enable", endpoint="enable_user")
@allow(Role.ADMIN)
def enable(user_id: int) -> ResponseReturnValue:
    """Let a disabled user log in again."""
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        with database().writing() as session:
            row = session.get(User, user_id)
            assert row is not None
            enable_user(session, row, actor=current_actor())
        flash(_("User %(name)s may log in again.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@allow(Role.ADMIN)
def reset_password(user_id: int) -> ResponseReturnValue:
    """Give a user a new password; every session of theirs ends."""
    user = _user_or_404(user_id)
    if _is_me(user):
        # One's own password is changed knowing the current one.
        return redirect(url_for("auth.change_password"))
    form = PasswordResetForm()
    form.policy_username = user.username
    if form.validate_on_submit():
        try:
            with database().writing() as session:
                row = session.get(User, user_id)
                assert row is not None
                set_password(session, row, form.password.data or "", actor=current_actor())
        except InvalidInput as exc:
            form.show_service_error(exc)
        else:
            flash(
                _("New password set for %(name)s; their sessions have ended.", name=user.username),
                "success",
            )
            return redirect(url_for("admin.users"))
    return _form_page(
        form,
        _("New password for %(name)s", name=user.username),
        status=400 if form.is_submitted() else 200,
    )


def _form_page(form: Any, title: str, *, status: int) -> ResponseReturnValue:
    return (
        render_template("admin/form.html", form=form, title=title, back=url_for("admin.users")),
        status,
    )
