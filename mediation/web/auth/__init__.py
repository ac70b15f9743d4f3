"""Logging in and out, the language of the interface, and one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from forms.auth import LanguageForm, LoginForm, PasswordChangeForm
from mediation.cases.enums import Role
from mediation.errors import InvalidInput
from mediation.people.models import User
from mediation.people.passwords import verify_password
from mediation.people.service import authenticate, set_password
from mediation.web import authlog
from mediation.web.access import allow, current_actor, public
from mediation.web.db import database
from mediation.web.security import start_session
from mediation.web.session_user import SessionUser

blueprint = Blueprint("auth", __name__)

EVERYONE = (Role.MEDIATOR, Role.LAWYER, Role.SUPERVISOR, Role.ADMIN)

#: Where each role lands after logging in.
HOME_ENDPOINTS = {
    Role.MEDIATOR.value: "mediator.dashboard",
    Role.LAWYER.value: "lawyer.pool",
    Role.SUPERVISOR.value: "supervisor.dashboard",
    Role.ADMIN.value: "overview.index",
}


def home_url(role: str) -> str:
    """Return the start page of a role (falling back to the overview)."""
    from flask import current_app

    endpoint = HOME_ENDPOINTS.get(role, "overview.index")
    if endpoint not in current_app.view_functions:
        endpoint = "overview.index"
    return url_for(endpoint)


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never redirect to another host after login. Browsers and
    # Werkzeug drop tabs and newlines and read "\\" as "/", so "/\t/evil" would become
    # "//evil": refuse such characters outright.
    if not target or not target.startswith("/") or any(c in target for c in "\\\t\r\n"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@blueprint.route("/")
@public
def home() -> ResponseReturnValue:
    """Send the user to the start page of their role, or to the login page."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user.role))
    return redirect(url_for("auth.login"))


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    """Show the login form and log the user in."""
    form = LoginForm()
    if form.validate_on_submit():
        with database().writing() as db_session:
            user = authenticate(db_session, form.username.data or "", form.password.data or "")
            session_user = SessionUser.from_user(user) if user is not None else None
        if session_user is None:
            authlog.login_failed(form.username.data or "")
            flash(_("Wrong user name or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        # A fresh session, with a new id, at login: nothing from before the login survives.
        start_session()
        login_user(session_user)
        authlog.login_succeeded(session_user.id_number, session_user.username)
        return redirect(_safe_next(request.args.get("next")) or home_url(session_user.role))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@blueprint.post("/logout")
@allow(*EVERYONE)
def logout() -> ResponseReturnValue:
    """End this session."""
    authlog.logged_out(current_user.id_number, current_user.username)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.post("/language")
@public
def set_language() -> ResponseReturnValue:
    """Switch the interface language; remembered for a logged-in user."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.home"))
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        with database().writing() as db_session:
            user = db_session.get(User, current_user.id_number)
            if user is not None:
                user.locale = form.locale.data
                db_session.add(user)
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.home"))


@blueprint.route("/password", methods=["GET", "POST"])
@allow(*EVERYONE)
def change_password() -> ResponseReturnValue:
    """Change one's own password; every session of the user ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        reason: str | None = None
        with database().writing() as db_session:
            user = db_session.get(User, current_user.id_number)
            assert user is not None
            if not verify_password(user.password_hash, form.current_password.data or ""):
                form.current_password.errors.append(_("The current password is wrong."))
                reason = "wrong_current_password"
            else:
                try:
                    set_password(
                        db_session, user, form.new_password.data or "", actor=current_actor()
                    )
                except InvalidInput as exc:
                    form.new_password.errors.append(str(exc))
                    reason = "policy"
        authlog.password_changed(
            current_user.id_number,
            current_user.username,
            ok=not form.errors,
            reason=reason,
        )
        if not form.errors:
            logout_user()
            session.clear()
            flash(_("Your password has been changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
        return render_template("auth/password.html", form=form), 400
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
