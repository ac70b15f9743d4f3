"""Find issued documents: by number, by the SHA-256 of a file, or to download one.

What :class:`PublicRecord` holds is all the public verification page and ``mediation
verify-document`` tell: number, kind, version, date of issue, whether a later version
supersedes it — never a party, an amount or anything else of the case.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Integer, String, bindparam, select
from sqlmodel import Session

from documents.marks import read_marks
from mediation.clock import LOCAL_TZ, local_date
from mediation.issuing.numbering import TITLES
from mediation.tables import DOCUMENT

_SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")

# Built once, with bound parameters (never the content column: a bundle can be large).
_RECORD_COLUMNS = (
    DOCUMENT.c.number,
    DOCUMENT.c.kind,
    DOCUMENT.c.version,
    DOCUMENT.c.sha256,
    DOCUMENT.c.issued_at,
)
_VERSIONS = (
    select(*_RECORD_COLUMNS)
    .where(DOCUMENT.c.number == bindparam("number", type_=String))
    .order_by(DOCUMENT.c.version)
)
_BY_SHA256 = (
    select(DOCUMENT.c.number)
    .where(DOCUMENT.c.sha256 == bindparam("sha256", type_=String))
    .order_by(DOCUMENT.c.id)
    .limit(1)
)
_CONTENT = select(
    DOCUMENT.c.number, DOCUMENT.c.version, DOCUMENT.c.media_type, DOCUMENT.c.content
).where(
    DOCUMENT.c.case_id == bindparam("case_id", type_=Integer),
    DOCUMENT.c.kind == bindparam("kind", type_=String),
    DOCUMENT.c.version == bindparam("version", type_=Integer),
)


def is_sha256(value: str) -> bool:
    """Tell whether ``value`` is a SHA-256 in lower-case hex."""
    return bool(_SHA256.match(value))


@dataclass(frozen=True)
class PublicRecord:
    """What anyone may learn about one version of an issued document."""

    number: str
    kind: str
    version: int
    sha256: str
    issued_at: datetime
    #: The newest version of this number (greater than ``version`` when superseded).
    latest_version: int

    @property
    def title(self) -> str:
        """Return the Chinese name of the document's kind."""
        return TITLES.get(self.kind, self.kind)

    @property
    def issued_local(self) -> datetime:
        """Return the time of issue in Asia/Shanghai."""
        aware = self.issued_at if self.issued_at.tzinfo else self.issued_at.replace(tzinfo=UTC)
        return aware.astimezone(LOCAL_TZ)

    @property
    def issued_on(self) -> date:
        """Return the day of issue in Asia/Shanghai."""
        return local_date(self.issued_at)

    @property
    def superseded(self) -> bool:
        """Tell whether a later version replaces this one."""
        return self.version < self.latest_version


def versions(session: Session, number: str) -> list[PublicRecord]:
    """Return every version issued under ``number``, oldest first (empty when none)."""
    rows = list(session.connection().execute(_VERSIONS, {"number": number}))
    latest = max((row.version for row in rows), default=0)
    return [
        PublicRecord(
            number=row.number,
            kind=row.kind,
            version=row.version,
            sha256=row.sha256,
            issued_at=row.issued_at,
            latest_version=latest,
        )
        for row in rows
    ]


def find(session: Session, number: str, version: int) -> PublicRecord | None:
    """Return one version of a document, or None."""
    return next((r for r in versions(session, number) if r.version == version), None)


def by_sha256(session: Session, sha256: str) -> PublicRecord | None:
    """Return the issued document whose file has this SHA-256 (lower-case hex), or None."""
    if not is_sha256(sha256):
        return None
    number = session.connection().execute(_BY_SHA256, {"sha256": sha256}).scalar()
    if number is None:
        return None
    return next((r for r in versions(session, number) if r.sha256 == sha256), None)


@dataclass(frozen=True)
class Verdict:
    """Whether a file is an issued document, unaltered."""

    sha256: str
    #: The issued document the file is, byte for byte; None if it is none.
    match: PublicRecord | None
    #: The (number, version) the file's metadata claims, read when it matches nothing.
    claims: tuple[str, int] | None = None
    #: The issued document the file claims to be, if there is one by that number and version.
    claimed: PublicRecord | None = None

    @property
    def altered(self) -> bool:
        """Tell whether the file claims to be a document but is not that document's file."""
        return self.match is None and self.claims is not None


def check_file(session: Session, content: bytes) -> Verdict:
    """Say whether ``content`` is an issued document's file, and if not, what it claims."""
    sha256 = hashlib.sha256(content).hexdigest()
    match = by_sha256(session, sha256)
    if match is not None:
        return Verdict(sha256, match)
    claims = read_marks(content)
    claimed = find(session, claims[0], claims[1]) if claims else None
    return Verdict(sha256, None, claims, claimed)


@dataclass(frozen=True)
class StoredFile:
    """The bytes of one issued document, to download."""

    number: str
    version: int
    media_type: str
    content: bytes

    @property
    def filename(self) -> str:
        """Return the file name a download is saved under."""
        # Archive bundles made before the PDF/A bundle were JSON files.
        extension = "json" if self.media_type == "application/json" else "pdf"
        return f"{self.number}-v{self.version}.{extension}"


def stored_file(session: Session, case_id: int, kind: str, version: int) -> StoredFile | None:
    """Return the issued file of a case's document of ``kind`` and ``version``, or None."""
    row = (
        session.connection()
        .execute(_CONTENT, {"case_id": case_id, "kind": kind, "version": version})
        .one_or_none()
    )
    if row is None:
        return None
    return StoredFile(row.number, row.version, row.media_type, bytes(row.content))
