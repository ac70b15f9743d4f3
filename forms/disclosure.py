"""The form that reveals a party's full ID and phone numbers on the case page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from forms.case_actions import text_field
from mediation.cases.disclosure import REASON_LIMIT


class RevealNumbersForm(FlaskForm):
    """Why the full numbers are needed: the reason goes into the case's audit log."""

    reason = text_field(_l("Why you need the full numbers"), limit=REASON_LIMIT)
