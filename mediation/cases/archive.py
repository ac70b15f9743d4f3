"""What the archive bundle (案卷) of an ended case is made of.

The bundle is one PDF/A-3b file rendered by ``documents`` (see
:func:`mediation.issuing.service.issue_document`): a cover, the contents, every issued
document's entry and the event timeline (:func:`archive_context`), with every issued PDF
(:func:`issued_files`) and the machine-readable case file (:func:`case_file_json`) attached.

The case file holds the case record, parties, claims, every step's records, the agreement,
payments, conversions, the hashes of issued documents and the full event timeline with the
chain hashes, so the bundle can be checked against the audit log later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from documents.context import (
    ARCHIVE_BUNDLE,
    ARCHIVE_TITLE,
    ArchiveContext,
    ArchivedDocumentData,
    TimelineEventData,
    amount,
    chinese_date,
    kind_title,
    local_datetime,
)
from mediation.audit.chain import canonical_json
from mediation.cases.document_data import category_label
from mediation.cases.enums import Outcome, PartyRole
from mediation.clock import local_date
from mediation.errors import NotFound
from mediation.people.sealing import open_party
from mediation.tables import (
    AGREEMENT,
    CASE,
    CLAIM,
    CONVERSION,
    DOCUMENT,
    EVENT,
    INSTALMENT,
    INTERVIEW,
    JOINT_SESSION,
    OFFER,
    ORGANIZATION,
    PARTY,
    PAYMENT,
    TERM,
    USER,
)
from workflows.case import STATE_LABELS_ZH, CaseState

#: The case file's media type.
CASE_FILE_MEDIA_TYPE = "application/json"

#: How the timeline of the bundle names each action.
ACTION_LABELS_ZH: dict[str, str] = {
    "register": "登记",
    "import": "导入历史案件",
    "accept": "受理",
    "reject": "不予受理",
    "open_mediation": "开始调解",
    "sign_agreement": "签订调解协议",
    "declare_failure": "调解不成",
    "withdraw": "撤回申请",
    "confirm_performance": "确认履行完毕",
    "apply_conversion": "申请置换文书",
    "record_conversion": "记录置换文书",
    "conversion_refused": "置换申请未获准",
    "declare_breach": "确认未履行",
    "archive": "归档",
    "update_party": "更新当事人信息",
    "add_claim_item": "增加请求事项",
    "record_interview": "记录单独约谈",
    "record_crux": "记录争议症结",
    "record_plan": "记录调解方案",
    "record_overdue_consent": "记录继续调解的同意",
    "record_joint_session": "记录共同调解",
    "log_offer": "记录调解方案报价",
    "draft_agreement": "拟定调解协议",
    "record_signature": "记录签字盖章",
    "record_payment": "记录履行款项",
    "produce_archive_bundle": "生成案卷",
    "issue_document": "出具文书",
    "reveal_numbers": "查看完整证件号码及电话",
}

#: How the cover of the bundle says a case ended.
_OUTCOMES: dict[tuple[str | None, str | None], str] = {
    (Outcome.SETTLED, "performed"): "调解成功，协议已履行完毕",
    (Outcome.SETTLED, "converted"): "调解成功，协议已置换为具有强制执行力的法律文书",
    (Outcome.SETTLED, "referred"): "调解成功，因一方未履行协议告知申请仲裁",
    (Outcome.FAILED, None): "调解不成",
    (Outcome.WITHDRAWN, None): "申请人撤回申请",
    (Outcome.REJECTED, None): "不予受理",
}


def _rows(
    session: Session, table: Table, *where: Any, exclude: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    columns = [c for c in table.c if c.name not in exclude]
    result = session.execute(select(*columns).where(*where).order_by(table.c.id))
    return [dict(row._mapping) for row in result]


def case_file_json(session: Session, case_id: int) -> bytes:
    """Return the machine-readable case file: every row of the case, as canonical JSON."""
    cases = _rows(session, CASE, CASE.c.id == case_id)
    if not cases:
        raise NotFound(f"case {case_id} does not exist")
    agreements = _rows(session, AGREEMENT, AGREEMENT.c.case_id == case_id)
    agreement_ids = [a["id"] for a in agreements]
    by_case = {
        "parties": PARTY,
        "claims": CLAIM,
        "interviews": INTERVIEW,
        "joint_sessions": JOINT_SESSION,
        "offers": OFFER,
        "payments": PAYMENT,
        "conversions": CONVERSION,
        "events": EVENT,
    }
    bundle: dict[str, Any] = {
        "kind": "case_file",
        "case": cases[0],
        "agreement": agreements,
        "terms": _rows(session, TERM, TERM.c.agreement_id.in_(agreement_ids)),
        "instalments": _rows(session, INSTALMENT, INSTALMENT.c.agreement_id.in_(agreement_ids)),
        "documents": _rows(session, DOCUMENT, DOCUMENT.c.case_id == case_id, exclude=("content",)),
    }
    for key, table in by_case.items():
        bundle[key] = _rows(session, table, table.c.case_id == case_id)
    # The archive is read without the service's key, decades on: its numbers are in clear, as
    # in the issued documents it holds.
    bundle["parties"] = [
        {**party, **open_party(case_id, party["role"], party)} for party in bundle["parties"]
    ]
    return canonical_json(bundle).encode()


@dataclass(frozen=True)
class IssuedFile:
    """An issued document with its bytes, as the bundle attaches it."""

    kind: str
    number: str
    version: int
    sha256: str
    media_type: str
    issued_at: datetime
    issued_by: str
    content: bytes

    @property
    def filename(self) -> str:
        """Return the name the bundle attaches the file under."""
        return f"{self.number}-v{self.version}.pdf"


def issued_files(session: Session, case_id: int) -> list[IssuedFile]:
    """Return every issued document of the case except archive bundles, in the order issued."""
    rows = session.execute(
        select(
            DOCUMENT.c.kind,
            DOCUMENT.c.number,
            DOCUMENT.c.version,
            DOCUMENT.c.sha256,
            DOCUMENT.c.media_type,
            DOCUMENT.c.issued_at,
            DOCUMENT.c.content,
            USER.c.display_name,
        )
        .select_from(DOCUMENT.outerjoin(USER, USER.c.id == DOCUMENT.c.issued_by_id))
        .where(DOCUMENT.c.case_id == case_id, DOCUMENT.c.kind != ARCHIVE_BUNDLE)
        .order_by(DOCUMENT.c.issued_at, DOCUMENT.c.id)
    )
    return [
        IssuedFile(
            kind=row.kind,
            number=row.number,
            version=row.version,
            sha256=row.sha256,
            media_type=row.media_type,
            issued_at=row.issued_at,
            issued_by=row.display_name or "",
            content=bytes(row.content),
        )
        for row in rows
    ]


def _state_label(state: str | None) -> str:
    if not state:
        return ""
    try:
        return STATE_LABELS_ZH[CaseState(state)]
    except ValueError:
        return state


def _closed_on(case: Any) -> date | None:
    if case.closed_at is not None:
        return local_date(case.closed_at)
    return case.outcome_on


def archive_context(
    session: Session, case_id: int, *, number: str, today: date, files: list[IssuedFile]
) -> ArchiveContext:
    """Read what the bundle's cover, contents and timeline print about an ended case."""
    case = session.execute(
        select(
            CASE,
            ORGANIZATION.c.name.label("organization_name"),
            USER.c.display_name.label("mediator_name"),
        )
        .select_from(
            CASE.join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id).outerjoin(
                USER, USER.c.id == CASE.c.mediator_id
            )
        )
        .where(CASE.c.id == case_id)
    ).one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    names = dict(
        session.execute(select(PARTY.c.role, PARTY.c.name).where(PARTY.c.case_id == case_id)).all()
    )
    documents: list[ArchivedDocumentData] = [
        {
            "kind": f.kind,
            "title": kind_title(f.kind),
            "number": f.number,
            "version": f.version,
            "issued_at": local_datetime(f.issued_at),
            "issued_by": f.issued_by,
            "sha256": f.sha256,
            "filename": f.filename,
        }
        for f in files
    ]
    events: list[TimelineEventData] = [
        {
            "seq": row.seq,
            "at": local_datetime(row.created_at),
            "actor": row.actor,
            "action": ACTION_LABELS_ZH.get(row.action, row.action),
            "from_state": _state_label(row.from_state),
            "to_state": "" if row.to_state == row.from_state else _state_label(row.to_state),
            "chain_hash": row.hash,
        }
        for row in session.execute(
            select(
                EVENT.c.seq,
                EVENT.c.created_at,
                EVENT.c.actor,
                EVENT.c.action,
                EVENT.c.from_state,
                EVENT.c.to_state,
                EVENT.c.hash,
            )
            .where(EVENT.c.case_id == case_id)
            .order_by(EVENT.c.seq)
        )
    ]
    settled = case.outcome == Outcome.SETTLED
    return {
        "kind": ARCHIVE_BUNDLE,
        "title": ARCHIVE_TITLE,
        "document_number": number,
        "archived_on": chinese_date(today),
        "organization": case.organization_name,
        "case_number": case.number,
        "category": category_label(case.category),
        "worker_name": names.get(PartyRole.WORKER.value, ""),
        "employer_name": names.get(PartyRole.EMPLOYER.value, ""),
        "mediator": case.mediator_name or "",
        "received_on": chinese_date(case.received_on),
        "closed_on": chinese_date(_closed_on(case)),
        "outcome": _OUTCOMES.get(
            (case.outcome, case.closed_as if settled else None), case.outcome or ""
        ),
        "agreed_total": amount(case.agreed_fen) if case.agreed_fen else None,
        "paid_total": amount(case.paid_fen) if case.paid_fen else None,
        "documents": documents,
        "events": events,
    }
