"""Issued, draft and plain copies: what each prints, and the marks read back from the PDF."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from documents import render
from documents.context import DocumentContext, DocumentKind
from documents.marks import (
    DRAFT_NOTICE,
    IssueMarks,
    context_digest,
    qr_svg,
    read_marks,
)
from tests.documents.conftest import (
    TODAY,
    Rendered,
    embedded_fonts,
    number_for,
    squeeze,
    weasyprint_warnings,
)

URL = "https://tiaojie.example.cn/verify/HC-2026-agreement-0001?v=2"


def marks_for(kind: DocumentKind, version: int = 2) -> IssueMarks:
    """Return the marks the tests issue a kind under."""
    return IssueMarks(number_for(kind), version, URL, TODAY)


@dataclass(frozen=True)
class Copy:
    """A PDF as rendered, with its text per page (whitespace removed) and WeasyPrint's log."""

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


def _render(kind: DocumentKind, context: DocumentContext, **options: Any) -> Copy:
    with weasyprint_warnings() as records:
        pdf = render.render_pdf(kind, context, **options)
    return Copy(pdf, [record.getMessage() for record in records])


@pytest.fixture(scope="session")
def issued(rendered: dict[DocumentKind, Rendered]) -> dict[DocumentKind, Copy]:
    """Each kind of document as an issued copy, version 2."""
    return {
        kind: _render(kind, document.context, marks=marks_for(kind))
        for kind, document in rendered.items()
    }


@pytest.fixture(scope="session")
def draft(rendered: dict[DocumentKind, Rendered]) -> Copy:
    """The agreement as the draft the parties sign."""
    agreement = rendered[DocumentKind.AGREEMENT]
    return _render(agreement.kind, agreement.context, draft=True)


# --------------------------------------------------------------------------- issued copies


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_issued_copy_footer_of_every_page_prints_number_version_url_and_digest(
    rendered: dict[DocumentKind, Rendered], issued: dict[DocumentKind, Copy], kind: DocumentKind
) -> None:
    document = issued[kind]
    digest = context_digest(rendered[kind].context)
    pages = document.pages
    assert pages
    for index, page in enumerate(pages):
        assert f"文书编号：{number_for(kind)}第2版" in page
        assert f"核验网址：{URL}" in page
        assert f"内容摘要（SHA-256）：{digest}" in page
        assert f"第{index + 1}页共{len(pages)}页" in page
    assert document.warnings == []


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_issued_copy_metadata_gives_number_and_version_back(
    issued: dict[DocumentKind, Copy], kind: DocumentKind
) -> None:
    assert read_marks(issued[kind].pdf) == (number_for(kind), 2)


def test_issued_copy_metadata_is_in_the_info_dictionary(
    rendered: dict[DocumentKind, Rendered], issued: dict[DocumentKind, Copy]
) -> None:
    kind = DocumentKind.AGREEMENT
    info = issued[kind].reader.metadata
    assert info is not None
    assert info["/mediationdocumentnumber"] == number_for(kind)
    assert info["/mediationdocumentversion"] == "2"
    assert info["/mediationcontentdigest"] == context_digest(rendered[kind].context)
    # The plain copy carries no marks.
    assert read_marks(rendered[kind].pdf) is None


def test_issued_copy_prints_a_qr_code_beside_the_seal(
    rendered: dict[DocumentKind, Rendered], issued: dict[DocumentKind, Copy]
) -> None:
    kind = DocumentKind.AGREEMENT
    html = render.render_html(kind, rendered[kind].context, marks=marks_for(kind))
    qr = qr_svg(URL)
    assert f'<div class="qr">{qr}</div>' in html
    last_page = issued[kind].pages[-1]
    assert "扫描二维码或访问页脚所列核验网址" in last_page
    assert last_page.index("调解组织（盖章）") < last_page.index("扫描二维码")
    # The QR code is drawn as vector paths on the last page, not on the others.
    contents = [page.get_contents() for page in issued[kind].reader.pages]
    assert all(content is not None for content in contents)
    sizes = [len(content.get_data()) for content in contents if content is not None]
    plain = [len(page.get_contents().get_data()) for page in rendered[kind].reader.pages]  # type: ignore[union-attr]
    assert sizes[-1] > plain[-1] + 1000


def test_issued_copy_embeds_only_the_two_noto_cjk_subsets(
    issued: dict[DocumentKind, Copy], draft: Copy
) -> None:
    for document in (issued[DocumentKind.AGREEMENT], draft):
        fonts = embedded_fonts(document.reader)
        assert 1 <= len(fonts) <= 2, fonts
        assert all("Noto" in name and embedded for name, embedded in fonts.items()), fonts
        assert len(document.pdf) < 500 * 1024


def test_issued_copy_same_context_and_marks_give_same_bytes(
    rendered: dict[DocumentKind, Rendered], issued: dict[DocumentKind, Copy]
) -> None:
    # An issued copy can be rendered again and checked against its stored hash.
    kind = DocumentKind.REJECTION_NOTICE
    again = render.render_pdf(kind, rendered[kind].context, marks=marks_for(kind))
    assert again == issued[kind].pdf
    other_version = render.render_pdf(kind, rendered[kind].context, marks=marks_for(kind, 3))
    assert read_marks(other_version) == (number_for(kind), 3)
    assert hashlib.sha256(other_version).digest() != hashlib.sha256(again).digest()


def test_issued_copy_marks_must_agree_with_the_context(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    kind = DocumentKind.AGREEMENT
    context = rendered[kind].context
    with pytest.raises(ValueError, match="document number"):
        render.render_pdf(kind, context, marks=IssueMarks("HC-OTHER", 1, URL, TODAY))
    with pytest.raises(ValueError, match="issued on 2026年3月3日"):
        render.render_pdf(
            kind, context, marks=IssueMarks(number_for(kind), 1, URL, date(2026, 3, 3))
        )
    with pytest.raises(ValueError, match="draft"):
        render.render_pdf(kind, context, marks=marks_for(kind), draft=True)


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools) to scan the QR code",
)
def test_issued_copy_qr_code_scans_to_the_verification_url(
    issued: dict[DocumentKind, Copy], tmp_path: Path
) -> None:
    document = issued[DocumentKind.AGREEMENT]
    last = len(document.reader.pages)
    (tmp_path / "issued.pdf").write_bytes(document.pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", str(last), "-l", str(last), "-png", "issued.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    [image] = tmp_path.glob("page*.png")
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, check=True
    )
    assert scanned.stdout.strip() == URL


# --------------------------------------------------------------------------- drafts


def test_draft_every_page_has_watermark_and_no_legal_effect_line(draft: Copy) -> None:
    notice = squeeze(DRAFT_NOTICE)
    pages = draft.pages
    assert len(pages) >= 2
    for index, page in enumerate(pages):
        assert notice in page
        # The watermark is a text box of its own on every page, besides the footer line.
        assert page.replace(notice, "").count("草稿") >= 1
        assert f"第{index + 1}页共{len(pages)}页" in page
    assert draft.warnings == []


def test_draft_has_no_number_no_qr_code_and_no_marks(
    rendered: dict[DocumentKind, Rendered], draft: Copy
) -> None:
    kind = DocumentKind.AGREEMENT
    text = "".join(draft.pages)
    assert "文书编号" not in text
    assert number_for(kind) not in text
    assert "扫描二维码" not in text
    assert read_marks(draft.pdf) is None
    html = render.render_html(kind, rendered[kind].context, draft=True)
    assert 'class="qr"' not in html and "<path" not in html  # the only SVG is the watermark
    # The terms are all there, with the content digest the issued copy will print.
    assert "人民币壹万元整" in text
    assert f"内容摘要（SHA-256）：{context_digest(rendered[kind].context)}" in text


def test_draft_watermark_is_drawn_rotated(draft: Copy) -> None:
    # The watermark's text matrix turns it by 40 degrees: a diagonal, not a line of text.
    content = draft.reader.pages[0].get_contents()
    assert content is not None
    data = content.get_data().decode("latin-1")
    assert any(
        op.endswith(" cm") and len(op.split()) == 7 and abs(float(op.split()[1])) > 0.5
        for op in data.splitlines()
    ), "no rotation matrix on the page"


# --------------------------------------------------------------------------- digest


def test_context_digest_is_the_sha256_of_the_canonical_json(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    context = rendered[DocumentKind.AGREEMENT].context
    canonical = json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert context_digest(context) == hashlib.sha256(canonical.encode()).hexdigest()


def test_context_digest_ignores_page_slots_and_follows_the_content(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    context: dict[str, Any] = copy.deepcopy(dict(rendered[DocumentKind.AGREEMENT].context))
    digest = context_digest(context)
    assert context_digest({**context, "qr_svg": "<svg/>", "verification_text": "x"}) == digest
    assert context_digest(dict(reversed(list(context.items())))) == digest
    context["terms"][0]["amount"]["fen"] += 1
    assert context_digest(context) != digest


def test_context_digest_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError, match="plain JSON"):
        context_digest({"issued_on": date(2026, 3, 2)})
    with pytest.raises(ValueError, match="plain JSON"):
        context_digest({"amount": float("nan")})


# --------------------------------------------------------------------------- marks


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"junk",
        b"%PDF-",
        b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF",
        b"%PDF-1.7\n" + bytes(range(256)) * 64,
        b"\x00" * 10_000,
        "%PDF-1.7 a str, not bytes",
    ],
)
def test_read_marks_junk_gives_none(junk: Any) -> None:
    assert read_marks(junk) is None


def test_read_marks_truncated_or_damaged_pdf_never_raises(
    issued: dict[DocumentKind, Copy],
) -> None:
    pdf = issued[DocumentKind.REJECTION_NOTICE].pdf
    for cut in (10, 100, len(pdf) // 2, len(pdf) - 200):
        result = read_marks(pdf[:cut])
        assert result in (None, (number_for(DocumentKind.REJECTION_NOTICE), 2))
    damaged = bytearray(pdf)
    damaged[len(pdf) // 3 : len(pdf) // 3 + 4000] = b"\xff" * 4000
    assert read_marks(bytes(damaged)) in (None, (number_for(DocumentKind.REJECTION_NOTICE), 2))


def test_read_marks_ignores_a_malformed_version() -> None:
    # A hand-made PDF whose Info dictionary claims a number with a version that is no integer.
    from pypdf import PdfWriter

    for version, expected in (("x", None), ("0", None), ("-1", None), ("7", ("HC-1", 7))):
        writer = PdfWriter()
        writer.add_blank_page(100, 100)
        writer.add_metadata(
            {"/mediationdocumentnumber": "HC-1", "/mediationdocumentversion": version}
        )
        out = io.BytesIO()
        writer.write(out)
        assert read_marks(out.getvalue()) == expected


@pytest.mark.parametrize(
    ("number", "version", "url", "error"),
    [
        ("", 1, URL, ValueError),
        (" HC-1", 1, URL, ValueError),
        ("HC-1\n2", 1, URL, ValueError),
        ("H" * 61, 1, URL, ValueError),
        ("HC-1", 0, URL, ValueError),
        ("HC-1", True, URL, TypeError),
        ("HC-1", "1", URL, TypeError),
        ("HC-1", 1, "javascript:alert(1)", ValueError),
        ("HC-1", 1, "file:///etc/passwd", ValueError),
        ("HC-1", 1, "/verify/HC-1", ValueError),
        ("HC-1", 1, "https://example.cn/verify/HC 1", ValueError),
        ("HC-1", 1, "https://example.cn/核验", ValueError),
    ],
)
def test_issue_marks_refuses_bad_values(
    number: str, version: Any, url: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        IssueMarks(number, version, url, TODAY)


def test_issue_marks_accepts_a_chinese_number_and_an_encoded_url() -> None:
    marks = IssueMarks("黄调〔2026〕1号", 1, "https://example.cn/v/%E9%BB%84?v=1", TODAY)
    assert marks.number == "黄调〔2026〕1号"


def test_qr_svg_is_plain_shapes_the_renderer_accepts() -> None:
    svg = qr_svg(URL)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox=')
    assert "<path" in svg and "href" not in svg and "<script" not in svg
    assert str(render.inline_svg(svg)) == svg
