"""Issue a case's documents: read, render outside any transaction, store through ``advance``.

Rendering a Chinese PDF takes a tenth of a second or more; on SQLite a write transaction holds
the database's only write lock, so a render inside one would stall every other writer. So
:func:`issue_document` reads what the document prints (and the case's version) in a read
session, closes it, renders, and only then stores the bytes through
:func:`mediation.cases.service.advance` — the recording action ``issue_document`` (or
``produce_archive_bundle`` for the bundle), whose event carries the kind, number, version,
SHA-256 and reason on the case's hash chain, under the case's optimistic version check. If the
case changed while the PDF was rendered, the version check refuses the write (``Conflict``)
and the document is read and rendered again, a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import func, select

from documents.archive import Attachment, render_archive_bundle
from documents.marks import IssueMarks
from documents.render import DocumentError, MissingGlyphError, render_pdf
from mediation.audit.chain import Actor, EventRecord
from mediation.cases import archive
from mediation.cases.document_data import DocumentUnavailable, document_context
from mediation.cases.inputs import text
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import Conflict, InvalidInput, MediationError, NotFound, TransitionNotAllowed
from mediation.issuing.numbering import ACTION_OF, TITLES, check_kind, document_number
from mediation.issuing.urls import verification_url
from mediation.tables import AGREEMENT, CASE, DOCUMENT
from workflows.case import DOCUMENT_STATES, STATE_LABELS_ZH, CaseState

#: How often a document is read and rendered again when the case changes during the render.
MAX_ATTEMPTS: Final = 3

#: The document each trigger issues, right after the trigger's transaction commits.
ISSUED_ON: Final = {
    "sign_agreement": "agreement",
    "declare_failure": "failure_notice",
    "reject": "rejection_notice",
    "confirm_performance": "performance_confirmation",
}


class RenderFailed(MediationError):
    """A document could not be rendered; nothing was written."""

    def __init__(self, kind: str, number: str, error: DocumentError) -> None:
        self.kind = kind
        self.number = number
        self.error = error
        super().__init__(f"{TITLES[kind]} {number} could not be rendered: {error}")

    @property
    def caused_by_input(self) -> bool:
        """Tell whether what was typed into the case is the cause (a character no font has)."""
        return isinstance(self.error, MissingGlyphError)


@dataclass(frozen=True)
class Issued:
    """A document as issued."""

    case_id: int
    kind: str
    number: str
    version: int
    sha256: str
    event: EventRecord
    #: How many times it was rendered (more than once when the case changed meanwhile).
    attempts: int


@dataclass(frozen=True)
class _Prepared:
    """What was read for one attempt: the case's version, the marks, and how to render."""

    case_version: int
    case_state: str
    marks: IssueMarks
    render: Callable[[], bytes]


def _state_label(state: str) -> str:
    return f"{state} ({STATE_LABELS_ZH[CaseState(state)]})"


def _prepare(
    database: Database,
    case_id: int,
    kind: str,
    *,
    reason: str,
    base_url: str,
    today: date,
    correction_id: int | None = None,
) -> _Prepared:
    # The read session ends before anything is rendered: no snapshot or lock is held while
    # WeasyPrint works. The case's version is read first, so anything read after it is at
    # least as new, and a change made after it fails the version check of the write.
    with database.read_session() as session:
        case = session.execute(
            select(CASE.c.number, CASE.c.state, CASE.c.version).where(CASE.c.id == case_id)
        ).one_or_none()
        if case is None:
            raise NotFound(f"case {case_id} does not exist")
        if CaseState(case.state) not in DOCUMENT_STATES[kind]:
            raise TransitionNotAllowed(
                f"{TITLES[kind]} ({kind}) cannot be issued while case {case.number} is "
                f"{_state_label(case.state)}"
            )
        number = document_number(case.number, kind)
        latest = session.execute(
            select(func.max(DOCUMENT.c.version)).where(
                DOCUMENT.c.case_id == case_id, DOCUMENT.c.kind == kind
            )
        ).scalar_one_or_none()
        version = (latest or 0) + 1
        if version > 1 and kind == "agreement" and correction_id is None:
            raise TransitionNotAllowed(
                f"{number} v{latest} is signed and issued: the agreement is issued again only "
                "when a supervisor approves a correction of its amounts"
            )
        if version > 1 and not reason and kind != "archive_bundle":
            raise InvalidInput(
                f"reason: {number} v{latest} is already issued; say why it is issued again"
            )
        marks = IssueMarks(
            number=number,
            version=version,
            verification_url=verification_url(base_url, number, version),
            issued_on=today,
        )
        if kind == "archive_bundle":
            files = archive.issued_files(session, case_id)
            context = archive.archive_context(
                session, case_id, number=number, today=today, files=files
            )
            attachments = [
                Attachment(
                    filename=f.filename,
                    content=f.content,
                    description=f"{TITLES[f.kind]} {f.number} 第{f.version}版",
                    media_type=f.media_type,
                )
                for f in files
            ]
            attachments.append(
                Attachment(
                    filename=f"{case.number}-case-file.json",
                    content=archive.case_file_json(session, case_id),
                    description="案件数据（含事件链）",
                    media_type=archive.CASE_FILE_MEDIA_TYPE,
                )
            )
            return _Prepared(
                case.version,
                case.state,
                marks,
                lambda: render_archive_bundle(context, attachments, marks=marks),
            )
        document = document_context(session, case_id, kind, number=number, today=today)
        return _Prepared(
            case.version, case.state, marks, lambda: render_pdf(kind, document, marks=marks)
        )


def issue_document(
    database: Database,
    case_id: int,
    kind: str,
    actor: Actor,
    *,
    reason: str = "",
    base_url: str,
    today: date,
    expected_version: int | None = None,
    correction_id: int | None = None,
) -> Issued:
    """Render a case's document of ``kind`` and store it as its next version.

    ``reason`` is required from the second version on (a re-issue; the old versions stay,
    superseded); a signed agreement is issued again only for a correction a supervisor
    approved (``correction_id``: mediation.supervision.corrections). With
    ``expected_version`` (the version of the case the user saw) a case that changed since is
    a ``Conflict`` before anything is rendered. Raises ``NotFound``,
    ``TransitionNotAllowed`` (not in this state), ``DocumentUnavailable`` (the case has no such
    document), ``InvalidInput``, ``RenderFailed`` or ``Conflict``; on any of them nothing is
    written.
    """
    kind = check_kind(kind)
    reason = text({"reason": reason}, "reason", limit=1000)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        prepared = _prepare(
            database,
            case_id,
            kind,
            reason=reason,
            base_url=base_url,
            today=today,
            correction_id=correction_id,
        )
        stale = expected_version is not None and prepared.case_version != expected_version
        if attempt == 1 and stale:
            raise Conflict(
                f"case {case_id} is at version {prepared.case_version}, not "
                f"{expected_version}: it was changed meanwhile; reload it",
                current_state=prepared.case_state,
                current_version=prepared.case_version,
            )
        marks = prepared.marks
        try:
            content = prepared.render()
        except DocumentError as error:
            raise RenderFailed(kind, marks.number, error) from error
        try:
            with database.writing() as session:
                event = advance(
                    session,
                    case_id=case_id,
                    action=ACTION_OF[kind],
                    expected_version=prepared.case_version,
                    actor=actor,
                    data={
                        "kind": kind,
                        "content": content,
                        "number": marks.number,
                        "version": marks.version,
                        "reason": reason,
                    },
                    today=today,
                )
        except Conflict:
            if attempt == MAX_ATTEMPTS:
                raise
            continue
        return Issued(
            case_id=case_id,
            kind=kind,
            number=marks.number,
            version=marks.version,
            sha256=str(event.payload["sha256"]),
            event=event,
            attempts=attempt,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def issue_after(
    database: Database,
    case_id: int,
    trigger: str,
    actor: Actor,
    *,
    base_url: str,
    today: date,
) -> Issued | None:
    """Issue the document ``trigger`` calls for (see :data:`ISSUED_ON`), if any.

    Called once the trigger's transaction has committed; raises what :func:`issue_document`
    raises, and the case page then offers to issue the missing document again.
    """
    kind = ISSUED_ON.get(trigger)
    if kind is None:
        return None
    return issue_document(database, case_id, kind, actor, base_url=base_url, today=today)


@dataclass(frozen=True)
class Draft:
    """A draft agreement: not numbered, not stored, watermarked 草稿."""

    filename: str
    content: bytes


def draft_agreement(database: Database, case_id: int, *, today: date) -> Draft:
    """Render the drafted agreement for the parties to read before they sign.

    Only while mediation is under way and the agreement is unsigned: once signed, the issued
    agreement is the document (``DocumentUnavailable`` otherwise).
    """
    with database.read_session() as session:
        case = session.execute(
            select(CASE.c.number, CASE.c.state, AGREEMENT.c.effective_on)
            .select_from(CASE.outerjoin(AGREEMENT, AGREEMENT.c.case_id == CASE.c.id))
            .where(CASE.c.id == case_id)
        ).one_or_none()
        if case is None:
            raise NotFound(f"case {case_id} does not exist")
        if case.state != CaseState.SEIZING_OPENING or case.effective_on is not None:
            raise DocumentUnavailable(
                f"case {case.number} has no agreement awaiting signatures: a draft exists only "
                "between drafting and signing (once signed, download the issued agreement)"
            )
        context = document_context(session, case_id, "agreement", number="", today=today)
    try:
        content = render_pdf("agreement", context, draft=True)
    except DocumentError as error:
        raise RenderFailed("agreement", f"{case.number} (草稿)", error) from error
    return Draft(filename=f"{document_number(case.number, 'agreement')}-draft.pdf", content=content)
