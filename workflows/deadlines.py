"""Legal time limits of labour-dispute mediation, as pure date arithmetic.

Each function cites the rule it encodes. Dates are calendar dates in Asia/Shanghai; the
callers decide what "today" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: 《劳动争议调解仲裁法》第十四条第三款: no agreement within 15 days of the mediation
#: organisation receiving the application -> the parties may apply for arbitration.
MEDIATION_WINDOW_DAYS = 15

#: 《劳动人事争议仲裁办案规则》第七十四条: the parties may jointly apply for arbitral review
#: of a mediation agreement within 15 days of it taking effect.
ARBITRAL_REVIEW_WINDOW_DAYS = 15

#: 《人民调解法》第三十三条: the parties may jointly apply to a court for judicial
#: confirmation within 30 days of the agreement taking effect.
JUDICIAL_CONFIRMATION_WINDOW_DAYS = 30

#: 《劳动争议调解仲裁法》第二十七条第一款: the limitation period for arbitration is one year
#: from the day the party knew or should have known its rights were infringed.
LIMITATION_YEARS = 1

#: How far ahead of the limitation's end we start warning the mediator.
LIMITATION_WARNING_DAYS = 30

#: 《劳动争议调解仲裁法》第十六条: for agreements on unpaid labour remuneration (wages,
#: overtime pay), work-injury medical costs, economic compensation or damages, the worker
#: may apply to a court for a payment order when the employer does not perform in time.
PAYMENT_ORDER_CATEGORIES = frozenset({"wages", "overtime", "compensation", "damages", "injury"})


def mediation_deadline(received_on: date) -> date:
    """Return the last day of the 15-day mediation window (Art. 14 劳动争议调解仲裁法)."""
    return received_on + timedelta(days=MEDIATION_WINDOW_DAYS)


def is_mediation_overdue(received_on: date, today: date) -> bool:
    """Tell whether the 15-day window from receipt has passed without agreement (Art. 14)."""
    return today > mediation_deadline(received_on)


def days_left(deadline: date, today: date) -> int:
    """Return whole days until the deadline (negative once it has passed)."""
    return (deadline - today).days


def arbitral_review_deadline(effective_on: date) -> date:
    """Return the last day to apply jointly for arbitral review (办案规则 Art. 74)."""
    return effective_on + timedelta(days=ARBITRAL_REVIEW_WINDOW_DAYS)


def judicial_confirmation_deadline(effective_on: date) -> date:
    """Return the last day to apply jointly for judicial confirmation (人民调解法 Art. 33)."""
    return effective_on + timedelta(days=JUDICIAL_CONFIRMATION_WINDOW_DAYS)


def add_years(day: date, years: int) -> date:
    """Add calendar years; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def limitation_deadline(knew_on: date, interrupted_until: date | None = None) -> date:
    """Return the last day to apply for arbitration (Art. 27 劳动争议调解仲裁法).

    The one-year period runs from when the worker knew or should have known of the
    infringement. A request for relief — mediation included — interrupts it, and it runs
    afresh from the end of the interruption (Art. 27, second paragraph).
    """
    start = interrupted_until if interrupted_until is not None else knew_on
    return add_years(start, LIMITATION_YEARS)


@dataclass(frozen=True)
class LimitationWarning:
    """What a mediator is told about the one-year limitation (Art. 27)."""

    deadline: date
    expired: bool
    days_left: int

    @property
    def message(self) -> str:
        """Describe the warning in the mediator's words."""
        if self.expired:
            return (
                f"仲裁时效可能已于{self.deadline.isoformat()}届满（劳动争议调解仲裁法第二十七条），"
                "请核实是否存在中断、中止事由"
            )
        return (
            f"距仲裁时效届满（{self.deadline.isoformat()}）仅剩{self.days_left}天"
            "（劳动争议调解仲裁法第二十七条）"
        )


def limitation_warning(
    knew_on: date | None, today: date, interrupted_until: date | None = None
) -> LimitationWarning | None:
    """Warn when the arbitration limitation has run out or ends within 30 days (Art. 27)."""
    if knew_on is None:
        return None
    deadline = limitation_deadline(knew_on, interrupted_until)
    left = days_left(deadline, today)
    if left < 0:
        return LimitationWarning(deadline=deadline, expired=True, days_left=left)
    if left <= LIMITATION_WARNING_DAYS:
        return LimitationWarning(deadline=deadline, expired=False, days_left=left)
    return None


def is_payment_order_eligible(category: str) -> bool:
    """Tell whether a term of this category may go to court as a payment order (Art. 16)."""
    return category in PAYMENT_ORDER_CATEGORIES
