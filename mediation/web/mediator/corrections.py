"""A mediator's request to correct a signed amount, on the case page.

The case page includes ``mediator/_corrections.html``: the history of the case's correction
requests and decisions, and — while the agreement is signed and the case not archived, and no
request is pending — a form with the signed amount of every term and instalment to correct,
and the reason. Sending it records the request (an event on the case's chain); nothing in the
agreement changes until a supervisor approves it (:mod:`mediation.supervision.corrections`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from forms.supervision import CorrectionRequestForm
from mediation.cases.case_file import CaseFile
from mediation.cases.enums import Role
from mediation.errors import InvalidInput
from mediation.supervision.corrections import (
    Correction,
    SignedAgreement,
    corrections_of_case,
    request_correction,
    signed_agreement_of,
)
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.mediator import blueprint
from mediation.web.mediator.case_page import render_case_page
from mediation.web.mediator.form_html import (
    PLACEHOLDER_FEN,
    field_label,
    form_control,
    fresh,
    put_amounts,
)
from mediation.web.mediator.scope import case_id_for_mediator
from mediation.web.navigation import current_locale


@dataclass(frozen=True)
class CorrectionPanel:
    """What the corrections block of the case page shows."""

    agreement: SignedAgreement
    history: tuple[Correction, ...]
    #: The request form as submitted, when a request may be made now (else None).
    form: CorrectionRequestForm | None
    errors: tuple[str, ...]
    #: A fresh request form's inputs as HTML, when a request may be made now (else None).
    inputs: CorrectionInputs | None = None

    @property
    def pending(self) -> Correction | None:
        """Return the request awaiting a decision, if any."""
        return next((c for c in self.history if c.pending), None)


@dataclass(frozen=True)
class CorrectionInputs:
    """A fresh request form's inputs: the signed amount of each term and instalment, in an
    input to correct it, and the reason's label and text area."""

    terms: tuple[Markup, ...]
    instalments: tuple[Markup, ...]
    reason_label: str
    reason: Markup


def _fresh_inputs(agreement: SignedAgreement) -> CorrectionInputs | None:
    # The inputs are the same for every agreement with as many terms and instalments, in a
    # language, but for the amounts: kept with placeholder amounts (form_html.fresh), the
    # agreement's written in. None if that cannot be done (the form is built instead).
    terms, instalments = len(agreement.terms), len(agreement.instalments)
    placeholders = [PLACEHOLDER_FEN + n for n in range(terms + instalments)]

    def build() -> tuple[str, ...]:
        form = CorrectionRequestForm(
            formdata=None,
            data={"terms": placeholders[:terms], "instalments": placeholders[terms:]},
            meta={"csrf": False},
        )
        amount = "form-control form-control-sm"
        return (
            *(
                form_control(entry, class_=amount, id=f"correction-term-{n}")
                for n, entry in enumerate(form.terms.entries)
            ),
            *(
                form_control(entry, class_=amount, id=f"correction-instalment-{n}")
                for n, entry in enumerate(form.instalments.entries)
            ),
            field_label(form.reason),
            form_control(form.reason, class_=f"{amount} mb-2", id="correction-reason"),
        )

    kept = fresh(("correction", current_locale(), terms, instalments), build)
    amounts = [t.old_fen for t in agreement.terms] + [i.old_fen for i in agreement.instalments]
    inputs = []
    for html, placeholder, amount in zip(kept, placeholders, amounts, strict=False):
        written = put_amounts(html, {placeholder: amount})
        if written is None:
            return None
        inputs.append(written)
    return CorrectionInputs(
        tuple(inputs[:terms]), tuple(inputs[terms:]), kept[-2], Markup(kept[-1])
    )


def _fresh_form(agreement: SignedAgreement) -> CorrectionRequestForm:
    # Without the CSRF field: the panel writes the request's token into the form itself.
    return CorrectionRequestForm(
        formdata=None,
        data={
            "terms": [t.old_fen for t in agreement.terms],
            "instalments": [i.old_fen for i in agreement.instalments],
        },
        meta={"csrf": False},
    )


def _fits(form: CorrectionRequestForm, agreement: SignedAgreement) -> bool:
    # A form sent with other rows than the agreement has (not from this page) cannot be
    # shown row by row: the panel then offers the signed amounts again, with the message.
    terms, instalments = len(form.terms.entries), len(form.instalments.entries)
    return terms == len(agreement.terms) and instalments == len(agreement.instalments)


@blueprint.app_template_global("correction_panel")
def correction_panel(case: CaseFile) -> CorrectionPanel | None:
    """Return the corrections block of a case page (None before an agreement is signed).

    One query (the history): the signed amounts come from the case file.
    """
    signed = signed_agreement_of(case)
    if signed is None or signed.effective_on is None:
        return None
    history = tuple(corrections_of_case(read_session(), case.id))
    submitted: tuple[CorrectionRequestForm, list[str]] | None = g.get("correction_submitted")
    form: CorrectionRequestForm | None = None
    inputs: CorrectionInputs | None = None
    errors: tuple[str, ...] = ()
    if signed.correctable and not any(c.pending for c in history):
        if submitted and _fits(submitted[0], signed):
            form = submitted[0]
        else:
            inputs = _fresh_inputs(signed)
            form = _fresh_form(signed) if inputs is None else None
        errors = tuple(submitted[1]) if submitted else ()
    return CorrectionPanel(signed, history, form, errors, inputs)


@blueprint.post("/cases/<number>/corrections")
@allow(Role.MEDIATOR)
def request_correction_view(number: str) -> ResponseReturnValue:
    """Ask a supervisor to correct the signed amounts (one event; nothing changes yet)."""
    session = read_session()
    case_id = case_id_for_mediator(session, number)
    session.rollback()
    form = CorrectionRequestForm()

    def refused(status: int, message: str) -> ResponseReturnValue:
        g.correction_submitted = (form, [message])
        return render_case_page(case_id, status=status, page_error=message)

    if not form.validate():
        errors = [f"{e}" for field in form for e in _flat(field.errors)]
        return refused(400, "; ".join(errors) or _("The form could not be read."))
    terms, instalments = form.amounts()
    try:
        with database().writing() as write:
            correction_id = request_correction(
                write,
                case_id=case_id,
                terms=terms,
                instalments=instalments,
                reason=form.reason.data or "",
                actor=current_actor(),
            )
    except InvalidInput as exc:
        return refused(400, str(exc))
    flash(
        _(
            "Correction request #%(id)s sent: the amounts change only when a supervisor "
            "approves it.",
            id=correction_id,
        ),
        "success",
    )
    return redirect(url_for("mediator.case_page", number=number, _anchor="corrections"))


def _flat(errors: object) -> list[str]:
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _flat(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _flat(value)]
    return [str(errors)]
