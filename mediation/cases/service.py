"""The one way a case changes: :func:`advance` (and :func:`register_case` to create one).

``advance`` reads the case, asks the workflow whether the action may happen, applies it,
bumps the case's version under an optimistic lock and appends the event to the chain — all
in the caller's transaction, which commits once. The hot path uses SQL expressions, not the
ORM's unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, cast

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor, EventRecord, append_event
from mediation.cases.actions import (
    RECORDING_HANDLERS,
    TRIGGER_HANDLERS,
    Context,
    blank_party,
    party_values,
    validate_party,
)
from mediation.cases.enums import Category, PartyRole, Source
from mediation.cases.facts import CaseRow, load_case_row, load_facts, load_term_categories
from mediation.cases.inputs import choice, fen, text
from mediation.db import prebuilt, prebuilt_in
from mediation.errors import Conflict, GuardFailed, InvalidInput, TransitionNotAllowed
from mediation.money import MAX_FEN, format_yuan
from mediation.people.sealing import seal_party
from mediation.tables import AUDIT_HEAD, CASE, CLAIM, PARTY
from workflows import case as workflow
from workflows.guards import CaseFacts, CaseSubject, TriggerInput

# --------------------------------------------------------------------------- the service


def snapshot(case: CaseRow, values: Mapping[str, Any], state: str, version: int) -> dict[str, Any]:
    """The figures an event vouches for: state, version and amounts after the change."""
    return {
        "state": state,
        "version": version,
        "claimed_fen": values.get("claimed_fen", case.claimed_fen),
        "agreed_fen": values.get("agreed_fen", case.agreed_fen),
        "paid_fen": values.get("paid_fen", case.paid_fen),
    }


def _trigger_input(data: Mapping[str, Any]) -> TriggerInput:
    def text(key: str) -> str:
        value = data.get(key, "")
        return value if isinstance(value, str) else ""

    return TriggerInput(
        reason=text("reason"),
        conversion_kind=text("conversion_kind"),
        document_number=text("document_number"),
        issuing_body=text("issuing_body"),
    )


# Built once; the SET clause comes from the parameters of each call.
_UPDATE_CASE = update(CASE).where(
    CASE.c.id == bindparam("b_case_id"), CASE.c.version == bindparam("b_expected_version")
)
# Registration's statements, built once too and run through Prebuilt as advance's are: each is
# compiled once per dialect, and runs without SQLAlchemy's per-statement machinery (which the
# write engine's ``begin`` listener makes dispatch events around every statement).
_LOCK_HEAD = select(AUDIT_HEAD.c.id).where(AUDIT_HEAD.c.id == 1).with_for_update()
_LAST_NUMBER = (
    select(CASE.c.number)
    .where(CASE.c.number.like(bindparam("b_pattern")))
    .order_by(CASE.c.number.desc())
    .limit(1)
)
_INSERT_CASE = insert(CASE).returning(CASE.c.id)
_INSERT_PARTY = insert(PARTY)
_INSERT_CLAIM = insert(CLAIM)


def advance(
    session: Session,
    *,
    case_id: int,
    action: str,
    expected_version: int,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> EventRecord:
    """Apply one action to a case and log it; the caller commits.

    Raises ``NotFound``, ``Conflict`` (the case moved past ``expected_version``; nothing is
    written), ``TransitionNotAllowed``, ``GuardFailed`` (with the guards' messages) or
    ``InvalidInput``.

    Its statements are built once and run through :class:`mediation.db.Prebuilt`, on the
    session's own transaction (objects pending in the session are flushed first, as a query
    through the session would).
    """
    data = data or {}
    today = today or clock.today()
    now = clock.utcnow()
    session.flush()
    with prebuilt_in(session) as runner:
        # The facts, case row and event functions take a Connection; they only call
        # execute() with prebuilt statements, which Prebuilt runs.
        connection = cast(Connection, runner)
        if action in TRIGGER_HANDLERS:
            case, facts = load_facts(connection, case_id, today)
            _check_version(case, expected_version)
            given = _trigger_input(data)
            if action == "apply_conversion":
                facts = _with_term_categories(session, case_id, facts)
            subject = CaseSubject(case.state, facts, given)
            decision = workflow.decide(subject, action)
            if not decision.declared:
                raise TransitionNotAllowed(
                    f"{action} is not possible from {case.state} "
                    f"({workflow.STATE_LABELS_ZH[workflow.CaseState(case.state)]})"
                )
            if decision.blockers:
                raise GuardFailed(action, decision.blockers)
            change = TRIGGER_HANDLERS[action](Context(session, case, data, actor, today, now))
            new_state = workflow.fire(subject, action).value
        elif action in RECORDING_HANDLERS:
            case = load_case_row(connection, case_id)
            _check_version(case, expected_version)
            if not workflow.recording_allowed(action, case.state):
                raise TransitionNotAllowed(
                    f"{action} is not possible while the case is {case.state}"
                )
            change = RECORDING_HANDLERS[action](Context(session, case, data, actor, today, now))
            new_state = case.state
        else:
            raise InvalidInput(f"unknown action {action!r}")

        new_version = expected_version + 1
        values = {**change.values, "state": new_state, "version": new_version, "updated_at": now}
        result = runner.execute(
            _UPDATE_CASE, {**values, "b_case_id": case_id, "b_expected_version": expected_version}
        )
        if result.rowcount != 1:
            raise Conflict(
                f"case {case.number} was changed by someone else; reload it",
                current_state=case.state,
                current_version=case.version,
            )
        for write in change.writes:
            write(session)
        payload = {**change.payload, "case": snapshot(case, values, new_state, new_version)}
        return append_event(
            connection,
            actor=actor,
            action=action,
            case_id=case_id,
            from_state=case.state,
            to_state=new_state,
            payload=payload,
        )


def _check_version(case: CaseRow, expected_version: int) -> None:
    if case.version != expected_version:
        raise Conflict(
            f"case {case.number} is now at version {case.version} ({case.state}), "
            f"not {expected_version}: it was changed meanwhile; reload it",
            current_state=case.state,
            current_version=case.version,
        )


def _with_term_categories(session: Session, case_id: int, facts: CaseFacts) -> CaseFacts:
    return replace(facts, term_categories=load_term_categories(session, case_id))


# --------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class PartyInput:
    """A party's details as entered at intake."""

    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    legal_representative: str = ""
    agent_name: str = ""
    agent_phone: str = ""


@dataclass(frozen=True)
class ClaimInput:
    """One claim item as entered at intake."""

    category: str
    amount_fen: int
    description: str = ""


def next_case_number(session: Session, prefix: str, year: int) -> str:
    """Return the next free case number of the year, e.g. ``DX-2026-00042``."""
    stem = f"{prefix}-{year}-"
    last = prebuilt(session).execute(_LAST_NUMBER, {"b_pattern": f"{stem}%"}).scalar_one_or_none()
    following = int(last[len(stem) :]) + 1 if last and last[len(stem) :].isdigit() else 1
    return f"{stem}{following:05d}"


def register_case(
    session: Session,
    *,
    actor: Actor,
    organization_id: int,
    town_id: int | None,
    category: str,
    received_on: date,
    worker: PartyInput,
    employer: PartyInput,
    claims: list[ClaimInput],
    source: str = Source.WALK_IN.value,
    summary: str = "",
    knew_on: date | None = None,
    mediator_id: int | None = None,
    number: str | None = None,
    number_prefix: str = "DX",
) -> tuple[int, EventRecord]:
    """Create a case in ``registered`` with its parties and claims, and log it.

    Its statements run through :class:`mediation.db.Prebuilt` on the session's transaction
    (objects pending in the session are not flushed first, as before); the caller commits.
    """
    category = choice({"category": category}, "category", Category)
    source = choice({"source": source}, "source", Source)
    summary = text({"summary": summary}, "summary", limit=10_000)
    if not worker.name.strip():
        raise InvalidInput("worker name: required")
    if not employer.name.strip():
        raise InvalidInput("employer name: required")
    worker_values = party_values(vars(worker))
    employer_values = party_values(vars(employer))
    validate_party(PartyRole.WORKER, worker_values)
    validate_party(PartyRole.EMPLOYER, employer_values)
    claim_rows: list[dict[str, Any]] = []
    for index, claim in enumerate(claims, start=1):
        try:
            claim_rows.append(
                {
                    "category": choice({"category": claim.category}, "category", Category),
                    "amount_fen": fen({"amount_fen": claim.amount_fen}, "amount_fen"),
                    "description": text(
                        {"description": claim.description}, "description", limit=500
                    ),
                }
            )
        except InvalidInput as exc:
            raise InvalidInput(f"claim {index}: {exc}") from None
    if sum(c["amount_fen"] for c in claim_rows) > MAX_FEN:
        raise InvalidInput(f"claims: the claims add up to more than {format_yuan(MAX_FEN)} yuan")
    if knew_on is not None and knew_on > received_on:
        raise InvalidInput("knew_on: cannot be later than the day the application was received")
    with prebuilt_in(session) as runner:
        if not number:
            # Hold the chain head's lock (taken anyway to log the event) while choosing the
            # number: on PostgreSQL two registrations would otherwise pick the same one and one
            # would fail.
            runner.execute(_LOCK_HEAD)
            number = next_case_number(session, number_prefix, received_on.year)
        claimed = sum(c["amount_fen"] for c in claim_rows)
        now = clock.utcnow()
        case_id = runner.execute(
            _INSERT_CASE,
            {
                "number": number,
                "organization_id": organization_id,
                "town_id": town_id,
                "mediator_id": mediator_id,
                "category": category,
                "source": source,
                "summary": summary,
                "state": workflow.CaseState.REGISTERED.value,
                "version": 1,
                "end_reason": "",
                "received_on": received_on,
                "knew_on": knew_on,
                "claimed_fen": claimed,
                "agreed_fen": 0,
                "paid_fen": 0,
                "crux": "",
                "mediation_plan": "",
                "registered_at": now,
                "updated_at": now,
                "imported": False,
            },
        ).scalar_one()
        runner.execute(
            _INSERT_PARTY,
            [
                {
                    **seal_party(case_id, role, {**blank_party(), **values}),
                    "case_id": case_id,
                    "role": role,
                }
                for role, values in (
                    (PartyRole.WORKER.value, worker_values),
                    (PartyRole.EMPLOYER.value, employer_values),
                )
            ],
        )
        if claim_rows:
            runner.execute(_INSERT_CLAIM, [{**c, "case_id": case_id} for c in claim_rows])
        event = append_event(
            # append_event only calls execute() with prebuilt statements, which Prebuilt runs.
            cast(Connection, runner),
            actor=actor,
            action="register",
            case_id=case_id,
            from_state=None,
            to_state=workflow.CaseState.REGISTERED.value,
            payload={
                "number": number,
                "category": category,
                "received_on": received_on.isoformat(),
                "claims": claim_rows,
                "case": {
                    "state": workflow.CaseState.REGISTERED.value,
                    "version": 1,
                    "claimed_fen": claimed,
                    "agreed_fen": 0,
                    "paid_fen": 0,
                },
            },
        )
    return case_id, event
