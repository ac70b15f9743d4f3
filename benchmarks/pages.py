"""How fast the mediator's pages answer on a big database, against a trivial route.

A SQLite file with ``--cases`` cases (100,000 by default; :mod:`benchmarks.data` writes it
in a few seconds) is served by the real application; a mediator of the district centre
(about 30 % of the cases) logs in through the login form. In the same run, through the Flask
test client, sequential requests measure:

- a trivial route registered on the same application (a public view returning "ok"), which
  pays for everything every request pays (sessions, extensions, the test client) and nothing
  else;
- the case list (first page, and a filtered page), a case page, and the dashboard.

Each target is warmed up, then timed over ``--requests`` requests, in ``--rounds`` rounds
interleaved with the others; the best round counts. Target: every page reaches at least 0.30
of the trivial route's rate. A page that misses it is profiled (cProfile, and the time of
each SQL statement with SQLite's query plan), so the report says where the time goes.

    python -m benchmarks.pages [--cases 100000] [--requests 100] [--rounds 3] [--check]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

from benchmarks.data import MEDIATOR_PASSWORD, MEDIATOR_USERNAME, Dataset, describe, generate
from mediation.app import create_app, get_database
from mediation.web.access import public

if TYPE_CHECKING:
    from flask import Flask  # noqa: TID251 (types only: this script drives the web app)
    from flask.testing import FlaskClient  # noqa: TID251

TARGET = 0.30
TRIVIAL = "trivial route"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Target:
    """A page to time: its name, its address, and text its answer must contain."""

    name: str
    url: str
    expect: str
    #: Shown for comparison only: not held to the target, not profiled.
    reference: bool = False


def build_app(dataset: Dataset) -> Flask:
    """Create the application on the benchmark database, with a trivial route added."""
    app = create_app({"DATABASE_URL": dataset.url, "SECRET_KEY": "benchmark-not-secret"})

    @public
    def trivial() -> str:
        return "ok"

    app.add_url_rule("/benchmark/trivial", "benchmark_trivial", trivial)
    return app


def log_in(client: FlaskClient) -> None:
    """Log the benchmark's mediator in through the login form."""
    page = client.get("/login").get_data(as_text=True)
    match = _CSRF.search(page)
    if match is None:
        raise SystemExit("the login page has no CSRF token")
    response = client.post(
        "/login",
        data={
            "username": MEDIATOR_USERNAME,
            "password": MEDIATOR_PASSWORD,
            "csrf_token": match.group(1),
        },
    )
    if response.status_code != 302:
        raise SystemExit(f"logging in failed with {response.status_code}")


def targets(dataset: Dataset) -> list[Target]:
    """Return the trivial route and the pages to time."""
    number = dataset.sample_numbers.get("ensuring_performance") or next(
        iter(dataset.sample_numbers.values())
    )
    return [
        Target(TRIVIAL, "/benchmark/trivial", "ok"),
        # The layout and one small form, no query but the session's user: a floor for pages.
        Target("(reference) login page", "/login", 'name="csrf_token"', reference=True),
        Target("case list, first page", "/m/cases", 'href="/m/cases/DX-'),
        Target(
            "case list, filtered",
            f"/m/cases?state=closed&category=wages&town={dataset.town_id}&page=2",
            'href="/m/cases/DX-',
        ),
        Target(f"case page ({number})", f"/m/cases/{number}", number),
        Target("dashboard", "/m/", 'href="/m/cases/DX-'),
    ]


def check(client: FlaskClient, target: Target) -> None:
    """Fail unless the page answers 200 with what it should show."""
    response = client.get(target.url)
    body = response.get_data(as_text=True)
    if response.status_code != 200 or target.expect not in body:
        raise SystemExit(
            f"{target.name}: {target.url} answered {response.status_code} without "
            f"{target.expect!r}:\n{body[:600]}"
        )


def rate(client: FlaskClient, url: str, requests: int) -> float:
    """Send ``requests`` sequential requests; return requests per second."""
    get = client.get
    started = time.perf_counter()
    for _ in range(requests):
        response = get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code} while being timed")
    return requests / (time.perf_counter() - started)


def measure(
    client: FlaskClient, pages: list[Target], *, requests: int, rounds: int, warmup: int
) -> dict[str, float]:
    """Return the best rate of each target over interleaved rounds."""
    for target in pages:
        rate(client, target.url, warmup)
    best: dict[str, float] = defaultdict(float)
    for round_number in range(1, rounds + 1):
        for target in pages:
            best[target.name] = max(best[target.name], rate(client, target.url, requests))
        print(f"  round {round_number}/{rounds} done", file=sys.stderr)
    return dict(best)


def table(rates: dict[str, float], pages: list[Target]) -> str:
    """Format the results: page, rate, trivial rate, ratio, target, met."""
    trivial = rates[TRIVIAL]
    references = {t.name for t in pages if t.reference}
    lines = [
        f"{'page':<36} {'rate/s':>8} {'ms/req':>8} {'trivial/s':>10} {'ratio':>6} "
        f"{'target':>7}  met",
        "-" * 90,
    ]
    for name, value in rates.items():
        if name == TRIVIAL:
            continue
        ratio = value / trivial
        met = "met" if ratio >= TARGET else "NOT met"
        if name in references:
            met = "(not a target)"
        lines.append(
            f"{name:<36} {value:>8.1f} {1000 / value:>8.2f} {trivial:>10.1f} {ratio:>6.3f} "
            f"{'≥ 0.30':>7}  {met}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- profiling


@dataclass
class StatementTime:
    """How long one SQL statement took over the profiled requests."""

    statement: str
    parameters: Any
    calls: int = 0
    seconds: float = 0.0


def _record_statements(app: Flask) -> tuple[dict[str, StatementTime], Callable[[], None]]:
    engine = get_database(app).engine
    times: dict[str, StatementTime] = {}
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        spent = time.perf_counter() - started.pop()
        entry = times.setdefault(statement, StatementTime(statement, parameters))
        entry.calls += 1
        entry.seconds += spent

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)

    def stop() -> None:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)

    return times, stop


def _query_plan(path: Path, entry: StatementTime) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {entry.statement}", entry.parameters)
        return [str(row[3]) for row in rows]
    except sqlite3.Error as exc:
        return [f"(no plan: {exc})"]
    finally:
        connection.close()


#: Files of this project (and its templates) in profiles.
_PROJECT = re.compile(r"^(mediation|forms|workflows|documents)/")


def _functions(stats: pstats.Stats, requests: int) -> list[tuple[str, float, float, float]]:
    """Return (name, cumulative ms, own ms, calls), each per request."""
    rows = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in raw.items():
        short = re.sub(r"^.*?/(site-packages|work/main|lib/python3\.\d+)/", "", filename)
        rows.append(
            (
                f"{short}:{line}({function})",
                1000 * cumulative / requests,
                1000 * own / requests,
                calls / requests,
            )
        )
    return rows


def profile(
    app: Flask, client: FlaskClient, target: Target, dataset: Dataset, requests: int
) -> str:
    """Profile ``requests`` requests of a page: hot functions, then SQL statements by time."""
    times, stop = _record_statements(app)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        for _ in range(requests):
            client.get(target.url)
    finally:
        profiler.disable()
        stop()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    sql_total = sum(t.seconds for t in times.values())
    statements = sum(t.calls for t in times.values()) / requests
    print(f"\n== {target.name}: {target.url}", file=out)
    print(
        f"{1000 * elapsed / requests:.2f} ms per request under the profiler; SQL "
        f"{1000 * sql_total / requests:.2f} ms in {statements:.0f} statements",
        file=out,
    )
    rows = _functions(pstats.Stats(profiler), requests)
    print("-- where the time goes: project code and templates, by cumulative time", file=out)
    print(f"{'cum ms':>8} {'own ms':>7} {'calls':>6}  function (per request)", file=out)
    project = [r for r in rows if _PROJECT.search(r[0])]
    for name, cumulative, own, calls in sorted(project, key=lambda r: -r[1])[:14]:
        print(f"{cumulative:8.2f} {own:7.2f} {calls:6.0f}  {name}", file=out)
    print("-- hot functions anywhere, by own time", file=out)
    for name, cumulative, own, calls in sorted(rows, key=lambda r: -r[2])[:8]:
        print(f"{cumulative:8.2f} {own:7.2f} {calls:6.0f}  {name}", file=out)
    print("-- SQL statements by time, with SQLite's plan", file=out)
    for entry in sorted(times.values(), key=lambda t: t.seconds, reverse=True)[:4]:
        text = " ".join(entry.statement.split())
        print(
            f"{1000 * entry.seconds / requests:8.2f} ms ×{entry.calls / requests:.0f}  "
            f"{text[:400]}{' …' if len(text) > 400 else ''}",
            file=out,
        )
        for step in _query_plan(dataset.path, entry):
            print(f"{'':12}plan: {step}", file=out)
    return out.getvalue()


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Generate the data, time the pages, print the table; profile the pages that miss."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--requests", type=int, default=100, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts")
    parser.add_argument("--warmup", type=int, default=10, help="requests before timing")
    parser.add_argument("--path", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the database at --path as it is")
    parser.add_argument(
        "--no-profile", action="store_true", help="do not profile pages that miss the target"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a page misses the target"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mediation-bench-") as scratch:
        path = args.path or Path(scratch) / "bench.sqlite3"
        if args.reuse and path.exists():
            dataset = describe(path)
            print(f"using {path}: {dataset.cases} cases, {dataset.rows} rows")
        else:
            dataset = generate(path, cases=args.cases)
            print(
                f"generated {dataset.cases} cases ({dataset.organization_cases} of the "
                f"mediator's organisation), {dataset.rows} rows in {dataset.seconds:.1f} s"
            )
        app = build_app(dataset)
        client = app.test_client()
        log_in(client)
        pages = targets(dataset)
        for target in pages:
            check(client, target)
        print(
            f"timing {len(pages)} targets: {args.requests} sequential requests × "
            f"{args.rounds} rounds each (best round), after {args.warmup} warm-up requests"
        )
        rates = measure(
            client, pages, requests=args.requests, rounds=args.rounds, warmup=args.warmup
        )
        print()
        print(table(rates, pages))
        missed = [
            t
            for t in pages
            if t.name != TRIVIAL and not t.reference and rates[t.name] / rates[TRIVIAL] < TARGET
        ]
        if missed and not args.no_profile:
            print("\nProfiles of the pages that miss the target:")
            for target in missed:
                print(profile(app, client, target, dataset, max(10, args.requests // 4)))
        get_database(app).dispose()
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
