"""The volunteer lawyer's pages: the zone pool, the escalated pool, an assignment, my work.

A lawyer sees nothing of a case outside their assignments and pools: every assignment URL
answers 404 unless the assignment is theirs or open in one of their pools, and the details of
one are shown only after the lawyer confirmed having no conflict of interest with its parties.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("lawyer", __name__, url_prefix="/l")

from mediation.web.lawyer import pages  # noqa: E402, F401
