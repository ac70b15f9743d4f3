"""How issued documents are numbered: ``<case number>-<suffix>``, versions 1, 2, …

One number per case and kind; a re-issue keeps the number and takes the next version, so
``DX-2026-00042-XY`` v2 supersedes v1 of the same agreement. The suffixes are the pinyin
initials of the documents' Chinese names.
"""

from __future__ import annotations

from typing import Final

from mediation.errors import InvalidInput

#: Every kind of document a case can be issued, in the order the case page lists them.
KINDS: Final = (
    "agreement",
    "failure_notice",
    "rejection_notice",
    "performance_confirmation",
    "archive_bundle",
)

#: The suffix of each kind's number.
SUFFIXES: Final = {
    "agreement": "XY",  # 调解协议书 (xié yì)
    "failure_notice": "BC",  # 调解不成告知书 (bù chéng)
    "rejection_notice": "BSL",  # 不予受理通知书 (bù shòu lǐ)
    "performance_confirmation": "LX",  # 履行确认书 (lǚ xíng)
    "archive_bundle": "AJ",  # 案卷 (àn juàn)
}

#: The Chinese name of each kind, as printed and as the verification page shows it.
TITLES: Final = {
    "agreement": "调解协议书",
    "failure_notice": "调解不成告知书",
    "rejection_notice": "不予受理通知书",
    "performance_confirmation": "履行确认书",
    "archive_bundle": "案卷",
}

#: The recording action that stores each kind (see ``workflows.case.DOCUMENT_STATES``).
ACTION_OF: Final = {
    kind: "produce_archive_bundle" if kind == "archive_bundle" else "issue_document"
    for kind in KINDS
}

#: What every issued document is.
MEDIA_TYPE: Final = "application/pdf"


def check_kind(kind: str) -> str:
    """Return ``kind`` if documents of that kind are issued; raise InvalidInput otherwise."""
    if kind not in SUFFIXES:
        raise InvalidInput(f"kind: {kind!r} is not a kind of document ({', '.join(KINDS)})")
    return kind


def document_number(case_number: str, kind: str) -> str:
    """Return the number a case's document of ``kind`` is issued under."""
    return f"{case_number}-{SUFFIXES[check_kind(kind)]}"


def kind_of_number(number: str) -> str | None:
    """Return the kind a document number names by its suffix, or None."""
    suffix = number.rpartition("-")[2]
    return next((kind for kind, s in SUFFIXES.items() if s == suffix), None)
