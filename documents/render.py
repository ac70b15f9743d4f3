"""Render the case documents to PDF: the only module that imports WeasyPrint.

One process holds one WeasyPrint engine, built on first use: a ``FontConfiguration`` and the
parsed stylesheet of ``static/documents.css`` (sharing them costs nothing in speed and halves
the memory, PERFORMANCE-NOTES), plus a URL fetcher that serves the files bundled in
``static/`` and refuses every other URL — no network, no ``file://`` elsewhere. Renders are
serialised by a lock, as Pango's font map is not thread-safe.

Before the engine is built the machine is checked (:func:`check_environment`): without a
Chinese font the PDF would print empty boxes, without HarfBuzz's subsetting library WeasyPrint
falls back to fontTools and takes seconds per document; both fail with the Debian package to
install. During a render WeasyPrint's log is watched: a ``.notdef`` glyph (a character no font
has) raises :class:`MissingGlyphError`, any other warning :class:`RenderWarningError` — a
document with a missing glyph or a broken style must never be issued silently. Fonts are
subset, never embedded whole (``full_fonts`` costs seconds and megabytes).

The templates are rendered by Jinja with autoescaping: a party's name or a clause is text,
whatever it contains.

A document is rendered in one of three ways (:func:`render_pdf`):

- issued, with :class:`~documents.marks.IssueMarks`: number and version in the footer of every
  page with the verification URL, a QR code of that URL in the signature area, and the number,
  version and content digest in the PDF's metadata (see :mod:`documents.marks`);
- a draft (``draft=True``): a diagonal 草稿 watermark on every page and the footer line
  "草稿 · 未经签署盖章，不具法律效力", no number, no QR code;
- plain (neither): the context's own number and verification slots, as before issuing existed.

Every page's footer prints the content digest (内容摘要, :func:`documents.marks.context_digest`).
The archive bundle is rendered as PDF/A-3b with attachments (:mod:`documents.archive`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import logging
import mimetypes
import re
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup

from documents.context import TITLES, DocumentKind, chinese_date
from documents.marks import (
    DIGEST_META,
    DRAFT_NOTICE,
    DRAFT_WATERMARK,
    NUMBER_META,
    VERSION_META,
    IssueMarks,
    context_digest,
    qr_svg,
)

if TYPE_CHECKING:
    from documents.archive import Attachment

PACKAGE_DIR: Final = Path(__file__).resolve().parent
TEMPLATES_DIR: Final = PACKAGE_DIR / "templates"
STATIC_DIR: Final = PACKAGE_DIR / "static"
STYLESHEET: Final = STATIC_DIR / "documents.css"

#: The template of each kind of document.
TEMPLATES: Final = {kind: f"{kind.value}.html" for kind in DocumentKind}

#: Debian packages that provide what the renderer needs.
FONT_PACKAGE: Final = "fonts-noto-cjk"
SUBSET_PACKAGE: Final = "libharfbuzz-subset0"
PANGO_PACKAGES: Final = "libpango-1.0-0 libpangoft2-1.0-0"
FONTCONFIG_PACKAGE: Final = "libfontconfig1"


# --------------------------------------------------------------------------- errors


class DocumentError(Exception):
    """A document cannot be rendered; the message says why."""


class DocumentEnvironmentError(DocumentError):
    """This machine lacks a font or library the documents need."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("cannot render documents on this machine:\n- " + "\n- ".join(problems))


class MissingGlyphError(DocumentError):
    """A character has no glyph in the installed fonts (it would print as an empty box)."""

    def __init__(self, characters: list[str]) -> None:
        self.characters = characters
        listed = ", ".join(characters)
        super().__init__(
            f"no installed font has a glyph for {listed}: the document would print an empty "
            f"box. Replace the character, or install a font that has it (the documents use "
            f"{FONT_PACKAGE})."
        )


class RenderWarningError(DocumentError):
    """WeasyPrint warned during the render (a template or stylesheet problem)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("WeasyPrint warned while rendering: " + "; ".join(messages))


class RefusedURLError(DocumentError):
    """A document tried to load something other than a bundled static file."""


# --------------------------------------------------------------------------- environment


class _FcFontSet(ctypes.Structure):
    _fields_ = [
        ("nfont", ctypes.c_int),
        ("sfont", ctypes.c_int),
        ("fonts", ctypes.POINTER(ctypes.c_void_p)),
    ]


def _load_library(name: str, *sonames: str) -> ctypes.CDLL | None:
    found = ctypes.util.find_library(name)
    for candidate in (found, *sonames):
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
    return None


def cjk_font_families() -> list[str] | None:
    """Return the font families fontconfig offers for Chinese, as ``fc-list :lang=zh family``.

    Asks the fontconfig library WeasyPrint itself uses (the ``fc-list`` program may not be
    installed where the library is). Returns None when fontconfig cannot be loaded.
    """
    fc = _load_library("fontconfig", "libfontconfig.so.1", "libfontconfig.1.dylib")
    if fc is None:
        return None
    fc.FcInit.restype = ctypes.c_int
    fc.FcNameParse.restype = ctypes.c_void_p
    fc.FcNameParse.argtypes = [ctypes.c_char_p]
    fc.FcObjectSetCreate.restype = ctypes.c_void_p
    fc.FcObjectSetAdd.restype = ctypes.c_int
    fc.FcObjectSetAdd.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    fc.FcFontList.restype = ctypes.POINTER(_FcFontSet)
    fc.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    fc.FcPatternGetString.restype = ctypes.c_int
    fc.FcPatternGetString.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_char_p),
    ]
    fc.FcFontSetDestroy.argtypes = [ctypes.POINTER(_FcFontSet)]
    fc.FcObjectSetDestroy.argtypes = [ctypes.c_void_p]
    fc.FcPatternDestroy.argtypes = [ctypes.c_void_p]
    if not fc.FcInit():
        return []
    pattern = fc.FcNameParse(b":lang=zh")
    objects = fc.FcObjectSetCreate()
    fc.FcObjectSetAdd(objects, b"family")
    fonts = fc.FcFontList(None, pattern, objects)
    families: set[str] = set()
    try:
        if fonts:
            for index in range(fonts.contents.nfont):
                value = ctypes.c_char_p()
                found = fc.FcPatternGetString(
                    fonts.contents.fonts[index], b"family", 0, ctypes.byref(value)
                )
                if found == 0 and value.value:  # FcResultMatch
                    families.add(value.value.decode("utf-8", "replace"))
    finally:
        if fonts:
            fc.FcFontSetDestroy(fonts)
        fc.FcObjectSetDestroy(objects)
        fc.FcPatternDestroy(pattern)
    return sorted(families)


def harfbuzz_subset_available() -> bool:
    """Tell whether HarfBuzz's subsetting library can be loaded (WeasyPrint's fast path)."""
    return _load_library("harfbuzz-subset", "libharfbuzz-subset.so.0") is not None


def pango_available() -> bool:
    """Tell whether Pango's FreeType backend, which WeasyPrint lays text out with, loads."""
    return _load_library("pangoft2-1.0", "libpangoft2-1.0.so.0") is not None


def environment_problems() -> list[str]:
    """Return what this machine lacks to render the documents, each naming its fix."""
    problems: list[str] = []
    if not pango_available():
        problems.append(
            "Pango is not installed, so WeasyPrint cannot lay out text: "
            f"install the Debian packages {PANGO_PACKAGES} (apt-get install {PANGO_PACKAGES})."
        )
    families = cjk_font_families()
    if families is None:
        problems.append(
            "the fontconfig library cannot be loaded, so no font can be found: "
            f"install the Debian package {FONTCONFIG_PACKAGE}."
        )
    elif not families:
        problems.append(
            "no font covering Chinese is known to fontconfig (fc-list :lang=zh is empty), so "
            "every Chinese character would print as an empty box: install the Debian package "
            f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE})."
        )
    if not harfbuzz_subset_available():
        problems.append(
            "HarfBuzz's subsetting library (libharfbuzz-subset.so.0) is missing, so WeasyPrint "
            "would subset the Chinese fonts with fontTools and take seconds per document: "
            f"install the Debian package {SUBSET_PACKAGE} (apt-get install {SUBSET_PACKAGE})."
        )
    return problems


def check_environment() -> None:
    """Raise :class:`DocumentEnvironmentError` unless this machine can render the documents."""
    problems = environment_problems()
    if problems:
        raise DocumentEnvironmentError(problems)


# --------------------------------------------------------------------------- URLs


def static_file_for(url: str) -> Path:
    """Return the bundled static file a URL names; refuse every other URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURLError(f"documents load only their bundled static files, not {url!r}")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise RefusedURLError(f"{url!r} is not a file in {STATIC_DIR}")
    return path


def fetch_url(url: str) -> tuple[bytes, str]:
    """Return the content and media type of a bundled static file (the renderer's only I/O)."""
    path = static_file_for(url)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), media_type


# --------------------------------------------------------------------------- HTML

_SVG = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?P<svg><svg[\s>].*</svg>)\s*\Z", re.S | re.I)
# Anything that could load a resource, run code or hide markup is refused; a QR code is paths.
_SVG_FORBIDDEN = re.compile(
    r"<\s*(?:script|style|image|use|foreignobject|a|iframe)\b|href|url\s*\(|<!|\bon\w+\s*=",
    re.I,
)


def inline_svg(svg: str) -> Markup:
    """Return an inline SVG (a QR code) as markup, refusing anything but plain shapes."""
    match = _SVG.match(svg)
    if match is None or _SVG_FORBIDDEN.search(match["svg"]):
        raise DocumentError("qr_svg must be a plain inline <svg> of shapes (no links, no script)")
    return Markup(match["svg"])


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _stylesheet_text() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


#: Printed under the QR code of an issued document.
VERIFY_HINT: Final = "扫描二维码或访问页脚所列核验网址，可核验本文书是否为签发的原件。"


def _check_marks(context: Mapping[str, object], marks: IssueMarks, date_key: str) -> None:
    """Refuse marks that contradict the context: the copy would say two different things."""
    number = context.get("document_number")
    if number != marks.number:
        raise ValueError(
            f"the context is for document number {number!r}, the marks for {marks.number!r}"
        )
    printed = context.get(date_key)
    if printed != chinese_date(marks.issued_on):
        raise ValueError(
            f"the context's {date_key} is {printed!r}, the marks say it was issued on "
            f"{chinese_date(marks.issued_on)}"
        )


def page_values(
    context: Mapping[str, object],
    *,
    marks: IssueMarks | None = None,
    draft: bool = False,
    date_key: str = "issued_on",
) -> dict[str, object]:
    """Return the values every template gets: the context, and how this copy is marked."""
    if marks is not None and draft:
        raise ValueError("a draft is not issued: it carries no issue marks")
    values: dict[str, object] = {"verification_text": "", **context}
    digest = context_digest(context)
    values.update(
        content_digest=digest,
        draft=draft,
        draft_notice=DRAFT_NOTICE,
        draft_watermark=DRAFT_WATERMARK,
        marks=marks,
        custom_meta={},
    )
    if draft:
        values.update(qr_svg="", verification_text="")
    if marks is not None:
        _check_marks(context, marks, date_key)
        values.update(
            qr_svg=qr_svg(marks.verification_url),
            verification_text=VERIFY_HINT,
            custom_meta={
                NUMBER_META: marks.number,
                VERSION_META: str(marks.version),
                DIGEST_META: digest,
            },
        )
    svg = values.get("qr_svg")
    values["qr_svg"] = inline_svg(str(svg)) if svg else ""
    return values


def render_template(template: str, values: Mapping[str, object], *, inline_css: bool) -> str:
    """Render one of our templates with its values (and, if asked, the stylesheet inline)."""
    values = {**values, "stylesheet": Markup(_stylesheet_text()) if inline_css else ""}
    try:
        return _environment().get_template(template).render(values)
    except jinja2.UndefinedError as error:
        raise DocumentError(
            f"the context of a {values.get('kind')!r} lacks a value: {error}"
        ) from error


def render_html(
    kind: DocumentKind | str,
    context: Mapping[str, object],
    *,
    inline_css: bool = False,
    marks: IssueMarks | None = None,
    draft: bool = False,
) -> str:
    """Return the HTML of a document; with ``inline_css`` it carries its stylesheet.

    ``marks`` and ``draft`` say how the copy is marked (see :func:`render_pdf`).
    :func:`render_pdf` applies the stylesheet parsed once per process instead; the
    self-contained form is for :func:`bare_weasyprint_pdf` (the benchmark's baseline) and
    for looking at a document in a browser.
    """
    kind = DocumentKind(kind)
    if context.get("kind", kind.value) != kind.value:
        raise ValueError(f"a context for {context.get('kind')!r} cannot render a {kind.value!r}")
    values = page_values(context, marks=marks, draft=draft)
    values.setdefault("title", TITLES[kind])
    values["kind"] = kind.value
    return render_template(TEMPLATES[kind], values, inline_css=inline_css)


# --------------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class _Engine:
    weasyprint: Any
    font_config: Any
    stylesheet: Any
    fetcher: Any
    fatal_fetch_error: type[BaseException]


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()
_RENDER_LOCK = threading.Lock()


def _build_engine() -> _Engine:
    check_environment()
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """Serve the bundled static files; refusing anything else stops the render."""

        def __init__(self) -> None:
            super().__init__(
                allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True
            )

        def fetch(self, url: str, headers: object = None) -> Any:
            body, media_type = fetch_url(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    logger = logging.getLogger("weasyprint")
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)  # the warnings are how a missing glyph shows
    fetcher = StaticFilesFetcher()
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(
        string=_stylesheet_text(),
        base_url=STATIC_DIR.as_uri() + "/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    return _Engine(weasyprint, font_config, stylesheet, fetcher, FatalURLFetchingError)


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _build_engine()
        return _ENGINE


class _ThreadWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


@contextmanager
def _weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    handler = _ThreadWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


_NOTDEF = re.compile(r"\.notdef glyph.*\(U\+(?P<code>[0-9A-F]+)\)")


def _raise_on_warnings(records: list[logging.LogRecord]) -> None:
    messages = [record.getMessage() for record in records]
    missing = [match for message in messages if (match := _NOTDEF.search(message))]
    if missing:
        characters = dict.fromkeys(f"{chr(int(m['code'], 16))!r} (U+{m['code']})" for m in missing)
        raise MissingGlyphError(list(characters))
    if messages:
        raise RenderWarningError(messages)


@contextmanager
def _attachment_source(content: bytes, media_type: str) -> Iterator[tuple[Any, None, None, str]]:
    # What WeasyPrint reads an attachment from: the bytes, and their media type as given
    # (WeasyPrint would otherwise guess it from the file name).
    yield io.BytesIO(content), None, None, media_type


def _deduplicate_associated_files(document: Any, pdf: Any) -> None:
    # WeasyPrint 70 lists every PDF/A-3 associated file twice in the catalog's /AF array
    # (once from the EmbeddedFiles name tree, once from the file specifications).
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def pdf_from_html(
    html: str,
    *,
    pdf_variant: str | None = None,
    attachments: Sequence[Attachment] = (),
    attached_on: date | None = None,
) -> bytes:
    """Render our HTML to PDF with the shared fonts, stylesheet and static-only fetcher.

    ``<meta>`` elements with names of their own become entries of the PDF's document
    information dictionary (``custom_metadata``: how issued documents carry their number).
    ``pdf_variant`` is WeasyPrint's (e.g. ``"pdf/a-3b"``); ``attachments`` are embedded as
    associated files, dated ``attached_on`` (midnight) so the same input gives the same bytes.
    """
    engine = _engine()
    moment = datetime.combine(attached_on or date(2000, 1, 1), time())
    embedded = []
    for attachment in attachments:
        item = engine.weasyprint.Attachment(
            string=attachment.content,
            url_fetcher=engine.fetcher,
            name=attachment.filename,
            description=attachment.description,
            created=moment,
            modified=moment,
            relationship=attachment.af_relationship,
        )
        item.source = _attachment_source(attachment.content, attachment.media_type)
        embedded.append(item)
    with _RENDER_LOCK, _weasyprint_warnings() as records:
        try:
            document = engine.weasyprint.HTML(
                string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=engine.fetcher
            )
            with warnings.catch_warnings():
                # WeasyPrint 70 opens its sRGB profile for PDF/A and leaves the closing to the
                # garbage collector (which closes it at once: no descriptor is leaked).
                warnings.filterwarnings(
                    "ignore", r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
                )
                pdf: bytes = document.write_pdf(
                    stylesheets=[engine.stylesheet],
                    font_config=engine.font_config,
                    custom_metadata=True,
                    pdf_variant=pdf_variant,
                    attachments=embedded or None,
                    finisher=_deduplicate_associated_files,
                )
        except engine.fatal_fetch_error as error:
            cause = error.__cause__
            message = str(cause) if isinstance(cause, RefusedURLError) else str(error)
            raise RefusedURLError(message) from error
    _raise_on_warnings(records)
    return pdf


def render_pdf(
    kind: DocumentKind | str,
    context: Mapping[str, object],
    *,
    marks: IssueMarks | None = None,
    draft: bool = False,
) -> bytes:
    """Render a document of ``kind`` (see :class:`DocumentKind`) from its context to PDF.

    - ``marks``: an issued copy. The footer of every page prints ``文书编号：<number>
      第<version>版`` and the verification URL, the signature area a QR code of that URL, and
      the PDF's Info dictionary carries the number and version (:func:`documents.marks.
      read_marks`). The context's ``document_number`` and ``issued_on`` must agree with the
      marks (:class:`ValueError` otherwise).
    - ``draft=True``: a diagonal 草稿 watermark on every page and the footer line
      "草稿 · 未经签署盖章，不具法律效力"; no number, no QR code. Not with ``marks``.
    - neither: the context's number, and its own ``qr_svg``/``verification_text`` if any.

    Every page's footer prints the content digest (内容摘要) of the context.
    """
    return pdf_from_html(render_html(kind, context, marks=marks, draft=draft))


def bare_weasyprint_pdf(html: str) -> bytes:
    """Render HTML with WeasyPrint's defaults: the benchmark's baseline, never for documents.

    A new font configuration, the stylesheet parsed from the HTML and the default URL fetcher
    (which would fetch anything) on every call.
    """
    _engine()  # the same environment check, and WeasyPrint imported
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
