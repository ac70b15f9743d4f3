"""A read-only overview of the database: cases by state and this year's figures."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select

from forms.labels import state_label
from mediation import clock
from mediation.app import get_database
from mediation.cases.enums import Role
from mediation.reports.figures import build_report
from mediation.reports.render import render
from mediation.tables import CASE, EVENT
from mediation.web.access import allow
from workflows.case import CaseState

blueprint = Blueprint("overview", __name__)


@blueprint.get("/overview")
@allow(Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN)
def index() -> str:
    """Show cases by state, this year's report by level and the latest events."""
    database = get_database(current_app)
    today = clock.today()
    year_start = today.replace(month=1, day=1)
    with database.read_session() as session:
        counts = {
            row.state: row.n
            for row in session.execute(
                select(CASE.c.state, func.count().label("n")).group_by(CASE.c.state)
            )
        }
        report = build_report(session, date_from=year_start, date_to=today, by="level")
        events = session.execute(
            select(
                EVENT.c.seq,
                EVENT.c.action,
                EVENT.c.from_state,
                EVENT.c.to_state,
                EVENT.c.actor,
                EVENT.c.created_at,
            )
            .order_by(EVENT.c.seq.desc())
            .limit(15)
        ).all()
    states = [(s.value, state_label(s), counts.get(s.value, 0)) for s in CaseState]
    return render_template(
        "overview/index.html",
        states=states,
        total=sum(counts.values()),
        report_table=render(report, "table"),
        period=(year_start, today),
        events=events,
    )
