"""Forms of the administrator's pages: users, organisations, towns and zones.

The services check every value again and raise ``InvalidInput("field: what is wrong")``;
:meth:`AdminForm.show_service_error` puts such a refusal next to the field it names, in the
user's language where the message is a known one.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Regexp, ValidationError

from forms.labels import LEVELS, ROLES
from mediation.errors import InvalidInput
from mediation.people.passwords import MAX_LENGTH, check_password_policy
from mediation.people.places import CLAIM_WINDOW_HOURS

#: What a town row may be (``mediation.people.service.TOWN_KINDS``), as the user reads it.
TOWN_KIND_LABELS: dict[str, Any] = {
    "town": _l("Town (镇)"),
    "street": _l("Street (街道)"),
    "base": _l("Industrial base (产业基地)"),
}

#: The shortest and longest claim window of a zone, in hours (one hour to thirty days).

#: The blank choice of an optional select.
NO_CHOICE = SelectChoice("", "—")

# The services' refusals (English, "field: message"), matched to translatable messages.
_SERVICE_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"must be at least (?P<n>\d+) characters long \(this one has (?P<has>\d+)\)"),
        _l("Must be at least %(n)s characters long (this one has %(has)s)."),
    ),
    (
        re.compile(r"must be at most (?P<n>\d+) characters long"),
        _l("Must be at most %(n)s characters long."),
    ),
    (re.compile(r"must not be the same as the username"), _l("Must not be the user name.")),
    (
        re.compile(r"is one of the most commonly used passwords"),
        _l("This is one of the most common passwords and easy to guess; choose another."),
    ),
    (re.compile(r"must not be one character repeated"), _l("Must not be one character repeated.")),
    (re.compile(r"is already taken"), _l("This user name is already taken.")),
    (
        re.compile(r"must be 3 to 80 characters"),
        _l("3 to 80 letters, digits, '.', '_' or '-'."),
    ),
    (
        re.compile(r"a mediator must belong"),
        _l("A mediator must belong to a mediation organisation."),
    ),
    (
        re.compile(r"a volunteer lawyer must be assigned"),
        _l("A volunteer lawyer must be assigned to a zone."),
    ),
    (re.compile(r"already exists"), _l("This name is already in use.")),
    (
        re.compile(r"contains control characters"),
        _l("Remove the control characters from this text."),
    ),
    (re.compile(r"^required$"), _l("This field is required.")),
    (
        re.compile(r"longer than (?P<n>\d+) characters"),
        _l("Must be at most %(n)s characters long."),
    ),
    (re.compile(r"there is no "), _l("This no longer exists; reload the page.")),
    (
        re.compile(r"the claim window must be"),
        _l("Enter a whole number of hours from 1 to 720."),
    ),
    (re.compile(r"is not one of"), _l("Not a valid choice.")),
]


def localise(message: str) -> str:
    """Return a service's message in the user's language if it is a known one."""
    for pattern, translated in _SERVICE_MESSAGES:
        match = pattern.search(message)
        if match:
            return str(translated) % match.groupdict()
    return message


def label_choices(labels: dict[str, Any]) -> list[SelectChoice]:
    """Turn a label table (identifier → translatable label) into a select's choices."""
    return [SelectChoice(value, label) for value, label in labels.items()]


def row_choices(rows: list[tuple[int, str]]) -> list[SelectChoice]:
    """Offer rows (id, name) in an optional select, after a blank choice."""
    return [NO_CHOICE, *(SelectChoice(str(row_id), name) for row_id, name in rows)]


def optional_id(value: Any) -> int | None:
    """Coerce a select's value to a row id; the blank choice is None."""
    if value is None or value == "" or value == "None":
        return None
    return int(value)


class AdminForm(FlaskForm):
    """A form whose values a service checks again."""

    #: The services' names of fields that this form calls otherwise.
    service_fields: ClassVar[dict[str, str]] = {}

    def show_service_error(self, exc: InvalidInput) -> None:
        """Show a service's refusal next to the field it names (or above the form)."""
        name, separator, message = str(exc).partition(": ")
        field = self._fields.get(self.service_fields.get(name, name)) if separator else None
        if field is None or field.type in ("CSRFTokenField", "SubmitField"):
            self.form_errors.append(localise(str(exc)))
        else:
            field.errors = [*field.errors, localise(message)]


def _check_password(username: str, field: Field) -> None:
    try:
        check_password_policy(field.data or "", username=username)
    except InvalidInput as exc:
        raise ValidationError(localise(str(exc))) from None


# --------------------------------------------------------------------------- users


_USERNAME_RULE = _l("3 to 80 letters, digits, '.', '_' or '-'.")
_PASSWORD_RULE = _l("At least 10 characters; not the user name and not a common password.")


# Fields are made by functions so that each form lists them in its own order.
def _display_name() -> Any:
    return StringField(_l("Full name"), validators=[InputRequired(), Length(max=100)])


def _role() -> Any:
    return SelectField(_l("Role"), choices=label_choices(ROLES))


def _organization() -> Any:
    return SelectField(
        _l("Mediation organisation"),
        coerce=optional_id,
        description=_l("Mediators only: the organisation whose cases they handle."),
    )


def _zone() -> Any:
    return SelectField(
        _l("Zone"),
        coerce=optional_id,
        description=_l("Volunteer lawyers only: the zone whose pool they serve."),
    )


def _new_password(label: Any) -> tuple[Any, Any]:
    password = PasswordField(
        label, validators=[InputRequired(), Length(max=MAX_LENGTH)], description=_PASSWORD_RULE
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    return password, confirm


class _UserPlacement(AdminForm):
    """What a user does and where: role, organisation (mediators), zone (lawyers)."""

    service_fields: ClassVar[dict[str, str]] = {
        "organization_id": "organization",
        "zone_id": "zone",
    }

    def set_places(
        self, organizations: list[tuple[int, str]], zones: list[tuple[int, str]]
    ) -> None:
        """Offer these organisations and zones (each as id and name)."""
        self.organization.choices = row_choices(organizations)
        self.zone.choices = row_choices(zones)

    def validate_organization(self, field: Field) -> None:
        """A mediator needs an organisation."""
        if self.role.data == "mediator" and field.data is None:
            raise ValidationError(_l("A mediator must belong to a mediation organisation."))

    def validate_zone(self, field: Field) -> None:
        """A volunteer lawyer needs a zone."""
        if self.role.data == "lawyer" and field.data is None:
            raise ValidationError(_l("A volunteer lawyer must be assigned to a zone."))

    @property
    def organization_id(self) -> int | None:
        """The organisation to store: mediators belong to one, other roles to none."""
        return self.organization.data if self.role.data == "mediator" else None

    @property
    def zone_id(self) -> int | None:
        """The zone to store: volunteer lawyers serve one, other roles none."""
        return self.zone.data if self.role.data == "lawyer" else None


class UserCreateForm(_UserPlacement):
    """Create a user with an initial password."""

    username = StringField(
        _l("User name"),
        validators=[
            InputRequired(),
            Regexp(r"^[A-Za-z0-9._-]{3,80}$", message=_USERNAME_RULE),
        ],
        description=_USERNAME_RULE,
    )
    display_name = _display_name()
    role = _role()
    organization = _organization()
    zone = _zone()
    password, confirm = _new_password(_l("Initial password"))
    submit = SubmitField(_l("Create the user"))

    def validate_password(self, field: Field) -> None:
        """Apply the password policy."""
        _check_password((self.username.data or "").strip(), field)


class UserEditForm(_UserPlacement):
    """Change a user's name, role, organisation or zone."""

    display_name = _display_name()
    role = _role()
    organization = _organization()
    zone = _zone()
    submit = SubmitField(_l("Save changes"))


class PasswordResetForm(AdminForm):
    """Give a user a new password; their sessions end."""

    #: The user whose password this is (the policy refuses the username itself).
    policy_username: str = ""

    password, confirm = _new_password(_l("New password"))
    submit = SubmitField(_l("Set the password"))

    def validate_password(self, field: Field) -> None:
        """Apply the password policy."""
        _check_password(self.policy_username, field)


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


# --------------------------------------------------------------------------- places


class OrganizationCreateForm(AdminForm):
    """Register a mediation organisation."""

    service_fields: ClassVar[dict[str, str]] = {"town_id": "town"}

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    level = SelectField(
        _l("Level"),
        choices=label_choices(LEVELS),
        description=_l("Reports count town and enterprise organisations as grassroots."),
    )
    town = SelectField(_l("Town"), coerce=optional_id)
    submit = SubmitField(_l("Create the organisation"))

    def set_towns(self, towns: list[tuple[int, str]]) -> None:
        """Offer these towns (each as id and name)."""
        self.town.choices = row_choices(towns)


class OrganizationEditForm(OrganizationCreateForm):
    """Change an organisation's name, level or town."""

    submit = SubmitField(_l("Save changes"))


class TownCreateForm(AdminForm):
    """Register a town, street or industrial base."""

    service_fields: ClassVar[dict[str, str]] = {"zone_id": "zone"}

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=label_choices(TOWN_KIND_LABELS))
    zone = SelectField(_l("Zone"), coerce=optional_id)
    submit = SubmitField(_l("Create the town"))

    def set_zones(self, zones: list[tuple[int, str]]) -> None:
        """Offer these zones (each as id and name)."""
        self.zone.choices = row_choices(zones)


class TownMoveForm(AdminForm):
    """Move a town to another zone."""

    service_fields: ClassVar[dict[str, str]] = {"zone_id": "zone"}

    zone = SelectField(
        _l("Zone"),
        coerce=optional_id,
        description=_l("New cases of this town go to the pool of this zone's lawyers."),
    )
    submit = SubmitField(_l("Move the town"))

    def set_zones(self, zones: list[tuple[int, str]]) -> None:
        """Offer these zones (each as id and name)."""
        self.zone.choices = row_choices(zones)


def _claim_window() -> Any:
    low, high = CLAIM_WINDOW_HOURS
    return IntegerField(
        _l("Claim window (hours)"),
        validators=[
            InputRequired(message=_l("Enter a whole number of hours from 1 to 720.")),
            NumberRange(
                min=low, max=high, message=_l("Enter a whole number of hours from 1 to 720.")
            ),
        ],
        default=48,
        description=_l(
            "An assignment not claimed within this time is offered to every volunteer lawyer."
        ),
    )


class ZoneCreateForm(AdminForm):
    """Create a zone (片区)."""

    service_fields: ClassVar[dict[str, str]] = {"claim_window_hours": "claim_window_hours"}

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    claim_window_hours = _claim_window()
    submit = SubmitField(_l("Create the zone"))


class ZoneEditForm(AdminForm):
    """Change a zone's claim window."""

    claim_window_hours = _claim_window()
    submit = SubmitField(_l("Save changes"))
