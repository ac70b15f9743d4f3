"""The mediator's start page: what needs doing today in the organisation's cases."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from forms.labels import STATES
from mediation import clock
from mediation.cases.enums import Role
from mediation.cases.queries import (
    Scope,
    instalments_due,
    organization_summary,
    overdue_cases,
    recently_changed,
    state_counts,
)
from mediation.money import format_yuan
from mediation.web.access import allow
from mediation.web.db import read_session
from mediation.web.mediator import blueprint
from mediation.web.mediator.case_list import case_url
from mediation.web.navigation import translated
from workflows.case import MEDIATING_STATES, CaseState

#: States in which the organisation still has work to do on a case, shown first.
ACTIVE = frozenset(
    {*MEDIATING_STATES, CaseState.ENSURING_PERFORMANCE, CaseState.AWAITING_CONVERSION}
)

#: How far ahead the dashboard looks for agreed payment dates.
DUE_WITHIN_DAYS = 7


@blueprint.get("/")
@allow(Role.MEDIATOR)
def dashboard() -> ResponseReturnValue:
    """Show cases by state, overdue cases, payment dates due this week and recent changes."""
    session = read_session()
    today = clock.today()
    scope = Scope.organization(current_user.organization_id)
    counts = state_counts(session, scope=scope)
    names = translated(STATES)
    return render_template(
        "mediator/dashboard.html",
        today=today,
        organization=organization_summary(session, current_user.organization_id),
        active=[(s.value, names[s.value], counts[s.value]) for s in CaseState if s in ACTIVE],
        ended=[(s.value, names[s.value], counts[s.value]) for s in CaseState if s not in ACTIVE],
        total=sum(counts.values()),
        overdue=overdue_cases(session, scope=scope, today=today),
        due=instalments_due(session, scope=scope, today=today, within_days=DUE_WITHIN_DAYS),
        due_within=DUE_WITHIN_DAYS,
        recent=recently_changed(session, scope=scope),
        state_labels=names,
        case_url=case_url,
        format_yuan=format_yuan,
    )
