"""The chain page: verify the event log now, see the first broken event, and past runs."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms.supervision import VerifyChainForm
from mediation.cases.enums import Role
from mediation.supervision.verification import latest_runs, run_verification
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.errors import error_page
from mediation.web.supervisor import blueprint

#: How many breaks beyond the first the page lists after a run.
MORE_BREAKS = 20


@blueprint.get("/chain")
@allow(Role.SUPERVISOR)
def chain() -> ResponseReturnValue:
    """Show when the chain was last verified, by whom, and what was found."""
    return render_template(
        "supervisor/chain.html",
        runs=latest_runs(read_session(), limit=20),
        form=VerifyChainForm(formdata=None),
        verification=None,
    )


@blueprint.post("/chain")
@allow(Role.SUPERVISOR)
def verify_chain() -> ResponseReturnValue:
    """Verify the whole chain and every case now; store and show the run."""
    form = VerifyChainForm()
    if not form.validate():
        return error_page(400, _("The form could not be read."))
    outcome = run_verification(database(), actor=current_actor(), source="web")
    session = read_session()
    # End the read transaction this request began (loading the user): the page shows this run.
    session.rollback()
    if outcome.run.ok:
        flash(
            _(
                "The chain holds: %(events)s events and %(cases)s cases checked.",
                events=outcome.run.events_checked,
                cases=outcome.run.cases_checked,
            ),
            "success",
        )
        return redirect(url_for("supervisor.chain"))
    return render_template(
        "supervisor/chain.html",
        runs=latest_runs(session, limit=20),
        form=VerifyChainForm(formdata=None),
        verification=outcome.verification,
        more_breaks=outcome.verification.breaks[1 : 1 + MORE_BREAKS],
    )
