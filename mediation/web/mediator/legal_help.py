"""Legal help on the case page: ask the zone's volunteer lawyers, follow and cancel requests;
and the workload of every zone and lawyer.

The case page shows the panel with ``{% include "mediator/_legal_help.html" %}``; the partial
reads what it needs through the template function :func:`legal_help_panel` (one query), so
the case page's view passes nothing new. Requests are POST/redirect/GET like every action of
the case page; a refused form comes back (400) with the message next to its field and
nothing written.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from forms.assignments import (
    ASSIGNMENT_STATES,
    AVAILABILITY,
    KINDS,
    LegalHelpCancelForm,
    LegalHelpRequestForm,
    format_hours,
    format_local,
)
from mediation import clock
from mediation.assignments import queries
from mediation.assignments import service as svc
from mediation.assignments.queries import AssignmentDetail
from mediation.cases.enums import Role
from mediation.errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.errors import error_page
from mediation.web.mediator import blueprint
from mediation.web.mediator.form_html import fresh_html
from mediation.web.mediator.scope import case_id_for_mediator
from mediation.web.navigation import current_locale, translated
from workflows.assignment import FINAL_STATES

#: Case numbers are short printable text (as on the case page).
MAX_NUMBER_LENGTH = 40


def _case_id(number: str) -> int:
    if len(number) > MAX_NUMBER_LENGTH or any(
        unicodedata.category(c) in ("Cc", "Cs") for c in number
    ):
        abort(404)
    return case_id_for_mediator(read_session(), number)


@dataclass
class LegalHelpPanel:
    """What the case page's legal-help panel shows."""

    case_id: int
    number: str
    assignments: list[AssignmentDetail]
    #: The request form as submitted (with its errors); None when a fresh one is shown.
    request_form: LegalHelpRequestForm | None
    cancel_forms: dict[int, LegalHelpCancelForm] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    case_state: str = ""
    #: The HTML of a fresh request form's fields (when ``request_form`` is None).
    request_fields: Markup | None = None

    @property
    def can_request(self) -> bool:
        """Tell whether the case may still ask for legal help (not once archived)."""
        return self.case_state != "archived"


@blueprint.app_template_global("legal_help_panel")
def legal_help_panel(case: Any) -> LegalHelpPanel:
    """Return the legal-help panel of a case (anything with ``id``, ``number``, ``state``)."""
    assignments = queries.case_assignments(read_session(), int(case.id))
    submitted = g.get("legal_help_forms", {})
    request_form: LegalHelpRequestForm | None = submitted.get("request")
    request_fields = None
    if request_form is None:
        # Fresh: the same fields in every case, in a language, on a day (form_html.fresh_html).
        today = clock.today()
        request_fields = fresh_html(
            ("legal-help", current_locale(), today),
            lambda: current_app.jinja_env.get_template("mediator/_legal_help_fields.html").render(
                f=LegalHelpRequestForm(formdata=None, data={"due_on": today}, meta={"csrf": False})
            ),
        )
    cancel_forms = {
        a.id: submitted.get(("cancel", a.id))
        or LegalHelpCancelForm(formdata=None, data={"version": a.version})
        for a in assignments
        if a.state not in FINAL_STATES
    }
    return LegalHelpPanel(
        case_id=int(case.id),
        number=str(case.number),
        assignments=assignments,
        request_form=request_form,
        request_fields=request_fields,
        cancel_forms=cancel_forms,
        labels={
            "kinds": translated(KINDS),
            "states": translated(ASSIGNMENT_STATES),
            "local": format_local,
            "format_hours": format_hours,
            "now": clock.utcnow(),
            "today": clock.today(),
        },
        case_state=str(getattr(case, "state", "")),
    )


@dataclass(frozen=True)
class _CaseRef:
    id: int
    number: str
    state: str = ""


def _panel_page(case_id: int, number: str, status: int) -> ResponseReturnValue:
    return render_template(
        "mediator/legal_help_request.html", case=_CaseRef(case_id, number)
    ), status


@blueprint.post("/cases/<number>/legal-help")
@allow(Role.MEDIATOR)
def request_legal_help(number: str) -> ResponseReturnValue:
    """Ask the volunteer lawyers of the case's zone for legal help."""
    case_id = _case_id(number)
    read_session().rollback()
    form = LegalHelpRequestForm()
    if form.validate():
        try:
            with database().writing() as session:
                svc.request_help(
                    session,
                    case_id=case_id,
                    kind=form.kind.data or "",
                    needed=form.needed.data or "",
                    due_on=form.due_on.data,
                    actor=current_actor(),
                )
        except InvalidInput as exc:
            form.show_service_error(str(exc))
        except NotFound:
            abort(404)
        except TransitionNotAllowed:
            form.general_errors.append(_("An archived case cannot ask for legal help."))
        else:
            flash(
                _("Legal help requested: the zone's volunteer lawyers see it in their pool."),
                "success",
            )
            return redirect(url_for("mediator.case_page", number=number) + "#legal-help")
    g.legal_help_forms = {"request": form}
    return _panel_page(case_id, number, 400)


@blueprint.post("/cases/<number>/legal-help/<int:assignment_id>/cancel")
@allow(Role.MEDIATOR)
def cancel_legal_help(number: str, assignment_id: int) -> ResponseReturnValue:
    """Withdraw a request for legal help of this case (open or taken)."""
    case_id = _case_id(number)
    detail = queries.assignment_detail(read_session(), assignment_id)
    if detail is None or detail.case_id != case_id:
        abort(404)
    read_session().rollback()
    form = LegalHelpCancelForm()
    if form.validate():
        try:
            with database().writing() as session:
                svc.cancel(
                    session,
                    assignment_id=assignment_id,
                    actor=current_actor(),
                    reason=form.reason.data or "",
                    expected_version=form.version.data,
                )
        except InvalidInput as exc:
            form.show_service_error(str(exc))
        except (Conflict, TransitionNotAllowed):
            return error_page(
                409, _("The request for legal help changed meanwhile. Nothing was saved.")
            )
        else:
            flash(_("The request for legal help is cancelled."), "success")
            return redirect(url_for("mediator.case_page", number=number) + "#legal-help")
    g.legal_help_forms = {("cancel", assignment_id): form}
    return _panel_page(case_id, number, 400)


@blueprint.get("/legal-help/workload")
@allow(Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN)
def legal_help_workload() -> ResponseReturnValue:
    """Show open, claimed, overdue and completed legal help by zone and by lawyer."""
    load = queries.workload(read_session(), today=clock.today(), now=clock.utcnow())
    return render_template(
        "mediator/legal_help_workload.html",
        load=load,
        availability=translated(AVAILABILITY),
        format_hours=format_hours,
        is_admin=current_user.role == Role.ADMIN.value,
    )
