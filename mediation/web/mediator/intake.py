"""Registering a dispute (登记): the intake form and the case it creates."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from forms.intake import CaseIntakeForm
from mediation import clock
from mediation.cases.enums import Role
from mediation.cases.queries import organization_summary, town_options
from mediation.cases.service import ClaimInput, PartyInput, register_case
from mediation.errors import InvalidInput
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.errors import error_page
from mediation.web.mediator import blueprint
from mediation.web.mediator.case_list import case_url

#: The field named at the start of a service's InvalidInput message -> the form field to show
#: it next to. Anything else is shown above the form.
_SERVICE_FIELDS = {
    "worker name": ("worker", "name"),
    "employer name": ("employer", "name"),
    "category": ("category",),
    "source": ("source",),
    "knew_on": ("knew_on",),
    "id_number": ("worker", "id_number"),
    "phone": ("worker", "phone"),
    "agent_phone": ("worker", "agent_phone"),
}


def _render(form: CaseIntakeForm, status: int = 200) -> ResponseReturnValue:
    return render_template("mediator/intake.html", form=form), status


def _show_service_error(form: CaseIntakeForm, exc: InvalidInput) -> None:
    message = str(exc)
    key = message.split(":", 1)[0]
    path = _SERVICE_FIELDS.get(key)
    if key == "id_number" and "credit code" in message:
        path = ("employer", "credit_code")
    if path is None:
        form.form_errors.append(_("The case could not be registered: %(reason)s", reason=message))
        return
    field: Any = form
    for name in path:
        field = field[name]
    field.errors = [*field.errors, message]


@blueprint.route("/cases/new", methods=["GET", "POST"])
@allow(Role.MEDIATOR)
def new_case() -> ResponseReturnValue:
    """Show the intake form; register the dispute and go to its case page."""
    session = read_session()
    organization = organization_summary(session, current_user.organization_id)
    if organization is None:
        return error_page(
            403, _("Your account belongs to no mediation organisation. Ask an administrator.")
        )
    towns = [(town.id, town.name) for town in town_options(session)]
    form = CaseIntakeForm(today=clock.today(), towns=towns, home_town=organization.town_id)
    if request.method == "GET":
        return _render(form)
    if "add_claim" in request.form:
        # Another claim row, without judging what is half typed; nothing is written.
        form.add_claim_row()
        return _render(form)
    if not form.validate():
        return _render(form, 400)
    worker = form.worker.form
    employer = form.employer.form
    try:
        with database().writing() as writing:
            _case_id, event = register_case(
                writing,
                actor=current_actor(),
                organization_id=organization.id,
                mediator_id=current_user.id_number,
                town_id=form.town.data,
                category=form.category.data,
                source=form.source.data,
                received_on=form.received_on.data,
                knew_on=form.knew_on.data,
                summary=form.summary.data,
                worker=PartyInput(
                    name=worker.name.data,
                    id_number=worker.id_number.data,
                    phone=worker.phone.data,
                    address=worker.address.data or "",
                    agent_name=worker.agent_name.data or "",
                    agent_phone=worker.agent_phone.data or "",
                ),
                employer=PartyInput(
                    name=employer.name.data,
                    id_number=employer.credit_code.data,
                    address=employer.address.data or "",
                    legal_representative=employer.legal_representative.data or "",
                ),
                claims=[
                    ClaimInput(
                        category=row.category.data,
                        amount_fen=row.amount.data,
                        description=row.description.data or "",
                    )
                    for row in form.filled_claims()
                    if isinstance(row.amount.data, int)
                ],
            )
    except InvalidInput as exc:
        _show_service_error(form, exc)
        return _render(form, 400)
    return redirect(case_url(str(event.payload["number"])))
