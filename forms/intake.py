"""Registering a dispute (登记): the worker, the employer, where and how it arrived, the claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.fields import YuanField
from forms.labels import CATEGORIES, SOURCES
from forms.validators import CreditCode, Phone, ResidentId
from mediation import clock
from mediation.money import MAX_FEN

#: Claim rows shown on a fresh form, and the most a form may carry.
CLAIM_ROWS = 3
MAX_CLAIM_ROWS = 20


def options(labels: dict[str, Any], *, leave_out: Sequence[str] = ()) -> list[SelectChoice]:
    """Turn a label table into select options (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in labels.items() if value not in leave_out]


#: How a dispute may arrive when a mediator registers it (imports come from the CLI).
INTAKE_SOURCES = options(SOURCES, leave_out=("import",))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _Part(Form):
    """A group of fields inside the intake form (no CSRF of its own, messages translated)."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return wtforms_translations


class WorkerForm(_Part):
    """The worker (劳动者), the applicant."""

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the worker's name.")), Length(max=100)],
    )
    id_number = StringField(
        _l("Resident ID number"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the worker's resident ID number.")), ResidentId()],
        render_kw={"autocomplete": "off", "maxlength": 18},
    )
    phone = StringField(
        _l("Phone"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a phone number to reach the worker.")), Phone()],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    address = StringField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=300)])
    agent_name = StringField(
        _l("Agent (if any)"), filters=[_strip], validators=[Optional(), Length(max=100)]
    )
    agent_phone = StringField(
        _l("Agent's phone"),
        filters=[_strip],
        validators=[Phone()],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )


class EmployerForm(_Part):
    """The employer (用人单位), the respondent."""

    name = StringField(
        _l("Name of the employer"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the employer's name.")), Length(max=200)],
    )
    credit_code = StringField(
        _l("Unified social credit code"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the employer's unified social credit code.")),
            CreditCode(),
        ],
        render_kw={"autocomplete": "off", "maxlength": 18},
    )
    legal_representative = StringField(
        _l("Legal representative"), filters=[_strip], validators=[Optional(), Length(max=100)]
    )
    address = StringField(
        _l("Address of the workplace"), filters=[_strip], validators=[Optional(), Length(max=300)]
    )


class ClaimItemForm(_Part):
    """One thing the worker claims; a row left empty is ignored."""

    category = SelectField(_l("Category"), choices=options(CATEGORIES), default="wages")
    amount = YuanField(_l("Amount (yuan)"))
    description = StringField(
        _l("What for"), filters=[_strip], validators=[Optional(), Length(max=500)]
    )

    @property
    def is_blank(self) -> bool:
        """Tell whether nothing was typed in this row (its category alone does not count)."""
        amount: YuanField = self.amount
        return not amount.raw_text.strip() and not self.description.data

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the row: an amount above zero whenever anything was typed in it."""
        valid = bool(super().validate(extra_validators))
        if self.is_blank or self.amount.errors:
            return valid
        if self.amount.data is None:
            self.amount.errors = [
                *self.amount.errors,
                _l("Enter the amount of this claim, or clear the row."),
            ]
            return False
        if self.amount.data <= 0:
            self.amount.errors = [*self.amount.errors, _l("The amount must be more than zero.")]
            return False
        return valid


class CaseIntakeForm(FlaskForm):
    """Register a labour dispute brought to the mediation organisation."""

    worker = FormField(WorkerForm, label=_l("Worker"))
    employer = FormField(EmployerForm, label=_l("Employer"))
    town = SelectField(
        _l("Town or street where the dispute arose"),
        coerce=int,
        validators=[DataRequired(_l("Choose the town or street."))],
    )
    category = SelectField(_l("Kind of dispute"), choices=options(CATEGORIES), default="wages")
    source = RadioField(_l("How it arrived"), choices=INTAKE_SOURCES, default="walk_in")
    received_on = DateField(
        _l("Date received"),
        validators=[InputRequired(_l("Enter the date the application was received."))],
    )
    knew_on = DateField(_l("Date the worker knew of the infringement"), validators=[Optional()])
    summary = TextAreaField(
        _l("The dispute in brief"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Describe the dispute in a few sentences.")),
            Length(max=2000),
        ],
        render_kw={"rows": 4},
    )
    claims = FieldList(FormField(ClaimItemForm), min_entries=CLAIM_ROWS, max_entries=MAX_CLAIM_ROWS)

    def __init__(
        self,
        *args: Any,
        today: date | None = None,
        towns: Sequence[tuple[int, str]] = (),
        home_town: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.today = today or clock.today()
        kwargs.setdefault("received_on", self.today)
        if home_town is not None:
            kwargs.setdefault("town", home_town)
        super().__init__(*args, **kwargs)
        self.town.choices = [
            SelectChoice(0, _l("— choose —")),
            *(SelectChoice(town_id, name) for town_id, name in towns),
        ]
        self.claims_errors: list[Any] = []

    @property
    def can_add_claim(self) -> bool:
        """Tell whether another claim row fits on the form."""
        return len(self.claims.entries) < MAX_CLAIM_ROWS

    def add_claim_row(self) -> None:
        """Show one more empty claim row (the "add a row" button, no JavaScript needed)."""
        if self.can_add_claim:
            self.claims.append_entry()

    def filled_claims(self) -> list[ClaimItemForm]:
        """Return the claim rows with something typed in them."""
        return [entry.form for entry in self.claims.entries if not entry.form.is_blank]

    def validate_received_on(self, field: Field) -> None:
        """Refuse a date in the future."""
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("The date received cannot be in the future."))

    def validate_knew_on(self, field: Field) -> None:
        """Refuse a date after the application was received."""
        received = self.received_on.data
        if field.data is not None and received is not None and field.data > received:
            raise ValidationError(
                _l("The worker cannot have learnt of it after the application was received.")
            )

    def validate(self, extra_validators: Any = None) -> bool:
        """Check every field, then that there is at least one claim and the total fits."""
        valid = bool(super().validate(extra_validators))
        rows = self.filled_claims()
        amounts = [row.amount.data for row in rows if isinstance(row.amount.data, int)]
        if not rows:
            self.claims_errors.append(_l("Enter at least one claim with its amount."))
            return False
        if sum(amounts) > MAX_FEN:
            self.claims_errors.append(_l("The claims add up to more than the largest amount."))
            return False
        return valid
