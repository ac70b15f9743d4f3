"""Forms of the documents: issue or re-issue one on the case page; check a file publicly."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from forms.case_actions import ActionForm, text_field

REASON_REQUIRED = _l("Say why the document is issued again: the new version supersedes the old.")


class DocumentIssueForm(ActionForm):
    """Issue a document of the case; issuing it again needs the reason (a new version)."""

    #: "1" when a version exists already: the new one supersedes it and needs a reason.
    reissue = HiddenField()
    reason = text_field(
        _l("Why is it issued again?"), limit=1000, required=False, area=True, rows=2
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, and that a re-issue says why (the service checks again)."""
        valid: bool = super().validate(extra_validators)
        if self.reissue.data == "1" and not self.reason.data:
            # Not a validate_reason method: the field's Optional() stops its chain when empty.
            self.reason.errors = [*self.reason.errors, str(REASON_REQUIRED)]
            return False
        return valid

    def to_data(self) -> dict[str, Any]:
        return {"reason": self.reason.data or ""}


class DocumentVerifyForm(FlaskForm):
    """A file to check against the issued documents (the public verification page)."""

    file = FileField(
        _l("The file to check (PDF)"),
        validators=[FileRequired(_l("Choose the file to check."))],
    )
