"""The public verification page: no login, nothing of the case, genuine vs altered files."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mediation import clock
from mediation.audit.chain import Actor
from mediation.db import Database
from mediation.issuing.service import issue_document
from mediation.tables import CASE, DOCUMENT, PARTY
from tests.factories import EMPLOYER, WORKER, make_case
from tests.mediation.test_issuing import flip_one_byte
from tests.web.conftest import csrf_token

TODAY = clock.today()


def issued(database: Database, actor: Actor, *, again: bool = False) -> tuple[str, list[bytes]]:
    """A rejected case with its rejection notice issued (twice with ``again``)."""
    case_id, _v = make_case(database, state="rejected", actor=actor)
    result = issue_document(
        database, case_id, "rejection_notice", actor, base_url="http://h", today=TODAY
    )
    if again:
        issue_document(
            database,
            case_id,
            "rejection_notice",
            actor,
            reason="更正",
            base_url="http://h",
            today=TODAY,
        )
    with database.read_session() as session:
        contents = session.execute(
            select(DOCUMENT.c.content)
            .where(DOCUMENT.c.number == result.number)
            .order_by(DOCUMENT.c.version)
        ).scalars()
        return result.number, [bytes(c) for c in contents]


def personal_data(database: Database) -> list[str]:
    """What the page must never show: names, identity numbers, phones, the dispute."""
    with database.read_session() as session:
        parties = session.execute(select(PARTY.c.name, PARTY.c.id_number, PARTY.c.phone)).all()
        summary = session.execute(select(CASE.c.summary, CASE.c.end_reason)).all()
    values = [v for row in parties for v in row] + [v for row in summary for v in row]
    values += [WORKER.name, WORKER.id_number, EMPLOYER.name, EMPLOYER.id_number, "黄村镇调解中心"]
    return [v for v in values if v]


def get(client: FlaskClient, url: str) -> tuple[int, str]:
    response = client.get(url, headers={"Accept-Language": "en"})
    return response.status_code, response.get_data(as_text=True)


def upload(client: FlaskClient, url: str, content: bytes, *, token: str | None = None) -> Any:
    if token is None:
        token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content), "copy.pdf")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )


def test_verification_page_shows_only_number_kind_version_date_and_no_personal_data(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, [content] = issued(database, actor)
    status, html = get(client, f"/verify/{number}/1")  # anonymous: no login
    assert status == 200
    assert f'id="document-number">{number}<' in html
    assert "不予受理通知书" in html and "Rejection notice" in html
    assert '<tr data-version="1" data-superseded="false" class="table-active"' in html
    assert TODAY.isoformat() in html
    assert "current version" in html
    for value in personal_data(database):
        assert value not in html, value
    # Nor the file's hash (the page checks files; it does not hand out their fingerprints).
    assert hashlib.sha256(content).hexdigest() not in html


def test_superseded_version_is_marked(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, _contents = issued(database, actor, again=True)
    status, html = get(client, f"/verify/{number}/1")
    assert status == 200
    assert '<tr data-version="1" data-superseded="true"' in html
    assert "superseded by version 2" in html
    assert 'id="superseded-notice"' in html
    status, html = get(client, f"/verify/{number}")
    assert status == 200
    assert '<tr data-version="2" data-superseded="false">' in html
    assert 'id="superseded-notice"' not in html


@pytest.mark.parametrize("path", ["DX-1999-00001-XY", "DX-1999-00001-XY/1", "{number}/3"])
def test_unknown_number_or_version_is_a_404_page(
    database: Database, client: FlaskClient, actor: Actor, path: str
) -> None:
    number, _contents = issued(database, actor)
    status, html = get(client, "/verify/" + path.format(number=number))
    assert status == 404
    assert 'id="verify-not-found"' in html
    assert "A copy that shows this number is not a document issued here." in html


def test_uploaded_issued_file_is_genuine(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, [content] = issued(database, actor)
    for url in (f"/verify/{number}/1", f"/verify/{number}", "/verify"):
        response = upload(client, url, content)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert f'data-result="match" data-number="{number}" data-version="1"' in html, url
        assert hashlib.sha256(content).hexdigest() in html
        for value in personal_data(database):
            assert value not in html, value


def test_uploaded_file_with_one_byte_changed_is_altered(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, [content] = issued(database, actor)
    response = upload(client, f"/verify/{number}/1", flip_one_byte(content))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-result="altered"' in html
    assert f"This file claims to be {number}, version 1, but it is not the file" in html


def test_uploaded_superseded_file_is_genuine_but_superseded(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, [first, _second] = issued(database, actor, again=True)
    html = upload(client, "/verify", first).get_data(as_text=True)
    assert f'data-result="match" data-number="{number}" data-version="1"' in html
    assert "This version has been superseded by version 2." in html


def test_uploaded_other_file_matches_nothing(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    issued(database, actor)
    html = upload(client, "/verify", b"%PDF-1.7\nnot ours\n").get_data(as_text=True)
    assert 'data-result="none"' in html
    assert "This file is not a document issued here" in html


def test_sha256_lookup(database: Database, client: FlaskClient, actor: Actor) -> None:
    number, [content] = issued(database, actor)
    digest = hashlib.sha256(content).hexdigest()
    status, html = get(client, f"/verify?sha256={digest.upper()}")
    assert status == 200
    assert f'data-result="match" data-number="{number}" data-version="1"' in html
    status, html = get(client, f"/verify/{number}/1?sha256={'0' * 64}")
    assert status == 200
    assert 'data-result="none"' in html and "No issued document has this SHA-256." in html
    status, html = get(client, "/verify?sha256=abc")
    assert status == 400
    assert "A SHA-256 is 64 hexadecimal characters" in html


def test_upload_without_a_file_or_a_token_is_refused(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, [content] = issued(database, actor)
    url = f"/verify/{number}/1"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Choose the file to check." in response.get_data(as_text=True)
    forged = upload(client, url, content, token="forged")
    assert forged.status_code == 400
    assert "The form has expired or was not sent from this site." in forged.get_data(as_text=True)


def test_upload_over_the_limit_is_refused_with_413(
    database: Database, app: Flask, client: FlaskClient, actor: Actor
) -> None:
    number, [content] = issued(database, actor)
    app.config["VERIFY_MAX_UPLOAD_BYTES"] = 2 * 1024 * 1024
    url = f"/verify/{number}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    big = content + b"\0" * (2 * 1024 * 1024)
    # Encoded here, in memory: the test client would spool a large body to a file it never
    # closes when the application refuses to read it.
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(big), "copy.pdf")}
    )
    response = client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is larger than 2 MB, and no issued document is that large." in html


def test_verification_page_is_in_chinese_by_default(
    database: Database, client: FlaskClient, actor: Actor
) -> None:
    number, _contents = issued(database, actor)
    html = client.get(f"/verify/{number}/1").get_data(as_text=True)
    assert "核验文书" in html
    assert "现行版本" in html
