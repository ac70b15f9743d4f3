"""A mediator takes one dispute from intake to a closed case in a real browser.

Everything goes through the pages as a person would use them: typing into fields, choosing
options, unfolding an action's form and clicking its button. Each step checks that the case
moved on (its version went up and no error is shown), so a failure names the step and says
what the page answered. At the end a full-page screenshot of the closed case is saved under
``test-artifacts/``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from mediation import clock
from mediation.issuing.service import ISSUED_ON
from tests.browser.support import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser

WORKER_NAME = "张伟"
WORKER_ID = "11010519491231002X"
EMPLOYER_NAME = "北京兴旺建筑工程有限公司"
EMPLOYER_CODE = "91350100M000100Y43"
CLAIMED_YUAN = "12000.00"
FIRST_INSTALMENT = "4000.00"
SECOND_INSTALMENT = "6000.00"
AGREED_YUAN = "10000.00"

#: What a page shows when something went wrong: field errors, form errors, blockers.
ERRORS = ".field-error, .form-errors, .blockers, #page-error, #form-errors, .alert-danger"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _problems(page: Any) -> str:
    texts = [t.strip() for t in page.locator(ERRORS).all_inner_texts() if t.strip()]
    return " | ".join(texts) or "(no error message on the page)"


def log_in(page: Any, server: LiveServer) -> None:
    """Log in through the login form, as a person would."""
    page.goto(f"{server.url}/login")
    page.fill("#username", server.username)
    page.fill("#password", server.password)
    form = page.locator("form:has(#password)")
    button = form.locator("button[type=submit], input[type=submit]")
    assert button.count() > 0, (
        "the login form has no submit button: a browser cannot send it (with two text fields "
        "and no button, pressing Enter does nothing either) — see "
        "mediation/web/templates/auth/login.html"
    )
    with page.expect_navigation():
        button.first.click()
    assert re.search(r"/m/?$", page.url), f"login did not lead to the dashboard: {page.url}"


def register_dispute(page: Any) -> str:
    """Fill the intake form from the dashboard; return the new case's number."""
    page.click("#new-case")
    page.wait_for_url(re.compile(r"/m/cases/new$"))
    page.fill("#worker-name", WORKER_NAME)
    page.fill("#worker-id_number", WORKER_ID)
    page.fill("#worker-phone", "13800138000")
    page.fill("#employer-name", EMPLOYER_NAME)
    page.fill("#employer-credit_code", EMPLOYER_CODE)
    page.fill("#employer-legal_representative", "李建国")
    page.select_option("#category", "wages")
    page.fill("#summary", "2026年8月至10月工资未发，工人要求一次性结清。")
    page.select_option("#claims-0-category", "wages")
    page.fill("#claims-0-amount", CLAIMED_YUAN)
    page.fill("#claims-0-description", "拖欠三个月工资")
    with page.expect_navigation():
        page.click("#register")
    match = re.search(r"/m/cases/([^/?#]+)$", page.url)
    assert match, f"registering did not open the case page ({page.url}): {_problems(page)}"
    case_page = page.locator("#case-page")
    assert case_page.get_attribute("data-state") == "registered"
    return str(case_page.get_attribute("data-case-number"))


def version(page: Any) -> int:
    """Return the case version the page shows."""
    return int(page.locator("#case-page").get_attribute("data-version"))


def act(page: Any, action: str, fill: Callable[[Any], None] | None = None) -> None:
    """Unfold an action's form, fill it in, send it, and check the case moved on."""
    before = version(page)
    form = page.locator(f"#form-{action}")
    assert form.count() == 1, f"the case page offers no {action!r} form"
    details = form.locator("details")
    if details.count() and details.first.get_attribute("open") is None:
        form.locator("summary").first.click()
    if fill is not None:
        fill(form)
    with page.expect_navigation():
        form.locator(f"#submit-{action}").click()
    after = version(page)
    # A step that calls for a document issues it once committed: one more version.
    expected = before + (2 if action in ISSUED_ON else 1)
    assert after == expected, f"{action} was not recorded (version {after}): {_problems(page)}"


def check_the_issued_agreement(page: Any, server: LiveServer, number: str) -> None:
    """Download the agreement issued at signing, read it, and verify it and a changed copy."""
    link = page.locator("#document-agreement .document-version a").first
    response = page.request.get(f"{server.url}{link.get_attribute('href')}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    for expected in (WORKER_NAME, EMPLOYER_NAME, number, "人民币壹万元整", "10,000.00"):
        assert expected in flat, f"the agreement does not print {expected!r}"

    # The verification page, reached as the QR code would: no login, no personal data.
    versions = page.locator("#document-agreement .document-version a")
    verify_url = versions.nth(1).get_attribute("href")
    context = page.context.browser.new_context()
    visitor = context.new_page()

    def verdict(content: bytes) -> str | None:
        visitor.locator("#file").set_input_files(
            files=[{"name": "agreement.pdf", "mimeType": "application/pdf", "buffer": content}]
        )
        with visitor.expect_navigation():
            visitor.click("#verify-upload button[type=submit]")
        return visitor.locator("#verify-result").get_attribute("data-result")

    try:
        visitor.goto(f"{server.url}{verify_url}")
        assert WORKER_NAME not in visitor.content()
        assert verdict(pdf) == "match"
        changed = bytearray(pdf)
        changed[len(changed) // 2] ^= 0x01
        assert verdict(bytes(changed)) != "match"
    finally:
        context.close()


def test_mediator_takes_a_dispute_from_intake_to_closed(
    live_server: LiveServer, browser_page: Any
) -> None:
    page = browser_page
    today = clock.today()
    # A real browser also loads styles and scripts and runs them: none may fail.
    failures: list[str] = []

    def on_console(message: Any) -> None:
        where = message.location.get("url", "")
        # The browser asks for /favicon.ico by itself; the app serves none (cosmetic).
        if message.type == "error" and not where.endswith("/favicon.ico"):
            failures.append(f"console {message.type}: {message.text} ({where})")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            failures.append(f"{response.status} {response.request.method} {response.url}")

    page.on("pageerror", lambda error: failures.append(f"script error: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)

    log_in(page, live_server)
    number = register_dispute(page)
    assert page.locator("#party-worker [data-field=name]").inner_text() == WORKER_NAME
    assert page.locator("#claims-total").inner_text().replace(",", "") == CLAIMED_YUAN

    # Registration → step 1, 找症结: accept, meet each party separately, crux, plan.
    act(page, "accept")
    assert page.locator("#case-page").get_attribute("data-state") == "finding_crux"

    def interview(role: str, notes: str) -> Callable[[Any], None]:
        def fill(form: Any) -> None:
            form.locator("#record_interview-party_role").select_option(role)
            form.locator("#record_interview-notes").fill(notes)

        return fill

    act(page, "record_interview", interview("worker", "单独约谈劳动者：三个月工资未发，急需用钱。"))
    act(page, "record_interview", interview("employer", "单独约谈用人单位：工程款未到位，愿分期。"))
    act(
        page,
        "record_crux",
        lambda form: form.locator("#record_crux-text").fill("工程款拖欠导致工资迟发，金额无争议。"),
    )
    act(
        page,
        "record_plan",
        lambda form: form.locator("#record_plan-text").fill("核对考勤后分两期支付，首期一周内。"),
    )
    act(page, "open_mediation")
    assert page.locator("#case-page").get_attribute("data-state") == "seizing_opening"

    # Step 2, 抓机会: a joint session, the agreement in two instalments, four signatures.
    def joint_session(form: Any) -> None:
        form.locator("#record_joint_session-attendees").fill("张伟；李建国（用人单位）")
        form.locator("#record_joint_session-notes").fill("双方同意按一万元分两期结清。")

    act(page, "record_joint_session", joint_session)

    def agreement(form: Any) -> None:
        form.locator("#draft_agreement-method").select_option("bank_transfer")
        form.locator("#draft_agreement-terms-0-category").select_option("wages")
        form.locator("#draft_agreement-terms-0-amount").fill(AGREED_YUAN)
        form.locator("#draft_agreement-terms-0-description").fill("2026年8月至10月工资")
        first_due = (today + timedelta(days=7)).isoformat()
        second_due = (today + timedelta(days=30)).isoformat()
        form.locator("#draft_agreement-instalments-0-due_on").fill(first_due)
        form.locator("#draft_agreement-instalments-0-amount").fill(FIRST_INSTALMENT)
        form.locator("#draft_agreement-instalments-1-due_on").fill(second_due)
        form.locator("#draft_agreement-instalments-1-amount").fill(SECOND_INSTALMENT)

    act(page, "draft_agreement", agreement)
    assert page.locator("#agreement-instalments tbody tr").count() == 2
    for signer in ("worker", "employer", "mediator", "organization"):

        def signature(form: Any, signer: str = signer) -> None:
            form.locator("#record_signature-signer").select_option(signer)

        act(page, "record_signature", signature)
    act(page, "sign_agreement")
    assert page.locator("#case-page").get_attribute("data-state") == "ensuring_performance"
    check_the_issued_agreement(page, live_server, number)

    # Step 3, 促履行: both payments, then performance confirmed and the case closed.
    for amount, receipt in ((FIRST_INSTALMENT, "BJ-0001"), (SECOND_INSTALMENT, "BJ-0002")):

        def payment(form: Any, amount: str = amount, receipt: str = receipt) -> None:
            form.locator("#record_payment-amount").fill(amount)
            form.locator("#record_payment-method").select_option("bank_transfer")
            form.locator("#record_payment-receipt_ref").fill(receipt)

        act(page, "record_payment", payment)
    assert page.locator("[data-amount=paid]").inner_text().replace(",", "") == AGREED_YUAN
    act(page, "confirm_performance")

    # The case list finds it among the closed cases, and leads back to it.
    with page.expect_navigation():
        page.click("nav a[href$='/m/cases']")
    page.select_option("#state", "closed")
    with page.expect_navigation():
        page.click("#apply-filters")
    row = page.locator(f"#case-table tr[data-case='{number}']")
    assert row.get_attribute("data-state") == "closed"
    with page.expect_navigation():
        row.locator("a.case-link").click()

    # The page shows the closed case: state, how it closed, the amounts, the whole timeline.
    assert page.url.endswith(f"/m/cases/{number}")
    assert page.locator("#case-page").get_attribute("data-state") == "closed"
    assert page.locator("#case-state").get_attribute("data-state") == "closed"
    assert page.locator("#case-closed-as").get_attribute("data-closed-as") == "performed"
    assert page.locator("[data-amount=agreed]").inner_text().replace(",", "") == AGREED_YUAN
    timeline = page.locator("#timeline tr.event")
    assert timeline.count() >= 17, f"the timeline shows {timeline.count()} events"
    assert page.locator("#timeline tr.event[data-action=confirm_performance]").count() == 1
    assert page.locator("#form-record_payment").count() == 0, "a closed case still takes payments"

    assert failures == [], "the browser reported problems:\n" + "\n".join(failures)

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "mediator-walkthrough-closed-case.png"
    screenshot.unlink(missing_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == PNG_SIGNATURE
