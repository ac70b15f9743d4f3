"""WTForms validators for Chinese identity numbers and phone numbers."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, ValidationError

from mediation.people.identity import is_valid_resident_id, is_valid_uscc


class ResidentId:
    """An 18-digit resident ID number with a correct check digit (GB 11643)."""

    def __call__(self, form: Form, field: Field) -> None:
        value = (field.data or "").strip().upper()
        if value and not is_valid_resident_id(value):
            raise ValidationError(
                _l("Not a valid 18-digit resident ID number (check the last digit).")
            )
        field.data = value


class CreditCode:
    """An 18-character unified social credit code with a correct check character (GB 32100)."""

    def __call__(self, form: Form, field: Field) -> None:
        value = (field.data or "").strip().upper()
        if value and not is_valid_uscc(value):
            raise ValidationError(
                _l("Not a valid unified social credit code (18 characters, check the last one).")
            )
        field.data = value


_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


class Phone:
    """A mainland mobile (13800138000) or landline (010-12345678) number."""

    def __call__(self, form: Form, field: Field) -> None:
        value = (field.data or "").strip().replace(" ", "")
        if value and not _PHONE.match(value):
            raise ValidationError(_l("Not a phone number (e.g. 13800138000 or 010-12345678)."))
        field.data = value
