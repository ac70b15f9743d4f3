"""The public verification page: is this file an issued document, unaltered?

No login. ``/verify/<number>/<version>`` is the URL each issued PDF prints and carries in its QR
code; it shows only the number, the kind, the version, the day of issue and whether a later
version supersedes it — never a party, an amount or anything else of the case. A file can be
uploaded (or its SHA-256 given as ``?sha256=``) to learn whether it is, byte for byte, a file
that was issued, and which; a file whose metadata claims a number it does not match has been
altered.

Uploads are limited (``VERIFY_MAX_UPLOAD_BYTES``, 20 MB by default: no issued document comes
near it). The limit must hold before the body is read, so these views are exempt from the
automatic CSRF check (which reads the form first) and run the same check themselves, once the
limit is set.
"""

from __future__ import annotations

import unicodedata

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from forms import labels
from forms.documents import DocumentVerifyForm
from mediation.issuing import records
from mediation.issuing.records import PublicRecord, Verdict
from mediation.web.access import public
from mediation.web.db import read_session
from mediation.web.errors import error_page
from mediation.web.extensions import csrf

blueprint = Blueprint("verify", __name__, url_prefix="/verify")

#: The largest file the page accepts, unless ``VERIFY_MAX_UPLOAD_BYTES`` says otherwise.
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Document numbers are short printable text; versions are 32-bit integers.
MAX_NUMBER_LENGTH = 60
MAX_VERSION = 2**31 - 1


def _limit() -> int:
    return int(current_app.config.get("VERIFY_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def _check_number(number: str) -> None:
    if len(number) > MAX_NUMBER_LENGTH or any(
        unicodedata.category(c) in ("Cc", "Cs") for c in number
    ):
        abort(404)


def _kind_label(kind: str) -> str:
    return str(labels.DOCUMENT_KINDS.get(kind, kind))


def _page(number: str | None, version: int | None) -> ResponseReturnValue:
    if request.method == "POST":
        # Before anything reads the body: a larger upload is refused with 413, unread.
        request.max_content_length = _limit()
        csrf.protect()
    session = read_session()
    versions: list[PublicRecord] = []
    selected: PublicRecord | None = None
    if number is not None:
        _check_number(number)
        versions = records.versions(session, number)
        if not versions:
            return _not_found(number)
        if version is not None:
            selected = next((r for r in versions if r.version == version), None)
            if selected is None or not 1 <= version <= MAX_VERSION:
                return _not_found(number, version)
    form = DocumentVerifyForm()
    verdict: Verdict | None = None
    error = ""
    status = 200
    if request.method == "POST":
        if form.validate():
            content = form.file.data.read()
            verdict = records.check_file(session, content)
        else:
            status = 400
            error = "; ".join(str(e) for e in form.file.errors) or _("Choose the file to check.")
    elif "sha256" in request.args:
        value = request.args.get("sha256", "").strip().lower()
        if records.is_sha256(value):
            verdict = Verdict(value, records.by_sha256(session, value))
        else:
            status = 400
            error = _("A SHA-256 is 64 hexadecimal characters (0–9, a–f).")
    return (
        render_template(
            "verify/page.html",
            number=number,
            versions=versions,
            selected=selected,
            form=form,
            verdict=verdict,
            from_upload=request.method == "POST",
            error=error,
            max_mb=_limit() // (1024 * 1024),
            kind_label=_kind_label,
        ),
        status,
    )


def _not_found(number: str, version: int | None = None) -> ResponseReturnValue:
    return (
        render_template(
            "verify/not_found.html", number=number, version=version, kind_label=_kind_label
        ),
        404,
    )


@blueprint.route("", methods=["GET", "POST"])
@public
@csrf.exempt
def index() -> ResponseReturnValue:
    """Check a file (upload) or a SHA-256 (``?sha256=``) against every issued document."""
    return _page(None, None)


@blueprint.route("/<document>", methods=["GET", "POST"])
@public
@csrf.exempt
def document(document: str) -> ResponseReturnValue:
    """Show the versions issued under a number, and check a file."""
    return _page(document, None)


@blueprint.route("/<document>/<int:version>", methods=["GET", "POST"])
@public
@csrf.exempt
def document_version(document: str, version: int) -> ResponseReturnValue:
    """Show one version of an issued document (the URL its QR code carries); check a file."""
    return _page(document, version)


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """Refuse an upload over the limit, saying what the limit is."""
    return error_page(
        413,
        _(
            "The file is larger than %(mb)s MB, and no issued document is that large. "
            "Nothing was checked.",
            mb=_limit() // (1024 * 1024),
        ),
    )
