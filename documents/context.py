"""What each document is given: plain, JSON-able data, every amount and date pre-formatted.

The shapes below are the contract between the code that reads a case
(:func:`mediation.cases.document_data.document_context`) and the templates. They hold text,
numbers, booleans, lists and dicts only — no database rows, no dates — so a context can be
stored, compared in tests or sent elsewhere as JSON. Dates are written the way official
documents write them (``2026年3月2日``, GB/T 9704-2012 §7.3.5.3); amounts carry their fen,
their figures (``¥12,000.00``) and their capitals (``人民币壹万贰仟元整``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final, NotRequired, TypedDict
from zoneinfo import ZoneInfo

from documents.capitals import yuan_in_capitals, yuan_in_figures


class DocumentKind(StrEnum):
    """The documents a mediation organisation issues for a case."""

    AGREEMENT = "agreement"
    FAILURE_NOTICE = "failure_notice"
    REJECTION_NOTICE = "rejection_notice"
    PERFORMANCE_CONFIRMATION = "performance_confirmation"


#: The usual title of each kind (a context may refine it, e.g. 终止调解告知书).
TITLES: dict[DocumentKind, str] = {
    DocumentKind.AGREEMENT: "调解协议书",
    DocumentKind.FAILURE_NOTICE: "调解不成告知书",
    DocumentKind.REJECTION_NOTICE: "不予受理通知书",
    DocumentKind.PERFORMANCE_CONFIRMATION: "履行确认书",
}


#: The kind of the archive bundle (案卷). It is not a :class:`DocumentKind`: it is rendered from
#: an :class:`ArchiveContext` by :func:`documents.archive.render_archive_bundle`, as PDF/A-3b.
ARCHIVE_BUNDLE: Final = "archive_bundle"
ARCHIVE_TITLE: Final = "案卷"

#: Where the times of a case are shown (the events are stored in UTC).
LOCAL_TIMEZONE: Final = ZoneInfo("Asia/Shanghai")


def kind_title(kind: str) -> str:
    """Return the title of any kind of issued document, the archive bundle included."""
    if kind == ARCHIVE_BUNDLE:
        return ARCHIVE_TITLE
    return TITLES[DocumentKind(kind)]


class Amount(TypedDict):
    """An amount in fen, in figures and in capitals."""

    fen: int
    figures: str
    capitals: str


class PartyData(TypedDict):
    """A party's identity as the legal document prints it (nothing masked)."""

    name: str
    #: 公民身份号码 of the worker, 统一社会信用代码 of the employer.
    id_number: str
    phone: str
    address: str
    #: 法定代表人 (employer only).
    legal_representative: str
    agent_name: str
    agent_phone: str


class ItemData(TypedDict):
    """A claim or an agreed term: a dispute category and its amount."""

    category: str
    #: The Chinese name of the category: 拖欠工资, 加班费, 经济补偿金 …
    label: str
    description: str
    amount: Amount


class TermData(ItemData):
    """An agreed term, and whether it may go to court as a payment order (Art. 16)."""

    payment_order_eligible: bool


class InstalmentData(TypedDict):
    """One agreed payment date."""

    seq: int
    due_on: str
    amount: Amount


class PaymentData(TypedDict):
    """Money the worker received under the agreement."""

    paid_on: str
    amount: Amount
    #: 银行转账, 现金 …
    method: str
    receipt_ref: str


class DocumentContext(TypedDict):
    """What every document shows."""

    kind: str
    title: str
    #: The number the document is issued under, printed in the footer of every page.
    document_number: str
    #: The date printed above the seal.
    issued_on: str
    organization: str
    case_number: str
    #: The dispute category's Chinese name.
    category: str
    received_on: str
    worker: PartyData
    employer: PartyData
    #: The mediator's name ('' when none is assigned: the line stays blank for a signature).
    mediator: str
    #: A line printed under the footer of every page, e.g. how to verify the document.
    verification_text: NotRequired[str]
    #: An inline ``<svg>`` (a QR code made by our own code, never user input), printed in the
    #: verification box at the end of the document. Refused unless it is a plain SVG.
    qr_svg: NotRequired[str]


class AgreementContext(DocumentContext):
    """调解协议书."""

    summary: str
    claims: list[ItemData]
    claimed_total: Amount
    crux: str
    terms: list[TermData]
    agreed_total: Amount
    instalments: list[InstalmentData]
    instalments_total: Amount
    #: How the money is paid: 银行转账 …
    method: str
    notes: str
    #: The labels of the agreed categories covered by Art. 16 (payment order); empty if none.
    payment_order_labels: list[str]
    #: '' while the agreement is a draft awaiting signatures.
    effective_on: str
    arbitral_review_deadline: str
    judicial_confirmation_deadline: str


class FailureNoticeContext(DocumentContext):
    """调解不成告知书 or 终止调解告知书."""

    #: True when the applicant withdrew (终止调解) rather than mediation failing (调解不成).
    withdrawn: bool
    accepted_on: str
    summary: str
    claims: list[ItemData]
    claimed_total: Amount
    ended_on: str
    reason: str
    #: The last day to apply for arbitration: one year from the end of mediation (Art. 27).
    limitation_deadline: str


class RejectionNoticeContext(DocumentContext):
    """不予受理通知书."""

    summary: str
    claims: list[ItemData]
    claimed_total: Amount
    rejected_on: str
    reason: str


class PerformanceConfirmationContext(DocumentContext):
    """履行确认书."""

    effective_on: str
    terms: list[TermData]
    agreed_total: Amount
    payments: list[PaymentData]
    paid_total: Amount
    method: str


class ArchivedDocumentData(TypedDict):
    """An issued document as the archive bundle lists it; its PDF is one of the attachments."""

    #: A :class:`DocumentKind` value.
    kind: str
    title: str
    number: str
    version: int
    #: When it was issued, in Asia/Shanghai time (:func:`local_datetime`).
    issued_at: str
    #: Who issued it (a display name).
    issued_by: str
    #: The SHA-256 of the issued PDF (hex), as stored and verified.
    sha256: str
    #: The name of the attachment that holds the issued PDF (its SHA-256 is checked).
    filename: str


class TimelineEventData(TypedDict):
    """One event of the case's hash chain."""

    seq: int
    #: The event's time in Asia/Shanghai (:func:`local_datetime`).
    at: str
    actor: str
    #: What was done, as a person reads it (e.g. 受理).
    action: str
    #: The state before the event, as a person reads it ('' for the event that created the
    #: case).
    from_state: str
    #: The state after it ('' when the event did not change the state: printed as no move).
    to_state: str
    #: The event's chain hash (hex); the bundle prints its first 12 characters.
    chain_hash: str


class ArchiveContext(TypedDict):
    """案卷: the cover, the issued documents and the event timeline of an ended case."""

    #: Always :data:`ARCHIVE_BUNDLE`.
    kind: str
    #: :data:`ARCHIVE_TITLE`.
    title: str
    #: The number the bundle is issued under (equal to its :class:`IssueMarks` number).
    document_number: str
    #: The archiving date, printed on the cover (equal to its marks' ``issued_on``).
    archived_on: str
    organization: str
    case_number: str
    category: str
    worker_name: str
    employer_name: str
    mediator: str
    received_on: str
    closed_on: str
    #: How the case ended, as a person reads it: 调解成功, 调解不成, 撤回申请, 不予受理 …
    outcome: str
    #: None when there was no agreement (or no payment).
    agreed_total: Amount | None
    paid_total: Amount | None
    #: Every issued document, every version, in the order issued.
    documents: list[ArchivedDocumentData]
    #: The full event timeline, in chain order.
    events: list[TimelineEventData]


def amount(fen: int) -> Amount:
    """Return an amount of fen in figures and in capitals."""
    return {"fen": fen, "figures": yuan_in_figures(fen), "capitals": yuan_in_capitals(fen)}


def chinese_date(day: date | None) -> str:
    """Write a date as official documents do: 2026年3月2日 ('' for none)."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def local_datetime(moment: datetime) -> str:
    """Write a time in Asia/Shanghai to the second: 2026-03-02 14:05:09.

    A naive time is taken as UTC, as the database stores it.
    """
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
