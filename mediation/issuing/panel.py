"""Which documents a case has, which it should have, and which may be issued now.

Computed from the case page's :class:`~mediation.cases.case_file.CaseFile` alone (no query):
the page lists every issued version with the superseded ones marked, flags an expected
document that is missing (its automatic issue failed) and offers to issue or re-issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mediation.cases.case_file import CaseFile, DocumentView
from mediation.cases.enums import Outcome, Source
from mediation.issuing.numbering import KINDS, TITLES
from workflows.case import DOCUMENT_STATES, CaseState


@dataclass(frozen=True)
class VersionEntry:
    """One issued version."""

    number: str
    version: int
    issued_at: datetime | None
    sha256: str
    superseded: bool


@dataclass(frozen=True)
class KindEntry:
    """A kind of document of the case: its versions, and what may be done now."""

    kind: str
    title: str
    versions: tuple[VersionEntry, ...]
    #: The workflow calls for it (issued automatically by the trigger that ended the step).
    expected: bool
    #: It may be issued (or re-issued, with a reason) from the case page now.
    issuable: bool

    @property
    def missing(self) -> bool:
        """Tell whether an expected document has not been issued."""
        return self.expected and not self.versions

    @property
    def latest(self) -> VersionEntry | None:
        """Return the current version, if any."""
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class DocumentPanel:
    """The "Issued documents" block of the case page."""

    entries: tuple[KindEntry, ...]
    #: A drafted, unsigned agreement can be downloaded as a 草稿 for the parties to read.
    draft_available: bool

    @property
    def missing(self) -> tuple[str, ...]:
        """Return the kinds expected but not issued."""
        return tuple(e.kind for e in self.entries if e.missing)


def _available(case: CaseFile, kind: str, signed: bool) -> bool:
    """Tell whether the case can have a document of ``kind`` at all (ignoring the state)."""
    if kind == "agreement":
        return signed
    if kind == "failure_notice":
        return case.outcome in (Outcome.FAILED, Outcome.WITHDRAWN)
    if kind == "rejection_notice":
        return case.outcome == Outcome.REJECTED
    if kind == "performance_confirmation":
        return signed and case.agreed_fen > 0 and case.paid_fen >= case.agreed_fen
    return False  # the archive bundle is produced by its own action


def _expected(case: CaseFile, kind: str, signed: bool) -> bool:
    if case.source == Source.IMPORT:
        return False  # historic cases were documented on paper
    if kind == "agreement":
        return signed
    if kind == "failure_notice":
        return case.outcome == Outcome.FAILED
    if kind == "rejection_notice":
        return case.outcome == Outcome.REJECTED
    if kind == "performance_confirmation":
        return case.closed_as == "performed"
    return False


def _versions(documents: list[DocumentView]) -> tuple[VersionEntry, ...]:
    ordered = sorted(documents, key=lambda d: d.version)
    latest = ordered[-1].version if ordered else 0
    return tuple(
        VersionEntry(d.number, d.version, d.issued_at, d.sha256, d.version < latest)
        for d in ordered
    )


def document_panel(case: CaseFile) -> DocumentPanel:
    """Return the documents panel of a case."""
    state = CaseState(case.state)
    agreement = case.agreement
    signed = agreement is not None and agreement.effective_on is not None
    entries = []
    for kind in KINDS:
        versions = _versions([d for d in case.documents if d.kind == kind])
        expected = _expected(case, kind, signed)
        issuable = state in DOCUMENT_STATES[kind] and _available(case, kind, signed)
        if kind == "agreement" and versions:
            issuable = False  # issued again only for a correction a supervisor approved
        if versions or expected or issuable:
            entries.append(KindEntry(kind, TITLES[kind], versions, expected, issuable))
    draft = (
        state is CaseState.SEIZING_OPENING
        and agreement is not None
        and not signed
        and bool(agreement.terms)
    )
    return DocumentPanel(tuple(entries), draft)
