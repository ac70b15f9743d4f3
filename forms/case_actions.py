"""Forms of the actions on a case page: one ``<Noun><Action>Form`` per action.

Every form carries the hidden ``version`` of the case the user saw (the service's optimistic
lock) and turns its fields into the ``data`` the service expects (:meth:`ActionForm.to_data`):
amounts as integer fen, dates as :class:`datetime.date`. The forms check what a user can get
wrong; the service checks again and its refusals are attached to the field they name
(:meth:`ActionForm.add_service_error`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import HiddenInput

from forms.fields import YuanField
from forms.labels import CATEGORIES, CONVERSION_KINDS, PARTY_ROLES, PAYMENT_METHODS, SIGNERS
from forms.validators import CreditCode, Phone, ResidentId
from mediation import clock
from mediation.money import MAX_FEN, format_yuan

#: The largest case version a form accepts (the column is a 32-bit integer).
MAX_VERSION = 2**31 - 1
#: The earliest date anyone types into a case (guards against typos such as 0202).
EARLIEST = date(2000, 1, 1)
#: How far ahead an agreed instalment may fall due.
LATEST_DUE_YEARS = 10
#: How many rows an agreement may have (terms, instalments).
MAX_ROWS = 24


# --------------------------------------------------------------------------- validators


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


_ALLOWED_CONTROLS = frozenset("\t\n\r")


class PlainText:
    """Refuse control characters (a NUL cannot even be stored by PostgreSQL)."""

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data if isinstance(field.data, str) else ""
        for character in value:
            if character not in _ALLOWED_CONTROLS and unicodedata.category(character) in (
                "Cc",
                "Cs",
            ):
                raise ValidationError(_l("Remove the control characters from this text."))


class DateWithin:
    """A date from 2000 on and no later than ``days_ahead`` days after today (Asia/Shanghai)."""

    def __init__(self, days_ahead: int = 0) -> None:
        self.days_ahead = days_ahead

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if not isinstance(value, date):
            return
        if value < EARLIEST:
            raise ValidationError(_l("Enter a date from 2000 on."))
        latest = clock.today() + timedelta(days=self.days_ahead)
        if value > latest:
            if self.days_ahead == 0:
                raise ValidationError(_l("This date is in the future."))
            raise ValidationError(_l("This date is too far in the future."))


class PositiveAmount:
    """An amount in yuan that is present and greater than zero."""

    def __init__(self, required: bool = True) -> None:
        self.required = required

    def __call__(self, form: Form, field: Field) -> None:
        if field.process_errors:
            # The text is not an amount at all; that message says enough.
            raise StopValidation()
        if field.data is None:
            if self.required:
                raise StopValidation(_l("Enter the amount in yuan."))
            return
        if field.data <= 0:
            raise StopValidation(_l("The amount must be greater than zero."))


# --------------------------------------------------------------------------- field builders


def text_field(
    label: Any, *, limit: int, required: bool = True, area: bool = False, rows: int = 3
) -> Field:
    """A text field with a length limit, stripped, without control characters."""
    validators: list[Any] = [DataRequired() if required else Optional()]
    validators += [Length(max=limit), PlainText()]
    if area:
        return TextAreaField(
            label, validators=validators, filters=[_strip], render_kw={"rows": rows}
        )
    return StringField(label, validators=validators, filters=[_strip])


def day_field(label: Any, *, days_ahead: int = 0, today_default: bool = True) -> Field:
    """A date (YYYY-MM-DD) that is filled with today's date when the form is first shown."""
    default: Callable[[], date] | None = clock.today if today_default else None
    return DateField(label, validators=[InputRequired(), DateWithin(days_ahead)], default=default)


def options(labels: dict[str, Any], *, blank: bool = False) -> list[SelectChoice]:
    """Turn a label table (identifier → translatable name) into a select's choices."""
    result = [SelectChoice(value, label) for value, label in labels.items()]
    return [SelectChoice("", "—"), *result] if blank else result


def select_field(label: Any, labels: dict[str, Any]) -> Field:
    """A choice among translatable names."""
    return SelectField(label, choices=options(labels), validators=[InputRequired()])


def amount_field(label: Any) -> Field:
    """An amount typed in yuan; ``data`` is integer fen."""
    return YuanField(label, validators=[PositiveAmount()])


# --------------------------------------------------------------------------- the base form

_SERVICE_KEY = re.compile(r"^(?:(?P<row>term|instalment) (?P<index>\d+): )?(?P<key>\w+): ")


class ActionForm(FlaskForm):
    """An action on a case; every one carries the case version the user saw."""

    # Hidden, so no label: without one WTForms would make one up, translating it through its
    # own message catalogue, which Flask-WTF loads from disk once per request.
    version = IntegerField(
        "",
        widget=HiddenInput(),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_VERSION)],
    )

    #: The service's names of input keys where they differ from this form's field names.
    service_keys: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Messages that belong to the whole form rather than to one field.
        self.general_errors: list[str] = []

    def to_data(self) -> dict[str, Any]:
        """Return the input of the action in the service's terms."""
        return {}

    def input_fields(self) -> list[Field]:
        """Return the fields a user fills in (not the version or the CSRF token)."""
        return [f for f in self if f.name not in ("version", "csrf_token")]

    def add_service_error(self, message: str) -> None:
        """Attach a refusal of the service to the field it names, or to the whole form."""
        match = _SERVICE_KEY.match(message)
        if match is not None:
            key = self.service_keys.get(match["key"], match["key"])
            field = self._field_named(key, match["row"], match["index"])
            if field is not None:
                field.errors = [*field.errors, message[match.end() :]]
                return
        self.general_errors.append(message)

    def _field_named(self, key: str, row: str | None, index: str | None) -> Field | None:
        if row is None:
            field = self._fields.get(key)
            return field if field is not None and field.name != "csrf_token" else None
        return None

    def has_errors(self) -> bool:
        """Tell whether any field or the form as a whole has an error to show."""
        return bool(self.general_errors or self.form_errors or _field_errors(self))


def _field_errors(form: Form) -> bool:
    for field in form:
        if isinstance(field, FieldList):
            if any(_field_errors(entry.form) for entry in field.entries):
                return True
        elif field.errors:
            return True
    return False


# --------------------------------------------------------------------------- no input


class ConfirmForm(ActionForm):
    """A trigger that needs no input: accept, open mediation, sign, confirm, archive …"""


# --------------------------------------------------------------------------- endings


class _ReasonForm(ActionForm):
    reason = text_field(_l("Reason"), limit=2000, area=True)

    def to_data(self) -> dict[str, Any]:
        return {"reason": self.reason.data}


class RejectionForm(_ReasonForm):
    """Do not accept the application (不予受理), giving the reason."""


class FailureDeclareForm(_ReasonForm):
    """Declare mediation failed (调解不成); the worker is told of the right to arbitration."""


class WithdrawalForm(_ReasonForm):
    """Record that the applicant withdrew the application (撤回)."""


class BreachDeclareForm(_ReasonForm):
    """Declare that the agreement was not performed; the case goes to arbitration (Art. 15)."""


# --------------------------------------------------------------------------- registration


class PartyUpdateForm(ActionForm):
    """Correct or complete a party's details; blank fields are left as they are."""

    role = select_field(_l("Party"), PARTY_ROLES)
    name = text_field(_l("Full name or company name"), limit=200, required=False)
    id_number = StringField(
        _l("Resident ID number / unified social credit code"),
        validators=[Optional(), Length(max=30), PlainText()],
        filters=[_strip],
    )
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=30), Phone()], filters=[_strip]
    )
    address = text_field(_l("Address"), limit=300, required=False)
    legal_representative = text_field(_l("Legal representative"), limit=100, required=False)
    agent_name = text_field(_l("Agent"), limit=100, required=False)
    agent_phone = StringField(
        _l("Agent's phone"), validators=[Optional(), Length(max=30), Phone()], filters=[_strip]
    )

    DETAILS: ClassVar[tuple[str, ...]] = (
        "name",
        "id_number",
        "phone",
        "address",
        "legal_representative",
        "agent_name",
        "agent_phone",
    )

    def validate_id_number(self, field: Field) -> None:
        """Check the number against the party's kind: a person or an employer."""
        if not field.data:
            return
        checker = ResidentId() if self.role.data == "worker" else CreditCode()
        checker(self, field)

    def validate(self, extra_validators: Any = None) -> bool:
        """Also require at least one detail to change."""
        valid = bool(super().validate(extra_validators))
        if valid and not any(self[name].data for name in self.DETAILS):
            self.form_errors.append(_l("Fill in at least one detail to change."))
            return False
        return valid

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role.data}
        data.update({name: self[name].data for name in self.DETAILS if self[name].data})
        return data


class ClaimItemAddForm(ActionForm):
    """Add one thing the worker claims, with its amount."""

    category = select_field(_l("Category"), CATEGORIES)
    amount = amount_field(_l("Amount (yuan)"))
    description = text_field(_l("Description"), limit=500, required=False)

    service_keys: ClassVar[dict[str, str]] = {"amount_fen": "amount"}

    def to_data(self) -> dict[str, Any]:
        return {
            "category": self.category.data,
            "amount_fen": self.amount.data,
            "description": self.description.data or "",
        }


# --------------------------------------------------------------------------- 找症结


class InterviewRecordForm(ActionForm):
    """Record a separate interview (单独约谈) with one party."""

    party_role = select_field(_l("Party"), PARTY_ROLES)
    held_on = day_field(_l("Held on"))
    notes = text_field(_l("Notes"), limit=5000, area=True, rows=4)

    def to_data(self) -> dict[str, Any]:
        return {
            "party_role": self.party_role.data,
            "held_on": self.held_on.data,
            "notes": self.notes.data,
        }


class _TextForm(ActionForm):
    text = text_field(_l("Text"), limit=10_000, area=True, rows=4)

    def to_data(self) -> dict[str, Any]:
        return {"text": self.text.data}


class CruxRecordForm(_TextForm):
    """Record the crux of the dispute (症结)."""


class PlanRecordForm(_TextForm):
    """Record the mediation plan (调解方案)."""


class ConsentRecordForm(ActionForm):
    """Record one party's consent to go on past the 15-day period (Art. 14)."""

    party_role = select_field(_l("Party"), PARTY_ROLES)

    def to_data(self) -> dict[str, Any]:
        return {"party_role": self.party_role.data}


# --------------------------------------------------------------------------- 抓机会


class JointSessionRecordForm(ActionForm):
    """Record a joint mediation session (联合调解) with both parties."""

    held_on = day_field(_l("Held on"))
    attendees = text_field(_l("Attendees"), limit=500, required=False)
    notes = text_field(_l("Notes"), limit=5000, area=True, rows=4)

    def to_data(self) -> dict[str, Any]:
        return {
            "held_on": self.held_on.data,
            "attendees": self.attendees.data or "",
            "notes": self.notes.data,
        }


class OfferLogForm(ActionForm):
    """Log an offer or counter-offer made during mediation."""

    by_role = select_field(_l("Offered by"), PARTY_ROLES)
    amount = amount_field(_l("Amount (yuan)"))
    made_on = day_field(_l("Made on"))
    notes = text_field(_l("Notes"), limit=1000, required=False)

    service_keys: ClassVar[dict[str, str]] = {"amount_fen": "amount"}

    def to_data(self) -> dict[str, Any]:
        return {
            "by_role": self.by_role.data,
            "amount_fen": self.amount.data,
            "made_on": self.made_on.data,
            "notes": self.notes.data or "",
        }


class TermRowForm(Form):
    """One agreed payment: category, amount, description (a blank row is ignored)."""

    category = SelectField(
        _l("Category"), choices=options(CATEGORIES, blank=True), validators=[Optional()]
    )
    amount = YuanField(_l("Amount (yuan)"), validators=[Optional(), PositiveAmount(required=False)])
    description = StringField(
        _l("Description"), validators=[Optional(), Length(max=500), PlainText()], filters=[_strip]
    )

    def is_blank(self) -> bool:
        """Tell whether nothing was entered in this row."""
        return not (self.category.data or self.amount.raw_text.strip() or self.description.data)


class InstalmentRowForm(Form):
    """One agreed payment date and amount (a blank row is ignored)."""

    due_on = DateField(
        _l("Due on"), validators=[Optional(), DateWithin(days_ahead=366 * LATEST_DUE_YEARS)]
    )
    amount = YuanField(_l("Amount (yuan)"), validators=[Optional(), PositiveAmount(required=False)])

    def is_blank(self) -> bool:
        """Tell whether nothing was entered in this row."""
        raw = self.due_on.raw_data[0] if self.due_on.raw_data else ""
        return not (str(raw).strip() or self.amount.raw_text.strip())


class AgreementDraftForm(ActionForm):
    """Draft (or redraft) the settlement agreement: terms, instalments, method.

    A redraft replaces the terms and instalments and clears the signatures recorded so far.
    """

    method = select_field(_l("Performance method"), PAYMENT_METHODS)
    notes = text_field(_l("Other terms and notes"), limit=5000, required=False, area=True)
    terms = FieldList(FormField(TermRowForm), min_entries=2, max_entries=MAX_ROWS)
    instalments = FieldList(FormField(InstalmentRowForm), min_entries=2, max_entries=MAX_ROWS)

    service_keys: ClassVar[dict[str, str]] = {"amount_fen": "amount"}
    ROW_LISTS: ClassVar[dict[str, str]] = {"term": "terms", "instalment": "instalments"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Errors about a whole list of rows ("enter at least one term").
        self.list_errors: dict[str, list[str]] = {"terms": [], "instalments": []}

    def add_row(self, which: str) -> bool:
        """Add a blank row to ``terms`` or ``instalments``; False if it is full or unknown."""
        if which not in self.list_errors:
            return False
        rows: FieldList = self[which]
        if len(rows.entries) >= MAX_ROWS:
            return False
        rows.append_entry()
        return True

    def filled_terms(self) -> list[TermRowForm]:
        """Return the term rows that are not blank."""
        return [entry.form for entry in self.terms.entries if not entry.form.is_blank()]

    def filled_instalments(self) -> list[InstalmentRowForm]:
        """Return the instalment rows that are not blank."""
        return [entry.form for entry in self.instalments.entries if not entry.form.is_blank()]

    def validate(self, extra_validators: Any = None) -> bool:
        """Check each row that was filled in, and that the instalments add up to the terms."""
        valid = bool(super().validate(extra_validators))
        terms = self.filled_terms()
        instalments = self.filled_instalments()
        for term in terms:
            if not term.category.data:
                term.category.errors = [*term.category.errors, _l("Choose the category.")]
                valid = False
            if term.amount.data is None and not term.amount.errors:
                term.amount.errors = [*term.amount.errors, _l("Enter the amount in yuan.")]
                valid = False
        for instalment in instalments:
            if instalment.due_on.data is None and not instalment.due_on.errors:
                instalment.due_on.errors = [*instalment.due_on.errors, _l("Enter the due date.")]
                valid = False
            if instalment.amount.data is None and not instalment.amount.errors:
                instalment.amount.errors = [
                    *instalment.amount.errors,
                    _l("Enter the amount in yuan."),
                ]
                valid = False
        if not terms:
            self.list_errors["terms"].append(_l("Enter at least one term with its amount."))
            valid = False
        if not instalments:
            self.list_errors["instalments"].append(
                _l("Enter at least one instalment with its due date and amount.")
            )
            valid = False
        if valid:
            terms_total = sum(int(t.amount.data or 0) for t in terms)
            instalments_total = sum(int(i.amount.data or 0) for i in instalments)
            if terms_total > MAX_FEN:
                self.list_errors["terms"].append(_l("The terms add up to too much."))
                valid = False
            elif instalments_total != terms_total:
                self.list_errors["instalments"].append(
                    _l(
                        "The instalments add up to %(instalments)s yuan but the terms to "
                        "%(terms)s yuan: the amounts must agree.",
                        instalments=format_yuan(instalments_total),
                        terms=format_yuan(terms_total),
                    )
                )
                valid = False
        return valid

    def has_errors(self) -> bool:
        """Also count the errors about a whole list of rows."""
        return super().has_errors() or any(self.list_errors.values())

    def _field_named(self, key: str, row: str | None, index: str | None) -> Field | None:
        if row is None:
            if key in self.list_errors:
                return None
            return super()._field_named(key, row, index)
        rows: Sequence[Any] = self.filled_terms() if row == "term" else self.filled_instalments()
        position = int(index or 0) - 1
        if 0 <= position < len(rows):
            field: Field | None = rows[position]._fields.get(key)
            return field
        return None

    def add_service_error(self, message: str) -> None:
        """Attach list-wide refusals ("terms: …") under the list of rows."""
        for key in self.list_errors:
            if message.startswith(f"{key}: "):
                self.list_errors[key].append(message[len(key) + 2 :])
                return
        super().add_service_error(message)

    def to_data(self) -> dict[str, Any]:
        return {
            "method": self.method.data,
            "notes": self.notes.data or "",
            "terms": [
                {
                    "category": t.category.data,
                    "amount_fen": t.amount.data,
                    "description": t.description.data or "",
                }
                for t in self.filled_terms()
            ],
            "instalments": [
                {"due_on": i.due_on.data, "amount_fen": i.amount.data}
                for i in self.filled_instalments()
            ],
        }


class SignatureRecordForm(ActionForm):
    """Record a signature or seal on the agreement (Art. 14)."""

    signer = select_field(_l("Signed or sealed by"), SIGNERS)

    def to_data(self) -> dict[str, Any]:
        return {"signer": self.signer.data}


# --------------------------------------------------------------------------- 促履行


class PaymentRecordForm(ActionForm):
    """Record money the worker received under the agreement."""

    amount = amount_field(_l("Amount (yuan)"))
    paid_on = day_field(_l("Paid on"))
    method = select_field(_l("Method"), PAYMENT_METHODS)
    receipt_ref = text_field(_l("Receipt or transfer reference"), limit=100, required=False)

    service_keys: ClassVar[dict[str, str]] = {"amount_fen": "amount"}

    def to_data(self) -> dict[str, Any]:
        return {
            "amount_fen": self.amount.data,
            "paid_on": self.paid_on.data,
            "method": self.method.data,
            "receipt_ref": self.receipt_ref.data or "",
        }


class ConversionApplyForm(ActionForm):
    """Apply for arbitral review, judicial confirmation or a payment order."""

    conversion_kind = select_field(_l("Enforceable document"), CONVERSION_KINDS)
    applied_on = day_field(_l("Applied on"))

    def to_data(self) -> dict[str, Any]:
        return {"conversion_kind": self.conversion_kind.data, "applied_on": self.applied_on.data}


class ConversionRecordForm(ActionForm):
    """Record the enforceable document that was issued; the case closes as converted."""

    document_number = text_field(_l("Document number"), limit=100)
    issuing_body = text_field(_l("Issued by (arbitration commission or court)"), limit=200)
    decided_on = day_field(_l("Decided on"))

    def to_data(self) -> dict[str, Any]:
        return {
            "document_number": self.document_number.data,
            "issuing_body": self.issuing_body.data,
            "decided_on": self.decided_on.data,
        }


class ConversionRefusalForm(ActionForm):
    """Record that the conversion was refused; performance is pursued again."""

    reason = text_field(_l("Reason"), limit=1000, area=True)
    decided_on = day_field(_l("Decided on"))

    def to_data(self) -> dict[str, Any]:
        return {"reason": self.reason.data, "decided_on": self.decided_on.data}


# --------------------------------------------------------------------------- the registry

#: The form of every action a mediator can take on the case page.
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": ConfirmForm,
    "reject": RejectionForm,
    "open_mediation": ConfirmForm,
    "sign_agreement": ConfirmForm,
    "declare_failure": FailureDeclareForm,
    "withdraw": WithdrawalForm,
    "confirm_performance": ConfirmForm,
    "apply_conversion": ConversionApplyForm,
    "record_conversion": ConversionRecordForm,
    "conversion_refused": ConversionRefusalForm,
    "declare_breach": BreachDeclareForm,
    "archive": ConfirmForm,
    "update_party": PartyUpdateForm,
    "add_claim_item": ClaimItemAddForm,
    "record_interview": InterviewRecordForm,
    "record_crux": CruxRecordForm,
    "record_plan": PlanRecordForm,
    "record_overdue_consent": ConsentRecordForm,
    "record_joint_session": JointSessionRecordForm,
    "log_offer": OfferLogForm,
    "draft_agreement": AgreementDraftForm,
    "record_signature": SignatureRecordForm,
    "record_payment": PaymentRecordForm,
    "produce_archive_bundle": ConfirmForm,
}
