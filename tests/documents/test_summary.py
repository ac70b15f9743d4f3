"""The quarterly summary (每季度总结研判): figures, charts, cases and findings in a real PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from documents import summary
from documents.render import DocumentError
from mediation import clock
from mediation.db import Database
from mediation.schema import upgrade
from mediation.supervision import corrections, reviews
from mediation.supervision.periods import parse_period
from mediation.supervision.summary import quarterly_summary_pdf, summary_context
from mediation.supervision.verification import run_verification
from tests.documents.conftest import embedded_fonts, squeeze, weasyprint_warnings
from tests.factories import make_case
from tests.mediation.supervision.helpers import add_user, signed_case

TODAY = date(2026, 3, 20)
QUARTER = parse_period("2026Q1")


@dataclass(frozen=True)
class Summary:
    """A rendered summary and what went into it."""

    context: summary.QuarterlySummaryContext
    pdf: bytes
    warnings: list[str]
    numbers: dict[str, str]

    @property
    def text(self) -> str:
        """Return the text of the whole PDF, whitespace removed."""
        reader = PdfReader(io.BytesIO(self.pdf))
        return "".join(squeeze(page.extract_text()) for page in reader.pages)


def _number(database: Database, case_id: int) -> str:
    from sqlalchemy import select

    from mediation.tables import CASE

    with database.read_session() as session:
        return str(session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Summary:
    """A quarter with settled, failed and overdue cases, a review and a correction."""
    with pytest.MonkeyPatch.context() as patch:
        # Everything happens on TODAY (in Beijing), in the quarter summarised.
        patch.setattr(clock, "utcnow", lambda: datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
        return _build(tmp_path_factory)


def _build(tmp_path_factory: pytest.TempPathFactory) -> Summary:
    path = tmp_path_factory.mktemp("summary") / "summary.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    mediator = add_user(database, "tiaojie", "mediator")
    supervisor = add_user(database, "duda", "supervisor")
    settled, _ = signed_case(database, actor=mediator, today=date(2026, 2, 10))
    signed_case(database, actor=mediator, today=date(2026, 3, 2), agreed_fen=2_345_678)
    make_case(database, state="failed", actor=mediator, today=date(2026, 1, 20))
    overdue, _ = make_case(
        database, state="finding_crux", actor=mediator, received_on=TODAY - timedelta(days=30)
    )
    with database.writing() as session:
        sample_id = reviews.draw_sample(
            session,
            date_from=QUARTER.start,
            date_to=QUARTER.end,
            size=2,
            seed=11,
            actor=supervisor,
        )
    with database.read_session() as session:
        first = reviews.get_sample(session, sample_id).members[0].case_id
    with database.writing() as session:
        reviews.record_review(
            session,
            sample_id=sample_id,
            case_id=first,
            result="discrepancy",
            note="收据编号与转账记录不符",
            actor=supervisor,
        )
    with database.writing() as session:
        correction_id = corrections.request_correction(
            session,
            case_id=settled,
            terms=[990_000],
            instalments=[500_000, 490_000],
            reason="末期金额笔误",
            actor=mediator,
        )
    with database.writing() as session:
        corrections.approve_correction(session, correction_id=correction_id, actor=supervisor)
    run_verification(database, actor=supervisor, source="web")
    with database.read_session() as session:
        context = summary_context(session, QUARTER, today=TODAY)
    with weasyprint_warnings() as records:
        pdf = quarterly_summary_pdf(database, QUARTER, today=TODAY)
    numbers = {
        "overdue": _number(database, overdue),
        "reviewed": _number(database, first),
        "corrected": _number(database, settled),
    }
    database.dispose()
    return Summary(context, pdf, [r.getMessage() for r in records], numbers)


def test_summary_prints_title_period_and_headline(rendered: Summary) -> None:
    text = rendered.text
    assert "每季度总结研判" in text
    assert "2026年第一季度（2026-01-01至2026-03-31）" in text
    # Two settled (10000.00 corrected to 9900.00, and 23456.78): 3.34 万元, all grassroots.
    assert "基层调解成功案件2件，涉及金额3.34万元" in text
    assert "区级调解成功案件0件，涉及金额0.00万元" in text
    assert squeeze(rendered.context["headline"]) in text


def test_summary_prints_the_figures_to_the_fen(rendered: Summary) -> None:
    total = rendered.context["total"]
    assert (total["received"], total["settled"], total["failed"]) == (4, 2, 1)
    assert (total["agreed"], total["success_rate"]) == ("33356.78", "66.7%")
    assert "33356.78" in rendered.text
    assert "一、总体情况" in rendered.text and "二、各片区情况" in rendered.text


def test_summary_lists_overdue_cases_and_audit_findings(rendered: Summary) -> None:
    text = rendered.text
    assert rendered.numbers["overdue"] in text
    assert "超过十五日调解期限的案件" in text
    assert "收据编号与转账记录不符" in text and rendered.numbers["reviewed"] in text
    assert "协议金额10000.00元更正为9900.00元：末期金额笔误" in text
    assert "已批准" in text
    assert "事件链校验" in text and "完整" in text


def test_summary_has_the_charts_and_logs_no_warning(rendered: Summary) -> None:
    assert rendered.warnings == []
    for key in summary.CHARTS:
        assert rendered.context[key].startswith("<svg")  # type: ignore[literal-required]
    assert "每月收案与调解成功（件）" in rendered.text
    assert "按片区：调解成功金额" in rendered.text
    fonts = embedded_fonts(PdfReader(io.BytesIO(rendered.pdf)))
    for name, embedded in fonts.items():
        assert "Noto" in name and "CJK" in name and embedded, name
    assert len(rendered.pdf) < 800 * 1024


def test_summary_refuses_a_chart_with_a_link(rendered: Summary) -> None:
    hostile = dict(rendered.context)
    hostile["trend_chart"] = '<svg><a href="https://example.com"><rect/></a></svg>'
    with pytest.raises(DocumentError, match="plain inline <svg>"):
        summary.render_summary_html(hostile)  # type: ignore[arg-type]
