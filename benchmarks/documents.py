"""Render a settlement agreement through ``documents.render`` vs bare WeasyPrint, same HTML.

A case is registered, mediated and signed through the real service on a temporary SQLite
file, with three agreed terms paid in 12 monthly instalments (a three-page 调解协议书), and
read back by ``document_context``. Then, in this process:

- ``render_pdf("agreement", context)``: Jinja, then WeasyPrint with the process's shared
  ``FontConfiguration`` and parsed stylesheet, the static-only URL fetcher and the check of
  WeasyPrint's warnings;
- ``weasyprint.HTML(string=html).write_pdf()`` with WeasyPrint's default settings, ``html``
  being the same final HTML with its stylesheet inline (``render_html(..., inline_css=True)``),
  so it parses the CSS and builds a font configuration on every call.

Both are warmed up, then timed in alternating rounds; the best round of each is compared.
Targets: ``render_pdf`` takes at most 1.2 times the bare render, and the PDF is under 500 KB.
The first render of the process (building the engine) is shown too.

Also timed, for information (no target): the issued copy (``marks=``: number, version and
verification URL in every footer, a QR code, the marks in the metadata) against bare
WeasyPrint on the same marked HTML, and the archive bundle (案卷, PDF/A-3b) of the case with
the issued agreement and a JSON case file attached, with its size and pages.

    python -m benchmarks.documents [--rounds 7] [--warmup 2] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from benchmarks.table import Figure, Options, cost_figure
from documents import render
from documents.archive import Attachment, render_archive_bundle
from documents.context import (
    ARCHIVE_BUNDLE,
    ARCHIVE_TITLE,
    ArchiveContext,
    DocumentKind,
    TimelineEventData,
    chinese_date,
    kind_title,
    local_datetime,
)
from documents.marks import IssueMarks
from mediation.audit.chain import Actor
from mediation.cases.document_data import document_context
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import Database
from mediation.people.models import Organization
from mediation.schema import upgrade
from mediation.tables import EVENT

TARGET_RATIO = 1.2
TARGET_BYTES = 500 * 1024
INSTALMENTS = 12
ACTOR = Actor(None, "bench")
TODAY = date(2026, 3, 2)
NUMBER = "DX-2026-XY-00001"
MARKS = IssueMarks(NUMBER, 1, f"https://tiaojie.example.cn/verify/{NUMBER}?v=1", TODAY)
BUNDLE_NUMBER = "DX-2026-AJ-00001"
BUNDLE_MARKS = IssueMarks(
    BUNDLE_NUMBER, 1, f"https://tiaojie.example.cn/verify/{BUNDLE_NUMBER}?v=1", TODAY
)

WORKER = PartyInput(
    name="张伟",
    id_number="11010519491231002X",
    phone="13800138000",
    address="北京市大兴区黄村镇兴华大街一号院三号楼二单元五〇一室",
)
EMPLOYER = PartyInput(
    name="北京兴旺建筑工程有限公司",
    id_number="91350100M000100Y43",
    phone="010-69240000",
    address="北京市大兴区经济技术开发区科创十三街二十九号",
    legal_representative="李明",
    agent_name="王芳",
    agent_phone="13900139000",
)
TERMS: list[dict[str, Any]] = [
    {"category": "wages", "amount_fen": 6_000_000, "description": "2025年9月至11月工资"},
    {"category": "overtime", "amount_fen": 1_234_567, "description": "休息日加班工资"},
    {"category": "compensation", "amount_fen": 3_000_000, "description": "解除劳动合同经济补偿"},
]


def _agreement_data() -> dict[str, Any]:
    total = sum(term["amount_fen"] for term in TERMS)
    share = total // INSTALMENTS
    amounts = [share] * (INSTALMENTS - 1) + [total - share * (INSTALMENTS - 1)]
    return {
        "method": "bank_transfer",
        "notes": "用人单位按月将款项转入劳动者本人工资卡。",
        "terms": TERMS,
        "instalments": [
            {"due_on": TODAY + timedelta(days=30 * (seq + 1)), "amount_fen": amount}
            for seq, amount in enumerate(amounts)
        ],
    }


def prepare_context(path: Path) -> tuple[dict[str, Any], list[TimelineEventData]]:
    """Make a signed case with 12 instalments; return its agreement's context and events."""
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    with database.writing() as session:
        organization = Organization(name="大兴区劳动争议调解中心", level="district")
        session.add(organization)
        session.flush()
        assert organization.id is not None
        case_id, _ = register_case(
            session,
            actor=ACTOR,
            organization_id=organization.id,
            town_id=None,
            category="wages",
            received_on=TODAY,
            worker=WORKER,
            employer=EMPLOYER,
            claims=[ClaimInput(t["category"], t["amount_fen"] + 100_000) for t in TERMS],
        )
    actions: list[tuple[str, dict[str, Any]]] = [
        ("accept", {}),
        ("record_interview", {"party_role": "worker", "notes": "单独约谈劳动者"}),
        ("record_interview", {"party_role": "employer", "notes": "单独约谈用人单位"}),
        ("record_crux", {"text": "加班时数的认定与解除劳动合同的原因"}),
        ("record_plan", {"text": "核对考勤记录后分期支付"}),
        ("open_mediation", {}),
        ("draft_agreement", _agreement_data()),
        *[("record_signature", {"signer": s}) for s in ("worker", "employer", "mediator")],
        ("record_signature", {"signer": "organization"}),
        ("sign_agreement", {}),
    ]
    for version, (action, data) in enumerate(actions, start=1):
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action=action,
                expected_version=version,
                actor=ACTOR,
                data=data,
                today=TODAY,
            )
    with database.read_session() as session:
        context = document_context(
            session, case_id, DocumentKind.AGREEMENT, number=NUMBER, today=TODAY
        )
        rows = session.execute(
            select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
        ).all()
    database.dispose()
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
    return dict(context), events


def bundle_input(
    context: dict[str, Any], events: list[TimelineEventData], issued: bytes
) -> tuple[ArchiveContext, list[Attachment]]:
    """Return the archive bundle's context and attachments for the signed case."""
    filename = f"{NUMBER}-v1.pdf"
    archive: ArchiveContext = {
        "kind": ARCHIVE_BUNDLE,
        "title": ARCHIVE_TITLE,
        "document_number": BUNDLE_NUMBER,
        "archived_on": chinese_date(TODAY),
        "organization": context["organization"],
        "case_number": context["case_number"],
        "category": context["category"],
        "worker_name": context["worker"]["name"],
        "employer_name": context["employer"]["name"],
        "mediator": context["mediator"],
        "received_on": context["received_on"],
        "closed_on": chinese_date(TODAY),
        "outcome": "调解成功",
        "agreed_total": context["agreed_total"],
        "paid_total": None,
        "documents": [
            {
                "kind": DocumentKind.AGREEMENT.value,
                "title": kind_title(DocumentKind.AGREEMENT.value),
                "number": NUMBER,
                "version": 1,
                "issued_at": events[-1]["at"],
                "issued_by": "bench",
                "sha256": hashlib.sha256(issued).hexdigest(),
                "filename": filename,
            }
        ],
        "events": events,
    }
    case_file = json.dumps({"agreement": context, "events": events}, ensure_ascii=False).encode()
    attachments = [
        Attachment(filename, issued, "调解协议书 第1版", "application/pdf"),
        Attachment("case-file.json", case_file, "案卷数据", "application/json"),
    ]
    return archive, attachments


def _time(function: Any, *args: Any) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def measure(rounds: int, warmup: int) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Render and time everything; return the figures and the times of every round."""
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        context, events = prepare_context(Path(tmp, "bench.sqlite3"))
    kind = DocumentKind.AGREEMENT
    html = render.render_html(kind, context, inline_css=True)
    marked_html = render.render_html(kind, context, inline_css=True, marks=MARKS)
    first_s, pdf = _time(render.render_pdf, kind, context)
    issued = render.render_pdf(kind, context, marks=MARKS)
    archive, attachments = bundle_input(context, events, issued)
    for _ in range(warmup):
        render.render_pdf(kind, context)
        render.bare_weasyprint_pdf(html)
        render.render_pdf(kind, context, marks=MARKS)
        render.bare_weasyprint_pdf(marked_html)
        render_archive_bundle(archive, attachments, marks=BUNDLE_MARKS)
    ours: list[float] = []
    bare: list[float] = []
    marked: list[float] = []
    marked_bare: list[float] = []
    bundled: list[float] = []
    bare_pdf = b""
    bundle = b""
    for _ in range(rounds):
        elapsed, pdf = _time(render.render_pdf, kind, context)
        ours.append(elapsed)
        elapsed, bare_pdf = _time(render.bare_weasyprint_pdf, html)
        bare.append(elapsed)
        elapsed, issued = _time(lambda: render.render_pdf(kind, context, marks=MARKS))
        marked.append(elapsed)
        elapsed, _ = _time(render.bare_weasyprint_pdf, marked_html)
        marked_bare.append(elapsed)
        elapsed, bundle = _time(
            lambda: render_archive_bundle(archive, attachments, marks=BUNDLE_MARKS)
        )
        bundled.append(elapsed)
    best_ours, best_bare = min(ours), min(bare)
    ratio = best_ours / best_bare
    marked_ratio = min(marked) / min(marked_bare)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    bundle_pages = len(PdfReader(io.BytesIO(bundle)).pages)
    figures = {
        "instalments": INSTALMENTS,
        "rounds": rounds,
        "first_render_s": round(first_s, 3),
        "render_pdf_s": round(best_ours, 4),
        "bare_weasyprint_s": round(best_bare, 4),
        "render_pdf_median_s": round(statistics.median(ours), 4),
        "bare_weasyprint_median_s": round(statistics.median(bare), 4),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "ratio_met": ratio <= TARGET_RATIO,
        "pdf_bytes": len(pdf),
        "target_bytes": TARGET_BYTES,
        "size_met": len(pdf) < TARGET_BYTES,
        "same_pdf": pdf == bare_pdf,
        "pages": pages,
        "issued_render_s": round(min(marked), 4),
        "issued_bare_weasyprint_s": round(min(marked_bare), 4),
        "issued_ratio": round(marked_ratio, 3),
        "issued_pdf_bytes": len(issued),
        "bundle_render_s": round(min(bundled), 4),
        "bundle_render_median_s": round(statistics.median(bundled), 4),
        "bundle_pdf_bytes": len(bundle),
        "bundle_attachment_bytes": sum(len(a.content) for a in attachments),
        "bundle_pages": bundle_pages,
        "bundle_events": len(events),
    }
    times = {
        "ours": ours,
        "bare": bare,
        "marked": marked,
        "marked_bare": marked_bare,
        "bundled": bundled,
    }
    return figures, times


def collect(options: Options) -> list[Figure]:
    """The figures of ``python -m benchmarks``: render time against bare WeasyPrint, size."""
    figures, _times = measure(options.document_rounds, options.document_warmup)
    note = (
        f"调解协议书, {INSTALMENTS} instalments, {figures['pages']} pages; warm renders, best of "
        f"{options.document_rounds} after {options.document_warmup} warm-up; first render of "
        f"the process {figures['first_render_s']:.2f} s"
    )
    return [
        cost_figure(
            "settlement PDF: render_pdf vs bare WeasyPrint, same HTML",
            figures["render_pdf_s"],
            figures["bare_weasyprint_s"],
            target=TARGET_RATIO,
            group="documents",
            unit="s",
            note=note,
        ),
        cost_figure(
            "settlement PDF size vs the 500 KB limit",
            figures["pdf_bytes"] / 1024,
            TARGET_BYTES / 1024,
            target=1.0,
            group="documents",
            unit="KB",
        ),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its table; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures, times = measure(args.rounds, args.warmup)
    ours, bare = times["ours"], times["bare"]
    marked, marked_bare, bundled = times["marked"], times["marked_bare"], times["bundled"]
    best_ours, best_bare = min(ours), min(bare)
    ratio = best_ours / best_bare
    marked_ratio = min(marked) / min(marked_bare)
    first_s, pages, bundle_pages = (
        figures["first_render_s"],
        figures["pages"],
        figures["bundle_pages"],
    )
    pdf_bytes, issued_bytes = figures["pdf_bytes"], figures["issued_pdf_bytes"]
    bundle_bytes = figures["bundle_pdf_bytes"]
    events = figures["bundle_events"]
    if args.json:
        print(json.dumps(figures, indent=2))
        return figures
    print(
        f"调解协议书 with {INSTALMENTS} instalments, warm renders, best of {args.rounds} rounds "
        f"after {args.warmup} warm-up"
    )
    rows = [
        ("render_pdf (shared fonts + CSS, checks)", best_ours, statistics.median(ours)),
        ("bare WeasyPrint HTML(string).write_pdf()", best_bare, statistics.median(bare)),
    ]
    print(f"{'figure':<44}{'best s':>9}{'median s':>10}")
    for name, best, median in rows:
        print(f"{name:<44}{best:>9.3f}{median:>10.3f}")
    print(f"{'first render of the process (cold)':<44}{first_s:>9.3f}")
    print(f"pages: {pages}")
    verdict = "met" if figures["ratio_met"] else "NOT met"
    print(f"ratio render_pdf/bare: {ratio:.2f}  (target <= {TARGET_RATIO}: {verdict})")
    size_verdict = "met" if figures["size_met"] else "NOT met"
    print(
        f"PDF size: {pdf_bytes / 1024:.0f} KB  (target < {TARGET_BYTES // 1024} KB: {size_verdict})"
    )
    print(f"same PDF bytes as the bare render: {'yes' if figures['same_pdf'] else 'no'}")
    print()
    print("issued copy (marks: number, version, URL in every footer, QR code, metadata)")
    print(f"{'figure':<44}{'best s':>9}{'median s':>10}")
    rows = [
        ("render_pdf(..., marks=...)", min(marked), statistics.median(marked)),
        (
            "bare WeasyPrint on the same marked HTML",
            min(marked_bare),
            statistics.median(marked_bare),
        ),
    ]
    for name, best, median in rows:
        print(f"{name:<44}{best:>9.3f}{median:>10.3f}")
    print(f"ratio issued/bare: {marked_ratio:.2f}  PDF size: {issued_bytes / 1024:.0f} KB")
    print()
    print(
        f"archive bundle (PDF/A-3b, {events} events, 2 attachments of "
        f"{figures['bundle_attachment_bytes'] / 1024:.0f} KB)"
    )
    print(f"{'render_archive_bundle':<44}{min(bundled):>9.3f}{statistics.median(bundled):>10.3f}")
    print(f"bundle size: {bundle_bytes / 1024:.0f} KB, pages: {bundle_pages}")
    return figures


if __name__ == "__main__":
    main()
