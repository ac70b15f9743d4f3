"""The supervisors' report by zone and quarter vs the best plain SQL, on 1,000,000 cases.

Builds a SQLite file (the real migrations) with ``--cases`` cases received over five years
(2021–2025) in 8 zones of 24 towns — written straight into ``mediation_case`` with plain SQL,
without the ``case_tally`` triggers (reports never read the tally) — and times three queries
of the report by zone and quarter (:func:`mediation.reports.series.build_series`: received,
accepted, settled, failed, withdrawn, overdue, claimed, agreed, paid per zone and quarter):

- all time (2021-01-01 to 2025-12-31, 20 quarters);
- one year (2025, 4 quarters);
- one zone-year (one zone in 2025).

The baseline computes the same figures with plain ``sqlite3``: one hand-written query per
scope, three ``GROUP BY`` passes (by the quarter of the day received, ended, accepted) in one
``UNION ALL``, grouped by the town's zone — reading only its best indexes, the covering
indexes of migration 0006 (``ix_case_report_*``: every column each pass reads; the benchmark
prints the plan to show it). The service's queries read the same indexes. Each query runs
``--rounds`` times; the best time of each is compared, and both must give the same figures.

Target: the service within 1.2× of the plain SQL for every query.

    python -m benchmarks.reports [--cases 1000000] [--rounds 5] [--path FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mediation.db import Database
from mediation.reports.series import build_series
from mediation.schema import upgrade

TARGET = 1.2
FIRST = date(2021, 1, 1)
LAST = date(2025, 12, 31)
TODAY = date(2026, 1, 15)
ZONES = 8
TOWNS_PER_ZONE = 3
ORGANIZATIONS = 10
CATEGORIES = ("wages", "overtime", "compensation", "damages", "social_insurance", "injury")
#: (outcome, share): the rest are still open.
OUTCOMES = (("settled", 0.55), ("failed", 0.15), ("withdrawn", 0.08), ("rejected", 0.03))

#: The plain SQL: one pass over the cases of the period, grouped by zone and by the quarter
#: of each day a figure belongs to (received, ended, accepted), unioned and summed.
QUARTER = (
    "((CAST(strftime('%Y', {d}) AS INTEGER) * 12 + CAST(strftime('%m', {d}) AS INTEGER) - 1) / 3)"
)
PLAIN = f"""
SELECT zone_id, q,
       sum(received), sum(claimed), sum(overdue), sum(accepted),
       sum(settled), sum(failed), sum(withdrawn), sum(agreed), sum(paid)
FROM (
  SELECT t.zone_id AS zone_id, {QUARTER.format(d="c.received_on")} AS q,
         count(*) AS received, sum(c.claimed_fen) AS claimed,
         sum(CASE WHEN (c.outcome IN ('settled', 'failed', 'withdrawn')
                        AND c.outcome_on > date(c.received_on, '+15 days'))
                    OR (c.outcome IS NULL
                        AND c.state IN ('finding_crux', 'registered', 'seizing_opening')
                        AND c.received_on < :overdue_before) THEN 1 ELSE 0 END) AS overdue,
         sum(CASE WHEN c.imported = 1 AND c.accepted_on IS NULL
                   AND (c.outcome IS NULL OR c.outcome != 'rejected') THEN 1 ELSE 0 END)
           AS accepted,
         0 AS settled, 0 AS failed, 0 AS withdrawn, 0 AS agreed, 0 AS paid
  FROM mediation_case c LEFT JOIN town t ON t.id = c.town_id
  WHERE c.received_on BETWEEN :start AND :end {{zone}}
  GROUP BY 1, 2
  UNION ALL
  SELECT t.zone_id, {QUARTER.format(d="c.outcome_on")},
         0, 0, 0, 0,
         sum(c.outcome = 'settled'), sum(c.outcome = 'failed'), sum(c.outcome = 'withdrawn'),
         sum(CASE WHEN c.outcome = 'settled' THEN c.agreed_fen ELSE 0 END),
         sum(CASE WHEN c.outcome = 'settled' THEN c.paid_fen ELSE 0 END)
  FROM mediation_case c LEFT JOIN town t ON t.id = c.town_id
  WHERE c.outcome IN ('settled', 'failed', 'withdrawn') AND c.outcome_on BETWEEN :start AND :end
        {{zone}}
  GROUP BY 1, 2
  UNION ALL
  SELECT t.zone_id, {QUARTER.format(d="c.accepted_on")}, 0, 0, 0, count(*), 0, 0, 0, 0, 0
  FROM mediation_case c LEFT JOIN town t ON t.id = c.town_id
  WHERE c.accepted_on BETWEEN :start AND :end {{zone}}
  GROUP BY 1, 2
)
GROUP BY zone_id, q
"""


def _day(offset: int) -> str:
    return (FIRST + timedelta(days=offset)).isoformat()


def generate(path: Path, cases: int, seed: int = 2026) -> None:
    """Create the benchmark database with ``cases`` cases."""
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()
    rng = random.Random(seed)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    for name in ("case_tally_insert", "case_tally_update", "case_tally_delete"):
        connection.execute(f"DROP TRIGGER IF EXISTS {name}")
    with connection:
        for zone in range(1, ZONES + 1):
            connection.execute(
                "INSERT INTO zone (id, name, claim_window_hours) VALUES (?, ?, 48)",
                (zone, f"片区{zone}"),
            )
            for town in range(TOWNS_PER_ZONE):
                town_id = (zone - 1) * TOWNS_PER_ZONE + town + 1
                connection.execute(
                    "INSERT INTO town (id, name, kind, zone_id) VALUES (?, ?, 'town', ?)",
                    (town_id, f"镇{town_id}", zone),
                )
        for org in range(1, ORGANIZATIONS + 1):
            connection.execute(
                "INSERT INTO organization (id, name, level, town_id) VALUES (?, ?, ?, ?)",
                (org, f"调解组织{org}", "district" if org == 1 else "town", org),
            )
    span = (LAST - FIRST).days + 1
    towns = ZONES * TOWNS_PER_ZONE
    rows: list[tuple[Any, ...]] = []
    for number in range(1, cases + 1):
        received = rng.randrange(span)
        draw = rng.random()
        outcome = None
        for name, share in OUTCOMES:
            if draw < share:
                outcome = name
                break
            draw -= share
        claimed = rng.randrange(1_000, 100_000) * 100
        agreed = paid = 0
        outcome_on = accepted_on = None
        state = rng.choice(("finding_crux", "seizing_opening", "ensuring_performance"))
        if outcome is not None:
            ended = min(received + rng.randrange(0, 45), span + 20)
            outcome_on = _day(ended)
            state = {"settled": "closed", "rejected": "rejected"}.get(outcome, outcome)
        if outcome == "settled":
            agreed = claimed * rng.randrange(60, 101) // 100
            paid = agreed if rng.random() < 0.85 else agreed // 2
        if outcome != "rejected":
            accepted_on = _day(received + rng.randrange(0, 3))
        rows.append(
            (
                f"BM-{number:07d}",
                rng.randrange(1, ORGANIZATIONS + 1),
                rng.randrange(1, towns + 1) if rng.random() < 0.97 else None,
                rng.choice(CATEGORIES),
                state,
                outcome,
                outcome_on,
                _day(received),
                accepted_on,
                claimed,
                agreed,
                paid,
            )
        )
        if len(rows) == 50_000:
            _insert(connection, rows)
            rows = []
    if rows:
        _insert(connection, rows)
    connection.execute("ANALYZE")
    connection.close()


def _insert(connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    with connection:
        connection.executemany(
            "INSERT INTO mediation_case (number, organization_id, town_id, category, source, "
            "summary, state, version, outcome, outcome_on, end_reason, received_on, accepted_on, "
            "claimed_fen, agreed_fen, paid_fen, crux, mediation_plan, registered_at, updated_at, "
            "imported) VALUES (?, ?, ?, ?, 'walk_in', '', ?, 1, ?, ?, '', ?, ?, ?, ?, ?, '', '', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)",
            rows,
        )


def _best(run: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def _plain(path: Path, start: date, end: date, zone: int | None) -> Callable[[], Any]:
    sql = PLAIN.replace("{zone}", "AND t.zone_id = :zone" if zone is not None else "")
    params = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "zone": zone,
        "overdue_before": (TODAY - timedelta(days=15)).isoformat(),
    }

    def run() -> Any:
        connection = sqlite3.connect(path)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    return run


def _service(database: Database, start: date, end: date, zone: int | None) -> Callable[[], Any]:
    def run() -> Any:
        with database.read_session() as session:
            return build_series(
                session,
                date_from=start,
                date_to=end,
                by="zone",
                bucket="quarter",
                group=str(zone) if zone is not None else None,
                today=TODAY,
            )

    return run


def _plan(path: Path) -> list[str]:
    """Return how SQLite runs the plain SQL (each pass should read a covering index)."""
    sql = PLAIN.replace("{zone}", "")
    params = {"start": "2025-01-01", "end": "2025-12-31", "overdue_before": "2025-12-31"}
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    finally:
        connection.close()
    return [row[3] for row in rows if "INDEX" in row[3] or "SCAN" in row[3]]


def _same(service: Any, plain: list[tuple[Any, ...]]) -> bool:
    """Tell whether both computed the same received, settled and agreed per zone and quarter."""
    mine = {
        (key, index): (row.received, row.settled, row.agreed_fen, row.accepted, row.overdue)
        for (key, index), row in service.cells.items()
    }
    theirs = {
        ("none" if zone is None else str(zone), q): (received, settled, agreed, accepted, overdue)
        for zone, q, received, _c, overdue, accepted, settled, _f, _w, agreed, _p in plain
    }
    return mine == theirs


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Build the data, run the queries and print the table; return the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", type=Path, default=None, help="keep the database here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        path = args.path or Path(tmp, "reports.sqlite3")
        if not path.exists():
            started = time.perf_counter()
            generate(path, args.cases)
            print(f"{args.cases} cases written in {time.perf_counter() - started:.1f} s")
        scopes = {
            "all time, by zone and quarter": (FIRST, LAST, None),
            "one year, by zone and quarter": (date(2025, 1, 1), LAST, None),
            "one zone-year, by quarter": (date(2025, 1, 1), LAST, 3),
        }
        database = Database(f"sqlite:///{path}")
        figures: dict[str, Any] = {"cases": args.cases, "rounds": args.rounds, "queries": {}}
        print("plain SQL plan:", "; ".join(_plan(path)))
        for name, (start, end, zone) in scopes.items():
            plain_time, plain = _best(_plain(path, start, end, zone), args.rounds)
            service_time, service = _best(_service(database, start, end, zone), args.rounds)
            figures["queries"][name] = {
                "service_ms": round(service_time * 1000, 1),
                "plain_ms": round(plain_time * 1000, 1),
                "ratio": round(service_time / plain_time, 2),
                "same_figures": _same(service, plain),
            }
        database.dispose()
    ratios = [q["ratio"] for q in figures["queries"].values()]
    figures["target"] = TARGET
    figures["met"] = all(r <= TARGET for r in ratios)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return figures
    print(f"report by zone and quarter, {args.cases} cases, SQLite, best of {args.rounds}")
    print(f"{'query':<34}{'service ms':>12}{'plain ms':>10}{'ratio':>7}  same figures")
    for name, q in figures["queries"].items():
        print(
            f"{name:<34}{q['service_ms']:>12.1f}{q['plain_ms']:>10.1f}{q['ratio']:>7.2f}"
            f"  {'yes' if q['same_figures'] else 'NO'}"
        )
    verdict = "met" if figures["met"] else "NOT met"
    print(f"target: every ratio <= {TARGET} ({verdict})")
    return figures


if __name__ == "__main__":
    main()


# --------------------------------------------------------------------------- python -m benchmarks
# (added for the one table of ``python -m benchmarks``; the code above is unchanged)

import benchmarks.table as _table  # noqa: E402


def collect(options: _table.Options) -> list[_table.Figure]:
    """Run :func:`main` on ``options.report_cases`` cases; return one figure per query."""
    import contextlib
    import io

    rounds = max(5, options.rounds)  # as main's default: the best of 5 is steadier
    with contextlib.redirect_stdout(io.StringIO()):
        figures = main(["--cases", str(options.report_cases), "--rounds", str(rounds), "--json"])
    rows: list[_table.Figure] = []
    for name, query in figures["queries"].items():
        rows.append(
            _table.cost_figure(
                f"supervisor report, {name}: service vs best plain SQL",
                query["service_ms"],
                query["plain_ms"],
                target=TARGET,
                group="reports",
                unit="ms",
                note=(
                    f"{options.report_cases:,} cases on SQLite, best of {rounds}; same figures: "
                    f"{'yes' if query['same_figures'] else 'NO'}"
                ),
            )
        )
    return rows
