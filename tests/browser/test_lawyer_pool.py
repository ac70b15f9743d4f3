"""Two volunteer lawyers in two browsers go for the same legal help: one gets it, the other is
told it was already taken.

A mediator's request is put in the zone's pool through the service; each lawyer opens it from
the pool, sees the party names only, confirms having no conflict of interest, sees the details
and clicks "take"; the second click answers 409 with a clear message and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mediation import clock
from mediation.assignments.service import request_help
from mediation.audit.chain import Actor
from mediation.cases.service import ClaimInput, PartyInput, register_case
from mediation.people.service import create_user
from mediation.tables import ASSIGNMENT, ORGANIZATION, TOWN
from tests.browser.support import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "Lvshi-Browser-2026!"


def _setting(server: LiveServer) -> int:
    """Register a case, two lawyers of its zone and a request for legal help; return its id."""
    database = server.database
    with database.writing() as session:
        org_id, town_id, zone_id = session.execute(
            select(ORGANIZATION.c.id, TOWN.c.id, TOWN.c.zone_id).join(
                TOWN, TOWN.c.id == ORGANIZATION.c.town_id
            )
        ).one()
        for username, name in (("li.lvshi", "李律师"), ("zhao.lvshi", "赵律师")):
            create_user(
                session,
                username=username,
                password=PASSWORD,
                role="lawyer",
                display_name=name,
                zone_id=zone_id,
            )
        case_id, _ = register_case(
            session,
            actor=Actor(None, "王调解"),
            organization_id=org_id,
            town_id=town_id,
            category="wages",
            received_on=clock.today(),
            worker=PartyInput(name="张伟", id_number="11010519491231002X", phone="13800138000"),
            employer=PartyInput(name="北京兴旺建筑工程有限公司", id_number="91350100M000100Y43"),
            claims=[ClaimInput("wages", 1_200_000, "拖欠三个月工资")],
        )
        change = request_help(
            session,
            case_id=case_id,
            kind="legal_opinion",
            needed="请就三个月欠薪的计算出具法律意见",
            due_on=clock.today() + timedelta(days=3),
            actor=Actor(None, "王调解"),
        )
    return change.assignment_id


def _lawyer_page(page: Any, server: LiveServer, username: str) -> Any:
    """Log a lawyer in and open the pool."""
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#password) [type=submit]").first.click()
    page.goto(f"{server.url}/l/")
    return page


def _open_and_confirm(page: Any, assignment_id: int) -> None:
    row = page.locator(f'#pool tr[data-assignment="{assignment_id}"]')
    assert "张伟" in row.inner_text() and "三个月欠薪" not in page.content()
    with page.expect_navigation():
        row.locator("a").click()
    assert page.locator("#conflict-check").count() == 1
    assert page.locator("#details").count() == 0
    page.check("#conflict-answer-none")
    with page.expect_navigation():
        page.locator("#conflict-check [type=submit]").click()
    assert "三个月欠薪" in page.locator("#details").inner_text()


def test_two_lawyers_one_wins_the_other_is_told(browser_page: Any, live_server: LiveServer):
    assignment_id = _setting(live_server)
    first = _lawyer_page(browser_page, live_server, "li.lvshi")
    other_context = browser_page.context.browser.new_context(locale="zh-CN")
    try:
        second = _lawyer_page(other_context.new_page(), live_server, "zhao.lvshi")
        _open_and_confirm(first, assignment_id)
        _open_and_confirm(second, assignment_id)
        # Both see the button; the first click wins.
        with first.expect_navigation():
            first.locator("#claim").click()
        assert first.locator("#release").count() == 1
        with second.expect_navigation() as navigation:
            second.locator("#claim").click()
        assert navigation.value.status == 409
        assert "已被其他律师认领" in second.locator("#already-taken").inner_text()
    finally:
        other_context.close()
    with live_server.database.read_session() as session:
        state, holder = session.execute(
            select(ASSIGNMENT.c.state, ASSIGNMENT.c.claimed_by_id)
        ).one()
    assert state == "claimed" and holder is not None
