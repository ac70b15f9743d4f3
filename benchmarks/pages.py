"""How fast the mediator's pages are served on a big database, against a trivial route.

A SQLite file with ``--cases`` cases (100,000 by default; :mod:`benchmarks.data` writes it
in a few seconds) is served as in production: the real application under gunicorn (sync
workers, ``--workers 2`` by default, as :mod:`mediation.server` runs it) on 127.0.0.1, on a
free port. The only addition is a trivial route (a public view answering "ok" at
``/_bench/ok``), registered on the same application, which pays for everything every request
pays (gunicorn, HTTP, sessions, extensions) and nothing else.

This process logs a mediator of the district centre (about 30 % of the cases) in through the
login form over HTTP, then drives the server with ``--clients`` threads (4 by default), each
on its own ``http.client`` connection carrying the session cookie, in the same run:

- the trivial route, and the login page as a reference (the layout and one small form);
- the case list (first page, and a filtered page), a case page, and the dashboard.

Each target is warmed up, then timed for ``--seconds`` seconds in each of ``--rounds``
rounds interleaved with the others; the best round counts. The CPU time the gunicorn workers
spent per request is shown too (from ``/proc``; 10 ms clock ticks, so it is approximate).
Target: every page reaches at least 0.30 of the trivial route's rate. A page that misses it
is profiled in this process through the Flask test client (cProfile, and the time of each SQL
statement with SQLite's query plan), so the report says where the time goes.

The server is stopped at the end. On a 2-core machine the clients share the CPU with the two
workers: the trivial route's rate is partly bounded by the clients, which the CPU columns show.

``--in-process`` measures as the first version of this benchmark did: sequential requests
through the Flask test client in this process, with no server and no HTTP.

    python -m benchmarks.pages [--cases 100000] [--seconds 3] [--rounds 3] [--check]
    python -m benchmarks.pages --path /tmp/bench.sqlite3 --reuse   # keep the data between runs
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import os
import pstats
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import event

from benchmarks.data import MEDIATOR_PASSWORD, MEDIATOR_USERNAME, Dataset, describe, generate
from mediation.app import create_app, get_database
from mediation.db import Prebuilt
from mediation.web.access import public

if TYPE_CHECKING:
    from flask import Flask  # noqa: TID251 (types only: this script drives the web app)
    from flask.testing import FlaskClient  # noqa: TID251

TARGET = 0.30
TRIVIAL = "trivial route"
TRIVIAL_URL = "/_bench/ok"
SECRET_KEY = "benchmark-not-secret"
USER_AGENT = "mediation-benchmark/1"
ROOT = Path(__file__).resolve().parents[1]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Target:
    """A page to time: its name, its address, and text its answer must contain."""

    name: str
    url: str
    expect: str
    #: Shown for comparison only: not held to the target, not profiled.
    reference: bool = False


def build_app(database_url: str) -> Flask:
    """Create the application on the benchmark database, with a trivial route added."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY})

    @public
    def trivial() -> str:
        return "ok"

    app.add_url_rule(TRIVIAL_URL, "benchmark_trivial", trivial)
    return app


def targets(dataset: Dataset) -> list[Target]:
    """Return the trivial route and the pages to time."""
    number = dataset.sample_numbers.get("ensuring_performance") or next(
        iter(dataset.sample_numbers.values())
    )
    return [
        Target(TRIVIAL, TRIVIAL_URL, "ok"),
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


@dataclass
class Result:
    """The best round of one target."""

    rate: float = 0.0
    #: CPU time of the server's workers per request in that round (None: not measured).
    server_ms: float | None = None
    #: CPU time of this process (the clients) per request in that round.
    client_ms: float | None = None


# --------------------------------------------------------------------------- the server


def serve(fd: int, database_url: str, workers: int) -> None:
    """Run gunicorn serving :func:`build_app` on an already bound socket (in the child)."""
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"fd://{fd}",
                "workers": workers,
                "worker_class": "sync",
                # As mediation.server: each worker builds its own app after the fork.
                "preload_app": False,
                "timeout": 120,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "proc_name": "mediation-bench",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # As mediation.server: the long-lived objects frozen out of the collector's sight.
            from mediation.server import frozen

            return frozen(build_app(database_url))

    Application().run()


class Server:
    """The benchmark's gunicorn, started on a free port of 127.0.0.1 and stopped at the end."""

    def __init__(self, database_url: str, workers: int) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        listener.set_inheritable(True)
        self.host, self.port = listener.getsockname()[:2]
        self.workers = workers
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.pages",
                "serve",
                str(listener.fileno()),
                database_url,
                str(workers),
            ],
            cwd=ROOT,
            pass_fds=(listener.fileno(),),
        )
        listener.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until every worker has answered the trivial route."""
        deadline = time.monotonic() + timeout
        answered = 0
        while answered < 4 * self.workers:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer in time")
            try:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                connection.request("GET", TRIVIAL_URL)
                if connection.getresponse().status == 200:
                    answered += 1
                connection.close()
            except OSError:
                time.sleep(0.1)
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers (children of the arbiter), Linux only."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def cpu_seconds(self) -> float | None:
        """Return the CPU time (user + system) the workers have used so far."""
        total = 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        pids = self.worker_pids()
        if not pids:
            return None
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                return None
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        """Stop gunicorn gracefully (SIGTERM), killing it if it does not stop in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --------------------------------------------------------------------------- the clients


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            jar[name] = morsel.value


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def http_log_in(host: str, port: int) -> str:
    """Log the benchmark's mediator in through the login form; return the Cookie header."""
    jar: dict[str, str] = {}
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", "/login", headers={"User-Agent": USER_AGENT})
        response = connection.getresponse()
        page = response.read().decode()
        _cookies(response, jar)
        match = _CSRF.search(page)
        if match is None:
            raise SystemExit("the login page has no CSRF token")
        body = urlencode(
            {
                "username": MEDIATOR_USERNAME,
                "password": MEDIATOR_PASSWORD,
                "csrf_token": match.group(1),
            }
        )
        connection.request(
            "POST",
            "/login",
            body=body,
            headers={
                "User-Agent": USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": _cookie_header(jar),
            },
        )
        response = connection.getresponse()
        response.read()
        if response.status != 302:
            raise SystemExit(f"logging in failed with {response.status}")
        _cookies(response, jar)
    finally:
        connection.close()
    return _cookie_header(jar)


def http_check(host: str, port: int, cookie: str, target: Target) -> None:
    """Fail unless the page answers 200 with what it should show."""
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", target.url, headers={"User-Agent": USER_AGENT, "Cookie": cookie})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    if response.status != 200 or target.expect not in body:
        raise SystemExit(
            f"{target.name}: {target.url} answered {response.status} without "
            f"{target.expect!r}:\n{body[:600]}"
        )


@dataclass
class _Load:
    """What the client threads of one timed run share."""

    url: str
    headers: dict[str, str]
    deadline: float = 0.0
    counts: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _client(host: str, port: int, load: _Load, slot: int, start: threading.Barrier) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=120)
    count = 0
    try:
        start.wait()
        while time.perf_counter() < load.deadline:
            connection.request("GET", load.url, headers=load.headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                load.errors.append(f"{load.url} answered {response.status} while being timed")
                return
            count += 1
    except OSError as exc:
        load.errors.append(f"{load.url}: {exc}")
    finally:
        load.counts[slot] = count
        connection.close()


def http_rate(
    server: Server, cookie: str, url: str, *, clients: int, seconds: float
) -> tuple[Result, int]:
    """Drive ``url`` with ``clients`` threads for ``seconds``; return the rate and requests."""
    load = _Load(url, {"User-Agent": USER_AGENT, "Cookie": cookie}, counts=[0] * clients)
    start = threading.Barrier(clients + 1)
    threads = [
        threading.Thread(target=_client, args=(server.host, server.port, load, i, start))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    cpu_before = server.cpu_seconds()
    client_before = time.process_time()
    started = time.perf_counter()
    load.deadline = started + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - client_before
    cpu_after = server.cpu_seconds()
    if load.errors:
        raise SystemExit(load.errors[0])
    requests = sum(load.counts)
    if requests == 0:
        raise SystemExit(f"{url}: no request finished in {seconds} s")
    server_ms = None
    if cpu_before is not None and cpu_after is not None:
        server_ms = 1000 * (cpu_after - cpu_before) / requests
    return Result(requests / elapsed, server_ms, 1000 * client_cpu / requests), requests


def measure_http(
    server: Server,
    cookie: str,
    pages: list[Target],
    *,
    clients: int,
    seconds: float,
    rounds: int,
    warmup: float,
) -> dict[str, Result]:
    """Return the best round of each target over interleaved rounds."""
    for target in pages:
        http_rate(server, cookie, target.url, clients=clients, seconds=warmup)
    best: dict[str, Result] = defaultdict(Result)
    for round_number in range(1, rounds + 1):
        for target in pages:
            result, _ = http_rate(server, cookie, target.url, clients=clients, seconds=seconds)
            if result.rate > best[target.name].rate:
                best[target.name] = result
        print(f"  round {round_number}/{rounds} done", file=sys.stderr)
    return dict(best)


# --------------------------------------------------------------------------- in process


def log_in(client: FlaskClient) -> None:
    """Log the benchmark's mediator in through the login form (test client)."""
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


def check(client: FlaskClient, target: Target) -> None:
    """Fail unless the page answers 200 with what it should show (test client)."""
    response = client.get(target.url)
    body = response.get_data(as_text=True)
    if response.status_code != 200 or target.expect not in body:
        raise SystemExit(
            f"{target.name}: {target.url} answered {response.status_code} without "
            f"{target.expect!r}:\n{body[:600]}"
        )


def rate(client: FlaskClient, url: str, requests: int) -> float:
    """Send ``requests`` sequential requests through the test client; return requests/s."""
    get = client.get
    started = time.perf_counter()
    for _ in range(requests):
        response = get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code} while being timed")
    return requests / (time.perf_counter() - started)


def measure_in_process(
    client: FlaskClient, pages: list[Target], *, requests: int, rounds: int, warmup: int
) -> dict[str, Result]:
    """Return the best rate of each target over interleaved rounds (test client)."""
    for target in pages:
        rate(client, target.url, warmup)
    best: dict[str, Result] = defaultdict(Result)
    for round_number in range(1, rounds + 1):
        for target in pages:
            started = time.process_time()
            value = rate(client, target.url, requests)
            cpu_ms = 1000 * (time.process_time() - started) / requests
            if value > best[target.name].rate:
                best[target.name] = Result(value, cpu_ms, None)
        print(f"  round {round_number}/{rounds} done", file=sys.stderr)
    return dict(best)


# --------------------------------------------------------------------------- the table


def table(results: dict[str, Result], pages: list[Target]) -> str:
    """Format the results: page, rate, ratio to the trivial route, target, CPU per request."""
    trivial = results[TRIVIAL].rate
    trivial_cpu = results[TRIVIAL].server_ms
    references = {t.name for t in pages if t.reference}
    lines = [
        f"{'page':<34} {'rate/s':>8} {'trivial/s':>9} {'ratio':>6} {'target':>6}  "
        f"{'met':<14} {'srv ms/req':>10} {'cli ms/req':>10}",
        "-" * 106,
    ]
    for target in pages:
        result = results[target.name]
        server = "" if result.server_ms is None else f"{result.server_ms:.2f}"
        client = "" if result.client_ms is None else f"{result.client_ms:.2f}"
        if target.name == TRIVIAL:
            lines.append(
                f"{target.name:<34} {result.rate:>8.1f} {'':>9} {'':>6} {'':>6}  "
                f"{'':<14} {server:>10} {client:>10}"
            )
            continue
        ratio = result.rate / trivial
        met = "met" if ratio >= TARGET else "NOT met"
        if target.name in references:
            met = "(not a target)"
        lines.append(
            f"{target.name:<34} {result.rate:>8.1f} {trivial:>9.1f} {ratio:>6.3f} "
            f"{TARGET:>6.2f}  {met:<14} {server:>10} {client:>10}"
        )
    if trivial_cpu:
        lines.append(
            "srv ms/req: CPU of the server per request (gunicorn workers, or this process "
            "in-process);"
        )
        lines.append("cli ms/req: CPU of the client threads per request (HTTP mode).")
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

    # Statements run straight on the driver (mediation.db.Prebuilt) are seen by no engine
    # event: timed around Prebuilt.execute instead (with their result processing).
    run_prebuilt = Prebuilt.execute

    def prebuilt_execute(self: Prebuilt, statement: Any, parameters: Any = None) -> Any:
        started.append(time.perf_counter())
        try:
            return run_prebuilt(self, statement, parameters)
        finally:
            after(None, None, str(statement), parameters, None, False)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    Prebuilt.execute = prebuilt_execute  # type: ignore[method-assign]

    def stop() -> None:
        Prebuilt.execute = run_prebuilt  # type: ignore[method-assign]
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
    # Warm up first: the first requests of the process compile templates and statements,
    # which would otherwise show up in the profile of a page that is already compiled in
    # the timed server.
    for _ in range(3):
        client.get(target.url)
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


def _dataset(args: argparse.Namespace, scratch: str) -> Dataset:
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
    return dataset


def _run_http(args: argparse.Namespace, dataset: Dataset, pages: list[Target]) -> dict[str, Any]:
    with Server(dataset.url, args.workers) as server:
        server.wait_ready()
        cookie = http_log_in(server.host, server.port)
        for target in pages:
            http_check(server.host, server.port, cookie, target)
        print(
            f"timing {len(pages)} targets over HTTP: gunicorn with {args.workers} sync "
            f"workers on {server.host}:{server.port}, {args.clients} client threads, "
            f"{args.seconds:g} s × {args.rounds} rounds each (best round), after "
            f"{args.warmup:g} s of warm-up"
        )
        return measure_http(
            server,
            cookie,
            pages,
            clients=args.clients,
            seconds=args.seconds,
            rounds=args.rounds,
            warmup=args.warmup,
        )


def main(argv: list[str] | None = None) -> int:
    """Generate the data, time the pages, print the table; profile the pages that miss."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        # The child process of Server: python -m benchmarks.pages serve FD URL WORKERS.
        serve(int(argv[1]), argv[2], int(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--path", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the database at --path as it is")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per target per round")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per target")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="time sequential requests through the Flask test client instead of HTTP",
    )
    parser.add_argument(
        "--requests", type=int, default=100, help="requests per round (--in-process)"
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="do not profile pages that miss the target"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a page misses the target"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mediation-bench-") as scratch:
        dataset = _dataset(args, scratch)
        pages = targets(dataset)
        app = build_app(dataset.url)
        client = app.test_client()
        if args.in_process:
            log_in(client)
            for target in pages:
                check(client, target)
            print(
                f"timing {len(pages)} targets in process (Flask test client): "
                f"{args.requests} sequential requests × {args.rounds} rounds each (best round)"
            )
            results = measure_in_process(
                client, pages, requests=args.requests, rounds=args.rounds, warmup=10
            )
        else:
            results = _run_http(args, dataset, pages)
        print()
        print(table(results, pages))
        trivial = results[TRIVIAL].rate
        missed = [
            t
            for t in pages
            if t.name != TRIVIAL and not t.reference and results[t.name].rate / trivial < TARGET
        ]
        if missed and not args.no_profile:
            print("\nProfiles of the pages that miss the target (in process, test client):")
            if not args.in_process:
                log_in(client)
            for target in missed:
                print(profile(app, client, target, dataset, 25))
        get_database(app).dispose()
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------------- python -m benchmarks
# (added for the one table of ``python -m benchmarks``; the code above is unchanged)

import benchmarks.table as _table  # noqa: E402


def collect(options: _table.Options) -> list[_table.Figure]:
    """Time the pages over HTTP as :func:`main` does; return one figure per page.

    Sizes from ``options``: ``page_cases`` cases, ``rounds`` rounds of ``page_seconds`` each
    (best round), 2 gunicorn workers and 4 client threads as :func:`main`'s defaults. The
    reference login page is left out; pages that miss are not profiled here (run
    ``python -m benchmarks.pages`` for the profiles). Progress goes to standard error.
    """
    import contextlib

    args = argparse.Namespace(
        cases=options.page_cases,
        path=None,
        reuse=False,
        rounds=options.rounds,
        workers=2,
        clients=4,
        seconds=options.page_seconds,
        warmup=min(1.0, options.page_seconds),
    )
    with (
        tempfile.TemporaryDirectory(prefix="mediation-bench-") as scratch,
        contextlib.redirect_stdout(sys.stderr),
    ):
        dataset = _dataset(args, scratch)
        pages = [t for t in targets(dataset) if not t.reference]
        results = _run_http(args, dataset, pages)
    trivial = results[TRIVIAL]
    figures: list[_table.Figure] = []
    for target in pages:
        if target.name == TRIVIAL:
            continue
        result = results[target.name]
        server = "" if result.server_ms is None else f", {result.server_ms:.2f} ms CPU/request"
        figures.append(
            _table.rate_figure(
                f"page: {target.name.split(' (')[0]} vs trivial route (gunicorn)",
                result.rate,
                trivial.rate,
                target=TARGET,
                group="pages",
                note=(
                    f"{dataset.cases:,} cases, {args.workers} workers, {args.clients} clients, "
                    f"{args.seconds:g} s × {args.rounds} rounds (best){server}"
                ),
            )
        )
    return figures
