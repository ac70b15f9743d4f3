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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import mimetypes
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup

from documents.context import TITLES, DocumentKind

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


def render_html(
    kind: DocumentKind | str, context: Mapping[str, object], *, inline_css: bool = False
) -> str:
    """Return the HTML of a document; with ``inline_css`` it carries its stylesheet.

    :func:`render_pdf` applies the stylesheet parsed once per process instead; the
    self-contained form is for :func:`bare_weasyprint_pdf` (the benchmark's baseline) and
    for looking at a document in a browser.
    """
    kind = DocumentKind(kind)
    if context.get("kind", kind.value) != kind.value:
        raise ValueError(f"a context for {context.get('kind')!r} cannot render a {kind.value!r}")
    values: dict[str, object] = {"verification_text": "", "title": TITLES[kind], **context}
    values["kind"] = kind.value
    qr_svg = values.get("qr_svg")
    values["qr_svg"] = inline_svg(str(qr_svg)) if qr_svg else ""
    values["stylesheet"] = Markup(_stylesheet_text()) if inline_css else ""
    try:
        return _environment().get_template(TEMPLATES[kind]).render(values)
    except jinja2.UndefinedError as error:
        raise DocumentError(f"the context of a {kind.value!r} lacks a value: {error}") from error


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


def pdf_from_html(html: str) -> bytes:
    """Render our HTML to PDF with the shared fonts, stylesheet and static-only fetcher."""
    engine = _engine()
    with _RENDER_LOCK, _weasyprint_warnings() as records:
        try:
            document = engine.weasyprint.HTML(
                string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=engine.fetcher
            )
            pdf: bytes = document.write_pdf(
                stylesheets=[engine.stylesheet], font_config=engine.font_config
            )
        except engine.fatal_fetch_error as error:
            cause = error.__cause__
            message = str(cause) if isinstance(cause, RefusedURLError) else str(error)
            raise RefusedURLError(message) from error
    _raise_on_warnings(records)
    return pdf


def render_pdf(kind: DocumentKind | str, context: Mapping[str, object]) -> bytes:
    """Render a document of ``kind`` (see :class:`DocumentKind`) from its context to PDF."""
    return pdf_from_html(render_html(kind, context))


def bare_weasyprint_pdf(html: str) -> bytes:
    """Render HTML with WeasyPrint's defaults: the benchmark's baseline, never for documents.

    A new font configuration, the stylesheet parsed from the HTML and the default URL fetcher
    (which would fetch anything) on every call.
    """
    _engine()  # the same environment check, and WeasyPrint imported
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
