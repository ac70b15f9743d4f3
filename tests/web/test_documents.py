"""A case's documents in the browser: issued when the step calls for it, downloaded, re-issued.

Every document here is rendered for real; the case moves through the case page's own forms.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from documents.marks import read_marks
from documents.render import DocumentError
from mediation import clock
from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.db import Database
from mediation.issuing import service
from mediation.tables import CASE, DOCUMENT, EVENT
from tests.factories import EMPLOYER, WORKER
from tests.mediation.test_issuing import watching_renders
from tests.web.conftest import csrf_token
from tests.web.test_case_actions import ENSURING, as_form_fields, drive, page, submit


@pytest.fixture
def mediator(make_user: Callable[..., Any], login: Callable[..., FlaskClient]) -> Any:
    user = make_user("mediator")
    login(user)
    return user


def documents_of(database: Database, case_id: int) -> list[Any]:
    with database.read_session() as session:
        return list(
            session.execute(
                select(DOCUMENT).where(DOCUMENT.c.case_id == case_id).order_by(DOCUMENT.c.id)
            )
        )


def actions_of(database: Database, case_id: int) -> list[str]:
    with database.read_session() as session:
        return list(
            session.execute(
                select(EVENT.c.action).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq)
            ).scalars()
        )


def state_of(database: Database, case_id: int) -> tuple[str, int]:
    with database.read_session() as session:
        row = session.execute(
            select(CASE.c.state, CASE.c.version).where(CASE.c.id == case_id)
        ).one()
        return row.state, row.version


def ready_to_sign(database: Database, actor: Actor) -> tuple[int, str]:
    """A case in step 2 with the agreement drafted and signed by all: ready for sign_agreement."""
    return drive(database, actor, "seizing_opening", ENSURING[6:-1])


def issue_form(html: str, kind: str) -> dict[str, str]:
    """Return the hidden fields of the issue form of ``kind`` on the case page."""
    match = re.search(rf'<form [^>]*id="document-issue-{kind}"(.*?)</form>', html, re.S)
    assert match, f"no issue form for {kind}"
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', match[1]))
    return fields


def download(client: FlaskClient, number: str, kind: str, version: int) -> Any:
    return client.get(f"/m/cases/{number}/documents/{kind}/{version}")


# --------------------------------------------------------------------------- issued by the step


def test_signing_issues_the_agreement_which_downloads_with_its_number(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id, number = ready_to_sign(database, actor)
    with watching_renders(database, monkeypatch) as watch:
        response = submit(client, number, "sign_agreement", {})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert watch.renders == 1 and watch.inside == []
    assert actions_of(database, case_id)[-2:] == ["sign_agreement", "issue_document"]
    [row] = documents_of(database, case_id)
    assert (row.kind, row.number, row.version) == ("agreement", f"{number}-XY", 1)

    html = client.get(response.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Issued: Settlement agreement {number}-XY, version 1." in html
    assert f'data-number="{number}-XY" data-version="1" data-superseded="false"' in html
    assert f'href="/m/cases/{number}/documents/agreement/1"' in html
    assert f'href="/verify/{number}-XY/1"' in html
    assert 'id="document-agreement" data-kind="agreement" data-missing="false"' in html

    got = download(client, number, "agreement", 1)
    assert got.status_code == 200
    assert got.mimetype == "application/pdf"
    assert got.headers["Cache-Control"] == "no-store"
    assert got.headers["Content-Disposition"] == f"attachment; filename={number}-XY-v1.pdf"
    assert got.data == bytes(row.content)
    assert hashlib.sha256(got.data).hexdigest() == row.sha256
    assert read_marks(got.data) == (f"{number}-XY", 1)
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(got.data)).pages)
    assert WORKER.name in text and EMPLOYER.name in text and "调解协议书" in text
    with database.read_session() as session:
        assert verify(session).ok


@pytest.mark.parametrize(
    ("state", "action", "data", "kind", "suffix"),
    [
        ("registered", "reject", {"reason": "不属于劳动争议"}, "rejection_notice", "BSL"),
        ("seizing_opening", "declare_failure", {"reason": "双方分歧过大"}, "failure_notice", "BC"),
    ],
)
def test_ending_steps_issue_their_notice(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    state: str,
    action: str,
    data: dict[str, str],
    kind: str,
    suffix: str,
) -> None:
    case_id, number = drive(database, actor, state)
    assert submit(client, number, action, data).status_code == 302
    [row] = documents_of(database, case_id)
    assert (row.kind, row.number, row.version) == (kind, f"{number}-{suffix}", 1)
    assert download(client, number, kind, 1).status_code == 200


def test_confirming_performance_issues_the_confirmation(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(
        database, actor, "ensuring_performance", [("record_payment", {"amount_fen": 1_000_000})]
    )
    assert submit(client, number, "confirm_performance", {}).status_code == 302
    assert [r.kind for r in documents_of(database, case_id)] == ["performance_confirmation"]


def test_failed_issue_leaves_the_step_done_and_the_document_missing_with_a_retry(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id, number = ready_to_sign(database, actor)
    original = service.render_pdf

    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise DocumentError("no font for this machine")

    monkeypatch.setattr(service, "render_pdf", broken)
    response = submit(client, number, "sign_agreement", {})
    assert response.status_code == 302
    assert state_of(database, case_id)[0] == "ensuring_performance"
    assert documents_of(database, case_id) == []
    html = client.get(response.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Settlement agreement: not issued (" in html
    assert "no font for this machine" in html
    assert 'id="document-agreement" data-kind="agreement" data-missing="true"' in html
    assert 'data-missing="agreement"' in html

    # The retry, once the renderer works again.
    monkeypatch.setattr(service, "render_pdf", original)
    fields = issue_form(html, "agreement")
    assert "reissue" not in fields
    retried = client.post(f"/m/cases/{number}/documents/agreement", data=fields)
    assert retried.status_code == 302, retried.get_data(as_text=True)[:2000]
    assert [(r.kind, r.version) for r in documents_of(database, case_id)] == [("agreement", 1)]
    assert page(client, number).count('data-missing="true"') == 0


# --------------------------------------------------------------------------- re-issue


def test_reissue_needs_a_reason_and_makes_version_two(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "rejected")
    html = page(client, number)
    assert (
        client.post(
            f"/m/cases/{number}/documents/rejection_notice",
            data=issue_form(html, "rejection_notice"),
        ).status_code
        == 302
    )

    html = page(client, number)
    fields = issue_form(html, "rejection_notice")
    assert fields["reissue"] == "1"
    refused = client.post(
        f"/m/cases/{number}/documents/rejection_notice",
        data={**fields, "reason": "  "},
        headers={"Accept-Language": "en"},
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Say why the document is issued again" in body
    assert 'id="error-issue-rejection_notice"' in body
    assert len(documents_of(database, case_id)) == 1

    accepted = client.post(
        f"/m/cases/{number}/documents/rejection_notice",
        data={**fields, "reason": "更正驳回理由的笔误"},
    )
    assert accepted.status_code == 302
    one, two = documents_of(database, case_id)
    assert (one.version, two.version) == (1, 2) and one.number == two.number
    html = page(client, number)
    assert f'data-number="{one.number}" data-version="1" data-superseded="true"' in html
    assert f'data-number="{one.number}" data-version="2" data-superseded="false"' in html
    assert download(client, number, "rejection_notice", 1).data == bytes(one.content)
    assert download(client, number, "rejection_notice", 2).data == bytes(two.content)


def test_issue_with_a_stale_page_is_a_conflict_and_writes_nothing(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor
) -> None:
    case_id, number = drive(database, actor, "failed")
    fields = issue_form(page(client, number), "failure_notice")
    assert client.post(f"/m/cases/{number}/documents/failure_notice", data=fields).status_code == (
        302
    )
    again = client.post(
        f"/m/cases/{number}/documents/failure_notice", data={**fields, "reason": "再次出具"}
    )
    assert again.status_code == 409
    assert len(documents_of(database, case_id)) == 1


@pytest.mark.parametrize(
    ("state", "kind", "status"),
    [
        ("registered", "agreement", 409),
        ("closed", "failure_notice", 409),
        ("closed", "receipt", 404),
        ("closed", "archive_bundle", 404),
    ],
)
def test_issue_refused_where_the_case_has_no_such_document(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    state: str,
    kind: str,
    status: int,
) -> None:
    case_id, number = drive(database, actor, state)
    html = page(client, number)
    _state, version = state_of(database, case_id)
    response = client.post(
        f"/m/cases/{number}/documents/{kind}",
        data={"csrf_token": csrf_token(html), "version": str(version)},
    )
    assert response.status_code == status
    assert documents_of(database, case_id) == []


# --------------------------------------------------------------------------- downloads


def test_another_organisations_document_is_not_found(
    database: Database,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., FlaskClient],
    actor: Actor,
) -> None:
    case_id, number = drive(database, actor, "rejected")
    service.issue_document(
        database, case_id, "rejection_notice", actor, base_url="http://h", today=clock.today()
    )
    login(make_user("mediator", organization="礼贤镇调解中心"))
    assert download(client, number, "rejection_notice", 1).status_code == 404
    assert client.get(f"/m/cases/{number}/documents/agreement/draft").status_code == 404
    response = client.post(
        f"/m/cases/{number}/documents/rejection_notice",
        data={"csrf_token": csrf_token(client.get("/m/cases").get_data(as_text=True))},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "rejection_notice/2",
        "rejection_notice/0",
        "rejection_notice/99999999999999999999",
        "agreement/1",
        "receipt/1",
    ],
)
def test_download_of_a_version_or_kind_not_issued_is_not_found(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor, path: str
) -> None:
    case_id, number = drive(database, actor, "rejected")
    service.issue_document(
        database, case_id, "rejection_notice", actor, base_url="http://h", today=clock.today()
    )
    assert client.get(f"/m/cases/{number}/documents/{path}").status_code == 404


def test_draft_agreement_downloads_watermarked_and_is_not_stored(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id, number = drive(database, actor, "seizing_opening", [ENSURING[6]])
    html = page(client, number)
    assert f'id="draft-agreement" href="/m/cases/{number}/documents/agreement/draft"' in html
    before = actions_of(database, case_id)
    with watching_renders(database, monkeypatch) as watch:
        response = client.get(f"/m/cases/{number}/documents/agreement/draft")
    assert watch.renders == 1 and watch.inside == []
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert f"filename={number}-XY-draft.pdf" in response.headers["Content-Disposition"]
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "草稿" in text and WORKER.name in text
    assert read_marks(response.data) is None
    assert documents_of(database, case_id) == []
    assert actions_of(database, case_id) == before


@pytest.mark.parametrize("state", ["finding_crux", "seizing_opening", "closed"])
def test_no_draft_without_unsigned_terms(
    database: Database, client: FlaskClient, mediator: Any, actor: Actor, state: str
) -> None:
    _case_id, number = drive(database, actor, state)
    assert 'id="draft-agreement"' not in page(client, number)
    response = client.get(
        f"/m/cases/{number}/documents/agreement/draft", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 409
    assert "There is no agreement awaiting signatures" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- the archive bundle


def test_archive_bundle_from_the_case_page_then_archive(
    database: Database,
    client: FlaskClient,
    mediator: Any,
    actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id, number = drive(database, actor, "ensuring_performance")
    service.issue_document(
        database, case_id, "agreement", actor, base_url="http://h", today=clock.today()
    )
    assert (
        submit(
            client,
            number,
            "record_payment",
            as_form_fields("record_payment", {"amount_fen": 1_000_000}),
        ).status_code
        == 302
    )
    with watching_renders(database, monkeypatch) as watch:
        assert submit(client, number, "confirm_performance", {}).status_code == 302
        assert submit(client, number, "produce_archive_bundle", {}).status_code == 302
    assert watch.renders == 2 and watch.inside == []
    kinds = [(r.kind, r.version) for r in documents_of(database, case_id)]
    assert kinds == [("agreement", 1), ("performance_confirmation", 1), ("archive_bundle", 1)]
    bundle = download(client, number, "archive_bundle", 1)
    assert bundle.status_code == 200 and bundle.headers["Cache-Control"] == "no-store"
    attached = set(PdfReader(io.BytesIO(bundle.data)).attachments)
    assert {f"{number}-XY-v1.pdf", f"{number}-LX-v1.pdf", f"{number}-case-file.json"} == attached
    assert submit(client, number, "archive", {}).status_code == 302
    assert state_of(database, case_id)[0] == "archived"
    html = page(client, number)
    assert 'id="document-issue-' not in html  # archived: read-only
    assert f'href="/m/cases/{number}/documents/archive_bundle/1"' in html
