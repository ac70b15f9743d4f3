"""A case's documents on the mediator's side: download, the draft agreement, issue, re-issue.

Documents are issued by :func:`mediation.issuing.service.issue_document`, which renders the
PDF outside any transaction and stores it through ``advance``. The triggers that call for a
document (see ``ISSUED_ON``) issue it right after their own transaction commits
(:func:`issue_for_trigger`, called by the case page's ``act``); if that fails the case still
moved on, and the "Issued documents" block of the case page shows the document as missing,
with a button to issue it. Every file is served with ``Cache-Control: no-store``: it carries
identity numbers.
"""

from __future__ import annotations

import io
import logging
import unicodedata

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms import labels
from forms.documents import DocumentIssueForm
from mediation import clock
from mediation.cases.case_file import CaseFile
from mediation.cases.document_data import DocumentUnavailable
from mediation.cases.enums import Role
from mediation.errors import Conflict, InvalidInput, MediationError, TransitionNotAllowed
from mediation.issuing import records
from mediation.issuing.numbering import KINDS
from mediation.issuing.panel import DocumentPanel, document_panel
from mediation.issuing.service import (
    ISSUED_ON,
    RenderFailed,
    draft_agreement,
    issue_document,
)
from mediation.issuing.urls import verification_path
from mediation.web.access import allow, current_actor
from mediation.web.db import database, read_session
from mediation.web.errors import error_page
from mediation.web.mediator import blueprint
from mediation.web.mediator.case_page import conflict_page, render_case_page
from mediation.web.mediator.scope import case_id_for_mediator
from mediation.web.navigation import translated

log = logging.getLogger(__name__)

#: Versions are 32-bit integers in the database; a larger number names no document.
MAX_VERSION = 2**31 - 1
MAX_NUMBER_LENGTH = 40


def public_base_url() -> str:
    """Return where the public reaches this application: ``PUBLIC_BASE_URL``, else the request's."""
    configured = str(current_app.config.get("PUBLIC_BASE_URL") or "").strip()
    return configured or request.url_root


def _case_id(number: str) -> int:
    if len(number) > MAX_NUMBER_LENGTH or any(
        unicodedata.category(c) in ("Cc", "Cs") for c in number
    ):
        abort(404)
    session = read_session()
    case_id = case_id_for_mediator(session, number)
    # End the read transaction: nothing is rendered while a snapshot is held, and the page
    # shown after a write must see it.
    session.rollback()
    return case_id


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf_response(content: bytes, media_type: str, filename: str) -> Response:
    response = send_file(
        io.BytesIO(content),
        mimetype=media_type,
        as_attachment=True,
        download_name=filename,
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    return _no_store(response)


def _render_failure_status(exc: RenderFailed) -> int:
    # A character no font has is in what was typed into the case: the user can fix it.
    return 422 if exc.caused_by_input else 500


# --------------------------------------------------------------------------- the case page


def _title(kind: str) -> str:
    return translated(labels.DOCUMENT_KINDS).get(kind, kind)


@blueprint.app_template_global("document_panel")
def panel_of(case: CaseFile) -> DocumentPanel:
    """Return the "Issued documents" block of a case page (no query)."""
    return document_panel(case)


@blueprint.app_template_global("document_kind_label")
def document_kind_label(kind: str) -> str:
    """Return the translated name of a kind of document."""
    return _title(kind)


@blueprint.app_template_global("document_verify_path")
def document_verify_path(number: str, version: int) -> str:
    """Return the public verification page of one version (relative to the site)."""
    return verification_path(number, version)


@blueprint.app_template_global("document_issue_errors")
def document_issue_errors(kind: str) -> list[str]:
    """Return the errors of an issue form just refused for ``kind`` (shown next to it)."""
    refused: tuple[str, list[str]] | None = g.get("document_issue_refused")
    return refused[1] if refused and refused[0] == kind else []


def issue_for_trigger(case_id: int, trigger: str) -> None:
    """Issue the document ``trigger`` calls for, once its transaction has committed.

    A failure does not undo the trigger: it is flashed, logged, and the case page shows the
    document as missing with a button to issue it.
    """
    kind = ISSUED_ON.get(trigger)
    if kind is None:
        return
    try:
        issued = issue_document(
            database(),
            case_id,
            kind,
            current_actor(),
            base_url=public_base_url(),
            today=clock.today(),
        )
    except MediationError as exc:
        log.warning("case %s: %s was not issued after %s: %s", case_id, kind, trigger, exc)
        flash(
            _(
                "%(document)s: not issued (%(error)s). "
                "Issue it under “Issued documents” on this page.",
                document=_title(kind),
                error=str(exc),
            ),
            "warning",
        )
        return
    except Exception:
        log.exception("case %s: %s was not issued after %s", case_id, kind, trigger)
        flash(
            _(
                "%(document)s: not issued because of an error. "
                "Issue it under “Issued documents” on this page.",
                document=_title(kind),
            ),
            "warning",
        )
        return
    flash(
        _(
            "Issued: %(document)s %(number)s, version %(version)s.",
            document=_title(kind),
            number=issued.number,
            version=issued.version,
        ),
        "success",
    )


def produce_archive_bundle(number: str, case_id: int, version: int) -> ResponseReturnValue | None:
    """Render and store the archive bundle for ``act``; return a refusal page, or None."""
    try:
        issue_document(
            database(),
            case_id,
            "archive_bundle",
            current_actor(),
            base_url=public_base_url(),
            today=clock.today(),
            expected_version=version,
        )
    except Conflict as exc:
        return conflict_page(number, "produce_archive_bundle", version, exc)
    except InvalidInput as exc:
        return render_case_page(case_id, status=400, page_error=str(exc))
    except (TransitionNotAllowed, DocumentUnavailable) as exc:
        return render_case_page(case_id, status=409, page_error=str(exc))
    except RenderFailed as exc:
        log.warning("case %s: the archive bundle could not be rendered: %s", case_id, exc)
        return render_case_page(case_id, status=_render_failure_status(exc), page_error=str(exc))
    return None


# --------------------------------------------------------------------------- routes


@blueprint.get("/cases/<number>/documents/<kind>/<int:version>")
@allow(Role.MEDIATOR)
def download_document(number: str, kind: str, version: int) -> ResponseReturnValue:
    """Download an issued document of a case of the mediator's organisation (404 otherwise)."""
    if kind not in KINDS or not 1 <= version <= MAX_VERSION:
        abort(404)
    case_id = _case_id(number)
    stored = records.stored_file(read_session(), case_id, kind, version)
    if stored is None:
        abort(404)
    return _pdf_response(stored.content, stored.media_type, stored.filename)


@blueprint.get("/cases/<number>/documents/agreement/draft")
@allow(Role.MEDIATOR)
def draft_agreement_pdf(number: str) -> ResponseReturnValue:
    """Download the drafted agreement, watermarked 草稿, for the parties to read before signing."""
    case_id = _case_id(number)
    try:
        draft = draft_agreement(database(), case_id, today=clock.today())
    except DocumentUnavailable:
        return error_page(
            409,
            _(
                "There is no agreement awaiting signatures: a draft can be downloaded between "
                "drafting the terms and signing them. Once signed, download the issued agreement."
            ),
        )
    except RenderFailed as exc:
        log.warning("case %s: the draft agreement could not be rendered: %s", case_id, exc)
        return error_page(_render_failure_status(exc), str(exc))
    return _pdf_response(draft.content, "application/pdf", draft.filename)


@blueprint.post("/cases/<number>/documents/<kind>")
@allow(Role.MEDIATOR)
def issue_document_now(number: str, kind: str) -> ResponseReturnValue:
    """Issue a document of the case (version 1), or issue it again with a reason."""
    if kind not in KINDS or kind == "archive_bundle":
        abort(404)
    case_id = _case_id(number)
    form = DocumentIssueForm()

    def refused(status: int, message: str) -> ResponseReturnValue:
        g.document_issue_refused = (kind, [message])
        return render_case_page(case_id, status=status, page_error=message)

    if not form.validate():
        errors = [str(e) for field in form for e in field.errors]
        return refused(400, "; ".join(errors) or _("The form could not be read."))
    version = int(form.version.data)
    try:
        issued = issue_document(
            database(),
            case_id,
            kind,
            current_actor(),
            reason=form.reason.data or "",
            base_url=public_base_url(),
            today=clock.today(),
            expected_version=version,
        )
    except Conflict as exc:
        return conflict_page(number, "issue_document", version, exc)
    except InvalidInput as exc:
        return refused(400, str(exc))
    except (TransitionNotAllowed, DocumentUnavailable) as exc:
        return refused(409, str(exc))
    except RenderFailed as exc:
        log.warning("case %s: %s could not be rendered: %s", case_id, kind, exc)
        return refused(_render_failure_status(exc), str(exc))
    flash(
        _(
            "Issued: %(document)s %(number)s, version %(version)s.",
            document=_title(kind),
            number=issued.number,
            version=issued.version,
        ),
        "success",
    )
    return redirect(url_for("mediator.case_page", number=number, _anchor="documents"))
