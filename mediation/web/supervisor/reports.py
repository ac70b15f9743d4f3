"""The reports page, the drill-down to the cases behind a figure, and the exports.

The page, the CSV and XLSX files and ``mediation report`` are one implementation
(:func:`mediation.reports.figures.build_report`): the same period and grouping give the same
numbers to the fen. Every figure links to the list of its cases
(:func:`mediation.reports.drilldown.cases_behind`, built from the same conditions).
"""

from __future__ import annotations

import io
import logging

from flask import render_template, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from documents.render import DocumentError, MissingGlyphError
from mediation import clock
from mediation.cases.enums import Role
from mediation.errors import InvalidInput
from mediation.money import format_yuan
from mediation.reports.drilldown import cases_behind, check_figure, group_label
from mediation.reports.export import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    csv_bytes,
    export_filename,
    xlsx_bytes,
)
from mediation.reports.figures import AMOUNTS, COUNTS, TOTAL, build_report
from mediation.supervision.summary import quarterly_summary_pdf
from mediation.web.access import allow
from mediation.web.db import database, read_session
from mediation.web.errors import error_page
from mediation.web.navigation import translated_labels
from mediation.web.supervisor import blueprint
from mediation.web.supervisor.common import (
    FIGURE_HELP,
    FIGURE_LABELS,
    GROUPING_LABELS,
    figure_url,
    group_name,
    period_choices,
    period_url,
    request_grouping,
    request_page,
    request_period,
)

log = logging.getLogger(__name__)


def _download(content: bytes, media_type: str, filename: str) -> Response:
    response = send_file(
        io.BytesIO(content),
        mimetype=media_type,
        as_attachment=True,
        download_name=filename,
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/reports")
@allow(Role.SUPERVISOR)
def reports() -> ResponseReturnValue:
    """Show the period's figures by a grouping, each linked to its cases."""
    period = request_period()
    by = request_grouping()
    report = build_report(
        read_session(), date_from=period.start, date_to=period.end, by=by, today=clock.today()
    )
    return render_template(
        "supervisor/reports.html",
        period=period,
        by=by,
        report=report,
        groupings=GROUPING_LABELS,
        counts=COUNTS,
        amounts=AMOUNTS,
        figure_labels=FIGURE_LABELS,
        figure_url=figure_url,
        group_name=group_name,
        format_yuan=format_yuan,
        choices=period_choices(period),
        previous_url=period_url("supervisor.reports", period.shifted(-1), by=by),
        next_url=period_url("supervisor.reports", period.shifted(1), by=by),
        export_args={**period.args, "by": by},
    )


@blueprint.get("/reports/cases")
@allow(Role.SUPERVISOR)
def figure_cases() -> ResponseReturnValue:
    """List the cases behind one figure of one group (the drill-down)."""
    period = request_period()
    by = request_grouping()
    key = request.args.get("group", TOTAL) or TOTAL
    figure = check_figure(request.args.get("figure", "") or "")
    if len(key) > 40:
        raise InvalidInput("group: too long")
    session = read_session()
    label = group_label(session, by, key)
    result = cases_behind(
        session,
        date_from=period.start,
        date_to=period.end,
        by=by,
        key=key,
        figure=figure,
        today=clock.today(),
        page=request_page(),
    )
    return render_template(
        "supervisor/figure_cases.html",
        period=period,
        by=by,
        key=key,
        group=group_name(label),
        figure=figure,
        result=result,
        figure_label=FIGURE_LABELS[figure],
        figure_help=FIGURE_HELP[figure],
        grouping_label=GROUPING_LABELS[by],
        labels=translated_labels(),
        format_yuan=format_yuan,
        back_url=period_url("supervisor.reports", period, by=by),
        page_url=lambda page: period_url(
            "supervisor.figure_cases", period, by=by, group=key, figure=figure, page=page
        ),
    )


@blueprint.get("/reports/export.csv")
@allow(Role.SUPERVISOR)
def export_csv() -> ResponseReturnValue:
    """Download the report as CSV (UTF-8 with BOM): the command line's CSV."""
    period = request_period()
    by = request_grouping()
    report = build_report(
        read_session(), date_from=period.start, date_to=period.end, by=by, today=clock.today()
    )
    return _download(csv_bytes(report), CSV_MEDIA_TYPE, export_filename(report, "csv"))


@blueprint.get("/reports/export.xlsx")
@allow(Role.SUPERVISOR)
def export_xlsx() -> ResponseReturnValue:
    """Download the report as an XLSX workbook with a header and a totals row."""
    period = request_period()
    by = request_grouping()
    report = build_report(
        read_session(), date_from=period.start, date_to=period.end, by=by, today=clock.today()
    )
    content = xlsx_bytes(report, exported_at=clock.utcnow())
    return _download(content, XLSX_MEDIA_TYPE, export_filename(report, "xlsx"))


@blueprint.get("/summary.pdf")
@allow(Role.SUPERVISOR)
def summary_pdf() -> ResponseReturnValue:
    """Download the quarterly summary (每季度总结研判) of the period as PDF."""
    period = request_period()
    # Rendered with no transaction open: the figures are read in their own session first.
    session = read_session()
    session.rollback()
    try:
        content = quarterly_summary_pdf(database(), period, today=clock.today())
    except MissingGlyphError as exc:
        return error_page(422, str(exc))
    except DocumentError as exc:
        log.error("the quarterly summary could not be rendered: %s", exc)
        return error_page(500, str(exc))
    return _download(content, "application/pdf", f"summary-{period.key}-{period.start}.pdf")
