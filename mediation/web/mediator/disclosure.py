"""Showing a party's full ID and phone numbers, once, to a mediator who gives a reason.

The case page shows every number masked, with a small form per party ("show the full
numbers", and why). Sending it appends a ``reveal_numbers`` event to the case's chain
(:mod:`mediation.cases.disclosure`) and answers with a page that shows the numbers — the
answer to the POST itself, never stored in the session or a URL, never cached (logged-in
pages are ``no-store``). Reloading the case page shows them masked again.
"""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms.disclosure import RevealNumbersForm
from mediation.cases.disclosure import reveal_party_numbers
from mediation.cases.enums import PartyRole, Role
from mediation.errors import InvalidInput, NotFound
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.mediator import blueprint
from mediation.web.mediator.case_page import check_number, render_case_page
from mediation.web.mediator.scope import case_id_for_mediator
from mediation.web.navigation import translated_labels

_ROLES = frozenset(r.value for r in PartyRole)


@blueprint.post("/cases/<number>/parties/<role>/numbers")
@allow(Role.MEDIATOR)
def reveal_numbers(number: str, role: str) -> ResponseReturnValue:
    """Show the party's full numbers and log that this mediator saw them, and why."""
    if role not in _ROLES:
        abort(404)
    check_number(number)
    session = read_session()
    case_id = case_id_for_mediator(session, number)
    session.rollback()
    form = RevealNumbersForm()
    if not form.validate():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return render_case_page(
            case_id,
            status=400,
            page_error=_("The full numbers were not shown: %(reason)s", reason=message),
        )
    try:
        with database().writing() as write:
            revealed = reveal_party_numbers(
                write,
                actor=current_actor(),
                case_id=case_id,
                role=role,
                reason=form.reason.data or "",
            )
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        return render_case_page(case_id, status=400, page_error=str(exc))
    return render_template(
        "mediator/revealed.html",
        number=number,
        party=revealed,
        reason=form.reason.data,
        labels=translated_labels(),
    )
