"""Translatable names of the domain's identifiers (states, triggers, categories, roles …)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

STATES: dict[str, Any] = {
    "registered": _l("Registered"),
    "rejected": _l("Not accepted"),
    "finding_crux": _l("Finding the crux"),
    "seizing_opening": _l("Seizing the opening"),
    "ensuring_performance": _l("Ensuring performance"),
    "awaiting_conversion": _l("Awaiting conversion"),
    "failed": _l("Mediation failed"),
    "withdrawn": _l("Withdrawn"),
    "closed": _l("Closed"),
    "archived": _l("Archived"),
}

ACTIONS: dict[str, Any] = {
    "register": _l("Register the dispute"),
    "import": _l("Imported"),
    "accept": _l("Accept the application"),
    "reject": _l("Reject the application"),
    "open_mediation": _l("Open mediation"),
    "sign_agreement": _l("Sign the agreement"),
    "declare_failure": _l("Declare mediation failed"),
    "withdraw": _l("Record the withdrawal"),
    "confirm_performance": _l("Confirm performance"),
    "apply_conversion": _l("Apply for an enforceable document"),
    "record_conversion": _l("Record the enforceable document"),
    "conversion_refused": _l("Record the refusal"),
    "declare_breach": _l("Declare breach"),
    "archive": _l("Archive the case"),
    "update_party": _l("Update a party"),
    "add_claim_item": _l("Add a claim item"),
    "record_interview": _l("Record a separate interview"),
    "record_crux": _l("Record the crux"),
    "record_plan": _l("Record the mediation plan"),
    "record_overdue_consent": _l("Record consent to continue"),
    "record_joint_session": _l("Record a joint session"),
    "log_offer": _l("Log an offer"),
    "draft_agreement": _l("Draft the agreement"),
    "record_signature": _l("Record a signature"),
    "record_payment": _l("Record a payment"),
    "produce_archive_bundle": _l("Produce the archive bundle"),
    "issue_document": _l("Issue a document"),
    # Legal-help assignments (mediation.assignments), shown on the case's timeline.
    "request_legal_help": _l("Request legal help"),
    "claim_assignment": _l("Legal help taken by a lawyer"),
    "release_assignment": _l("Legal help released by the lawyer"),
    "complete_assignment": _l("Legal help completed"),
    "cancel_assignment": _l("Legal help request cancelled"),
    "confirm_no_conflict": _l("Lawyer confirmed no conflict of interest"),
    "declare_conflict": _l("Lawyer declared a conflict of interest"),
    # Supervision (mediation.supervision): corrections of signed amounts and audit reviews.
    "request_correction": _l("Correction of a signed amount requested"),
    "apply_correction": _l("Correction approved by a supervisor"),
    "reject_correction": _l("Correction rejected by a supervisor"),
    "draw_audit_sample": _l("Audit sample drawn"),
    "review_case": _l("Audit review recorded"),
    "resolve_discrepancy": _l("Audit discrepancy resolved"),
    # Personal data (mediation.cases.disclosure): a full ID or phone number was shown.
    "reveal_numbers": _l("Full ID/phone numbers shown"),
}

#: The documents issued for a case (mediation.issuing.numbering.KINDS).
DOCUMENT_KINDS: dict[str, Any] = {
    "agreement": _l("Settlement agreement"),
    "failure_notice": _l("Failure notice"),
    "rejection_notice": _l("Rejection notice"),
    "performance_confirmation": _l("Performance confirmation"),
    "archive_bundle": _l("Archive bundle"),
}

CATEGORIES: dict[str, Any] = {
    "wages": _l("Unpaid wages"),
    "overtime": _l("Overtime pay"),
    "compensation": _l("Economic compensation"),
    "damages": _l("Damages"),
    "social_insurance": _l("Social insurance"),
    "injury": _l("Work-injury benefits"),
    "contract": _l("Labour contract"),
    "other": _l("Other"),
}

ROLES: dict[str, Any] = {
    "mediator": _l("Mediator"),
    "lawyer": _l("Volunteer lawyer"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}

LEVELS: dict[str, Any] = {
    "district": _l("District centre"),
    "town": _l("Town or street centre"),
    "enterprise": _l("Enterprise committee"),
}

PARTY_ROLES: dict[str, Any] = {"worker": _l("Worker"), "employer": _l("Employer")}

SOURCES: dict[str, Any] = {
    "walk_in": _l("Walk-in"),
    "hotline": _l("Hotline"),
    "referral": _l("Referral"),
    "circuit": _l("Circuit or on-site mediation"),
    "import": _l("Imported"),
}

SIGNERS: dict[str, Any] = {
    "worker": _l("Worker"),
    "employer": _l("Employer (signature or seal)"),
    "mediator": _l("Mediator"),
    "organization": _l("Seal of the mediation organisation"),
}

PAYMENT_METHODS: dict[str, Any] = {
    "bank_transfer": _l("Bank transfer"),
    "cash": _l("Cash"),
    "cheque": _l("Cheque"),
    "other": _l("Other"),
}

CONVERSION_KINDS: dict[str, Any] = {
    "arbitral_review": _l("Arbitral review (仲裁审查)"),
    "judicial_confirmation": _l("Judicial confirmation (司法确认)"),
    "payment_order": _l("Payment order (支付令)"),
}

CLOSED_AS: dict[str, Any] = {
    "performed": _l("Performed"),
    "converted": _l("Converted into an enforceable document"),
    "referred": _l("Referred to arbitration after breach"),
}


def state_label(state: str) -> str:
    """Return the translated name of a state."""
    return str(STATES.get(str(state), state))


def choices(labels: dict[str, Any], *, leave_out: Sequence[str] = ()) -> list[SelectChoice]:
    """Turn a label table into a select's options (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in labels.items() if value not in leave_out]
