"""The supervisor's start page: the period's figures, the trend and the split, with charts."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from mediation import clock
from mediation.cases.enums import Role
from mediation.money import format_wan, format_yuan
from mediation.reports import charts
from mediation.reports.figures import Report, build_report
from mediation.reports.trend import monthly_trend
from mediation.supervision.corrections import count_pending
from mediation.supervision.periods import trend_months
from mediation.supervision.reviews import open_discrepancies
from mediation.supervision.summary import headline
from mediation.supervision.verification import latest_runs
from mediation.web.access import allow
from mediation.web.db import read_session
from mediation.web.supervisor import blueprint
from mediation.web.supervisor.common import (
    FIGURE_LABELS,
    figure_url,
    group_name,
    period_choices,
    period_url,
    request_period,
)


def split_chart(report: Report, title: str) -> Markup:
    """Return the bar chart of a report's agreed amounts by group (server-side SVG)."""
    svg = charts.bar_chart(
        title=title,
        rows=[
            (
                group_name(row.group),
                row.agreed_fen,
                _(
                    "%(n)s settled · %(wan)s ×10k yuan",
                    n=row.settled,
                    wan=format_wan(row.agreed_fen),
                ),
            )
            for row in report.rows
        ],
    )
    return Markup(svg)  # built by mediation.reports.charts, every label escaped


@blueprint.get("/")
@allow(Role.SUPERVISOR)
def dashboard() -> ResponseReturnValue:
    """Show the period's figures, the monthly trend and the split by level and zone."""
    period = request_period()
    today = clock.today()
    session = read_session()
    by_level = build_report(
        session, date_from=period.start, date_to=period.end, by="level", today=today
    )
    by_zone = build_report(
        session, date_from=period.start, date_to=period.end, by="zone", today=today
    )
    months = monthly_trend(session, trend_months(period), today)
    pending = count_pending(session)
    discrepancies = len(open_discrepancies(session))
    runs = latest_runs(session, limit=1)
    categories = [m.label for m in months]
    trend = Markup(
        charts.column_chart(
            title=_("Received and settled cases by month"),
            categories=categories,
            series=[
                charts.Series(
                    _("Cases received"), tuple(m.received for m in months), charts.COLOURS[0]
                ),
                charts.Series(
                    _("Cases settled"), tuple(m.settled for m in months), charts.COLOURS[1]
                ),
            ],
        )
    )
    amounts = Markup(
        charts.column_chart(
            title=_("Agreed amounts by month (×10k yuan)"),
            categories=categories,
            series=[
                charts.Series(
                    _("Amount agreed"), tuple(m.agreed_fen for m in months), charts.COLOURS[2]
                )
            ],
            value_text=format_wan,
        )
    )
    total = by_level.total
    return render_template(
        "supervisor/dashboard.html",
        period=period,
        choices=period_choices(period),
        headline=headline(by_level, period),
        previous_url=period_url("supervisor.dashboard", period.shifted(-1)),
        next_url=period_url("supervisor.dashboard", period.shifted(1)),
        total=total,
        by_level=by_level,
        by_zone=by_zone,
        months=months,
        trend_chart=trend,
        amount_chart=amounts,
        level_chart=split_chart(by_level, _("Settled amounts by level")),
        zone_chart=split_chart(by_zone, _("Settled amounts by zone")),
        figure_labels=FIGURE_LABELS,
        figure_url=figure_url,
        group_name=group_name,
        format_yuan=format_yuan,
        format_wan=format_wan,
        pending_corrections=pending,
        open_discrepancies=discrepancies,
        last_run=runs[0] if runs else None,
        today=today,
    )
