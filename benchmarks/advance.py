"""Advance a case through the service vs the same SQL through plain ``sqlite3``.

Each operation is "accept a registered case": read the case and the facts its guards need
(one SELECT), check the guards, UPDATE the case with its version check, lock the chain head,
INSERT the event with its hash, move the head, COMMIT — on a SQLite file in WAL mode with
``synchronous=FULL``. The baseline runs exactly those statements (the facts SELECT is the
service's own SQL text) with the standard library's ``sqlite3``, hashing the event the same
way. Both run in this process, alternating in chunks of 100 operations (so both see the same
load and disk latency on a shared machine); the best round of each is compared.

Target: the service reaches at least 0.5 of the plain ``sqlite3`` rate.

    python -m benchmarks.advance [--cases 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect

from benchmarks.table import Figure, Options, rate_figure
from mediation.audit.chain import Actor, canonical_json, event_hash
from mediation.cases.facts import FACTS_STATEMENT
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import SQLITE_BUSY_TIMEOUT_MS, Database
from mediation.people.models import Organization
from mediation.schema import upgrade
from workflows.case import MACHINE

TARGET = 0.5
#: Operations run by one side before the other takes its turn.
CHUNK = 100
#: CPU time of this process spent by each side, over every round.
CPU_SECONDS = {"service": 0.0, "plain": 0.0}
ACTOR = Actor(None, "bench")
TODAY = date(2026, 3, 2)


def _prepare(path: Path, cases: int) -> list[int]:
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    with database.writing() as session:
        org = Organization(name="大兴区劳动争议调解中心", level="district")
        session.add(org)
        session.flush()
        assert org.id is not None
        ids = [
            register_case(
                session,
                actor=ACTOR,
                organization_id=org.id,
                town_id=None,
                category="wages",
                received_on=TODAY,
                worker=PartyInput("张伟", "11010519491231002X", "13800138000"),
                employer=PartyInput("北京兴旺建筑工程有限公司", "91350100M000100Y43"),
                claims=[ClaimInput("wages", 1_200_000)],
            )[0]
            for _ in range(cases)
        ]
    database.dispose()
    return ids


def run_service(path: Path, ids: list[int]) -> float:
    """Accept every case through ``advance``; return operations per second."""
    database = Database(f"sqlite:///{path}")
    with database.engine.connect():
        pass  # connect (and set the pragmas) before timing, as run_plain does
    start, cpu = time.perf_counter(), time.process_time()
    for case_id in ids:
        with database.writing() as session:
            advance(
                session,
                case_id=case_id,
                action="accept",
                expected_version=1,
                actor=ACTOR,
                today=TODAY,
            )
    elapsed = time.perf_counter() - start
    CPU_SECONDS["service"] += time.process_time() - cpu
    database.dispose()
    return len(ids) / elapsed


def _facts_sql() -> tuple[str, list[str], dict[str, Any]]:
    compiled = FACTS_STATEMENT.compile(dialect=sqlite_dialect.dialect())
    return str(compiled), list(compiled.positiontup or []), dict(compiled.params)


def run_plain(path: Path, ids: list[int]) -> float:
    """Do the same statements with the standard library's sqlite3."""
    facts_sql, facts_names, facts_defaults = _facts_sql()
    connection = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys=ON")
    start, cpu = time.perf_counter(), time.process_time()
    for case_id in ids:
        connection.execute("BEGIN IMMEDIATE")
        values = {**facts_defaults, "case_id": case_id, "today": TODAY.isoformat()}
        row = connection.execute(facts_sql, [values[name] for name in facts_names]).fetchone()
        state, version = row[2], row[3]
        worker_complete, employer_complete, claims = row[12], row[13], row[14]
        if state != "registered" or version != 1:
            raise RuntimeError("unexpected case state")
        if not (worker_complete and employer_complete and claims > 0):
            raise RuntimeError("guards should hold")
        now = datetime.now(UTC)
        stamp = now.replace(tzinfo=None).isoformat(sep=" ")
        cursor = connection.execute(
            "UPDATE mediation_case SET accepted_on=?, accepted_at=?, state=?, version=?, "
            "updated_at=? WHERE mediation_case.id = ? AND mediation_case.version = ?",
            (TODAY.isoformat(), stamp, "finding_crux", 2, stamp, case_id, 1),
        )
        if cursor.rowcount != 1:
            raise RuntimeError("conflict")
        seq, prev_hash = connection.execute(
            "SELECT audit_head.seq, audit_head.hash FROM audit_head WHERE audit_head.id = ?", (1,)
        ).fetchone()
        payload = canonical_json(
            {
                "case": {
                    "state": "finding_crux",
                    "version": 2,
                    "claimed_fen": row[5],
                    "agreed_fen": row[6],
                    "paid_fen": row[7],
                }
            }
        )
        digest = event_hash(
            prev_hash=prev_hash,
            seq=seq + 1,
            case_id=case_id,
            actor_id=None,
            actor=ACTOR.name,
            action="accept",
            from_state="registered",
            to_state="finding_crux",
            payload=payload,
            created_at=now,
        )
        connection.execute(
            "INSERT INTO audit_event (seq, case_id, actor_id, actor, action, from_state, "
            "to_state, payload, created_at, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq + 1,
                case_id,
                None,
                ACTOR.name,
                "accept",
                "registered",
                "finding_crux",
                payload,
                stamp,
                prev_hash,
                digest,
            ),
        )
        connection.execute(
            "UPDATE audit_head SET seq=?, hash=? WHERE audit_head.id = ?", (seq + 1, digest, 1)
        )
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    CPU_SECONDS["plain"] += time.process_time() - cpu
    connection.close()
    return len(ids) / elapsed


def measure(cases: int, rounds: int) -> dict[str, Any]:
    """Run ``rounds`` alternating rounds of ``cases`` operations each; return the figures."""
    service_rates: list[float] = []
    plain_rates: list[float] = []
    CPU_SECONDS.update(service=0.0, plain=0.0)
    with tempfile.TemporaryDirectory(prefix="bench-advance-") as tmp:
        for round_no in range(rounds):
            service_db = Path(tmp, f"service-{round_no}.sqlite3")
            plain_db = Path(tmp, f"plain-{round_no}.sqlite3")
            service_ids = _prepare(service_db, cases)
            plain_ids = _prepare(plain_db, cases)
            # Alternate in chunks, so both see the same machine (and the same disk latency).
            plain_s = service_s = 0.0
            for first in range(0, cases, CHUNK):
                plain_part = plain_ids[first : first + CHUNK]
                service_part = service_ids[first : first + CHUNK]
                plain_s += len(plain_part) / run_plain(plain_db, plain_part)
                service_s += len(service_part) / run_service(service_db, service_part)
            plain_rates.append(cases / plain_s)
            service_rates.append(cases / service_s)
    best_service, best_plain = max(service_rates), max(plain_rates)
    ratio = best_service / best_plain
    return {
        "operations_per_round": cases,
        "rounds": rounds,
        "service_per_s": round(best_service),
        "plain_sqlite3_per_s": round(best_plain),
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio >= TARGET,
        "service_median_per_s": round(statistics.median(service_rates)),
        "plain_median_per_s": round(statistics.median(plain_rates)),
        "machine_models_registered": len(MACHINE.models),
        "service_cpu_ms": round(1000 * CPU_SECONDS["service"] / (cases * rounds), 3),
        "plain_cpu_ms": round(1000 * CPU_SECONDS["plain"] / (cases * rounds), 3),
        "service_best_exact": best_service,
        "plain_best_exact": best_plain,
    }


def collect(options: Options) -> list[Figure]:
    """The figure of ``python -m benchmarks``: service vs plain ``sqlite3``."""
    figures = measure(options.advance_cases, options.rounds)
    return [
        rate_figure(
            "advance a case (accept): service vs plain sqlite3, same SQL",
            figures["service_best_exact"],
            figures["plain_best_exact"],
            target=TARGET,
            group="advance",
            note=(
                f"{options.advance_cases:,} operations × {options.rounds} rounds (best), SQLite "
                f"WAL synchronous=FULL; medians {figures['service_median_per_s']}/s vs "
                f"{figures['plain_median_per_s']}/s; CPU of this process per operation: service "
                f"{figures['service_cpu_ms']:.3f} ms, plain sqlite3 {figures['plain_cpu_ms']:.3f} "
                f"ms (the rest of the time waits on the durable commit)"
            ),
        )
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its table; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="operations per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.cases, args.rounds)
    best_service = figures.pop("service_best_exact")
    best_plain = figures.pop("plain_best_exact")
    ratio = best_service / best_plain
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            "advance a case (accept), SQLite WAL synchronous=FULL, best of", args.rounds, "rounds"
        )
        print(f"{'figure':<32}{'rate/s':>10}")
        print(f"{'service advance()':<32}{best_service:>10.0f}")
        print(f"{'plain sqlite3, same SQL':<32}{best_plain:>10.0f}")
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(f"ratio service/plain: {ratio:.2f}  (target >= {TARGET}: {verdict})")
    return figures


if __name__ == "__main__":
    main()
