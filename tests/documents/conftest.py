"""Cases in each state a document needs, rendered once per run and shared by the tests.

Rendering a Chinese PDF takes a tenth of a second or more, so the four documents are made
once, from cases on one SQLite database, with WeasyPrint's warnings recorded while they
render. The tests of the context on both databases do not render.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from documents import render
from documents.context import DocumentContext, DocumentKind
from mediation.cases.document_data import document_context
from mediation.db import Database
from mediation.schema import upgrade
from tests.factories import make_case

TODAY = date(2026, 3, 2)

#: The state each kind of document is made from.
STATES: dict[DocumentKind, str] = {
    DocumentKind.AGREEMENT: "ensuring_performance",
    DocumentKind.FAILURE_NOTICE: "failed",
    DocumentKind.REJECTION_NOTICE: "rejected",
    DocumentKind.PERFORMANCE_CONFIRMATION: "closed",
}


def number_for(kind: DocumentKind) -> str:
    """Return the document number the tests issue a kind under."""
    return f"HC-2026-{kind.value}-0001"


def squeeze(text: str) -> str:
    """Drop all whitespace: extracted PDF text breaks lines wherever the layout did."""
    return re.sub(r"\s+", "", text)


class WarningRecorder(logging.Handler):
    """Record every WARNING or worse that WeasyPrint logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    """Collect what the "weasyprint" logger says at WARNING or above."""
    recorder = WarningRecorder()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(recorder)
    try:
        yield recorder.records
    finally:
        logger.removeHandler(recorder)


@dataclass(frozen=True)
class Rendered:
    """A document rendered from a stored case, and what the tests read back from its PDF."""

    kind: DocumentKind
    case_id: int
    context: DocumentContext
    pdf: bytes
    warnings: list[str]

    @property
    def reader(self) -> PdfReader:
        """Return a pypdf reader of the PDF."""
        return PdfReader(io.BytesIO(self.pdf))

    @property
    def pages(self) -> list[str]:
        """Return the text of each page, whitespace removed."""
        return [squeeze(page.extract_text()) for page in self.reader.pages]

    @property
    def text(self) -> str:
        """Return the text of the whole document, whitespace removed."""
        return "".join(self.pages)


@pytest.fixture(scope="session")
def documents_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated SQLite database shared by the document tests that render."""
    path = tmp_path_factory.mktemp("documents") / "documents.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def rendered(documents_database: Database) -> dict[DocumentKind, Rendered]:
    """Each kind of document, rendered once from a case in the state it needs."""
    result: dict[DocumentKind, Rendered] = {}
    for kind, state in STATES.items():
        case_id, _ = make_case(documents_database, state=state, today=TODAY)
        with documents_database.read_session() as session:
            context = document_context(session, case_id, kind, number=number_for(kind), today=TODAY)
        with weasyprint_warnings() as records:
            pdf = render.render_pdf(kind, context)
        result[kind] = Rendered(kind, case_id, context, pdf, [r.getMessage() for r in records])
    return result


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Return each font the pages use (subset tag removed) and whether its file is embedded."""
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            descendants = font.get("/DescendantFonts")
            target = descendants.get_object()[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            fonts[name] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on the renderer's URL fetcher: every URL it is asked for."""
    urls: list[str] = []
    real: Callable[[str], tuple[bytes, str]] = render.fetch_url

    def spy(url: str) -> tuple[bytes, str]:
        urls.append(url)
        return real(url)

    monkeypatch.setattr(render, "fetch_url", spy)
    return urls
