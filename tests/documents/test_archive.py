"""The archive bundle (案卷): a PDF/A-3b file with the issued PDFs and the case file inside."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from documents import render
from documents.archive import Attachment, render_archive_bundle, render_archive_html
from documents.context import (
    ARCHIVE_BUNDLE,
    ARCHIVE_TITLE,
    ArchiveContext,
    ArchivedDocumentData,
    DocumentKind,
    TimelineEventData,
    amount,
    chinese_date,
    kind_title,
    local_datetime,
)
from documents.marks import IssueMarks, read_marks
from mediation.cases.document_data import document_context
from mediation.db import Database
from mediation.tables import EVENT
from tests.documents.conftest import (
    TODAY,
    Rendered,
    squeeze,
    weasyprint_warnings,
)
from tests.factories import EMPLOYER, WORKER

ARCHIVED = date(2026, 5, 6)
NUMBER = "HC-2026-archive-0001"
URL = "https://tiaojie.example.cn/verify/HC-2026-archive-0001?v=1"
MARKS = IssueMarks(NUMBER, 1, URL, ARCHIVED)
HOSTILE_NAME = '<img src="file:///etc/passwd">'
HOSTILE_ACTOR = '<link rel="stylesheet" href="https://example.com/x.css">'


@dataclass(frozen=True)
class Bundle:
    """A rendered bundle and what went into it."""

    context: ArchiveContext
    attachments: list[Attachment]
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
        """Return the text of the whole bundle, whitespace removed."""
        return "".join(self.pages)


def _issue(
    database: Database, case_id: int, kind: DocumentKind, version: int
) -> tuple[ArchivedDocumentData, Attachment]:
    number = f"HC-2026-{kind.value}-0009"
    with database.read_session() as session:
        context = document_context(session, case_id, kind, number=number, today=TODAY)
    marks = IssueMarks(number, version, f"https://tiaojie.example.cn/verify/{number}", TODAY)
    pdf = render.render_pdf(kind, context, marks=marks)
    filename = f"{number}-v{version}.pdf"
    entry: ArchivedDocumentData = {
        "kind": kind.value,
        "title": kind_title(kind.value),
        "number": number,
        "version": version,
        "issued_at": f"2026-03-02 1{version}:05:09",
        "issued_by": "王调解",
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "filename": filename,
    }
    return entry, Attachment(
        filename, pdf, f"{kind_title(kind.value)} 第{version}版", "application/pdf"
    )


def _events(database: Database, case_id: int) -> list[TimelineEventData]:
    with database.read_session() as session:
        rows = session.execute(
            select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
        ).all()
    events: list[TimelineEventData] = [
        {
            "seq": row.seq,
            "at": local_datetime(row.created_at),
            "actor": row.actor,
            "action": row.action,
            "from_state": row.from_state or "",
            "to_state": "" if row.to_state == row.from_state else row.to_state or "",
            "chain_hash": row.hash,
        }
        for row in rows
    ]
    events[1]["actor"] = HOSTILE_ACTOR
    return events


def _context(
    documents: list[ArchivedDocumentData], events: list[TimelineEventData]
) -> ArchiveContext:
    return {
        "kind": ARCHIVE_BUNDLE,
        "title": ARCHIVE_TITLE,
        "document_number": NUMBER,
        "archived_on": chinese_date(ARCHIVED),
        "organization": "黄村镇调解中心",
        "case_number": "HC-2026-00042",
        "category": "拖欠工资",
        "worker_name": HOSTILE_NAME,
        "employer_name": EMPLOYER.name,
        "mediator": "王调解",
        "received_on": "2026年2月1日",
        "closed_on": "2026年5月1日",
        "outcome": "调解成功，协议已履行完毕",
        "agreed_total": amount(1_000_000),
        "paid_total": amount(1_000_050),
        "documents": documents,
        "events": events,
    }


@pytest.fixture(scope="session")
def bundle(documents_database: Database, rendered: dict[DocumentKind, Rendered]) -> Bundle:
    """The bundle of the closed case: the agreement in two versions, the confirmation."""
    case_id = rendered[DocumentKind.PERFORMANCE_CONFIRMATION].case_id
    issued = [
        _issue(documents_database, case_id, DocumentKind.AGREEMENT, 1),
        _issue(documents_database, case_id, DocumentKind.AGREEMENT, 2),
        _issue(documents_database, case_id, DocumentKind.PERFORMANCE_CONFIRMATION, 1),
    ]
    context = _context([entry for entry, _ in issued], _events(documents_database, case_id))
    case_file = json.dumps(context, ensure_ascii=False, sort_keys=True).encode()
    attachments = [
        *(attachment for _, attachment in issued),
        Attachment("case-file.json", case_file, "案卷数据（机器可读）", "application/json"),
    ]
    with weasyprint_warnings() as records:
        pdf = render_archive_bundle(context, attachments, marks=MARKS)
    return Bundle(context, attachments, pdf, [record.getMessage() for record in records])


def _fonts(reader: PdfReader) -> dict[str, bool]:
    """Every font anywhere in the file (pages, forms, patterns) and whether it is embedded."""
    fonts: dict[str, bool] = {}
    seen: set[int] = set()

    def visit(resources: Any) -> None:
        if resources is None or id(resources) in seen:
            return
        seen.add(id(resources))
        resources = resources.get_object()
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            descendants = font.get("/DescendantFonts")
            target = descendants.get_object()[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            fonts[name] = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
        for key in ("/XObject", "/Pattern"):
            for ref in resources.get(key, {}).values():
                visit(ref.get_object().get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return fonts


# --------------------------------------------------------------------------- PDF/A-3b


def test_bundle_declares_pdfa_3b_in_its_xmp_metadata(bundle: Bundle) -> None:
    assert bundle.pdf.startswith(b"%PDF-1.7")
    xmp = bundle.reader.xmp_metadata
    assert xmp is not None
    assert str(xmp.pdfaid_part) == "3"
    assert xmp.pdfaid_conformance == "B"
    assert bundle.warnings == []


def test_bundle_has_an_srgb_output_intent_and_a_file_identifier(bundle: Bundle) -> None:
    reader = bundle.reader
    trailer: Any = reader.trailer
    intents = trailer["/Root"]["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object().get_data()
    assert profile[36:40] == b"acsp"  # an ICC profile
    assert len(trailer["/ID"]) == 2


def test_bundle_embeds_every_font_and_only_noto_cjk(bundle: Bundle) -> None:
    fonts = _fonts(bundle.reader)
    assert 1 <= len(fonts) <= 2, fonts
    for name, embedded in fonts.items():
        assert "Noto" in name and "CJK" in name, name
        assert embedded, f"{name} is not embedded"


def test_bundle_attachments_round_trip_byte_identical(bundle: Bundle) -> None:
    attached = bundle.reader.attachments
    assert sorted(attached) == sorted(a.filename for a in bundle.attachments)
    for attachment in bundle.attachments:
        assert attached[attachment.filename] == [attachment.content]
    # The issued PDFs inside the bundle are still the issued documents, marks and all.
    assert read_marks(attached["HC-2026-agreement-0009-v2.pdf"][0]) == (
        "HC-2026-agreement-0009",
        2,
    )


def test_bundle_attachments_are_pdfa3_associated_files(bundle: Bundle) -> None:
    root: Any = bundle.reader.trailer["/Root"]
    associated = [ref.get_object() for ref in root["/AF"]]
    assert len(associated) == len(bundle.attachments)
    by_name = {str(spec["/UF"]): spec for spec in associated}
    for attachment in bundle.attachments:
        spec = by_name[attachment.filename]
        assert spec["/Type"] == "/Filespec"
        assert spec["/Desc"] == attachment.description
        expected = "/Source" if attachment.media_type == "application/pdf" else "/Data"
        assert spec["/AFRelationship"] == expected
        embedded = spec["/EF"]["/F"].get_object()
        assert embedded["/Subtype"] == "/" + attachment.media_type
        assert embedded["/Params"]["/Size"] == len(attachment.content)


def test_bundle_carries_its_marks(bundle: Bundle) -> None:
    assert read_marks(bundle.pdf) == (NUMBER, 1)
    for page in bundle.pages:
        assert f"文书编号：{NUMBER}第1版" in page
        assert f"核验网址：{URL}" in page


def test_bundle_same_input_gives_same_bytes(bundle: Bundle) -> None:
    assert render_archive_bundle(bundle.context, bundle.attachments, marks=MARKS) == bundle.pdf


# --------------------------------------------------------------------------- content


def test_bundle_cover_names_the_case_parties_outcome_and_amounts(bundle: Bundle) -> None:
    cover = bundle.pages[0]
    for text in (
        "黄村镇调解中心",
        "案卷",
        "案号：HC-2026-00042",
        EMPLOYER.name,
        "拖欠工资",
        "王调解",
        "收案日期2026年2月1日",
        "结案日期2026年5月1日",
        "调解成功，协议已履行完毕",
        "¥10,000.00（人民币壹万元整）",
        "¥10,000.50（人民币壹万元伍角整）",
        "归档日期2026年5月6日",
        "扫描二维码",
    ):
        assert text in cover, text


def test_bundle_contents_page_lists_every_section_with_its_page(bundle: Bundle) -> None:
    pages = bundle.pages
    contents = pages[1]
    assert contents.startswith("目录")

    def first_page_of(heading: str) -> int:
        return next(i + 1 for i, page in enumerate(pages) if page.startswith(heading))

    # Each entry: the heading, leader dots, the page the section starts on.
    for heading in ("一、已签发文书", "二、案件事件记录", "三、附件清单"):
        entry = contents[contents.index(heading) + len(heading) :]
        assert entry.startswith("...")
        assert entry.lstrip(".").startswith(str(first_page_of(heading))), heading
    for document in bundle.context["documents"]:
        assert f"{document['title']}（{document['number']}，第{document['version']}版）" in contents


def test_bundle_has_a_section_per_issued_document(bundle: Bundle) -> None:
    text = bundle.text
    for document in bundle.context["documents"]:
        section = text[text.index(f"文书编号{document['number']}版本第{document['version']}版") :]
        assert section.startswith(f"文书编号{document['number']}版本第{document['version']}版")
        assert f"签发时间{squeeze(document['issued_at'])}" in section
        assert f"签发人{document['issued_by']}" in section
        assert f"SHA-256{document['sha256']}" in section
        assert f"附件{document['filename']}" in section
    assert "（1）调解协议书第1版" in text and "（3）履行确认书第1版" in text


def test_bundle_timeline_text_is_extractable(bundle: Bundle) -> None:
    text = bundle.text
    events = bundle.context["events"]
    assert len(events) > 10
    assert events[0]["action"] == "register" and events[1]["to_state"] == "finding_crux"
    for event in events:
        if event["to_state"]:
            states = f"{event['from_state'] or '—'}→{event['to_state']}"
        else:
            states = event["from_state"]  # the event did not move the case
        row = f"{event['seq']}{event['at']}{event['actor']}{event['action']}{states}"
        assert squeeze(row + event["chain_hash"][:12]) in text, row
    assert "北京时间（Asia/Shanghai）" in text


def test_bundle_lists_the_attachments_with_their_hashes(bundle: Bundle) -> None:
    listing = bundle.pages[-1]
    assert "三、附件清单" in listing
    for attachment in bundle.attachments:
        assert attachment.filename in listing
        assert f"{len(attachment.content):,}" in listing
        assert hashlib.sha256(attachment.content).hexdigest() in listing


def test_bundle_hostile_values_print_as_text_and_nothing_is_fetched(
    bundle: Bundle, fetched: list[str]
) -> None:
    html = render_archive_html(bundle.context, bundle.attachments, marks=MARKS)
    assert HOSTILE_NAME not in html and HOSTILE_ACTOR not in html
    pdf = render_archive_bundle(bundle.context, bundle.attachments, marks=MARKS)
    text = squeeze("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert squeeze(HOSTILE_NAME) in text
    assert squeeze(HOSTILE_ACTOR) in text
    assert fetched == []


def test_bundle_of_a_case_without_documents_or_agreement(bundle: Bundle) -> None:
    context = copy.deepcopy(bundle.context)
    context["documents"] = []
    context["agreed_total"] = context["paid_total"] = None
    context["outcome"] = "不予受理"
    context["worker_name"] = WORKER.name
    attachments = [bundle.attachments[-1]]
    with weasyprint_warnings() as records:
        pdf = render_archive_bundle(context, attachments, marks=MARKS)
    reader = PdfReader(io.BytesIO(pdf))
    text = squeeze("".join(page.extract_text() for page in reader.pages))
    assert "协议金额无" in text and "已履行金额无" in text
    assert "本案未签发文书" in text
    assert list(reader.attachments) == ["case-file.json"]
    assert records == []


# --------------------------------------------------------------------------- refusals


def test_bundle_refuses_an_attachment_that_is_not_the_issued_document(bundle: Bundle) -> None:
    attachments = list(bundle.attachments)
    first = attachments[0]
    attachments[0] = Attachment(
        first.filename, first.content + b"\n", first.description, first.media_type
    )
    with pytest.raises(ValueError, match="is not the issued document"):
        render_archive_bundle(bundle.context, attachments, marks=MARKS)


def test_bundle_refuses_a_missing_or_duplicate_attachment(bundle: Bundle) -> None:
    with pytest.raises(ValueError, match="which is not given"):
        render_archive_bundle(bundle.context, bundle.attachments[1:], marks=MARKS)
    with pytest.raises(ValueError, match="two attachments"):
        render_archive_bundle(
            bundle.context, [*bundle.attachments, bundle.attachments[-1]], marks=MARKS
        )


def test_bundle_refuses_marks_that_contradict_the_context(bundle: Bundle) -> None:
    with pytest.raises(ValueError, match="document number"):
        render_archive_bundle(
            bundle.context, bundle.attachments, marks=IssueMarks("X-1", 1, URL, ARCHIVED)
        )
    with pytest.raises(ValueError, match="archived_on"):
        render_archive_bundle(
            bundle.context, bundle.attachments, marks=IssueMarks(NUMBER, 1, URL, TODAY)
        )


def test_bundle_refuses_another_kind_of_context(bundle: Bundle) -> None:
    context: dict[str, Any] = {**bundle.context, "kind": "agreement"}
    with pytest.raises(ValueError, match="not an archive bundle"):
        render_archive_html(context, bundle.attachments, marks=MARKS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        ("", "application/pdf"),
        ("../etc/passwd", "application/pdf"),
        ("a\\b.pdf", "application/pdf"),
        ("a\nb.pdf", "application/pdf"),
        ("..", "application/pdf"),
        ("a.pdf", "pdf"),
        ("a.pdf", "application/pdf; charset=x"),
        ("a.pdf", "Application/PDF"),
        ("a.pdf", "application/x#y"),
    ],
)
def test_attachment_refuses_bad_names_and_media_types(filename: str, media_type: str) -> None:
    with pytest.raises(ValueError):
        Attachment(filename, b"x", "d", media_type)


def test_attachment_relationship_follows_the_media_type() -> None:
    assert Attachment("a.pdf", b"", "", "application/pdf").af_relationship == "Source"
    assert Attachment("a.json", b"", "", "application/json").af_relationship == "Data"
    assert Attachment("a.csv", b"", "", "text/csv").af_relationship == "Supplement"
    chosen = Attachment("a.pdf", b"", "", "application/pdf", relationship="Alternative")
    assert chosen.af_relationship == "Alternative"
