"""The supervisors' pages (督导): figures, drill-down, exports, reviews, corrections, the chain.

Supervisors see the whole district, read-only, except for what is theirs to do: draw samples
and record reviews, approve or reject corrections, verify the chain (DESIGN §1). Every view
is ``@allow(Role.SUPERVISOR)``; every change is made by a service of
:mod:`mediation.supervision` and is an event on the hash-chained log.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("supervisor", __name__, url_prefix="/s")

from mediation.web.supervisor import (  # noqa: E402, F401
    anomalies,
    cases,
    chain,
    corrections,
    dashboard,
    reports,
    reviews,
)
