"""The archive bundle (案卷) of an ended case, as PDF/A-3b with the issued files inside it.

:func:`render_archive_bundle` prints, from an :class:`~documents.context.ArchiveContext`:

- a cover page: organisation, case number, the parties' names, category, received and closed
  dates, outcome, agreed and paid amounts in figures and capitals, the archiving date, the
  bundle's number, and a QR code of its verification URL;
- a contents page, with page numbers;
- a section per issued document (kind, number, version, issued at, SHA-256, issued by, and
  the attachment that holds it);
- the full event timeline (time in Asia/Shanghai, actor, action, from → to state, the first 12
  characters of the chain hash);
- the list of attachments with their sizes and SHA-256.

The issued PDFs and the machine-readable JSON case file are given as :class:`Attachment` and
embedded as PDF/A-3 associated files (the catalog's ``/AF`` array and its ``EmbeddedFiles``
name tree, each with its ``/AFRelationship``): an archive keeps the very files that were
issued, byte for byte, and a PDF/A-3 reader lists them. The bundle is marked like an issued
document (:class:`~documents.marks.IssueMarks`: number and version in the footer and the
metadata, verification URL, QR code), and the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from documents import render
from documents.context import ARCHIVE_BUNDLE, ARCHIVE_TITLE, ArchiveContext
from documents.marks import IssueMarks

#: WeasyPrint's name for the variant the bundle is written in.
PDF_VARIANT: Final = "pdf/a-3b"
TEMPLATE: Final = "archive_bundle.html"

#: How an attached file relates to the bundle (ISO 32000-2 §7.11.3, PDF/A-3 ``/AFRelationship``).
AFRelationship = Literal["Source", "Data", "Alternative", "Supplement", "Unspecified"]

_RELATIONSHIPS: Final = ("Source", "Data", "Alternative", "Supplement", "Unspecified")
_MEDIA_TYPE = re.compile(r"\A[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*\Z")
_SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")
_BAD_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]")
MAX_FILENAME_LENGTH: Final = 200


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the bundle: an issued PDF, the JSON case file …

    ``relationship`` defaults by media type: ``Source`` for a PDF (the issued original),
    ``Data`` for JSON (the data the bundle presents), ``Supplement`` otherwise.
    """

    filename: str
    content: bytes = field(repr=False)
    description: str
    media_type: str
    relationship: AFRelationship | None = None

    def __post_init__(self) -> None:
        name = self.filename
        if (
            not isinstance(name, str)
            or not name.strip()
            or name != name.strip()
            or name in (".", "..")
            or _BAD_FILENAME.search(name)
            or len(name) > MAX_FILENAME_LENGTH
        ):
            raise ValueError(f"an attachment needs a plain file name (no folders): {name!r}")
        if not isinstance(self.content, bytes):
            raise TypeError(f"the content of {name!r} must be bytes")
        if not isinstance(self.media_type, str) or not _MEDIA_TYPE.match(self.media_type):
            raise ValueError(f"{self.media_type!r} is not a media type like application/pdf")
        if self.relationship not in (None, *_RELATIONSHIPS):
            raise ValueError(f"unknown AFRelationship {self.relationship!r}")

    @property
    def sha256(self) -> str:
        """The SHA-256 of the content (hex)."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def af_relationship(self) -> str:
        """The ``/AFRelationship`` written into the bundle."""
        if self.relationship is not None:
            return self.relationship
        if self.media_type == "application/pdf":
            return "Source"
        if self.media_type == "application/json" or self.media_type.endswith("+json"):
            return "Data"
        return "Supplement"


def _check(context: Mapping[str, object], attachments: Sequence[Attachment]) -> None:
    if context.get("kind") != ARCHIVE_BUNDLE:
        raise ValueError(f"a context for {context.get('kind')!r} is not an archive bundle")
    by_name: dict[str, Attachment] = {}
    for attachment in attachments:
        if not isinstance(attachment, Attachment):
            raise TypeError(f"attachments are documents.archive.Attachment, not {attachment!r}")
        if attachment.filename in by_name:
            raise ValueError(f"two attachments are named {attachment.filename!r}")
        by_name[attachment.filename] = attachment
    documents = context.get("documents")
    if not isinstance(documents, list):
        raise ValueError("an archive context lists its issued documents")
    for document in documents:
        sha256 = str(document.get("sha256", "")).lower()
        if not _SHA256.match(sha256):
            raise ValueError(f"{document.get('number')!r} has no valid SHA-256: {sha256!r}")
        attached = by_name.get(str(document.get("filename")))
        if attached is None:
            raise ValueError(
                f"document {document.get('number')!r} version {document.get('version')} names "
                f"the attachment {document.get('filename')!r}, which is not given"
            )
        if attached.sha256 != sha256:
            raise ValueError(
                f"the attachment {attached.filename!r} is not the issued document "
                f"{document.get('number')!r} version {document.get('version')}: its SHA-256 is "
                f"{attached.sha256}, the record says {sha256}"
            )


def render_archive_html(
    context: ArchiveContext,
    attachments: Sequence[Attachment],
    *,
    marks: IssueMarks,
    inline_css: bool = False,
) -> str:
    """Return the HTML of the bundle (checked as :func:`render_archive_bundle` checks it)."""
    _check(context, attachments)
    values = render.page_values(context, marks=marks, date_key="archived_on")
    values.setdefault("title", ARCHIVE_TITLE)
    values["kind"] = ARCHIVE_BUNDLE
    values["attachments"] = [
        {
            "filename": attachment.filename,
            "description": attachment.description,
            "media_type": attachment.media_type,
            "size": f"{len(attachment.content):,}",
            "sha256": attachment.sha256,
        }
        for attachment in attachments
    ]
    return render.render_template(TEMPLATE, values, inline_css=inline_css)


def render_archive_bundle(
    context: ArchiveContext, attachments: Sequence[Attachment], *, marks: IssueMarks
) -> bytes:
    """Render the archive bundle of a case as PDF/A-3b, the attachments embedded in it.

    Every issued document the context lists must be among ``attachments`` under its
    ``filename``, with the SHA-256 the context records (:class:`ValueError` otherwise); other
    attachments (the JSON case file) are embedded and listed too. The context's
    ``document_number`` and ``archived_on`` must agree with ``marks``.
    """
    html = render_archive_html(context, attachments, marks=marks)
    return render.pdf_from_html(
        html, pdf_variant=PDF_VARIANT, attachments=attachments, attached_on=marks.issued_on
    )
