"""A case as a supervisor sees it: read-only, any case of the district."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from forms import labels
from mediation.cases.enums import Role
from mediation.money import format_yuan
from mediation.supervision.cases import case_id_by_number, case_overview
from mediation.web.access import allow
from mediation.web.db import read_session
from mediation.web.navigation import translated, translated_labels
from mediation.web.supervisor import blueprint
from workflows.case import STATE_LABELS_ZH


@blueprint.get("/cases/<number>")
@allow(Role.SUPERVISOR)
def case_view(number: str) -> ResponseReturnValue:
    """Show one case: facts, signed amounts, payments, corrections, reviews and its events."""
    session = read_session()
    case = case_overview(session, case_id_by_number(session, number))
    return render_template(
        "supervisor/case.html",
        case=case,
        labels=translated_labels(),
        document_kinds=translated(labels.DOCUMENT_KINDS),
        state_zh={s.value: label for s, label in STATE_LABELS_ZH.items()},
        format_yuan=format_yuan,
    )
