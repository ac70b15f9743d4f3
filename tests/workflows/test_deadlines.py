"""The legal time limits and the Art. 16 payment-order rule, alone and through the guards."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from workflows import deadlines
from workflows.case import decide
from workflows.deadlines import (
    add_years,
    arbitral_review_deadline,
    is_mediation_overdue,
    is_payment_order_eligible,
    judicial_confirmation_deadline,
    limitation_deadline,
    limitation_warning,
    mediation_deadline,
)
from workflows.guards import CaseFacts, CaseSubject, TriggerInput

RECEIVED = date(2026, 3, 2)


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --------------------------------------------------------------------------- Art. 14: 15 days


def test_mediation_window_is_fifteen_days():
    assert deadlines.MEDIATION_WINDOW_DAYS == 15
    # The day of receipt does not count: received 2 March, the 15th day is 17 March.
    assert mediation_deadline(RECEIVED) == date(2026, 3, 17)


@pytest.mark.parametrize(("day", "overdue"), [(0, False), (14, False), (15, False), (16, True)])
def test_is_mediation_overdue_on_day_n_after_receipt(day, overdue):
    assert is_mediation_overdue(RECEIVED, RECEIVED + days(day)) is overdue


def test_mediation_deadline_across_the_new_year_counts_calendar_days():
    assert mediation_deadline(date(2025, 12, 24)) == date(2026, 1, 8)
    assert mediation_deadline(date(2028, 2, 20)) == date(2028, 3, 6)


def test_case_facts_overdue_follows_art_14():
    assert not CaseFacts(today=RECEIVED + days(15), received_on=RECEIVED).overdue
    assert CaseFacts(today=RECEIVED + days(16), received_on=RECEIVED).overdue


# --------------------------------------------------------------------------- conversion windows


def test_arbitral_review_window_is_fifteen_days_from_effect():
    # 《劳动人事争议仲裁办案规则》第七十四条
    assert deadlines.ARBITRAL_REVIEW_WINDOW_DAYS == 15
    assert arbitral_review_deadline(date(2026, 3, 20)) == date(2026, 4, 4)


def test_judicial_confirmation_window_is_thirty_days_from_effect():
    # 《人民调解法》第三十三条
    assert deadlines.JUDICIAL_CONFIRMATION_WINDOW_DAYS == 30
    assert judicial_confirmation_deadline(date(2026, 3, 20)) == date(2026, 4, 19)


# --------------------------------------------------------------------------- Art. 16: payment order


@pytest.mark.parametrize(
    ("category", "eligible"),
    [
        ("wages", True),
        ("overtime", True),
        ("compensation", True),
        ("damages", True),
        ("injury", True),
        ("social_insurance", False),
        ("contract", False),
        ("other", False),
    ],
)
def test_is_payment_order_eligible_by_category(category, eligible):
    assert is_payment_order_eligible(category) is eligible


def test_is_payment_order_eligible_for_unknown_category_is_false():
    assert not is_payment_order_eligible("拖欠工资")
    assert not is_payment_order_eligible("")


# --------------------------------------------------------------------------- Art. 27: one year


def test_limitation_deadline_is_one_year_from_knowing():
    assert deadlines.LIMITATION_YEARS == 1
    assert limitation_deadline(date(2025, 6, 30)) == date(2026, 6, 30)


def test_limitation_deadline_from_29_february_ends_28_february():
    assert limitation_deadline(date(2024, 2, 29)) == date(2025, 2, 28)


def test_add_years_keeps_29_february_in_a_leap_year():
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2023, 3, 1), 1) == date(2024, 3, 1)


def test_limitation_deadline_after_interruption_runs_afresh():
    knew = date(2025, 1, 10)
    assert limitation_deadline(knew, interrupted_until=date(2025, 9, 1)) == date(2026, 9, 1)


def test_limitation_deadline_interrupted_on_29_february_ends_28_february():
    assert limitation_deadline(date(2023, 5, 1), date(2024, 2, 29)) == date(2025, 2, 28)


def test_limitation_warning_more_than_30_days_ahead_is_none():
    knew = date(2025, 6, 30)
    assert limitation_warning(knew, date(2026, 6, 30) - days(31)) is None


def test_limitation_warning_30_days_ahead_warns_with_days_left():
    knew = date(2025, 6, 30)
    warning = limitation_warning(knew, date(2026, 5, 31))
    assert warning is not None
    assert (warning.deadline, warning.expired, warning.days_left) == (date(2026, 6, 30), False, 30)
    assert warning.message == "距仲裁时效届满（2026-06-30）仅剩30天（劳动争议调解仲裁法第二十七条）"


def test_limitation_warning_on_the_last_day_is_not_expired():
    warning = limitation_warning(date(2025, 6, 30), date(2026, 6, 30))
    assert warning is not None
    assert (warning.expired, warning.days_left) == (False, 0)


def test_limitation_warning_after_the_last_day_says_expired():
    warning = limitation_warning(date(2025, 6, 30), date(2026, 7, 1))
    assert warning is not None
    assert (warning.expired, warning.days_left) == (True, -1)
    assert warning.message == (
        "仲裁时效可能已于2026-06-30届满（劳动争议调解仲裁法第二十七条），请核实是否存在中断、中止事由"
    )


def test_limitation_warning_after_interruption_is_none_again():
    assert limitation_warning(date(2025, 1, 10), date(2026, 2, 1)) is not None
    assert limitation_warning(date(2025, 1, 10), date(2026, 2, 1), date(2025, 9, 1)) is None


def test_limitation_warning_without_knew_on_is_none():
    assert limitation_warning(None, date(2026, 2, 1)) is None


# --------------------------------------------------------------------------- through the guards

READY = CaseFacts(
    today=RECEIVED,
    received_on=RECEIVED,
    interviewed_worker=True,
    interviewed_employer=True,
    has_crux=True,
    has_plan=True,
    terms_count=1,
    terms_total_fen=1_000_000,
    instalments_count=1,
    instalments_total_fen=1_000_000,
    has_method=True,
    signed_worker=True,
    signed_employer=True,
    signed_mediator=True,
    sealed=True,
)
ART_14 = (
    "The 15-day mediation period ended on 2026-03-17 (Art. 14, Labour Dispute Mediation "
    "and Arbitration Law): record both parties' consent to continue, or declare failure."
)


def facts(**changes: Any) -> CaseFacts:
    return replace(READY, **changes)


@pytest.mark.parametrize(
    ("trigger", "state"),
    [("open_mediation", "finding_crux"), ("sign_agreement", "seizing_opening")],
)
@pytest.mark.parametrize(
    ("worker", "employer"), [(False, False), (True, False), (False, True)], ids=str
)
def test_trigger_when_overdue_without_both_consents_is_blocked(trigger, state, worker, employer):
    subject = CaseSubject(
        state,
        facts(today=RECEIVED + days(16), consent_worker=worker, consent_employer=employer),
    )
    decision = decide(subject, trigger)
    assert [b.guard for b in decision.blockers] == ["is_within_window_or_consented"]
    assert decision.blockers[0].render() == ART_14


@pytest.mark.parametrize(
    ("trigger", "state"),
    [("open_mediation", "finding_crux"), ("sign_agreement", "seizing_opening")],
)
def test_trigger_when_overdue_with_both_consents_is_allowed(trigger, state):
    subject = CaseSubject(
        state, facts(today=RECEIVED + days(40), consent_worker=True, consent_employer=True)
    )
    assert decide(subject, trigger).allowed


@pytest.mark.parametrize(
    ("trigger", "state"),
    [("open_mediation", "finding_crux"), ("sign_agreement", "seizing_opening")],
)
def test_trigger_on_day_15_without_consent_is_allowed(trigger, state):
    assert decide(CaseSubject(state, facts(today=RECEIVED + days(15))), trigger).allowed


EFFECTIVE = date(2026, 3, 20)


def conversion(kind: str, day: int, categories: set[str] | None = None) -> CaseSubject:
    return CaseSubject(
        "ensuring_performance",
        facts(
            today=EFFECTIVE + days(day),
            effective_on=EFFECTIVE,
            term_categories=frozenset(categories or {"wages"}),
        ),
        TriggerInput(conversion_kind=kind),
    )


@pytest.mark.parametrize(
    ("kind", "last_day", "deadline"),
    [("judicial_confirmation", 30, "2026-04-19"), ("arbitral_review", 15, "2026-04-04")],
)
def test_apply_conversion_after_its_window_is_refused(kind, last_day, deadline):
    assert decide(conversion(kind, last_day), "apply_conversion").allowed
    decision = decide(conversion(kind, last_day + 1), "apply_conversion")
    assert [b.guard for b in decision.blockers] == ["is_within_conversion_window"]
    assert decision.blockers[0].render() == f"The time to apply ended on {deadline}."


def test_apply_conversion_payment_order_has_no_window_from_effect():
    assert decide(conversion("payment_order", 400), "apply_conversion").allowed


def test_apply_conversion_payment_order_with_social_insurance_term_is_refused():
    subject = conversion("payment_order", 1, {"wages", "social_insurance"})
    decision = decide(subject, "apply_conversion")
    assert [b.guard for b in decision.blockers] == ["is_conversion_allowed_for_terms"]
    message = decision.blockers[0].render()
    assert message.endswith("this agreement also has: social_insurance.")
    assert "Art. 16" in message


def test_apply_conversion_payment_order_with_eligible_terms_is_allowed():
    subject = conversion("payment_order", 1, {"wages", "overtime", "injury", "damages"})
    assert decide(subject, "apply_conversion").allowed


@pytest.mark.parametrize("kind", ["arbitral_review", "judicial_confirmation"])
def test_apply_conversion_with_social_insurance_term_for_review_is_allowed(kind):
    assert decide(conversion(kind, 1, {"social_insurance"}), "apply_conversion").allowed
