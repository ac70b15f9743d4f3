"""Forms of legal help: a mediator's request, the lawyer's conflict check, claim, release and
completion, and the administrator's law firms and lawyers.

Time spent is typed in hours ("1.5", "2", "0.25") and kept as whole minutes (``data`` is an
int, computed with :class:`~decimal.Decimal`, never float). The services check every value
again; their refusals ("field: message") are put next to the field they name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from forms.admin import AdminForm, label_choices, optional_id, row_choices
from forms.case_actions import MAX_VERSION, DateWithin, PlainText, text_field
from mediation import clock
from mediation.assignments.service import LATEST_DUE_DAYS, NEEDED_LIMIT, OUTCOME_LIMIT, REASON_LIMIT
from mediation.clock import LOCAL_TZ
from workflows.assignment import MAX_MINUTES

#: What a mediator may ask a volunteer lawyer for.
KINDS: dict[str, Any] = {
    "consultation": _l("Legal consultation"),
    "legal_opinion": _l("Legal opinion"),
    "attend_session": _l("Attend a mediation session"),
    "legal_aid": _l("Legal-aid application"),
}

#: Where an assignment stands.
ASSIGNMENT_STATES: dict[str, Any] = {
    "open": _l("Waiting for a lawyer"),
    "claimed": _l("Taken by a lawyer"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}

#: How available a volunteer lawyer is for new work.
AVAILABILITY: dict[str, Any] = {
    "available": _l("Available"),
    "limited": _l("Limited availability"),
    "unavailable": _l("Not available"),
}


def _version() -> Any:
    return IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )


class AssignmentForm(FlaskForm):
    """A form whose values a service checks again."""

    #: The services' names of fields that this form calls otherwise.
    service_fields: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Messages that belong to the whole form rather than to one field.
        self.general_errors: list[str] = []

    def show_service_error(self, message: str) -> None:
        """Attach a service's refusal ("field: message") to its field, or to the whole form."""
        name, separator, text = message.partition(": ")
        field = self._fields.get(self.service_fields.get(name, name)) if separator else None
        if field is None or field.name in ("csrf_token", "version"):
            self.general_errors.append(message)
        else:
            field.errors = [*field.errors, text]


# --------------------------------------------------------------------------- the mediator


class LegalHelpRequestForm(AssignmentForm):
    """Ask the volunteer lawyers of the case's zone for legal help."""

    kind = SelectField(
        _l("Kind of help"), choices=label_choices(KINDS), validators=[InputRequired()]
    )
    needed = text_field(_l("What is needed"), limit=NEEDED_LIMIT, area=True)
    due_on = DateField(
        _l("Needed by"),
        validators=[InputRequired(), DateWithin(LATEST_DUE_DAYS)],
        description=_l("The lawyer sees this date in the pool."),
    )

    def validate_due_on(self, field: Any) -> None:
        """Refuse a day that has passed."""
        if field.data is not None and field.data < clock.today():
            raise ValidationError(_l("This date has passed."))


class LegalHelpCancelForm(AssignmentForm):
    """Withdraw a request for legal help."""

    version = _version()
    reason = text_field(_l("Reason"), limit=REASON_LIMIT)


# --------------------------------------------------------------------------- the lawyer


class ConflictCheckForm(AssignmentForm):
    """Confirm having no conflict of interest with the parties, or declare one."""

    answer = RadioField(
        _l("Conflict of interest"),
        choices=[
            SelectChoice("none", _l("I have no conflict of interest with these parties.")),
            SelectChoice("conflict", _l("I have a conflict of interest with these parties.")),
        ],
        validators=[InputRequired(message=_l("Choose one of the answers."))],
    )


class AssignmentClaimForm(FlaskForm):
    """Take an assignment (only the CSRF token)."""


class HoursField(StringField):
    """Time spent typed in hours ("1.5"); ``data`` is whole minutes (int), never float."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "placeholder": "1.5"})
        super().__init__(label, validators, **kwargs)
        self.data: int | None = None
        self.raw_text = ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "") or ""
        text = self.raw_text.strip()
        self.data = None
        if not text:
            return
        try:
            if len(text) > 12:
                raise InvalidOperation(text)
            hours = Decimal(text)
            exponent = hours.as_tuple().exponent
            if not isinstance(exponent, int) or exponent < -2:
                raise InvalidOperation(text)
        except InvalidOperation:
            raise ValueError(_l("Enter the hours as a number, e.g. 1.5 or 2.")) from None
        self.data = int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        if isinstance(self.data, int):
            return format_hours(self.data)
        return ""


def format_local(moment: datetime | None) -> str:
    """Show a stored UTC time as Beijing time, to the minute ("—" for none)."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def format_hours(minutes: int | None) -> str:
    """Show whole minutes as hours with up to two decimals ("1.5", "0.25", "2")."""
    if minutes is None:
        return ""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(hours.normalize(), "f")


class _TimeSpent:
    def __call__(self, form: Any, field: Any) -> None:
        if field.process_errors:
            return
        if field.data is None:
            raise ValidationError(_l("Enter the hours spent."))
        if not 0 < field.data <= MAX_MINUTES:
            raise ValidationError(_l("Enter more than zero and at most 1000 hours."))


class AssignmentCompleteForm(AssignmentForm):
    """Record the outcome of the legal help and the time spent."""

    service_fields: ClassVar[dict[str, str]] = {"minutes": "hours"}

    version = _version()
    outcome = text_field(_l("Outcome"), limit=OUTCOME_LIMIT, area=True, rows=4)
    hours = HoursField(_l("Hours spent"), validators=[_TimeSpent()])


class AssignmentReleaseForm(AssignmentForm):
    """Give an assignment back to the pool, with the reason."""

    version = _version()
    reason = text_field(_l("Reason"), limit=REASON_LIMIT)


# --------------------------------------------------------------------------- the administrator


class LawFirmForm(AdminForm):
    """Register or change a partner law firm."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), PlainText()])
    active = BooleanField(_l("Sends volunteer lawyers"), default=True)
    submit = SubmitField(_l("Save"))


class _AtLeastOne:
    """At least one box ticked (without marking each box ``required`` for the browser)."""

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one zone."))


class LawyerProfileForm(AdminForm):
    """A volunteer lawyer's firm, zones, notes, activity and availability."""

    service_fields: ClassVar[dict[str, str]] = {"firm_id": "firm", "zone_ids": "zones"}

    firm = SelectField(_l("Law firm"), coerce=optional_id)
    zones = SelectMultipleField(
        _l("Zones served"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[_AtLeastOne()],
    )
    practice_notes = text_field(_l("Practice notes"), limit=2000, required=False, area=True, rows=3)
    availability = SelectField(_l("Availability"), choices=label_choices(AVAILABILITY))
    active = BooleanField(_l("Takes on legal help"), default=True)
    submit = SubmitField(_l("Save changes"))

    def set_choices(self, firms: list[tuple[int, str]], zones: list[tuple[int, str]]) -> None:
        """Offer these firms and zones (each as id and name)."""
        self.firm.choices = row_choices(firms)
        self.zones.choices = [SelectChoice(zone_id, name) for zone_id, name in zones]
