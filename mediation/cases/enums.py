"""Vocabularies of the case domain: identifiers stored in the database, and their labels."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """The level of a mediation organisation."""

    DISTRICT = "district"
    TOWN = "town"
    ENTERPRISE = "enterprise"

    @property
    def report_group(self) -> str:
        """Return the unions' statistical split: grassroots (基层) or district (区级)."""
        return "district" if self is Level.DISTRICT else "grassroots"


LEVEL_LABELS = {
    Level.DISTRICT: "区级调解中心",
    Level.TOWN: "镇/街道调解中心",
    Level.ENTERPRISE: "企业调解委员会",
}


class Category(StrEnum):
    """Dispute categories (DESIGN §7)."""

    WAGES = "wages"
    OVERTIME = "overtime"
    COMPENSATION = "compensation"
    DAMAGES = "damages"
    SOCIAL_INSURANCE = "social_insurance"
    INJURY = "injury"
    CONTRACT = "contract"
    OTHER = "other"


CATEGORY_LABELS: dict[Category, str] = {
    Category.WAGES: "拖欠工资",
    Category.OVERTIME: "加班费",
    Category.COMPENSATION: "经济补偿金",
    Category.DAMAGES: "赔偿金",
    Category.SOCIAL_INSURANCE: "社会保险",
    Category.INJURY: "工伤待遇",
    Category.CONTRACT: "劳动合同",
    Category.OTHER: "其他",
}


def parse_category(text: str) -> Category:
    """Accept a category identifier or its Chinese label."""
    value = text.strip()
    for category, label in CATEGORY_LABELS.items():
        if value in (category.value, label):
            return category
    raise ValueError(value)


class PartyRole(StrEnum):
    """Which side a party is on."""

    WORKER = "worker"
    EMPLOYER = "employer"


class Source(StrEnum):
    """How a dispute reached the mediation organisation."""

    WALK_IN = "walk_in"
    HOTLINE = "hotline"
    REFERRAL = "referral"
    CIRCUIT = "circuit"
    IMPORT = "import"


class Outcome(StrEnum):
    """How mediation ended, for the statistics."""

    SETTLED = "settled"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Role(StrEnum):
    """What a user does in the system."""

    MEDIATOR = "mediator"
    LAWYER = "lawyer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Signer(StrEnum):
    """Who signs or seals a settlement agreement (Art. 14)."""

    WORKER = "worker"
    EMPLOYER = "employer"
    MEDIATOR = "mediator"
    ORGANIZATION = "organization"


class PaymentMethod(StrEnum):
    """How an agreed amount is paid."""

    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"
    OTHER = "other"


class ConversionKind(StrEnum):
    """Enforceable documents an agreement can be converted into."""

    ARBITRAL_REVIEW = "arbitral_review"
    JUDICIAL_CONFIRMATION = "judicial_confirmation"
    PAYMENT_ORDER = "payment_order"
