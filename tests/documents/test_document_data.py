"""Reading a stored case into a document's context, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from documents.context import DocumentKind
from mediation.audit.chain import Actor
from mediation.cases.document_data import DocumentUnavailable, document_context
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import NotFound
from tests.factories import EMPLOYER, WORKER, make_case

TODAY = date(2026, 3, 2)


def _context(database: Database, case_id: int, kind: DocumentKind) -> dict[str, object]:
    with database.read_session() as session:
        context = document_context(session, case_id, kind, number="HC-2026-0001", today=TODAY)
    json.dumps(context)  # plain data only
    return dict(context)


def test_document_context_agreement_reads_parties_terms_and_deadlines(database: Database) -> None:
    case_id, _ = make_case(database, state="ensuring_performance", today=TODAY)
    context = _context(database, case_id, DocumentKind.AGREEMENT)
    assert context["kind"] == "agreement" and context["title"] == "调解协议书"
    assert context["document_number"] == "HC-2026-0001"
    assert context["issued_on"] == "2026年3月2日"
    assert context["organization"] == "黄村镇调解中心"
    assert context["worker"] == {
        "name": WORKER.name,
        "id_number": WORKER.id_number,  # in full, unlike the case page
        "phone": WORKER.phone,
        "address": "",
        "legal_representative": "",
        "agent_name": "",
        "agent_phone": "",
    }
    assert context["employer"]["id_number"] == EMPLOYER.id_number  # type: ignore[index]
    assert context["claims"] == [
        {
            "category": "wages",
            "label": "拖欠工资",
            "description": "拖欠三个月工资",
            "amount": {"fen": 1_200_000, "figures": "¥12,000.00", "capitals": "人民币壹万贰仟元整"},
        }
    ]
    assert context["crux"] == "工资结算周期争议"
    assert context["terms"] == [
        {
            "category": "wages",
            "label": "拖欠工资",
            "description": "拖欠工资",
            "amount": {"fen": 1_000_000, "figures": "¥10,000.00", "capitals": "人民币壹万元整"},
            "payment_order_eligible": True,
        }
    ]
    assert context["agreed_total"] == {
        "fen": 1_000_000,
        "figures": "¥10,000.00",
        "capitals": "人民币壹万元整",
    }
    assert [(i["seq"], i["due_on"]) for i in context["instalments"]] == [  # type: ignore[attr-defined]
        (1, "2026年3月9日"),
        (2, "2026年4月1日"),
    ]
    assert context["instalments_total"]["fen"] == 1_000_000  # type: ignore[index]
    assert context["method"] == "银行转账"
    assert context["payment_order_labels"] == ["拖欠工资"]
    assert context["effective_on"] == "2026年3月2日"
    assert context["arbitral_review_deadline"] == "2026年3月17日"
    assert context["judicial_confirmation_deadline"] == "2026年4月1日"


def test_document_context_draft_agreement_has_no_deadlines_nor_art_16_without_eligible_terms(
    database: Database, actor: Actor
) -> None:
    case_id, version = make_case(database, state="seizing_opening", today=TODAY)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="draft_agreement",
            expected_version=version,
            actor=actor,
            data={
                "method": "cash",
                "terms": [{"category": "social_insurance", "amount_fen": 300_050}],
                "instalments": [{"due_on": TODAY + timedelta(days=10), "amount_fen": 300_050}],
            },
            today=TODAY,
        )
    context = _context(database, case_id, DocumentKind.AGREEMENT)
    assert context["effective_on"] == ""
    assert context["arbitral_review_deadline"] == ""
    assert context["payment_order_labels"] == []
    assert context["method"] == "现金"
    assert context["agreed_total"]["capitals"] == "人民币叁仟元伍角整"  # type: ignore[index]


def test_document_context_failure_notice_restarts_the_limitation(database: Database) -> None:
    case_id, _ = make_case(database, state="failed", today=TODAY)
    context = _context(database, case_id, DocumentKind.FAILURE_NOTICE)
    assert context["title"] == "调解不成告知书"
    assert context["withdrawn"] is False
    assert context["reason"] == "双方分歧过大"
    assert context["ended_on"] == "2026年3月2日"
    assert context["limitation_deadline"] == "2027年3月2日"
    assert context["claimed_total"]["figures"] == "¥12,000.00"  # type: ignore[index]


def test_document_context_withdrawn_case_gives_termination_notice(database: Database) -> None:
    case_id, _ = make_case(database, state="withdrawn", today=TODAY)
    context = _context(database, case_id, DocumentKind.FAILURE_NOTICE)
    assert context["title"] == "终止调解告知书"
    assert context["withdrawn"] is True
    assert context["reason"] == "申请人撤回"


def test_document_context_rejection_notice_reads_the_reason(database: Database) -> None:
    case_id, _ = make_case(database, state="rejected", today=TODAY)
    context = _context(database, case_id, DocumentKind.REJECTION_NOTICE)
    assert context["reason"] == "不属于劳动争议"
    assert context["rejected_on"] == "2026年3月2日"


def test_document_context_performance_confirmation_lists_payments(database: Database) -> None:
    case_id, _ = make_case(database, state="closed", today=TODAY)
    context = _context(database, case_id, DocumentKind.PERFORMANCE_CONFIRMATION)
    assert context["payments"] == [
        {
            "paid_on": "2026年3月2日",
            "amount": {"fen": 1_000_000, "figures": "¥10,000.00", "capitals": "人民币壹万元整"},
            "method": "银行转账",
            "receipt_ref": "",
        }
    ]
    assert context["paid_total"] == context["agreed_total"]


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        ("registered", DocumentKind.AGREEMENT),
        ("seizing_opening", DocumentKind.AGREEMENT),
        ("ensuring_performance", DocumentKind.FAILURE_NOTICE),
        ("failed", DocumentKind.REJECTION_NOTICE),
        ("ensuring_performance", DocumentKind.PERFORMANCE_CONFIRMATION),
        ("rejected", DocumentKind.PERFORMANCE_CONFIRMATION),
    ],
)
def test_document_context_kind_the_case_cannot_have_raises_unavailable(
    database: Database, state: str, kind: DocumentKind
) -> None:
    case_id, _ = make_case(database, state=state, today=TODAY)
    with pytest.raises(DocumentUnavailable):
        _context(database, case_id, kind)


def test_document_context_unknown_case_raises_not_found(database: Database) -> None:
    with database.read_session() as session, pytest.raises(NotFound):
        document_context(session, 999, "agreement", number="X", today=TODAY)
