"""Issuing documents: rendered outside any transaction, stored through ``advance``, verifiable.

The PDFs are real (WeasyPrint); the detector of write transactions watches the engine itself,
so a render inside any write transaction — from any code path — fails the test.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import weasyprint
from pypdf import PdfReader
from sqlalchemy import event, func, select

from documents.marks import read_marks
from documents.render import DocumentError, MissingGlyphError
from mediation import clock
from mediation.audit.chain import Actor
from mediation.audit.verify import verify
from mediation.cases.case_file import load_case_file
from mediation.cases.document_data import DocumentUnavailable
from mediation.cases.service import advance
from mediation.db import Database
from mediation.errors import Conflict, InvalidInput, TransitionNotAllowed
from mediation.issuing import records, service
from mediation.issuing.numbering import document_number, kind_of_number
from mediation.issuing.panel import document_panel
from mediation.issuing.service import (
    ISSUED_ON,
    MAX_ATTEMPTS,
    RenderFailed,
    draft_agreement,
    issue_document,
)
from mediation.issuing.urls import verification_url
from mediation.tables import CASE, DOCUMENT, EVENT
from tests.factories import EMPLOYER, STUB_PDF, WORKER, make_case, path_to
from workflows.case import DOCUMENT_STATES, PREPARED_ACTIONS, recording_allowed

BASE_URL = "https://tiaojie.example.gov.cn"
TODAY = clock.today()

# --------------------------------------------------------------------------- helpers


class WriteWatch:
    """Know, at any moment, whether a write transaction is open on a database's engine.

    Write sessions begin with the ``mediation_begin_immediate`` execution option (SQLite's
    ``BEGIN IMMEDIATE``; the same option marks them on PostgreSQL).
    """

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.open: set[int] = set()
        self.renders = 0
        self.inside: list[str] = []
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "commit", self._end)
        event.listen(self.engine, "rollback", self._end)

    def _begin(self, connection: Any) -> None:
        if connection.get_execution_options().get("mediation_begin_immediate"):
            self.open.add(id(connection))

    def _end(self, connection: Any) -> None:
        self.open.discard(id(connection))

    def close(self) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)


@contextmanager
def watching_renders(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteWatch]:
    """Count WeasyPrint renders and record each one that happens inside a write transaction."""
    watch = WriteWatch(database)
    original = weasyprint.HTML.write_pdf

    def write_pdf(self: Any, *args: Any, **kwargs: Any) -> Any:
        watch.renders += 1
        if watch.open:
            watch.inside.append(f"render #{watch.renders} while a write transaction was open")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", write_pdf)
    try:
        yield watch
    finally:
        watch.close()


def flip_one_byte(content: bytes, at: int | None = None) -> bytes:
    """Return the file with one byte changed (in the middle, by default)."""
    position = len(content) // 2 if at is None else at
    altered = bytearray(content)
    altered[position] ^= 0x01
    return bytes(altered)


def documents_of(database: Database, case_id: int | None = None) -> list[Any]:
    with database.read_session() as session:
        query = select(DOCUMENT).order_by(DOCUMENT.c.id)
        if case_id is not None:
            query = query.where(DOCUMENT.c.case_id == case_id)
        return list(session.execute(query))


def events_of(database: Database, case_id: int) -> list[Any]:
    with database.read_session() as session:
        return list(
            session.execute(select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq))
        )


def case_row(database: Database, case_id: int) -> Any:
    with database.read_session() as session:
        return session.execute(select(CASE).where(CASE.c.id == case_id)).one()


def fingerprint(database: Database) -> tuple[int, int, list[Any]]:
    with database.read_session() as session:
        return (
            session.execute(select(func.count()).select_from(EVENT)).scalar_one(),
            session.execute(select(func.count()).select_from(DOCUMENT)).scalar_one(),
            list(session.execute(select(CASE.c.id, CASE.c.version, CASE.c.state))),
        )


def issue(database: Database, case_id: int, kind: str, actor: Actor, **kwargs: Any) -> Any:
    return issue_document(database, case_id, kind, actor, base_url=BASE_URL, today=TODAY, **kwargs)


def pdf_text(content: bytes) -> str:
    return "".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(content)).pages)


# --------------------------------------------------------------------------- numbering


def test_document_numbers_follow_one_scheme() -> None:
    assert document_number("DX-2026-00042", "agreement") == "DX-2026-00042-XY"
    assert document_number("DX-2026-00042", "failure_notice") == "DX-2026-00042-BC"
    assert document_number("DX-2026-00042", "rejection_notice") == "DX-2026-00042-BSL"
    assert document_number("DX-2026-00042", "performance_confirmation") == "DX-2026-00042-LX"
    assert document_number("DX-2026-00042", "archive_bundle") == "DX-2026-00042-AJ"
    assert kind_of_number("DX-2026-00042-BSL") == "rejection_notice"
    assert kind_of_number("DX-2026-00042") is None
    with pytest.raises(InvalidInput, match="kind"):
        document_number("DX-2026-00042", "receipt")


def test_verification_url_is_absolute_and_percent_encoded() -> None:
    assert (
        verification_url("https://tiaojie.example.gov.cn/", "DX-2026-00042-XY", 2)
        == "https://tiaojie.example.gov.cn/verify/DX-2026-00042-XY/2"
    )
    assert verification_url("http://h", "历史/1", 1) == "http://h/verify/%E5%8E%86%E5%8F%B2%2F1/1"
    for bad in ("tiaojie.example.gov.cn", "ftp://h", "https://h/?x=1", "https://例子.cn"):
        with pytest.raises(InvalidInput, match="PUBLIC_BASE_URL"):
            verification_url(bad, "N-XY", 1)


def test_issue_document_is_a_prepared_action_of_the_document_states() -> None:
    for kind, states in DOCUMENT_STATES.items():
        action = "produce_archive_bundle" if kind == "archive_bundle" else "issue_document"
        for state in states:
            assert recording_allowed(action, state), (kind, state)
    assert not recording_allowed("issue_document", "archived")
    assert not recording_allowed("issue_document", "seizing_opening")
    assert set(PREPARED_ACTIONS) == {"issue_document"}
    assert ISSUED_ON == {
        "sign_agreement": "agreement",
        "declare_failure": "failure_notice",
        "reject": "rejection_notice",
        "confirm_performance": "performance_confirmation",
    }


# --------------------------------------------------------------------------- issuing


def test_issue_document_stores_the_pdf_with_its_sha256_and_logs_the_event(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, version = make_case(database, state="rejected", actor=actor)
    with watching_renders(database, monkeypatch) as watch:
        issued = issue(database, case_id, "rejection_notice", actor)
    assert watch.renders == 1 and not watch.inside

    [row] = documents_of(database, case_id)
    content = bytes(row.content)
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == row.sha256 == issued.sha256
    number = f"{case_row(database, case_id).number}-BSL"
    assert (row.kind, row.number, row.version, row.media_type) == (
        "rejection_notice",
        number,
        1,
        "application/pdf",
    )
    assert (issued.number, issued.version, issued.attempts) == (number, 1, 1)
    # The file carries its number and version, and says where to verify it.
    assert read_marks(content) == (number, 1)
    assert f"{BASE_URL}/verify/{number}/1" in pdf_text(content).replace("\n", "")

    last = events_of(database, case_id)[-1]
    assert last.action == "issue_document"
    assert (last.from_state, last.to_state) == ("rejected", "rejected")
    payload = json.loads(last.payload)
    assert payload["kind"] == "rejection_notice"
    assert payload["document_number"] == number
    assert payload["document_version"] == 1
    assert payload["sha256"] == row.sha256
    assert case_row(database, case_id).version == version + 1
    with database.read_session() as session:
        result = verify(session)
    assert result.ok, result.first_break


def test_reissue_makes_version_two_and_keeps_version_one(database: Database, actor: Actor) -> None:
    case_id, _v = make_case(database, state="failed", actor=actor)
    first = issue(database, case_id, "failure_notice", actor)
    before = fingerprint(database)
    with pytest.raises(InvalidInput, match="reason"):
        issue(database, case_id, "failure_notice", actor)
    assert fingerprint(database) == before

    second = issue(database, case_id, "failure_notice", actor, reason="更正申请人姓名的笔误")
    assert (second.number, second.version) == (first.number, 2)
    rows = documents_of(database, case_id)
    assert [(r.number, r.version) for r in rows] == [(first.number, 1), (first.number, 2)]
    assert rows[0].sha256 == first.sha256
    assert hashlib.sha256(bytes(rows[0].content)).hexdigest() == first.sha256
    assert rows[1].sha256 != rows[0].sha256
    payload = json.loads(events_of(database, case_id)[-1].payload)
    assert payload["reason"] == "更正申请人姓名的笔误"
    assert payload["document_version"] == 2
    with database.read_session() as session:
        one, two = records.versions(session, first.number)
        assert one.superseded and not two.superseded and one.latest_version == 2
        assert verify(session).ok


def test_issue_in_a_state_without_that_document_is_refused_before_rendering(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered, _v = make_case(database, state="registered", actor=actor)
    closed, _v = make_case(database, state="closed", actor=actor)
    archived, _v = make_case(database, state="archived", actor=actor)
    before = fingerprint(database)
    with watching_renders(database, monkeypatch) as watch:
        with pytest.raises(TransitionNotAllowed, match="registered"):
            issue(database, registered, "agreement", actor)
        with pytest.raises(TransitionNotAllowed, match="closed"):
            issue(database, closed, "failure_notice", actor)
        with pytest.raises(TransitionNotAllowed, match="archived"):
            issue(database, archived, "archive_bundle", actor)
        with pytest.raises(InvalidInput, match="kind"):
            issue(database, closed, "receipt", actor)
    assert watch.renders == 0
    assert fingerprint(database) == before


def test_issue_of_a_document_the_case_cannot_have_is_refused(
    database: Database, actor: Actor
) -> None:
    # Closed by breach: the agreement was never performed, so there is no confirmation.
    case_id, _v = make_case(database, state="ensuring_performance", actor=actor, today=TODAY)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="declare_breach",
            expected_version=case_row(database, case_id).version,
            actor=actor,
            data={"reason": "逾期未付"},
            today=TODAY + timedelta(days=60),
        )
    before = fingerprint(database)
    with pytest.raises(DocumentUnavailable, match="not performed"):
        issue(database, case_id, "performance_confirmation", actor)
    assert fingerprint(database) == before


@pytest.mark.parametrize(
    "error", [DocumentError("the template is broken"), MissingGlyphError(["'𠀀' (U+20000)"])]
)
def test_render_failure_gives_a_clear_message_and_writes_nothing(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch, error: DocumentError
) -> None:
    case_id, _v = make_case(database, state="rejected", actor=actor)

    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise error

    monkeypatch.setattr(service, "render_pdf", broken)
    before = fingerprint(database)
    with pytest.raises(RenderFailed) as caught:
        issue(database, case_id, "rejection_notice", actor)
    assert "不予受理通知书" in str(caught.value)
    assert str(error) in str(caught.value)
    assert caught.value.caused_by_input is isinstance(error, MissingGlyphError)
    assert fingerprint(database) == before


def test_no_document_is_rendered_inside_a_write_transaction(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, _v = make_case(database, state="closed", actor=actor)
    with watching_renders(database, monkeypatch) as watch:
        issue(database, case_id, "agreement", actor)
        issue(database, case_id, "performance_confirmation", actor)
        issue(database, case_id, "performance_confirmation", actor, reason="更正履行日期")
        issue(database, case_id, "archive_bundle", actor)
        assert watch.renders == 4
        assert watch.inside == []

        # The watch does see a render inside a write transaction (it would fail the above).
        with database.writing() as session:
            session.execute(select(1))
            weasyprint.HTML(string="<p>x</p>").write_pdf()
        assert watch.inside == ["render #5 while a write transaction was open"]


def test_case_changed_during_the_render_is_read_and_rendered_again(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, _v = make_case(database, state="ensuring_performance", actor=actor)
    original = service.render_pdf
    calls: list[int] = []

    def render_while_someone_pays(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        if len(calls) == 1:
            with database.writing() as session:
                advance(
                    session,
                    case_id=case_id,
                    action="record_payment",
                    expected_version=case_row(database, case_id).version,
                    actor=Actor(None, "另一位调解员"),
                    data={"amount_fen": 100_000},
                    today=TODAY,
                )
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "render_pdf", render_while_someone_pays)
    issued = issue(database, case_id, "agreement", actor)
    assert issued.attempts == 2 and len(calls) == 2
    assert [e.action for e in events_of(database, case_id)][-2:] == [
        "record_payment",
        "issue_document",
    ]
    assert [(r.version, r.sha256) for r in documents_of(database, case_id)] == [(1, issued.sha256)]


def test_case_that_keeps_changing_gives_up_after_the_last_attempt(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, _v = make_case(database, state="ensuring_performance", actor=actor)
    original = service.render_pdf

    def render_while_someone_pays(*args: Any, **kwargs: Any) -> bytes:
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action="record_payment",
                expected_version=case_row(database, case_id).version,
                actor=Actor(None, "另一位调解员"),
                data={"amount_fen": 100},
                today=TODAY,
            )
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "render_pdf", render_while_someone_pays)
    with pytest.raises(Conflict):
        issue(database, case_id, "agreement", actor)
    assert documents_of(database, case_id) == []
    payments = [e for e in events_of(database, case_id) if e.action == "record_payment"]
    assert len(payments) == MAX_ATTEMPTS


def test_stale_expected_version_is_a_conflict_before_rendering(
    database: Database, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, version = make_case(database, state="rejected", actor=actor)
    with watching_renders(database, monkeypatch) as watch, pytest.raises(Conflict) as caught:
        issue(database, case_id, "rejection_notice", actor, expected_version=version - 1)
    assert watch.renders == 0
    assert (caught.value.current_state, caught.value.current_version) == ("rejected", version)


def test_issue_document_action_refuses_what_issuing_did_not_prepare(
    database: Database, actor: Actor
) -> None:
    case_id, version = make_case(database, state="rejected", actor=actor)
    number = f"{case_row(database, case_id).number}-BSL"
    before = fingerprint(database)
    refusals: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"kind": "rejection_notice"}, InvalidInput, "content"),
        ({"kind": "rejection_notice", "content": "%PDF-1.7"}, InvalidInput, "content"),
        ({"kind": "rejection_notice", "content": b"<html>"}, InvalidInput, "content"),
        ({"kind": "archive_bundle", "content": STUB_PDF}, InvalidInput, "kind"),
        ({"kind": "agreement", "content": STUB_PDF}, TransitionNotAllowed, "rejected"),
        (
            {"kind": "rejection_notice", "content": STUB_PDF, "number": number, "version": 2},
            Conflict,
            "render it again",
        ),
        (
            {"kind": "rejection_notice", "content": STUB_PDF, "number": "X-BSL", "version": 1},
            Conflict,
            "render it again",
        ),
    ]
    for data, error, message in refusals:
        with pytest.raises(error, match=message), database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action="issue_document",
                expected_version=version,
                actor=actor,
                data=data,
            )
    assert fingerprint(database) == before


def test_a_signed_agreement_is_not_issued_again_without_an_approved_correction(
    database: Database, actor: Actor
) -> None:
    case_id, _v = make_case(database, state="closed", actor=actor)
    issue(database, case_id, "agreement", actor)
    before = fingerprint(database)
    with pytest.raises(TransitionNotAllowed, match="supervisor approves a correction"):
        issue(database, case_id, "agreement", actor, reason="改一下金额")
    assert fingerprint(database) == before


# --------------------------------------------------------------------------- archive bundle


def test_archive_bundle_attaches_every_issued_pdf_and_the_case_file(
    database: Database, actor: Actor
) -> None:
    case_id, _v = make_case(database, state="closed", actor=actor)
    agreement = issue(database, case_id, "agreement", actor)
    confirmation = issue(database, case_id, "performance_confirmation", actor)
    corrected = issue(database, case_id, "performance_confirmation", actor, reason="更正笔误")
    bundle = issue(database, case_id, "archive_bundle", actor)
    assert bundle.number.endswith("-AJ") and bundle.version == 1

    content = bytes(documents_of(database, case_id)[-1].content)
    reader = PdfReader(io.BytesIO(content))
    attachments = {name: files[0] for name, files in reader.attachments.items()}
    number = case_row(database, case_id).number
    expected = {
        f"{agreement.number}-v1.pdf": agreement.sha256,
        f"{confirmation.number}-v1.pdf": confirmation.sha256,
        f"{corrected.number}-v2.pdf": corrected.sha256,
    }
    for name, sha256 in expected.items():
        assert hashlib.sha256(attachments[name]).hexdigest() == sha256, name
    case_file = json.loads(attachments[f"{number}-case-file.json"])
    assert case_file["case"]["number"] == number
    assert [d["number"] for d in case_file["documents"]] == [
        agreement.number,
        confirmation.number,
        corrected.number,
    ]
    assert [e["action"] for e in case_file["events"]][-1] == "issue_document"
    assert read_marks(content) == (bundle.number, 1)

    # The archive trigger's guard is satisfied by the bundle.
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action="archive",
            expected_version=case_row(database, case_id).version,
            actor=actor,
        )
    assert case_row(database, case_id).state == "archived"
    events = events_of(database, case_id)
    assert [e.action for e in events][-2:] == ["produce_archive_bundle", "archive"]
    with database.read_session() as session:
        assert verify(session).ok


def test_archive_bundle_of_a_case_without_documents(database: Database, actor: Actor) -> None:
    case_id, _v = make_case(database, state="withdrawn", actor=actor)
    bundle = issue(database, case_id, "archive_bundle", actor)
    again = issue(database, case_id, "archive_bundle", actor)
    assert (bundle.version, again.version) == (1, 2)  # a later bundle needs no reason
    content = bytes(documents_of(database, case_id)[0].content)
    names = set(PdfReader(io.BytesIO(content)).attachments)
    assert names == {f"{case_row(database, case_id).number}-case-file.json"}


# --------------------------------------------------------------------------- the draft


def test_draft_agreement_is_watermarked_not_numbered_and_not_stored(
    database: Database, actor: Actor
) -> None:
    steps = path_to("ensuring_performance", today=TODAY)
    draft_step = next(s for s in steps if s[0] == "draft_agreement")
    case_id, version = make_case(database, state="seizing_opening", actor=actor)
    with database.writing() as session:
        advance(
            session,
            case_id=case_id,
            action=draft_step[0],
            expected_version=version,
            actor=actor,
            data=draft_step[1],
            today=TODAY,
        )
    before = fingerprint(database)
    draft = draft_agreement(database, case_id, today=TODAY)
    assert fingerprint(database) == before
    assert draft.filename == f"{case_row(database, case_id).number}-XY-draft.pdf"
    text = pdf_text(draft.content)
    assert "草稿" in text
    assert WORKER.name in text and EMPLOYER.name in text
    assert read_marks(draft.content) is None


@pytest.mark.parametrize("state", ["finding_crux", "seizing_opening", "ensuring_performance"])
def test_no_draft_before_drafting_or_after_signing(
    database: Database, actor: Actor, state: str
) -> None:
    case_id, _v = make_case(database, state=state, actor=actor)
    with pytest.raises(DocumentUnavailable):
        draft_agreement(database, case_id, today=TODAY)


# --------------------------------------------------------------------------- lookups, panel


def test_check_file_tells_issued_altered_and_unknown_files_apart(
    database: Database, actor: Actor
) -> None:
    case_id, _v = make_case(database, state="rejected", actor=actor)
    issued = issue(database, case_id, "rejection_notice", actor)
    content = bytes(documents_of(database, case_id)[0].content)
    with database.read_session() as session:
        genuine = records.check_file(session, content)
        assert genuine.match is not None and not genuine.altered
        assert (genuine.match.number, genuine.match.version) == (issued.number, 1)
        assert genuine.match.title == "不予受理通知书"
        assert genuine.match.issued_on == TODAY

        altered = records.check_file(session, flip_one_byte(content))
        assert altered.match is None and altered.altered
        assert altered.claims == (issued.number, 1)
        assert altered.claimed is not None and altered.claimed.sha256 == issued.sha256

        unknown = records.check_file(session, b"not a pdf at all")
        assert unknown.match is None and not unknown.altered and unknown.claims is None

        assert records.by_sha256(session, issued.sha256) == genuine.match
        assert records.by_sha256(session, issued.sha256.upper()) is None
        assert records.by_sha256(session, "0" * 64) is None


def test_panel_shows_missing_issued_and_superseded_documents(
    database: Database, actor: Actor
) -> None:
    case_id, _v = make_case(database, state="failed", actor=actor)

    def panel() -> Any:
        with database.read_session() as session:
            return document_panel(load_case_file(session, case_id, today=TODAY))

    before = panel()
    assert before.missing == ("failure_notice",)
    [entry] = before.entries
    assert entry.issuable and entry.versions == ()
    issue(database, case_id, "failure_notice", actor)
    issue(database, case_id, "failure_notice", actor, reason="更正")
    after = panel()
    assert after.missing == ()
    [entry] = after.entries
    assert [(v.version, v.superseded) for v in entry.versions] == [(1, True), (2, False)]
    assert entry.latest is not None and entry.latest.version == 2


@pytest.mark.parametrize(
    ("state", "expected", "issuable"),
    [
        ("registered", (), ()),
        ("seizing_opening", (), ()),
        ("ensuring_performance", ("agreement",), ("agreement",)),
        ("awaiting_conversion", ("agreement",), ("agreement",)),
        (
            "closed",
            ("agreement", "performance_confirmation"),
            ("agreement", "performance_confirmation"),
        ),
        ("failed", ("failure_notice",), ("failure_notice",)),
        ("withdrawn", (), ("failure_notice",)),
        ("rejected", ("rejection_notice",), ("rejection_notice",)),
        ("archived", ("agreement", "performance_confirmation"), ()),
    ],
)
def test_panel_expects_the_documents_of_each_state(
    database: Database,
    actor: Actor,
    state: str,
    expected: tuple[str, ...],
    issuable: tuple[str, ...],
) -> None:
    case_id, _v = make_case(database, state=state, actor=actor)
    with database.read_session() as session:
        panel = document_panel(load_case_file(session, case_id, today=TODAY))
    assert panel.missing == expected
    assert tuple(e.kind for e in panel.entries if e.issuable) == issuable
    assert not panel.draft_available
