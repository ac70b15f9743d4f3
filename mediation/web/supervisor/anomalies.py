"""The anomaly list: cases whose figures deserve a second look."""

from __future__ import annotations

from typing import Any, Final

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from mediation import clock
from mediation.cases.enums import Role
from mediation.money import format_yuan
from mediation.supervision.anomalies import FAR_BEYOND_DAYS, all_anomalies
from mediation.web.access import allow
from mediation.web.db import read_session
from mediation.web.navigation import translated_labels
from mediation.web.supervisor import blueprint
from workflows.deadlines import MEDIATION_WINDOW_DAYS

KIND_LABELS: Final[dict[str, Any]] = {
    "agreed_above_claimed": _l("Agreed amount above the claimed amount"),
    "paid_above_agreed": _l("Payments beyond the agreed amount"),
    "performance_overdue": _l("Performance overdue: an instalment is past due"),
    "open_far_beyond": _l("Open far beyond the 15-day mediation period"),
    "corrected_after_signing": _l("Amounts corrected after signing"),
}


@blueprint.get("/anomalies")
@allow(Role.SUPERVISOR)
def anomalies() -> ResponseReturnValue:
    """List every kind of anomaly with its cases."""
    today = clock.today()
    return render_template(
        "supervisor/anomalies.html",
        lists=all_anomalies(read_session(), today),
        kind_labels=KIND_LABELS,
        far_beyond=FAR_BEYOND_DAYS + MEDIATION_WINDOW_DAYS,
        labels=translated_labels(),
        format_yuan=format_yuan,
        today=today,
    )
