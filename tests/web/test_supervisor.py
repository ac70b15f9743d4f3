"""The supervisors' pages: figures, drill-down, exports, reviews, corrections and the chain.

The figures are checked against the command line's for the same query (the hand-written import
file of ``tests/mediation/test_reports.py``), to the fen.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_login import login_user
from openpyxl import load_workbook
from sqlalchemy import func, select

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.case_file import load_case_file
from mediation.cli import main
from mediation.db import Database
from mediation.money import format_yuan
from mediation.people.models import User
from mediation.reports.export import HEADER_ROW, XLSX_COLUMNS
from mediation.reports.figures import COLUMNS, GROUPINGS
from mediation.supervision import corrections as correction_service
from mediation.tables import AUDIT_REVIEW, AUDIT_SAMPLE, CASE, CORRECTION
from mediation.web.db import read_session
from mediation.web.navigation import translated_labels
from mediation.web.session_user import SessionUser
from tests.factories import make_case
from tests.mediation.supervision.helpers import amounts
from tests.mediation.test_audit import tamper
from tests.mediation.test_reports import imported  # noqa: F401  (the fixture)
from tests.web.conftest import PASSWORD, csrf_token

Q1 = "period=range&from=2024-01-01&to=2024-03-31"
TODAY = date(2026, 3, 2)


def _login(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def supervisor(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    """A supervisor, logged in."""
    return _login(app, make_user("supervisor"))


def _cli(database: Database, *args: str) -> str:
    result = CliRunner().invoke(main, ["--database-url", database.url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _web_rows(html: str) -> list[list[str]]:
    """Return the report table as the command line's columns: group key, then the figures."""
    rows = []
    for match in re.finditer(r'<tr class="report-row" data-group="([^"]*)">(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'data-figure="([a-z_]+)">(?:<a [^>]*>)?([^<]*)', match[2]))
        rows.append(
            [
                match[1],
                cells["received"],
                cells["settled"],
                cells["failed"],
                cells["withdrawn"],
                cells["claimed_amount"],
                cells["agreed_amount"],
                cells["paid_amount"],
            ]
        )
    return rows


# --------------------------------------------------------------------------- figures


def test_a_supervisor_lands_on_the_dashboard(app: Flask, make_user: Callable[..., User]) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "username": make_user("supervisor").username,
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.location == "/s/"
    page = client.get("/s/")
    assert page.status_code == 200
    assert 'id="trend-chart"' in page.get_data(as_text=True)


def test_the_default_period_is_the_quarter_of_today_in_beijing(
    supervisor: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 17:00 UTC on 31 March 2024 is 01:00 on 1 April in Beijing.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2024, 3, 31, 17, 0, tzinfo=UTC))
    html = supervisor.get("/s/").get_data(as_text=True)
    assert 'data-from="2024-04-01" data-to="2024-06-30"' in html


def test_dashboard_figures_link_to_their_cases(
    supervisor: FlaskClient,
    imported: Database,  # noqa: F811
) -> None:
    html = supervisor.get(f"/s/?{Q1}").get_data(as_text=True)
    figures = dict(
        re.findall(r'class="card[^"]*figure" data-figure="([a-z_]+)" data-value="([^"]+)"', html)
    )
    assert figures["received"] == "17" and figures["settled"] == "9"
    assert figures["agreed_amount"] == "88023.35" and figures["success_rate"] == "64.3%"
    assert "基层调解成功案件5件，涉及金额4.06万元" in html
    link = re.search(r'data-figure="settled" data-value="9" href="([^"]+)"', html)
    assert link
    listed = supervisor.get(link[1].replace("&amp;", "&")).get_data(as_text=True)
    assert 'data-count="9"' in listed
    assert len(re.findall(r'class="case-line"', listed)) == 9


@pytest.mark.parametrize("by", GROUPINGS)
def test_web_csv_and_xlsx_give_the_command_lines_numbers(
    supervisor: FlaskClient,
    imported: Database,  # noqa: F811
    by: str,
) -> None:
    cli = json.loads(
        _cli(imported, "report", "--from", "2024-01-01", "--to", "2024-03-31", "--by", by,
             "--format", "json")
    )  # fmt: skip
    expected = [[str(row[c]) for c in COLUMNS] for row in (*cli["rows"], cli["total"])]

    html = supervisor.get(f"/s/reports?{Q1}&by={by}").get_data(as_text=True)
    web = _web_rows(html)
    assert [row[1:] for row in web] == [row[1:] for row in expected]

    response = supervisor.get(f"/s/reports/export.csv?{Q1}&by={by}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    csv_text = _cli(imported, "report", "--from", "2024-01-01", "--to", "2024-03-31", "--by", by,
                    "--format", "csv")  # fmt: skip
    assert body[3:].decode("utf-8") == csv_text
    assert list(csv.reader(io.StringIO(body[3:].decode()))) == [list(COLUMNS), *expected]

    response = supervisor.get(f"/s/reports/export.xlsx?{Q1}&by={by}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert header == list(XLSX_COLUMNS)
    assert sheet["B2"].value == "2024-01-01 至 2024-03-31"
    assert "北京时间" in sheet["B3"].value
    xlsx = []
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=False):
        values = []
        for name, cell in zip(COLUMNS, row, strict=False):
            if name.endswith("_amount"):
                assert isinstance(cell.value, int | float) and cell.number_format == "#,##0.00"
                values.append(format_yuan(int(Decimal(str(cell.value)) * 100)))
            else:
                values.append(str(cell.value))
        xlsx.append(values)
    assert [row[1:] for row in xlsx] == [row[1:] for row in expected]
    total_row = sheet[HEADER_ROW + len(expected)]
    assert total_row[0].value == "total" and total_row[0].font.bold


def test_exported_amounts_are_exact_to_the_fen(
    supervisor: FlaskClient,
    imported: Database,  # noqa: F811
) -> None:
    sheet = load_workbook(
        io.BytesIO(supervisor.get(f"/s/reports/export.xlsx?{Q1}&by=level").get_data())
    ).active
    total = sheet[HEADER_ROW + 3]
    claimed = total[XLSX_COLUMNS.index("claimed_amount")].value
    assert Decimal(str(claimed)) == Decimal("207826.28")
    assert total[XLSX_COLUMNS.index("outstanding_amount")].value == 12500
    rate = total[XLSX_COLUMNS.index("success_rate")]
    assert (Decimal(str(rate.value)), rate.number_format) == (Decimal("0.643"), "0.0%")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/s/?period=2024Q5", "period: &#39;2024Q5&#39; is not one of"),
        ("/s/reports?period=range&from=2024-04-01&to=2024-03-01", "period: starts on 2024-04-01"),
        ("/s/reports?by=town", "by: &#39;town&#39; is not one of"),
        ("/s/reports/cases?figure=profit", "figure: &#39;profit&#39; is not one of"),
        ("/s/reports/cases?figure=settled&by=zone&group=x1", "group: &#39;x1&#39; is not the id"),
        ("/s/reports/cases?figure=settled&by=level&group=total&page=0", "page: &#39;0&#39;"),
        ("/s/reports/export.xlsx?period=2024-13", "names no month"),
        ("/s/summary.pdf?period=range&from=2024-01-01", "a range needs both from and to"),
    ],
)
def test_bad_query_parameters_are_refused_with_a_message(
    supervisor: FlaskClient, url: str, message: str
) -> None:
    response = supervisor.get(url)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_supervisor_pages_are_refused_to_other_roles(
    app: Flask, make_user: Callable[..., User]
) -> None:
    for role in ("mediator", "lawyer", "admin"):
        client = _login(app, make_user(role))
        for url in ("/s/", "/s/reports", "/s/reports/export.csv", "/s/reviews", "/s/chain"):
            assert client.get(url).status_code == 403, (role, url)
    assert app.test_client().get("/s/reports").status_code == 302


# --------------------------------------------------------------------------- reviews


def _count(database: Database, table: Any) -> int:
    with database.read_session() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_draw_review_and_resolve_through_the_pages(
    supervisor: FlaskClient, database: Database, actor: Actor
) -> None:
    for _ in range(6):
        make_case(database, state="ensuring_performance", actor=actor, today=TODAY)
    form = {"date_from": "2026-01-01", "date_to": "2026-03-31", "size": "3", "seed": "4242"}
    page = supervisor.get("/s/reviews").get_data(as_text=True)
    bad = supervisor.post(
        "/s/reviews", data={**form, "size": "500", "csrf_token": csrf_token(page)}
    )
    assert bad.status_code == 400 and _count(database, AUDIT_SAMPLE) == 0
    response = supervisor.post("/s/reviews", data={**form, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    sample_url = response.location
    again = supervisor.post("/s/reviews", data={**form, "csrf_token": csrf_token(page)}).location

    html = supervisor.get(sample_url).get_data(as_text=True)
    assert 'data-seed="4242" data-size="3"' in html
    assert 'data-repeats="true"' in html
    drawn = re.findall(r'class="sample-case" data-number="([^"]+)"', html)
    assert drawn == re.findall(
        r'class="sample-case" data-number="([^"]+)"', supervisor.get(again).get_data(as_text=True)
    )
    review_urls = re.findall(r'action="(/s/reviews/\d+/cases/\d+)"', html)
    assert len(review_urls) == 3
    token = csrf_token(html)
    refused = supervisor.post(
        review_urls[0], data={"result": "discrepancy", "note": "", "csrf_token": token}
    )
    assert refused.status_code == 400 and _count(database, AUDIT_REVIEW) == 0
    assert "Say what does not agree." in refused.get_data(as_text=True)
    assert (
        supervisor.post(
            review_urls[0], data={"result": "discrepancy", "note": "缺收据", "csrf_token": token}
        ).status_code
        == 302
    )
    assert (
        supervisor.post(
            review_urls[1], data={"result": "confirmed", "note": "", "csrf_token": token}
        ).status_code
        == 302
    )

    reviews_page = supervisor.get("/s/reviews").get_data(as_text=True)
    resolve = re.search(r'action="(/s/reviews/discrepancies/\d+/resolve)"', reviews_page)
    assert resolve and "缺收据" in reviews_page
    assert (
        supervisor.post(
            resolve[1], data={"resolution": "已补交", "csrf_token": csrf_token(reviews_page)}
        ).status_code
        == 302
    )
    assert 'class="border bg-white p-2 mb-2 discrepancy"' not in supervisor.get(
        "/s/reviews"
    ).get_data(as_text=True)


# --------------------------------------------------------------------------- corrections


def test_a_correction_asked_by_a_mediator_takes_effect_when_a_supervisor_approves(
    app: Flask,
    database: Database,
    make_user: Callable[..., User],
    supervisor: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mediator_user = make_user("mediator")
    mediator = _login(app, mediator_user)
    case_id, _ = make_case(database, state="ensuring_performance", today=clock.today())
    with database.read_session() as session:
        number = session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()
    token = csrf_token(mediator.get("/login").get_data(as_text=True))
    url = f"/m/cases/{number}/corrections"
    fields = {"terms-0": "9000.00", "instalments-0": "5000.00", "instalments-1": "4000.00"}
    refused = mediator.post(url, data={**fields, "reason": "", "csrf_token": token})
    assert refused.status_code == 400 and _count(database, CORRECTION) == 0
    unbalanced = {**fields, "instalments-1": "4500.00", "reason": "笔误", "csrf_token": token}
    refused = mediator.post(url, data=unbalanced)
    assert refused.status_code == 400 and "instalments: they add up to" in refused.get_data(
        as_text=True
    )
    asked = mediator.post(url, data={**fields, "reason": "笔误", "csrf_token": token})
    assert asked.status_code == 302
    assert amounts(database, case_id) == (1_000_000, [1_000_000], [500_000, 500_000])

    listing = supervisor.get("/s/corrections").get_data(as_text=True)
    link = re.search(r'href="(/s/corrections/(\d+))"', listing)
    assert link and number in listing
    page = supervisor.get(link[1]).get_data(as_text=True)
    version = re.search(r'id="approve-version"[^>]*name="version"[^>]*value="(\d+)"', page)
    assert version
    reissued: list[int] = []
    monkeypatch.setattr(
        correction_service,
        "reissue_corrected_agreement",
        lambda database, *, correction_id, actor, base_url, today: (
            reissued.append(correction_id)
            or type("Issued", (), {"number": f"{number}-XY", "version": 2})()
        ),
    )
    stale = supervisor.post(
        f"{link[1]}/approve",
        data={"version": str(int(version[1]) - 1), "note": "", "csrf_token": csrf_token(page)},
    )
    assert stale.status_code == 409
    assert amounts(database, case_id)[0] == 1_000_000
    approved = supervisor.post(
        f"{link[1]}/approve",
        data={"version": version[1], "note": "核实无误", "csrf_token": csrf_token(page)},
    )
    assert approved.status_code == 302
    assert reissued == [int(link[2])]
    assert amounts(database, case_id) == (900_000, [900_000], [500_000, 400_000])
    report = supervisor.get("/s/reports?period=range&from=2000-01-01&to=2099-12-31")
    assert 'data-figure="agreed_amount"><a' in report.get_data(as_text=True)
    assert "9000.00" in report.get_data(as_text=True)
    case_page = supervisor.get(f"/s/cases/{number}").get_data(as_text=True)
    assert 'data-action="apply_correction"' in case_page and 'data-state="approved"' in case_page


@pytest.mark.parametrize(
    "rows",
    [
        {"terms-0": "9000.00"},
        {"terms-0": "9000.00", "terms-1": "1.00", "instalments-0": "1", "instalments-1": "2"},
        {"terms-0": "1", "instalments-0": "1", "instalments-1": "1", "instalments-7": "1"},
    ],
)
def test_a_correction_request_with_other_rows_than_the_agreement_is_refused(
    app: Flask, database: Database, make_user: Callable[..., User], rows: dict[str, str]
) -> None:
    # Not from the page (it has one field per term and instalment): a 400 naming what is
    # wrong, the panel offering the signed amounts again, nothing written.
    mediator = _login(app, make_user("mediator"))
    case_id, _ = make_case(database, state="ensuring_performance", today=clock.today())
    with database.read_session() as session:
        number = session.execute(select(CASE.c.number).where(CASE.c.id == case_id)).scalar_one()
    token = csrf_token(mediator.get("/login").get_data(as_text=True))
    refused = mediator.post(
        f"/m/cases/{number}/corrections", data={**rows, "reason": "笔误", "csrf_token": token}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400, page[:300]
    assert 'id="page-error"' in page and 'id="correction-errors"' in page
    assert 'id="correction-term-0"' in page and 'value="10000.00"' in page
    assert _count(database, CORRECTION) == 0


def test_the_case_page_partial_shows_history_and_the_request_form(
    app: Flask, database: Database, make_user: Callable[..., User]
) -> None:
    mediator = make_user("mediator")
    case_id, _ = make_case(database, state="ensuring_performance", today=clock.today())
    with app.test_request_context("/"):
        login_user(SessionUser.from_user(mediator))
        case = load_case_file(read_session(), case_id, today=clock.today())
        html = render_template(
            "mediator/_corrections.html",
            case=case,
            labels=translated_labels(),
            format_yuan=format_yuan,
        )
    assert 'id="form-request-correction"' in html
    assert 'name="terms-0"' in html and 'value="10000.00"' in html
    assert 'name="instalments-1"' in html
    with database.writing() as session:
        correction_service.request_correction(
            session,
            case_id=case_id,
            terms=[800_000],
            instalments=[400_000, 400_000],
            reason="笔误",
            actor=Actor(mediator.id, mediator.username),
        )
    with app.test_request_context("/"):
        login_user(SessionUser.from_user(mediator))
        case = load_case_file(read_session(), case_id, today=clock.today())
        html = render_template(
            "mediator/_corrections.html",
            case=case,
            labels=translated_labels(),
            format_yuan=format_yuan,
        )
    assert 'data-state="pending"' in html and 'id="correction-pending"' in html
    assert 'id="form-request-correction"' not in html


# --------------------------------------------------------------------------- the chain


def test_the_chain_page_names_the_first_broken_event(
    supervisor: FlaskClient, database: Database, actor: Actor
) -> None:
    make_case(database, state="closed", actor=actor)
    page = supervisor.get("/s/chain").get_data(as_text=True)
    assert "never been verified" in page
    intact = supervisor.post("/s/chain", data={"csrf_token": csrf_token(page)})
    assert intact.status_code == 302
    tamper(database, "UPDATE audit_event SET payload = '{}' WHERE seq = 4")
    broken = supervisor.post("/s/chain", data={"csrf_token": csrf_token(page)})
    html = broken.get_data(as_text=True)
    assert broken.status_code == 200
    assert 'id="first-break" data-seq="4"' in html
    assert "event #4" in html and "content does not match its hash (edited)" in html
    runs = supervisor.get("/s/chain").get_data(as_text=True)
    assert re.search(r'id="last-verification" data-ok="false"', runs)
    assert len(re.findall(r'<tr data-ok="(?:true|false)">', runs)) == 2
