"""Forms of the supervisors' pages, and of a mediator's request to correct a signed amount.

The services check every value again (:mod:`mediation.supervision`); these forms catch what a
user can get wrong and say it next to the field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from forms.case_actions import MAX_VERSION, PositiveAmount, text_field
from forms.fields import YuanField
from mediation.supervision.reviews import MAX_SEED, MAX_SIZE

#: What a review can find, as the supervisor reads it.
REVIEW_RESULTS: dict[str, Any] = {
    "confirmed": _l("Confirmed: the amounts agree with the receipts"),
    "discrepancy": _l("Discrepancy: something does not agree"),
}

#: The most rows a correction form has (the agreement form's limit).
MAX_ROWS = 24


class SampleDrawForm(FlaskForm):
    """Draw a random sample of the cases settled in a period."""

    date_from = DateField(_l("Settled from"), validators=[InputRequired()])
    date_to = DateField(_l("Settled until"), validators=[InputRequired()])
    size = IntegerField(
        _l("Sample size"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SIZE)],
        default=10,
    )
    seed = IntegerField(
        _l("Seed (leave empty for a random one)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_SEED)],
    )

    def validate_date_to(self, field: Any) -> None:
        """Refuse a period that ends before it starts."""
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("The period ends before it starts."))


class ReviewForm(FlaskForm):
    """Record the review of a sampled case."""

    result = SelectField(
        _l("Result"),
        choices=[SelectChoice(k, v) for k, v in REVIEW_RESULTS.items()],
        validators=[InputRequired()],
    )
    note = text_field(_l("Note"), limit=2000, required=False, area=True, rows=2)

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, and that a discrepancy says what does not agree."""
        valid: bool = super().validate(extra_validators)
        if self.result.data == "discrepancy" and not (self.note.data or "").strip():
            # Not a validate_note method: the field's Optional() stops its chain when empty.
            self.note.errors = [*self.note.errors, str(_l("Say what does not agree."))]
            return False
        return valid


class ResolveForm(FlaskForm):
    """Close an open discrepancy."""

    resolution = text_field(_l("How was it resolved?"), limit=2000, area=True, rows=2)


class CorrectionDecisionForm(FlaskForm):
    """Approve or reject a correction: the case version seen, and a note."""

    version = IntegerField(
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
        render_kw={"type": "hidden"},
    )
    note = text_field(_l("Note"), limit=2000, required=False, area=True, rows=2)

    #: Rejecting needs a note (saying why); approving does not.
    note_required: ClassVar[bool] = False

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, and that a rejection says why."""
        valid: bool = super().validate(extra_validators)
        if self.note_required and not (self.note.data or "").strip():
            # Not a validate_note method: the field's Optional() stops its chain when empty.
            self.note.errors = [*self.note.errors, str(_l("Say why the correction is rejected."))]
            return False
        return valid


class CorrectionRejectForm(CorrectionDecisionForm):
    """Reject a correction (a note is required)."""

    note_required: ClassVar[bool] = True


class VerifyChainForm(FlaskForm):
    """Verify the event chain now (no fields but the CSRF token)."""


class CorrectionRequestForm(FlaskForm):
    """A mediator's request to correct the amounts of a signed agreement.

    One amount per term and per instalment of the agreement, in its order, filled with the
    signed amounts; the reason is required.
    """

    terms = FieldList(
        YuanField(_l("Amount (yuan)"), validators=[PositiveAmount()]),
        min_entries=0,
        max_entries=MAX_ROWS,
    )
    instalments = FieldList(
        YuanField(_l("Amount (yuan)"), validators=[PositiveAmount()]),
        min_entries=0,
        max_entries=MAX_ROWS,
    )
    reason = text_field(_l("Why is the signed amount wrong?"), limit=2000, area=True, rows=2)

    def amounts(self) -> tuple[list[int], list[int]]:
        """Return the corrected amounts in fen: (terms, instalments)."""
        return (
            [int(entry.data) for entry in self.terms.entries],
            [int(entry.data) for entry in self.instalments.entries],
        )
