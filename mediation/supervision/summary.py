"""The quarterly summary (每季度总结研判): read the quarter's figures, then render the PDF.

:func:`summary_context` reads everything the summary prints in one read session — the
report by level and by zone (:func:`mediation.reports.figures.build_report`, the figures of
the web pages and the command line), the monthly trend, the cases behind the ``overdue``
figure, breached agreements, overdue instalments, the audit reviews, corrections and the last
chain verification — and closes it. :func:`quarterly_summary_pdf` then renders through
:mod:`documents.summary`, with no transaction open.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

from sqlalchemy import and_, select
from sqlmodel import Session

from documents.summary import (
    KIND,
    TITLE,
    CaseEntry,
    FindingEntry,
    QuarterlySummaryContext,
    SummaryRow,
    render_quarterly_summary,
)
from mediation import clock
from mediation.cases.enums import Level
from mediation.db import Database
from mediation.money import format_wan, format_yuan
from mediation.reports import charts
from mediation.reports.drilldown import cases_behind
from mediation.reports.figures import Report, ReportRow, build_report
from mediation.reports.trend import monthly_trend
from mediation.supervision.anomalies import anomaly_list
from mediation.supervision.periods import Period, trend_months
from mediation.supervision.reviews import findings, utc_bounds
from mediation.supervision.verification import latest_runs
from mediation.tables import CASE, CORRECTION, ORGANIZATION
from workflows.case import STATE_LABELS_ZH, CaseState

#: How many cases each list of the summary names at most.
MAX_LISTED: Final = 50
LEVEL_ZH: Final = {"district": "区级", "grassroots": "基层"}
CORRECTION_STATES_ZH: Final = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}


def _local(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _row(group: str, row: ReportRow) -> SummaryRow:
    return SummaryRow(
        group=group,
        received=row.received,
        accepted=row.accepted,
        settled=row.settled,
        failed=row.failed,
        withdrawn=row.withdrawn,
        overdue=row.overdue,
        success_rate=row.success_rate,
        claimed=format_yuan(row.claimed_fen),
        agreed=format_yuan(row.agreed_fen),
        paid=format_yuan(row.paid_fen),
        outstanding=format_yuan(row.outstanding_fen),
    )


def headline(by_level: Report, period: Period) -> str:
    """Say the period's result as the unions do: 基层调解成功案件31件，涉及金额89.22万元；…"""
    parts = []
    for row in by_level.rows:
        parts.append(
            f"{LEVEL_ZH[row.group]}调解成功案件{row.settled}件，涉及金额{format_wan(row.agreed_fen)}万元"
        )
    total = by_level.total
    return (
        f"{period.label_zh}收案{total.received}件，受理{total.accepted}件，调解成功案件{total.settled}件，"
        f"涉及金额{format_wan(total.agreed_fen)}万元，调解成功率{total.success_rate}。"
        + "；".join(reversed(parts))
        + "。"
    )


def level_chart(report: Report, title: str) -> str:
    """Return the bar chart of agreed amounts by level (or any grouping)."""
    return charts.bar_chart(
        title=title,
        rows=[
            (
                LEVEL_ZH.get(row.group, row.group) if report.by == "level" else row.group,
                row.agreed_fen,
                f"{row.settled}件 · {format_wan(row.agreed_fen)}万元",
            )
            for row in report.rows
        ],
    )


def _organization_name(session: Session) -> str:
    names = list(
        session.execute(
            select(ORGANIZATION.c.name).where(ORGANIZATION.c.level == Level.DISTRICT.value).limit(2)
        ).scalars()
    )
    return names[0] if len(names) == 1 else "劳动争议调解督导"


def summary_context(
    session: Session, period: Period, *, today: date | None = None, now: datetime | None = None
) -> QuarterlySummaryContext:
    """Read what the summary of ``period`` (normally a quarter) prints."""
    today = today or clock.today()
    now = now or clock.utcnow()
    by_level = build_report(
        session, date_from=period.start, date_to=period.end, by="level", today=today
    )
    by_zone = build_report(
        session, date_from=period.start, date_to=period.end, by="zone", today=today
    )
    months = monthly_trend(session, trend_months(period), today)
    overdue = cases_behind(
        session,
        date_from=period.start,
        date_to=period.end,
        by="level",
        key="",
        figure="overdue",
        today=today,
        page_size=MAX_LISTED,
    )
    start, end = utc_bounds(period.start, period.end)
    breached = session.execute(
        select(
            CASE.c.number,
            ORGANIZATION.c.name,
            CASE.c.closed_at,
            CASE.c.agreed_fen,
            CASE.c.paid_fen,
        )
        .join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
        .where(CASE.c.closed_as == "referred", CASE.c.closed_at >= start, CASE.c.closed_at < end)
        .order_by(CASE.c.closed_at)
        .limit(MAX_LISTED)
    ).all()
    late = anomaly_list(session, "performance_overdue", today, limit=MAX_LISTED)
    found = findings(session, period.start, period.end)
    corrections = session.execute(
        select(
            CORRECTION.c.id,
            CORRECTION.c.state,
            CORRECTION.c.old_agreed_fen,
            CORRECTION.c.new_agreed_fen,
            CORRECTION.c.reason,
            CORRECTION.c.decision_note,
            CASE.c.number,
        )
        .join(CASE, CASE.c.id == CORRECTION.c.case_id)
        .where(and_(CORRECTION.c.requested_at >= start, CORRECTION.c.requested_at < end))
        .order_by(CORRECTION.c.id)
        .limit(MAX_LISTED)
    ).all()
    last = next(iter(latest_runs(session, limit=1, before=end)), None)
    if last is None:
        verification = FindingEntry(what="事件链校验", detail="截至本期末未进行校验", status="—")
    else:
        verification = FindingEntry(
            what=f"最近一次校验 {_local(last.finished_at)}（{last.actor}）",
            detail=f"校验事件{last.events_checked}条、案件{last.cases_checked}件"
            + ("" if last.ok else f"，首个断点：{last.message}"),
            status="完整" if last.ok else "发现断点",
        )

    return QuarterlySummaryContext(
        kind=KIND,
        title=TITLE,
        organization=_organization_name(session),
        document_number=f"ZJ-{period.key if period.kind != 'range' else period.start.isoformat()}",
        period_label=period.label_zh,
        date_from=period.start.isoformat(),
        date_to=period.end.isoformat(),
        generated_at=_local(now),
        headline=headline(by_level, period),
        level_rows=[_row(LEVEL_ZH[row.group], row) for row in by_level.rows],
        zone_rows=[_row(row.group, row) for row in by_zone.rows],
        total=_row("合计", by_level.total),
        trend_chart=charts.column_chart(
            title="每月收案与调解成功（件）",
            categories=[m.label for m in months],
            series=[
                charts.Series("收案", tuple(m.received for m in months), charts.COLOURS[0]),
                charts.Series("调解成功", tuple(m.settled for m in months), charts.COLOURS[1]),
            ],
        ),
        amount_chart=charts.column_chart(
            title="每月调解成功金额（万元）",
            categories=[m.label for m in months],
            series=[
                charts.Series("协议金额", tuple(m.agreed_fen for m in months), charts.COLOURS[2])
            ],
            value_text=format_wan,
        ),
        level_chart=level_chart(by_level, "按层级：调解成功金额"),
        zone_chart=level_chart(by_zone, "按片区：调解成功金额"),
        overdue_count=overdue.count,
        overdue_cases=[
            CaseEntry(
                number=line.number,
                organization=line.organization,
                date=line.received_on.isoformat(),
                detail=(
                    f"{line.outcome_on.isoformat()}结束（{STATE_LABELS_ZH[CaseState(line.state)]}）"
                    if line.outcome_on
                    else f"仍在调解（{STATE_LABELS_ZH[CaseState(line.state)]}）"
                ),
            )
            for line in overdue.lines
        ],
        breached_cases=[
            CaseEntry(
                number=row.number,
                organization=row.name,
                date=clock.local_date(row.closed_at).isoformat(),
                detail=f"{format_yuan(row.agreed_fen)}元 / {format_yuan(row.paid_fen)}元",
            )
            for row in breached
        ],
        performance_overdue=[
            CaseEntry(
                number=case.number,
                organization=case.organization,
                date=case.next_due_on.isoformat() if case.next_due_on else "",
                detail=f"{format_yuan(case.agreed_fen)}元 / {format_yuan(case.paid_fen)}元",
            )
            for case in late.cases
        ],
        reviewed=found.reviewed,
        confirmed=found.confirmed,
        discrepancies=[
            FindingEntry(
                what=f"{review.case_number}（抽样#{review.sample_id}）",
                detail=review.note,
                status=f"已处理：{review.resolution}" if review.resolved_at else "待处理",
            )
            for review in found.discrepancies
        ],
        corrections=[
            FindingEntry(
                what=row.number,
                detail=f"协议金额{format_yuan(row.old_agreed_fen)}元更正为"
                f"{format_yuan(row.new_agreed_fen)}元：{row.reason}",
                status=CORRECTION_STATES_ZH.get(row.state, row.state)
                + (f"（{row.decision_note}）" if row.decision_note else ""),
            )
            for row in corrections
        ],
        verification=verification,
    )


def quarterly_summary_pdf(
    database: Database, period: Period, *, today: date | None = None
) -> bytes:
    """Read the summary of ``period`` in a read session, close it, then render the PDF."""
    with database.read_session() as session:
        context = summary_context(session, period, today=today)
    return render_quarterly_summary(context)
