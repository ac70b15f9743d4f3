"""The case page: everything recorded about a case, the workflow picture, and a form for
every action possible now; and the one endpoint that takes every action (POST/redirect/GET).

A view never sets a state: it parses the action's form, hands the input to
:func:`mediation.cases.service.advance` in one write transaction, and redirects back to the
case. Refusals come back as the case page with the reason next to the submitted form (400 for
bad input, 409 for a blocked step) or as the conflict page (409) when the case changed since
the user loaded it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.fields.core import UnboundField

from forms import labels
from forms.case_actions import ACTION_FORMS, ActionForm, AgreementDraftForm
from forms.fields import YuanField
from mediation import clock
from mediation.cases.case_file import CaseFile, load_case_file
from mediation.cases.enums import Role
from mediation.cases.service import advance
from mediation.db import prebuilt_in
from mediation.errors import Conflict, GuardFailed, InvalidInput, TransitionNotAllowed
from mediation.money import format_yuan
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.mediator import blueprint
from mediation.web.mediator.form_html import (
    PLACEHOLDER_FEN,
    field_label,
    form_control,
    form_text,
    fresh_html,
    put_amounts,
)
from mediation.web.mediator.scope import case_id_for_mediator
from mediation.web.navigation import (
    current_locale,
    request_translations,
    translated,
    translated_labels,
)
from workflows.case import ENDED_STATES, STATE_LABELS_ZH, TRIGGERS, CaseState
from workflows.diagram import render_svg
from workflows.guards import Blocker

#: Triggers that need no input: a confirm button with the hidden version.
NO_INPUT = frozenset(
    {
        "accept",
        "open_mediation",
        "sign_agreement",
        "confirm_performance",
        "archive",
        "produce_archive_bundle",
    }
)

#: Triggers that end mediation without agreement or record a breach.
ENDING_TRIGGERS = frozenset({"reject", "withdraw", "declare_failure", "declare_breach"})

#: Guards satisfied by what the user types into the action's own form: they do not make the
#: form unavailable, the form asks for what they need.
INPUT_GUARDS = frozenset(
    {"has_reason", "has_conversion_kind", "has_document_number", "has_issuing_body"}
)

#: The sections of the actions panel (the three steps and what comes before and after), and
#: the actions shown in each, in this order.
SECTIONS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    (
        "registration",
        _l("Registration"),
        ("update_party", "add_claim_item", "accept", "reject"),
    ),
    (
        "finding_crux",
        _l("Step 1 · Find the crux"),
        (
            "record_interview",
            "record_crux",
            "record_plan",
            "record_overdue_consent",
            "open_mediation",
        ),
    ),
    (
        "seizing_opening",
        _l("Step 2 · Seize the opening"),
        (
            "record_joint_session",
            "log_offer",
            "draft_agreement",
            "record_signature",
            "sign_agreement",
            "declare_failure",
        ),
    ),
    (
        "ensuring_performance",
        _l("Step 3 · Ensure performance"),
        (
            "record_payment",
            "confirm_performance",
            "apply_conversion",
            "record_conversion",
            "conversion_refused",
            "declare_breach",
        ),
    ),
    ("ending", _l("Ending and archiving"), ("withdraw", "produce_archive_bundle", "archive")),
)

#: Short names of the triggers for the arrows of the workflow picture.
ARROW_LABELS: dict[str, Any] = {
    "accept": _l("accept"),
    "reject": _l("reject"),
    "open_mediation": _l("open mediation"),
    "sign_agreement": _l("sign"),
    "declare_failure": _l("no agreement"),
    "withdraw": _l("withdraw"),
    "confirm_performance": _l("performed"),
    "apply_conversion": _l("apply for conversion"),
    "record_conversion": _l("document issued"),
    "conversion_refused": _l("refused"),
    "declare_breach": _l("breach"),
    "archive": _l("archive"),
}

#: Case numbers are short printable text; anything else cannot be a case (and a NUL
#: character would not even reach PostgreSQL).
MAX_NUMBER_LENGTH = 40

# The action forms' fields are written by form_html, as WTForms would write them.
blueprint.add_app_template_global(form_control, "form_control")
blueprint.add_app_template_global(field_label, "field_label")


@dataclass
class ActionEntry:
    """One action offered on the page: its form, and what blocks it, if anything."""

    action: str
    label: Any
    #: The form with its fields; None when there is nothing to fill in: a confirm button,
    #: or an action blocked by its guards (the page shows their messages instead).
    form: ActionForm | None
    is_trigger: bool
    dest: str | None = None
    #: (guard name, message) of every guard that blocks the action now.
    blockers: list[tuple[str, str]] = field(default_factory=list)
    #: The form cannot be used until the blockers are resolved (they are not input of it).
    disabled: bool = False
    confirm_only: bool = False
    #: Shown unfolded (the others fold away under their title, to keep the panel short).
    expanded: bool = False
    #: The HTML of the fields of a fresh form (none submitted): see :func:`fresh_fields`.
    #: The page shows it in place of ``form``, which is then None.
    fields_html: Markup | None = None


@dataclass(frozen=True)
class Section:
    """A group of actions of the panel."""

    key: str
    label: Any
    entries: list[ActionEntry]


def _rendered(blockers: tuple[Blocker, ...] | list[Blocker]) -> list[tuple[str, str]]:
    translate = request_translations().ugettext
    return [(b.guard, b.render(translate)) for b in blockers]


def check_number(number: str) -> None:
    if len(number) > MAX_NUMBER_LENGTH or any(
        unicodedata.category(c) in ("Cc", "Cs") for c in number
    ):
        abort(404)


def _initial_data(case_file: CaseFile, action: str) -> dict[str, Any]:
    data: dict[str, Any] = {"version": case_file.version}
    agreement = case_file.agreement
    if action == "draft_agreement" and agreement is not None:
        # A redraft starts from the current draft.
        data.update(
            method=agreement.method or "bank_transfer",
            notes=agreement.notes,
            terms=[
                {"category": t.category, "amount": t.amount_fen, "description": t.description}
                for t in agreement.terms
            ],
            instalments=[
                {"due_on": i.due_on, "amount": i.amount_fen} for i in agreement.instalments
            ],
        )
    if action == "record_crux":
        data["text"] = case_file.crux
    if action == "record_plan":
        data["text"] = case_file.mediation_plan
    if action == "record_signature" and agreement is not None:
        # Offer the first signer still missing.
        missing = [s for s, moment in agreement.signatures.items() if moment is None]
        if missing:
            data["signer"] = missing[0]
    if action == "record_payment" and case_file.outstanding_fen > 0:
        next_due = case_file.deadlines.next_instalment
        data["amount"] = (
            next_due.amount_fen - next_due.paid_fen if next_due else case_file.outstanding_fen
        )
    return data


def _fresh_form(case_file: CaseFile, action: str) -> ActionForm:
    # Without the CSRF field: the page writes the request's token into every form itself.
    form = ACTION_FORMS[action](
        formdata=None, data=_initial_data(case_file, action), meta={"csrf": False}
    )
    form.version.data = case_file.version
    return form


def _amount_fields(action: str) -> frozenset[str]:
    # The form's fields that take an amount in fen (written by format_yuan).
    form_class = ACTION_FORMS[action]
    return frozenset(
        name
        for name in dir(form_class)
        if isinstance(unbound := getattr(form_class, name), UnboundField)
        and issubclass(unbound.field_class, YuanField)
    )


_AMOUNT_FIELDS = {action: _amount_fields(action) for action in ACTION_FORMS}


def fresh_fields(case_file: CaseFile, action: str) -> Markup | None:
    """Return the HTML of the fields of ``action``'s form as first shown on this case; None
    when the form starts from the case's own data other than amounts.

    A form that starts from nothing of the case (but the version, which the page writes
    itself) is the same in every case, in a language, on a day: its HTML is kept
    (:func:`~mediation.web.mediator.form_html.fresh_html`) and the form built only the
    first time. One that starts from amounts of the case (the next instalment's, to record a
    payment) is kept with placeholder amounts, and the case's are written in their place.
    Any other (the crux, the draft agreement …) is built, and written by the page, every time.
    """
    data = _initial_data(case_file, action)
    data.pop("version")
    amounts = _AMOUNT_FIELDS[action]
    if any(key not in amounts or type(value) is not int for key, value in data.items()):
        return None
    placeholders = {key: PLACEHOLDER_FEN + index for index, key in enumerate(sorted(data))}

    def render() -> str:
        form = ACTION_FORMS[action](formdata=None, data=placeholders, meta={"csrf": False})
        template = current_app.jinja_env.get_template("mediator/_action_fields.html")
        return template.render(action=action, form=form)

    key = ("action", action, current_locale(), clock.today(), tuple(placeholders))
    html = fresh_html(key, render)
    return put_amounts(html, {placeholders[name]: amount for name, amount in data.items()})


def _entry_fields(entry: ActionEntry, case_file: CaseFile) -> ActionEntry:
    # Only for the forms a user can fill in now: not a confirm button, nor a blocked action.
    if not entry.disabled and not entry.confirm_only:
        entry.fields_html = fresh_fields(case_file, entry.action)
        if entry.fields_html is None:
            entry.form = _fresh_form(case_file, entry.action)
    return entry


def action_entries(
    case_file: CaseFile,
    submitted: tuple[str, ActionForm] | None = None,
    failed: tuple[Blocker, ...] = (),
) -> dict[str, ActionEntry]:
    """Return an entry for every trigger declared now and every recording action allowed now,
    with a form where there is something to fill in."""
    entries: dict[str, ActionEntry] = {}
    names = translated(labels.ACTIONS)
    for decision in case_file.decisions():
        blocking = [b for b in decision.blockers if b.guard not in INPUT_GUARDS]
        entries[decision.trigger] = _entry_fields(
            ActionEntry(
                action=decision.trigger,
                label=names[decision.trigger],
                form=None,
                is_trigger=True,
                dest=decision.dest.value if decision.dest else None,
                blockers=_rendered(blocking),
                disabled=bool(blocking),
                confirm_only=decision.trigger in NO_INPUT,
            ),
            case_file,
        )
    for action in case_file.recording_actions():
        entries[action] = _entry_fields(
            ActionEntry(
                action=action,
                label=names[action],
                form=None,
                is_trigger=False,
                confirm_only=action in NO_INPUT,
            ),
            case_file,
        )
    if submitted is not None:
        action, form = submitted
        entry = entries.get(action)
        if entry is not None:
            # The submitted form, as sent and with its errors, in place of a fresh one.
            entry.form = form
            entry.fields_html = None
            if failed:
                entry.blockers = _rendered(failed)
    return entries


def sections(
    entries: dict[str, ActionEntry], state: str, submitted_action: str | None = None
) -> list[Section]:
    """Group the entries into the sections of the actions panel, leaving out empty ones.

    The forms of the current step are unfolded, and so are the triggers that move the case
    on; the ones that end mediation (reject, withdraw, failure, breach) stay folded.
    """
    ended = CaseState(state) in ENDED_STATES
    result = []
    for key, label, actions in SECTIONS:
        chosen = [entries[a] for a in actions if a in entries]
        current = key == state or (key == "ending" and ended)
        for entry in chosen:
            entry.expanded = (
                entry.action == submitted_action
                or (entry.is_trigger and entry.action not in ENDING_TRIGGERS)
                or (current and entry.action not in ENDING_TRIGGERS)
            )
        if chosen:
            result.append(Section(key, form_text(label), chosen))
    return result


@lru_cache(maxsize=64)
def _diagram(state: str, locale: str) -> str:
    with force_locale("en"):
        english = {s: str(labels.STATES[s.value]) for s in CaseState}
    state_labels = tuple((s.value, STATE_LABELS_ZH[s], english[s]) for s in CaseState)
    trigger_labels = tuple((t, str(ARROW_LABELS.get(t, t))) for t in TRIGGERS)
    return render_svg(
        state,
        state_labels,
        trigger_labels,
        _("The workflow of a case; the current state is highlighted"),
        inline_style=False,  # the rules are in static/app.css (no inline style under the CSP)
    )


def diagram(state: str) -> Markup:
    """Return the workflow picture for this state in the user's language (built once)."""
    # The SVG is built by our own code with every label escaped.
    return Markup(_diagram(state, current_locale()))


def _level_label(level: str) -> str:
    return str(labels.LEVELS.get(level, level))


def render_case_page(
    case_id: int,
    *,
    status: int = 200,
    submitted: tuple[str, ActionForm] | None = None,
    failed: tuple[Blocker, ...] = (),
    page_error: str | None = None,
) -> ResponseReturnValue:
    """Render the case page, with a submitted form (and its errors) in place of a fresh one."""
    case_file = load_case_file(read_session(), case_id, today=clock.today())
    entries = action_entries(case_file, submitted, failed)
    if submitted is not None and submitted[0] not in entries and page_error is None:
        page_error = _("This action is not possible in the case's current state.")
    # The forms' addresses differ only in the action's name (an identifier): one url_for.
    actions_prefix = url_for("mediator.act", number=case_file.number, action="_")[:-1]
    return (
        render_template(
            "mediator/case_page.html",
            case=case_file,
            action_url=lambda action: actions_prefix + action,
            sections=sections(entries, case_file.state, submitted[0] if submitted else None),
            diagram=diagram(case_file.state),
            submitted_action=submitted[0] if submitted else None,
            page_error=page_error,
            labels=translated_labels(),
            state_zh={s.value: label for s, label in STATE_LABELS_ZH.items()},
            level_label=_level_label(case_file.organization_level),
            format_yuan=format_yuan,
        ),
        status,
    )


@blueprint.get("/cases/<number>")
@allow(Role.MEDIATOR)
def case_page(number: str) -> ResponseReturnValue:
    """Show one case of the mediator's organisation (404 for any other)."""
    check_number(number)
    session = read_session()
    # One driver cursor for the statements the driver runs (mediation.db.prebuilt_in).
    with prebuilt_in(session):
        return render_case_page(case_id_for_mediator(session, number))


@blueprint.post("/cases/<number>/actions/<action>")
@allow(Role.MEDIATOR)
def act(number: str, action: str) -> ResponseReturnValue:
    """Take one action on a case through the service, then go back to the case page."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        abort(404)
    check_number(number)
    session = read_session()
    case_id = case_id_for_mediator(session, number)
    # End the read transaction: the page shown after this request must see its own write.
    session.rollback()

    form = form_class()
    row_list = request.form.get("add_row", "")
    if isinstance(form, AgreementDraftForm) and row_list:
        # "Add a row" works without JavaScript: the same form comes back with one more row.
        form.add_row(row_list)
        return render_case_page(case_id, submitted=(action, form))
    if not form.validate():
        return render_case_page(case_id, status=400, submitted=(action, form))
    # Documents are rendered outside the write transaction (mediation.issuing).
    from mediation.web.mediator import documents

    if action == "produce_archive_bundle":
        refusal = documents.produce_archive_bundle(number, case_id, int(form.version.data))
        if refusal is not None:
            return refusal
        flash(_("Done: %(action)s.", action=labels.ACTIONS[action]), "success")
        return redirect(url_for("mediator.case_page", number=number))
    try:
        with database().writing() as write_session:
            advance(
                write_session,
                case_id=case_id,
                action=action,
                expected_version=int(form.version.data),
                actor=current_actor(),
                data=form.to_data(),
                today=clock.today(),
            )
    except Conflict as exc:
        return conflict_page(number, action, int(form.version.data), exc)
    except InvalidInput as exc:
        form.add_service_error(str(exc))
        return render_case_page(case_id, status=400, submitted=(action, form))
    except GuardFailed as exc:
        return render_case_page(case_id, status=409, submitted=(action, form), failed=exc.blockers)
    except TransitionNotAllowed:
        return render_case_page(
            case_id,
            status=409,
            submitted=(action, form),
            page_error=_("This action is not possible in the case's current state."),
        )
    flash(_("Done: %(action)s.", action=labels.ACTIONS[action]), "success")
    # Once the trigger has committed: the document it calls for (a failure leaves it missing
    # on the case page, with a button to issue it).
    documents.issue_for_trigger(case_id, action)
    return redirect(url_for("mediator.case_page", number=number))


def conflict_page(
    number: str, action: str, submitted_version: int, exc: Conflict
) -> ResponseReturnValue:
    """Say that the case changed meanwhile and nothing was saved, showing where it is now."""
    return (
        render_template(
            "mediator/conflict.html",
            number=number,
            action=action,
            action_label=labels.ACTIONS.get(action, action),
            submitted_version=submitted_version,
            current_state=exc.current_state,
            current_version=exc.current_version,
            state_label=labels.state_label(exc.current_state),
            state_zh=STATE_LABELS_ZH.get(CaseState(exc.current_state), "")
            if exc.current_state in {s.value for s in CaseState}
            else "",
        ),
        409,
    )
