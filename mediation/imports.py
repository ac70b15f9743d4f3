"""Import historic cases from a CSV file (DESIGN §7): every row, or nothing.

The file is UTF-8 (a byte-order mark, as Excel writes it, is allowed) with this header row, in
any column order::

    case_number,organization,level,town,category,received_on,outcome,closed_on,
    claimed_amount,agreed_amount,paid_amount,applicant,respondent

Every field is stripped of surrounding blanks. Required: ``case_number``, ``organization``,
``level``, ``category``, ``received_on``, ``outcome``, ``closed_on``, ``claimed_amount`` (``0``
is allowed), ``applicant``, ``respondent``; a settled row also needs ``agreed_amount`` (greater
than zero). ``town`` may be empty (the case then has no town and so no zone); ``paid_amount``
empty means nothing was paid. A row that is not settled must leave ``agreed_amount`` and
``paid_amount`` empty (or zero). Blank lines are skipped. Line numbers count the header as
line 1 and name the line where a record starts.

The whole file is read and checked — against itself and against the database (duplicate case
numbers, an organisation that exists with another level) — before anything is written; the
first bad row raises :class:`ImportFailed` naming its line. The caller runs the import in one
transaction.

Each case is written as it would look had it been recorded in the application, so that
:func:`mediation.audit.verify.verify` holds for it: parties, a claim item, for a settled case an
agreement with one term and the payment, and one ``import`` event on the audit chain whose
snapshot vouches for the case's state and amounts. The historic closure kind is unknown, so a
settled case is ``closed`` with ``closed_as`` left empty; ``outcome_on`` is ``closed_on``.
Unknown towns (without a zone) and organisations (in the row's town) are created.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, insert, select
from sqlmodel import Session

from mediation.audit.chain import Actor, NewEvent, append_events
from mediation.cases.actions import blank_party
from mediation.cases.enums import CATEGORY_LABELS, Level, Outcome, PartyRole, Source, parse_category
from mediation.cases.inputs import has_control_characters
from mediation.clock import parse_date, utcnow
from mediation.errors import InvalidInput
from mediation.money import parse_yuan
from mediation.tables import AGREEMENT, CASE, CLAIM, ORGANIZATION, PARTY, PAYMENT, TERM, TOWN

COLUMNS = (
    "case_number",
    "organization",
    "level",
    "town",
    "category",
    "received_on",
    "outcome",
    "closed_on",
    "claimed_amount",
    "agreed_amount",
    "paid_amount",
    "applicant",
    "respondent",
)
REQUIRED = (
    "case_number",
    "organization",
    "level",
    "category",
    "received_on",
    "outcome",
    "closed_on",
    "claimed_amount",
    "applicant",
    "respondent",
)
#: Longest text each field may hold (the column sizes of the schema).
LIMITS = {"case_number": 40, "organization": 200, "town": 100, "applicant": 200, "respondent": 200}
#: How many names one ``IN (...)`` look-up carries.
CHUNK = 500

#: The state an imported case ends in, by its outcome.
STATE_OF_OUTCOME = {
    Outcome.SETTLED: "closed",
    Outcome.FAILED: "failed",
    Outcome.WITHDRAWN: "withdrawn",
    Outcome.REJECTED: "rejected",
}
IMPORT_METHOD = "other"
IMPORT_RECEIPT = "import"
_WRONG_WIDTH = "\0width"

ImportSource = str | os.PathLike[str] | IO[str] | IO[bytes]


class ImportFailed(InvalidInput):
    """A row of the file is wrong; nothing was imported."""

    def __init__(self, line_number: int, message: str) -> None:
        self.line_number = line_number
        self.message = message
        super().__init__(f"line {line_number}: {message}")


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    cases: int
    organizations_created: int
    towns_created: int


@dataclass(frozen=True)
class _Row:
    line: int
    number: str
    organization: str
    level: str
    town: str
    category: str
    received_on: date
    outcome: Outcome
    closed_on: date
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    applicant: str
    respondent: str

    @property
    def state(self) -> str:
        return STATE_OF_OUTCOME[self.outcome]


# --------------------------------------------------------------------------- reading


def _read_text(source: ImportSource) -> str:
    if isinstance(source, str | os.PathLike):
        data: str | bytes = Path(source).read_bytes()
    else:
        data = source.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            line,
            "the file is not UTF-8 text (in Excel: save as 'CSV UTF-8'); "
            f"byte {exc.start + 1} cannot be decoded",
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, fields), skipping blank lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(previous + 1, f"not valid CSV: {exc}") from None
        start, previous = previous + 1, reader.line_num
        if any(field.strip() for field in fields):
            yield start, fields


def _header(records: Iterator[tuple[int, list[str]]]) -> dict[str, int]:
    first = next(records, None)
    if first is None:
        raise ImportFailed(1, f"the file is empty; expected the header row {','.join(COLUMNS)}")
    line, names = first
    positions: dict[str, int] = {}
    for index, raw in enumerate(names):
        name = raw.strip()
        if name not in COLUMNS:
            raise ImportFailed(
                line, f"unknown column {name!r}; the columns are {','.join(COLUMNS)}"
            )
        if name in positions:
            raise ImportFailed(line, f"column {name!r} appears twice")
        positions[name] = index
    missing = [name for name in COLUMNS if name not in positions]
    if missing:
        raise ImportFailed(
            line, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
        )
    return positions


# --------------------------------------------------------------------------- checking


def _amount(fields: dict[str, str], name: str) -> int:
    text = fields[name]
    if not text:
        return 0
    return parse_yuan(text, what=name)


def _parse(fields: dict[str, str]) -> dict[str, Any]:
    """Check one row on its own; raise InvalidInput naming the field."""
    for name in COLUMNS:
        if has_control_characters(fields[name]):
            raise InvalidInput(f"{name}: contains control characters")
    for name in REQUIRED:
        if not fields[name]:
            raise InvalidInput(f"{name}: required")
    for name, limit in LIMITS.items():
        if len(fields[name]) > limit:
            raise InvalidInput(f"{name}: longer than {limit} characters")
    level = fields["level"]
    if level not in {lv.value for lv in Level}:
        raise InvalidInput(f"level: {level!r} is not one of {', '.join(lv.value for lv in Level)}")
    try:
        category = parse_category(fields["category"]).value
    except ValueError:
        raise InvalidInput(
            f"category: {fields['category']!r} is not a dispute category "
            f"(one of {', '.join(c.value for c in CATEGORY_LABELS)} or its Chinese label)"
        ) from None
    received_on = parse_date(fields["received_on"], what="received_on")
    try:
        outcome = Outcome(fields["outcome"])
    except ValueError:
        raise InvalidInput(
            f"outcome: {fields['outcome']!r} is not one of {', '.join(o.value for o in Outcome)}"
        ) from None
    closed_on = parse_date(fields["closed_on"], what="closed_on")
    if closed_on < received_on:
        raise InvalidInput(
            f"closed_on: {closed_on.isoformat()} is before received_on {received_on.isoformat()}"
        )
    claimed = _amount(fields, "claimed_amount")
    agreed = _amount(fields, "agreed_amount")
    paid = _amount(fields, "paid_amount")
    if outcome is Outcome.SETTLED:
        if agreed == 0:
            raise InvalidInput(
                "agreed_amount: required for a settled case (an amount greater than zero)"
            )
        if paid > agreed:
            raise InvalidInput(
                f"paid_amount: {fields['paid_amount']!r} is more than the agreed amount "
                f"{fields['agreed_amount']!r}"
            )
    else:
        for name, value in (("agreed_amount", agreed), ("paid_amount", paid)):
            if value:
                raise InvalidInput(
                    f"{name}: {fields[name]!r} given for a case that was not settled "
                    f"(outcome {outcome.value}); leave it empty"
                )
    return {
        "number": fields["case_number"],
        "organization": fields["organization"],
        "level": level,
        "town": fields["town"],
        "category": category,
        "received_on": received_on,
        "outcome": outcome,
        "closed_on": closed_on,
        "claimed_fen": claimed,
        "agreed_fen": agreed,
        "paid_fen": paid,
        "applicant": fields["applicant"],
        "respondent": fields["respondent"],
    }


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _lookup(session: Session, table: Table, key: str, values: Iterable[str], *extra: str) -> Any:
    """Return {value: row} for the rows of ``table`` whose ``key`` column is one of values."""
    # Text with control characters is never stored (PostgreSQL refuses NUL even in a
    # query): its row is refused by _parse, with its line.
    wanted = sorted({value for value in values if value and not has_control_characters(value)})
    found: dict[str, Any] = {}
    column = table.c[key]
    for chunk in _chunks(wanted):
        query = select(column, table.c.id, *(table.c[name] for name in extra)).where(
            column.in_(chunk)
        )
        for row in session.execute(query):
            found[row[0]] = row
    return found


@dataclass
class _Plan:
    rows: list[_Row]
    organizations: dict[str, int]
    new_organizations: dict[str, tuple[str, str]]  # name -> (level, town name)
    towns: dict[str, int]
    new_towns: list[str]


def _check(session: Session, text: str) -> _Plan:
    """Read and check the whole file; write nothing."""
    records = _records(text)
    positions = _header(records)
    raw: list[tuple[int, dict[str, str]]] = []
    blank = dict.fromkeys(positions, "")
    for line, cells in records:
        if len(cells) != len(positions):
            # Reported in line order below, with the other errors; look nothing up for it.
            raw.append((line, {**blank, _WRONG_WIDTH: str(len(cells))}))
            continue
        raw.append((line, {name: cells[index].strip() for name, index in positions.items()}))

    # The database's side of the checks, read once for the whole file.
    existing_numbers = _lookup(session, CASE, "number", (f["case_number"] for _, f in raw))
    existing_orgs = _lookup(
        session, ORGANIZATION, "name", (f["organization"] for _, f in raw), "level"
    )
    existing_towns = _lookup(session, TOWN, "name", (f["town"] for _, f in raw))

    rows: list[_Row] = []
    seen_numbers: dict[str, int] = {}
    new_orgs: dict[str, tuple[str, str, int]] = {}  # name -> (level, town, first line)
    new_towns: dict[str, None] = {}
    for line, fields in raw:
        if _WRONG_WIDTH in fields:
            raise ImportFailed(
                line,
                f"expected {len(positions)} fields, found {fields[_WRONG_WIDTH]} "
                "(a missing or extra comma?)",
            )
        try:
            values = _parse(fields)
        except InvalidInput as exc:
            raise ImportFailed(line, str(exc)) from None
        number = values["number"]
        if number in seen_numbers:
            raise ImportFailed(
                line, f"case_number: {number!r} appears twice (also on line {seen_numbers[number]})"
            )
        if number in existing_numbers:
            raise ImportFailed(line, f"case_number: {number!r} is already in the database")
        seen_numbers[number] = line
        name, level = values["organization"], values["level"]
        if name in existing_orgs:
            if existing_orgs[name].level != level:
                raise ImportFailed(
                    line,
                    f"level: organization {name!r} exists with level "
                    f"{existing_orgs[name].level!r}, not {level!r}",
                )
        elif name in new_orgs:
            if new_orgs[name][0] != level:
                raise ImportFailed(
                    line,
                    f"level: organization {name!r} is given as {new_orgs[name][0]!r} "
                    f"on line {new_orgs[name][2]}, here as {level!r}",
                )
        else:
            new_orgs[name] = (level, values["town"], line)
        town = values["town"]
        if town and town not in existing_towns:
            new_towns[town] = None
        rows.append(_Row(line=line, **values))
    return _Plan(
        rows=rows,
        organizations={name: row.id for name, row in existing_orgs.items()},
        new_organizations={name: (lv, town) for name, (lv, town, _) in new_orgs.items()},
        towns={name: row.id for name, row in existing_towns.items()},
        new_towns=list(new_towns),
    )


# --------------------------------------------------------------------------- writing


def _insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in batches; return their ids in the order of ``rows``."""
    if not rows:
        return []
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [row[0] for row in result]


def _write(session: Session, plan: _Plan, actor: Actor) -> None:
    now = utcnow()
    towns = dict(plan.towns)
    town_ids = _insert_returning_ids(
        session, TOWN, [{"name": name, "kind": "town", "zone_id": None} for name in plan.new_towns]
    )
    towns.update(zip(plan.new_towns, town_ids, strict=True))

    organizations = dict(plan.organizations)
    new_orgs = list(plan.new_organizations.items())
    org_ids = _insert_returning_ids(
        session,
        ORGANIZATION,
        [
            {"name": name, "level": level, "town_id": towns.get(town) if town else None}
            for name, (level, town) in new_orgs
        ],
    )
    organizations.update(zip((name for name, _ in new_orgs), org_ids, strict=True))

    case_ids = _insert_returning_ids(
        session,
        CASE,
        [
            {
                "number": row.number,
                "organization_id": organizations[row.organization],
                "town_id": towns[row.town] if row.town else None,
                "mediator_id": None,
                "category": row.category,
                "source": Source.IMPORT.value,
                "summary": "",
                "state": row.state,
                "version": 1,
                "outcome": row.outcome.value,
                "outcome_on": row.closed_on,
                "closed_as": None,
                "end_reason": "",
                "received_on": row.received_on,
                "claimed_fen": row.claimed_fen,
                "agreed_fen": row.agreed_fen,
                "paid_fen": row.paid_fen,
                "crux": "",
                "mediation_plan": "",
                "registered_at": now,
                "updated_at": now,
                "imported": True,
            }
            for row in plan.rows
        ],
    )
    parties: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    agreements: list[dict[str, Any]] = []
    settled: list[_Row] = []
    for row, case_id in zip(plan.rows, case_ids, strict=True):
        parties.append(
            {
                **blank_party(),
                "case_id": case_id,
                "role": PartyRole.WORKER.value,
                "name": row.applicant,
            }
        )
        parties.append(
            {
                **blank_party(),
                "case_id": case_id,
                "role": PartyRole.EMPLOYER.value,
                "name": row.respondent,
            }
        )
        if row.claimed_fen:
            claims.append(
                {
                    "case_id": case_id,
                    "category": row.category,
                    "amount_fen": row.claimed_fen,
                    "description": "",
                }
            )
        if row.outcome is Outcome.SETTLED:
            settled.append(row)
            agreements.append(
                {
                    "case_id": case_id,
                    "method": IMPORT_METHOD,
                    "notes": "",
                    "effective_on": row.closed_on,
                }
            )
            if row.paid_fen:
                payments.append(
                    {
                        "case_id": case_id,
                        "paid_on": row.closed_on,
                        "amount_fen": row.paid_fen,
                        "method": IMPORT_METHOD,
                        "receipt_ref": IMPORT_RECEIPT,
                    }
                )
    if parties:
        session.execute(insert(PARTY), parties)
    if claims:
        session.execute(insert(CLAIM), claims)
    if payments:
        session.execute(insert(PAYMENT), payments)
    agreement_ids = _insert_returning_ids(session, AGREEMENT, agreements)
    if agreement_ids:
        session.execute(
            insert(TERM),
            [
                {
                    "agreement_id": agreement_id,
                    "category": row.category,
                    "amount_fen": row.agreed_fen,
                    "description": "",
                }
                for row, agreement_id in zip(settled, agreement_ids, strict=True)
            ],
        )

    append_events(
        session,
        actor=actor,
        events=[
            NewEvent(
                action="import",
                case_id=case_id,
                from_state=None,
                to_state=row.state,
                payload={
                    "line": row.line,
                    "number": row.number,
                    "organization": row.organization,
                    "category": row.category,
                    "received_on": row.received_on.isoformat(),
                    "outcome": row.outcome.value,
                    "outcome_on": row.closed_on.isoformat(),
                    "case": {
                        "state": row.state,
                        "version": 1,
                        "claimed_fen": row.claimed_fen,
                        "agreed_fen": row.agreed_fen,
                        "paid_fen": row.paid_fen,
                    },
                },
            )
            for row, case_id in zip(plan.rows, case_ids, strict=True)
        ],
    )


def import_cases(session: Session, source: ImportSource, *, actor: Actor) -> ImportResult:
    """Check a CSV file of historic cases as a whole, then write every case; the caller commits.

    ``source`` is a path, or a text or binary stream. Raises :class:`ImportFailed` for the
    first bad row, before anything is written.
    """
    plan = _check(session, _read_text(source))
    _write(session, plan, actor)
    return ImportResult(
        cases=len(plan.rows),
        organizations_created=len(plan.new_organizations),
        towns_created=len(plan.new_towns),
    )
