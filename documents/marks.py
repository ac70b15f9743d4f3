"""How an issued copy of a document is marked, and how the marks are read back from a PDF.

An issued document (as opposed to a draft) carries :class:`IssueMarks`: its number and
version, the URL where it can be verified and the date it was issued. The renderer
(:func:`documents.render.render_pdf` with ``marks=``) prints them:

- the footer of every page: ``文书编号：<number> 第<version>版``, the verification URL and the
  content digest (below);
- the signature area (the cover of the archive bundle): a QR code of the verification URL,
  made here with segno as an SVG of plain paths;
- the PDF's document information dictionary, machine-readable: WeasyPrint writes each
  ``<meta name=… content=…>`` of the HTML that is not a standard name as a custom entry
  (``custom_metadata=True``), its name reduced to letters and digits. So a marked PDF has
  ``/mediationdocumentnumber`` (the number), ``/mediationdocumentversion`` (the version, as
  decimal text) and ``/mediationcontentdigest`` (the content digest) in its Info dictionary,
  which :func:`read_marks` reads back with pypdf.

**Content digest, not file hash.** A file cannot print its own SHA-256: the hash changes with
every byte, the printed hash included. What verification checks is the SHA-256 of the whole
PDF file, stored when the document is issued and compared with the uploaded or referenced
file. What the footer prints, labelled 内容摘要, is :func:`context_digest`: the SHA-256 of the
canonical JSON of the context the document was rendered from — the same terms give the same
digest in every version and in the draft, and a corrected version gives another.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final
from urllib.parse import urlsplit

import segno

#: The Info dictionary keys of a marked PDF (WeasyPrint keeps letters and digits of the
#: ``<meta name>`` only, lower-cased by the HTML parser).
NUMBER_META: Final = "mediation-document-number"
VERSION_META: Final = "mediation-document-version"
DIGEST_META: Final = "mediation-content-digest"
NUMBER_KEY: Final = "/mediationdocumentnumber"
VERSION_KEY: Final = "/mediationdocumentversion"
DIGEST_KEY: Final = "/mediationcontentdigest"

#: The footer line of a draft.
DRAFT_NOTICE: Final = "草稿 · 未经签署盖章，不具法律效力"
#: The diagonal watermark of a draft.
DRAFT_WATERMARK: Final = "草稿"

#: Context keys that are slots of the page, not content: left out of the digest.
PRESENTATION_KEYS: Final = frozenset({"qr_svg", "verification_text"})

#: The longest number the issued-document table stores.
MAX_NUMBER_LENGTH: Final = 60
MAX_URL_LENGTH: Final = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URL_CHARACTERS = re.compile(r"\A[!-~]+\Z")  # printable ASCII, no space


@dataclass(frozen=True)
class IssueMarks:
    """How an issued copy is marked: number, version, verification URL, date of issue."""

    number: str
    version: int
    verification_url: str
    issued_on: date

    def __post_init__(self) -> None:
        if not isinstance(self.number, str) or not self.number.strip():
            raise ValueError("an issued document needs a number")
        if self.number != self.number.strip() or _CONTROL.search(self.number):
            raise ValueError(f"a document number is one line of text: {self.number!r}")
        if len(self.number) > MAX_NUMBER_LENGTH:
            raise ValueError(f"a document number has at most {MAX_NUMBER_LENGTH} characters")
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise TypeError(f"a version is an integer, not {self.version!r}")
        if self.version < 1:
            raise ValueError(f"versions start at 1, not {self.version}")
        url = self.verification_url
        parts = urlsplit(url) if isinstance(url, str) else None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or not _URL_CHARACTERS.match(url)
            or len(url) > MAX_URL_LENGTH
        ):
            raise ValueError(
                "the verification URL must be an absolute http(s) URL of printable ASCII "
                f"(percent-encode anything else): {url!r}"
            )
        if not isinstance(self.issued_on, date):
            raise TypeError(f"issued_on is a date, not {self.issued_on!r}")


def canonical_json(value: object) -> bytes:
    """Serialise plain data with sorted keys and no spaces: the same data, the same bytes."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"a document's context must be plain JSON data: {error}") from error
    return text.encode("utf-8")


def context_digest(context: Mapping[str, object]) -> str:
    """Return the SHA-256 (hex) of a context's canonical JSON, printed as 内容摘要.

    The page slots ``qr_svg`` and ``verification_text`` are left out: they say how the copy
    is marked, not what it says.
    """
    content = {key: value for key, value in context.items() if key not in PRESENTATION_KEYS}
    return hashlib.sha256(canonical_json(content)).hexdigest()


def qr_svg(url: str) -> str:
    """Return a QR code of ``url`` as a plain SVG of paths (no size: CSS sizes it).

    Error correction level M, a regular QR code (never Micro QR, which phones do not read),
    with the standard quiet zone of four modules.
    """
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        omitsize=True,
        svgclass=None,
        lineclass=None,
        border=4,
    )
    return out.getvalue().decode("ascii")


def read_marks(pdf: bytes) -> tuple[str, int] | None:
    """Return the (number, version) a marked PDF carries in its metadata, else None.

    Never raises for input that is not a marked PDF — junk bytes, a truncated or broken PDF,
    a PDF without marks or with a malformed version all give None. The marks only say which
    document a file claims to be; whether it is that document unaltered is decided by the
    file's SHA-256.
    """
    if not isinstance(pdf, bytes | bytearray | memoryview) or not bytes(pdf[:1024]).lstrip(
        b"\x00\t\n\x0c\r "
    ).startswith(b"%PDF-"):
        return None
    from pypdf import PdfReader  # imported only to read a file back

    try:
        info = PdfReader(io.BytesIO(bytes(pdf)), strict=False).metadata
        if info is None:
            return None
        number = info.get(NUMBER_KEY)
        version = info.get(VERSION_KEY)
        number = number.get_object() if number is not None else None
        version = version.get_object() if version is not None else None
    except Exception:  # pypdf raises many kinds of error on a damaged file
        return None
    if not isinstance(number, str) or not isinstance(version, str):
        return None
    number, version = str(number), str(version)
    # A number with control characters (NUL, which PostgreSQL refuses even in a query) was
    # never issued: malformed, like a bad version.
    if (
        not number.strip()
        or not number.isprintable()
        or not re.fullmatch(r"[1-9][0-9]{0,8}", version)
    ):
        return None
    return number, int(version)
