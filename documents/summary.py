"""The supervisors' quarterly summary (每季度总结研判) as a PDF.

:func:`render_quarterly_summary` prints, from a :class:`QuarterlySummaryContext` that
:mod:`mediation.supervision.summary` reads from the database (the read session is closed
before anything is rendered):

- the headline in the unions' own words ("基层调解成功案件31件，涉及金额89.22万元；…");
- the figures of the quarter by level (区级, 基层) and by zone, with the success rate;
- the charts: the monthly trend and the split by level and by zone (the same server-side SVG
  the web dashboard shows, checked by :func:`documents.render.inline_svg`);
- the cases past the 15-day mediation period, the agreements breached (referred to
  arbitration) and the instalments overdue;
- the audit findings of the quarter: reviews and discrepancies, corrections of signed
  amounts, and the last verification of the event chain.

It goes through the same renderer as every document (:func:`documents.render.pdf_from_html`:
the shared fonts and stylesheet, the static-only URL fetcher, failing on a missing glyph).
The summary is a report, not an issued document: it has a number (``ZJ-<quarter>``) and the
content digest in its footer, but no verification URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypedDict

from documents import render

KIND: Final = "quarterly_summary"
TITLE: Final = "每季度总结研判"
TEMPLATE: Final = "quarterly_summary.html"
#: The context keys that hold SVG charts (checked and inlined, not escaped).
CHARTS: Final = ("trend_chart", "amount_chart", "level_chart", "zone_chart")


class SummaryRow(TypedDict):
    """The figures of one group (amounts as yuan text with two decimals)."""

    group: str
    received: int
    accepted: int
    settled: int
    failed: int
    withdrawn: int
    overdue: int
    success_rate: str
    claimed: str
    agreed: str
    paid: str
    outstanding: str


class CaseEntry(TypedDict):
    """A case the summary names."""

    number: str
    organization: str
    date: str
    detail: str


class FindingEntry(TypedDict):
    """A discrepancy, correction or verification the summary reports."""

    what: str
    detail: str
    status: str


class QuarterlySummaryContext(TypedDict):
    """Everything the quarterly summary prints (plain text and numbers, JSON-serialisable)."""

    kind: str
    title: str
    organization: str
    document_number: str
    period_label: str
    date_from: str
    date_to: str
    generated_at: str
    headline: str
    level_rows: list[SummaryRow]
    zone_rows: list[SummaryRow]
    total: SummaryRow
    trend_chart: str
    amount_chart: str
    level_chart: str
    zone_chart: str
    overdue_count: int
    overdue_cases: list[CaseEntry]
    breached_cases: list[CaseEntry]
    performance_overdue: list[CaseEntry]
    reviewed: int
    confirmed: int
    discrepancies: list[FindingEntry]
    corrections: list[FindingEntry]
    verification: FindingEntry


def render_summary_html(context: QuarterlySummaryContext, *, inline_css: bool = False) -> str:
    """Return the HTML of the summary (with its stylesheet inline if asked)."""
    if context.get("kind") != KIND:
        raise ValueError(f"a context for {context.get('kind')!r} is not a quarterly summary")
    values: dict[str, object] = dict(render.page_values(context))
    charts: Mapping[str, object] = context
    for key in CHARTS:
        svg = str(charts[key])
        values[key] = render.inline_svg(svg) if svg else ""
    return render.render_template(TEMPLATE, values, inline_css=inline_css)


def render_quarterly_summary(context: QuarterlySummaryContext) -> bytes:
    """Render the quarterly summary to PDF (see the module's documentation)."""
    return render.pdf_from_html(render_summary_html(context))


def as_mapping(context: QuarterlySummaryContext) -> Mapping[str, object]:
    """Return the context as a plain mapping (for tests and the digest)."""
    return dict(context)
