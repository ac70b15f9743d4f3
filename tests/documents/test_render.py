"""The PDFs themselves: text read back from the real file, fonts, page size, footer, safety."""

from __future__ import annotations

import copy
import io
from typing import Any

import jinja2
import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from documents import render
from documents.context import DocumentKind
from mediation.cases.document_data import document_context
from mediation.db import Database
from mediation.tables import AGREEMENT, PARTY, TERM
from tests.documents.conftest import (
    TODAY,
    Rendered,
    embedded_fonts,
    number_for,
    squeeze,
    weasyprint_warnings,
)
from tests.factories import EMPLOYER, WORKER, make_case

CLAIMED = ("¥12,000.00", "人民币壹万贰仟元整")
AGREED = ("¥10,000.00", "人民币壹万元整")
INSTALMENT = ("¥5,000.00", "人民币伍仟元整")

#: The amounts each document prints, in figures and in capitals.
AMOUNTS: dict[DocumentKind, tuple[tuple[str, str], ...]] = {
    DocumentKind.AGREEMENT: (CLAIMED, AGREED, INSTALMENT),
    DocumentKind.FAILURE_NOTICE: (CLAIMED,),
    DocumentKind.REJECTION_NOTICE: (CLAIMED,),
    DocumentKind.PERFORMANCE_CONFIRMATION: (AGREED,),
}

#: What a page of A4 measures in PDF points.
A4 = (595.28, 841.89)

HOSTILE_NAME = '<img src="file:///etc/passwd">'
HOSTILE_CLAUSE = "<script>alert('x')</script>按月支付"


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_render_pdf_prints_parties_case_number_and_amounts(
    rendered: dict[DocumentKind, Rendered], kind: DocumentKind
) -> None:
    document = rendered[kind]
    text = document.text
    assert squeeze(document.context["title"]) in text
    assert document.context["case_number"] in text
    assert "黄村镇调解中心" in text
    assert WORKER.name in text
    assert EMPLOYER.name in text
    for figures, capitals in AMOUNTS[kind]:
        assert figures in text
        assert capitals in text


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_render_pdf_logs_no_weasyprint_warning(
    rendered: dict[DocumentKind, Rendered], kind: DocumentKind
) -> None:
    assert rendered[kind].warnings == []


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_render_pdf_embeds_only_noto_cjk_subsets(
    rendered: dict[DocumentKind, Rendered], kind: DocumentKind
) -> None:
    fonts = embedded_fonts(rendered[kind].reader)
    # The body serif and the heading sans: two subsets keep the PDF small.
    assert 1 <= len(fonts) <= 2, fonts
    for name, embedded in fonts.items():
        assert "Noto" in name and "CJK" in name, name
        assert embedded, f"{name} is not embedded"


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_render_pdf_is_small(rendered: dict[DocumentKind, Rendered], kind: DocumentKind) -> None:
    # Subset fonts: whole Noto CJK fonts would weigh megabytes (PERFORMANCE-NOTES).
    assert len(rendered[kind].pdf) < 500 * 1024


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_render_pdf_every_page_is_a4_with_number_and_page_count(
    rendered: dict[DocumentKind, Rendered], kind: DocumentKind
) -> None:
    document = rendered[kind]
    pages = document.pages
    for index, page in enumerate(document.reader.pages):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 2), round(height, 2)) == A4
        assert f"文书编号：{number_for(kind)}" in pages[index]
        assert f"第{index + 1}页共{len(pages)}页" in pages[index]


def test_render_pdf_agreement_prints_identity_terms_and_legal_effect(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    text = rendered[DocumentKind.AGREEMENT].text
    assert WORKER.id_number in text  # in full: this is the legal document
    assert EMPLOYER.id_number in text
    for label in ("公民身份号码", "统一社会信用代码", "法定代表人", "住所", "争议焦点"):
        assert label in text
    assert "工资结算周期争议" in text  # the crux
    assert "2026年3月9日前" in text and "2026年4月1日前" in text  # the instalments
    assert "履行方式：银行转账" in text
    for article in ("第十四条", "第十五条", "第十六条", "第七十四条", "第三十三条"):
        assert article in text
    assert "至2026年3月17日止" in text  # 15 days for arbitral review
    assert "至2026年4月1日止" in text  # 30 days for judicial confirmation
    assert "本协议一式三份，双方当事人各执一份，调解组织留存一份。" in text
    for signer in ("劳动者（签名）", "用人单位（盖章）", "调解员（签名）", "调解组织（盖章）"):
        assert signer in text
    assert "2026年3月2日" in text


def test_render_pdf_failure_notice_gives_the_arbitration_deadline(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    text = rendered[DocumentKind.FAILURE_NOTICE].text
    assert "双方分歧过大" in text
    assert "劳动人事争议仲裁委员会" in text
    assert "第二十七条" in text
    # Mediation ended on 2 March 2026: the one-year period runs afresh from then.
    assert "请最迟于2027年3月2日向劳动人事争议仲裁委员会提出仲裁申请" in text


def test_render_pdf_rejection_notice_gives_reason_and_other_avenues(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    text = rendered[DocumentKind.REJECTION_NOTICE].text
    assert "不属于劳动争议" in text
    assert "决定不予受理" in text
    assert "其他救济途径" in text and "劳动人事争议仲裁委员会" in text


def test_render_pdf_performance_confirmation_lists_payments_and_confirms(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    text = rendered[DocumentKind.PERFORMANCE_CONFIRMATION].text
    assert "2026年3月2日" in text and "银行转账" in text
    assert "合计已支付" in text
    assert "全部履行完毕" in text


def test_render_pdf_same_context_gives_same_bytes(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    # A document issued once can be rendered again and compared by its hash.
    document = rendered[DocumentKind.REJECTION_NOTICE]
    assert render.render_pdf(document.kind, document.context) == document.pdf


def test_render_pdf_matches_bare_weasyprint_on_the_same_html(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    # The shared fonts and parsed stylesheet change the speed, never the document.
    document = rendered[DocumentKind.REJECTION_NOTICE]
    html = render.render_html(document.kind, document.context, inline_css=True)
    assert render.bare_weasyprint_pdf(html) == document.pdf


# --------------------------------------------------------------------------- verification slot

QR = (
    '<?xml version="1.0"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><path d="M0 0h2v2H0z"/></svg>'
)


def test_render_pdf_prints_verification_text_on_every_page_and_the_qr_code(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    context: dict[str, Any] = copy.deepcopy(dict(rendered[DocumentKind.AGREEMENT].context))
    context["verification_text"] = "核验码 3F9A-77C1，请访问调解中心核验页面"
    context["qr_svg"] = QR
    html = render.render_html(DocumentKind.AGREEMENT, context)
    assert '<div class="qr"><svg xmlns="http://www.w3.org/2000/svg"' in html
    with weasyprint_warnings() as records:
        pdf = render.render_pdf(DocumentKind.AGREEMENT, context)
    assert records == []
    pages = [squeeze(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert all("核验码3F9A-77C1" in page for page in pages)


@pytest.mark.parametrize(
    "svg",
    [
        '<svg><image href="file:///etc/passwd"/></svg>',
        "<svg><script>alert(1)</script></svg>",
        '<svg onload="alert(1)"><path d="M0 0h1v1z"/></svg>',
        '<svg><use xlink:href="#a"/></svg>',
        '<svg><path style="fill:url(http://example.com/x)"/></svg>',
        "<p>not an svg</p>",
        '<svg></svg><img src="file:///etc/passwd">',
    ],
)
def test_render_html_hostile_qr_svg_is_refused(
    rendered: dict[DocumentKind, Rendered], svg: str
) -> None:
    context = {**rendered[DocumentKind.AGREEMENT].context, "qr_svg": svg}
    with pytest.raises(render.DocumentError, match="qr_svg"):
        render.render_html(DocumentKind.AGREEMENT, context)


# --------------------------------------------------------------------------- safety


def test_render_pdf_hostile_party_name_and_clause_print_as_text(
    documents_database: Database, fetched: list[str]
) -> None:
    case_id, _ = make_case(documents_database, state="ensuring_performance", today=TODAY)
    with documents_database.writing() as session:
        session.execute(
            update(PARTY)
            .where(PARTY.c.case_id == case_id, PARTY.c.role == "worker")
            .values(name=HOSTILE_NAME)
        )
        agreement_id = (
            select(AGREEMENT.c.id).where(AGREEMENT.c.case_id == case_id).scalar_subquery()
        )
        session.execute(
            update(TERM)
            .where(TERM.c.agreement_id == agreement_id)
            .values(description=HOSTILE_CLAUSE)
        )
    with documents_database.read_session() as session:
        context = document_context(
            session, case_id, DocumentKind.AGREEMENT, number="HC-X", today=TODAY
        )
    html = render.render_html(DocumentKind.AGREEMENT, context)
    assert HOSTILE_NAME not in html and "<script>" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    with weasyprint_warnings() as records:
        pdf = render.render_pdf(DocumentKind.AGREEMENT, context)
    text = squeeze("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert squeeze(HOSTILE_NAME) in text
    assert squeeze(HOSTILE_CLAUSE) in text
    assert records == []
    assert fetched == []  # nothing at all was loaded


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="file:///etc/passwd">',
        '<img src="../render.py">',
        '<img src="http://127.0.0.1:9/x.png">',
        '<link rel="stylesheet" href="https://example.com/x.css">',
        '<p style="background: url(data:image/png;base64,iVBORw0KGgo=)">x</p>',
    ],
)
def test_pdf_from_html_injected_url_is_refused_before_any_io(
    fetched: list[str], markup: str
) -> None:
    with pytest.raises(render.RefusedURLError):
        render.pdf_from_html(f"<p>文书</p>{markup}")
    assert len(fetched) == 1  # asked once, refused by the fetcher itself


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/share/documents.css",
        (render.STATIC_DIR / ".." / "render.py").as_uri(),
        render.STATIC_DIR.as_uri() + "/%2e%2e/render.py",
        render.STATIC_DIR.as_uri() + "/missing.css",
        render.STATIC_DIR.as_uri(),
        "http://localhost/documents.css",
        "https://example.com/",
        "ftp://example.com/x",
        "data:text/css,p{}",
        "documents.css",
    ],
)
def test_static_file_for_refuses_everything_but_bundled_files(url: str) -> None:
    with pytest.raises(render.RefusedURLError):
        render.static_file_for(url)


def test_static_file_for_serves_a_bundled_file() -> None:
    body, media_type = render.fetch_url(render.STYLESHEET.as_uri())
    assert media_type == "text/css" and b"@page" in body


def test_render_pdf_missing_glyph_raises_instead_of_printing_a_box(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    context: dict[str, Any] = copy.deepcopy(dict(rendered[DocumentKind.REJECTION_NOTICE].context))
    context["worker"]["name"] = "张\ue000伟"  # a private-use character no font has
    with pytest.raises(render.MissingGlyphError, match="U\\+E000"):
        render.render_pdf(DocumentKind.REJECTION_NOTICE, context)


def test_render_html_missing_value_raises_document_error(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    context = dict(rendered[DocumentKind.REJECTION_NOTICE].context)
    del context["reason"]
    with pytest.raises(render.DocumentError, match="reason") as caught:
        render.render_html(DocumentKind.REJECTION_NOTICE, context)
    assert isinstance(caught.value.__cause__, jinja2.UndefinedError)


def test_render_html_context_of_another_kind_is_refused(
    rendered: dict[DocumentKind, Rendered],
) -> None:
    with pytest.raises(ValueError, match="cannot render"):
        render.render_html(DocumentKind.AGREEMENT, rendered[DocumentKind.REJECTION_NOTICE].context)
    with pytest.raises(ValueError):
        render.render_html("receipt", {})


# --------------------------------------------------------------------------- environment


def test_environment_problems_none_on_this_machine() -> None:
    assert render.environment_problems() == []
    render.check_environment()
    assert any("CJK" in family for family in render.cjk_font_families() or [])


def test_check_environment_missing_cjk_font_names_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "cjk_font_families", list)
    with pytest.raises(render.DocumentEnvironmentError) as caught:
        render.check_environment()
    assert len(caught.value.problems) == 1
    assert "empty box" in caught.value.problems[0]
    assert "apt-get install fonts-noto-cjk" in str(caught.value)


def test_check_environment_missing_harfbuzz_subset_names_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "harfbuzz_subset_available", lambda: False)
    with pytest.raises(render.DocumentEnvironmentError) as caught:
        render.check_environment()
    assert len(caught.value.problems) == 1
    assert "libharfbuzz-subset.so.0" in caught.value.problems[0]
    assert "apt-get install libharfbuzz-subset0" in str(caught.value)


def test_check_environment_missing_fontconfig_and_pango_are_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "cjk_font_families", lambda: None)
    monkeypatch.setattr(render, "pango_available", lambda: False)
    problems = render.environment_problems()
    assert len(problems) == 2
    assert "libfontconfig1" in problems[1] and "libpangoft2-1.0-0" in problems[0]


def test_render_pdf_on_a_machine_without_cjk_font_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, rendered: dict[DocumentKind, Rendered]
) -> None:
    # A fresh process: the engine is built on first use, after the check.
    monkeypatch.setattr(render, "_ENGINE", None)
    monkeypatch.setattr(render, "cjk_font_families", list)
    document = rendered[DocumentKind.REJECTION_NOTICE]
    with pytest.raises(render.DocumentEnvironmentError, match="fonts-noto-cjk"):
        render.render_pdf(document.kind, document.context)
