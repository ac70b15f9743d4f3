"""Memory: the resident size of a gunicorn worker stays flat over many requests.

The application is served as :mod:`benchmarks.pages` serves it (the real app under gunicorn,
sync worker, on 127.0.0.1), with **one** worker so every request lands in the process that is
measured, on a SQLite file of ``--cases`` cases (:mod:`benchmarks.data`). One client, logged
in as the benchmark's mediator, sends ``--requests`` requests in a fixed cycle of ten: six case
pages (a different case each time, over the whole organisation), a case-list page (a
different page each time), a filtered list, the dashboard, and one POST that changes a case
through ``advance()`` — ``accept`` on a registered case while there are any (a state change:
the shared ``transitions`` machine fires), otherwise ``record_crux`` on a case being mediated
(a new version each time).

The worker's resident set (``VmRSS`` in ``/proc``) is read after the first tenth of the
requests (1,000 of 10,000: warm, every template compiled, every statement cached) and at the
end. Target: it grows by at most 5 % (a model registered per request, a cache without bound
or a ``GraphMachine`` in a request would grow it steadily). The peak (``VmHWM``) is shown
too, but the target does not hold it: it is set by the login itself (argon2id verifies the
password with 64 MiB for a moment), far above what serving needs, so it would hide a slow
leak.

    python -m benchmarks.memory [--requests 10000] [--cases 5000]
"""

from __future__ import annotations

import argparse
import http.client
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.data import Dataset, generate
from benchmarks.pages import USER_AGENT, Server, http_log_in
from benchmarks.table import Figure, Options, cost_figure, format_table

TARGET = 1.05
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


@dataclass(frozen=True)
class Memory:
    """A worker's resident set now and at its peak, in kB."""

    rss_kb: int
    peak_kb: int


def worker_memory(pid: int) -> Memory:
    """Read a process's ``VmRSS`` and ``VmHWM`` from ``/proc`` (Linux)."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return Memory(fields["VmRSS"], fields["VmHWM"])


def _numbers(path: Path, organization_id: int) -> tuple[list[str], list[str], list[str]]:
    """Case numbers of the organisation: all (up to 3,000), registered, finding_crux."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:

        def numbers(where: str, limit: int) -> list[str]:
            rows = connection.execute(
                "SELECT number FROM mediation_case WHERE organization_id = ? "
                f"{where} ORDER BY id LIMIT ?",
                (organization_id, limit),
            )
            return [row[0] for row in rows]

        return (
            numbers("", 3000),
            numbers("AND state = 'registered'", 1000),
            numbers("AND state = 'finding_crux'", 50),
        )
    finally:
        connection.close()


class Client:
    """One keep-alive connection carrying the session cookie."""

    def __init__(self, server: Server, cookie: str) -> None:
        self.server = server
        self.jar = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
        self.headers = {"User-Agent": USER_AGENT, "Cookie": cookie}
        self.connection = http.client.HTTPConnection(server.host, server.port, timeout=120)

    def _remember(self, response: http.client.HTTPResponse) -> None:
        # The session changes when a form first needs a CSRF token: keep what the server sets.
        cookies = response.headers.get_all("Set-Cookie") or []
        for header in cookies:
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                self.jar[name] = morsel.value
        if cookies:
            self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def get(self, url: str) -> str:
        """GET a page; fail unless it answers 200."""
        self.connection.request("GET", url, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read().decode()
        self._remember(response)
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")
        return body

    def post(self, url: str, fields: dict[str, str]) -> None:
        """POST a form; fail unless it redirects (the action was taken)."""
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", url, body=urlencode(fields), headers=headers)
        response = self.connection.getresponse()
        body = response.read().decode(errors="replace")
        self._remember(response)
        if response.status not in (302, 303):
            raise RuntimeError(f"POST {url} answered {response.status}: {body[:300]}")

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


class Workload:
    """The cycle of ten requests, with the versions of the cases it changes."""

    def __init__(self, client: Client, dataset: Dataset) -> None:
        self.client = client
        self.cases, self.registered, self.mediating = _numbers(
            dataset.path, dataset.organization_id
        )
        if not self.cases or not self.mediating:
            raise RuntimeError("the benchmark database has no case to visit or to change")
        self.town_id = dataset.town_id
        self.versions: dict[str, int] = {}
        page = client.get(f"/m/cases/{self.mediating[0]}")
        match = _CSRF.search(page)
        if match is None:
            raise RuntimeError("the case page has no CSRF token")
        self.csrf = match.group(1)
        self.accepted = 0
        self.recorded = 0

    def _version(self, number: str) -> int:
        if number not in self.versions:
            match = _VERSION.search(self.client.get(f"/m/cases/{number}"))
            if match is None:
                raise RuntimeError(f"case {number}: no version on its page")
            self.versions[number] = int(match.group(1))
        return self.versions[number]

    def change(self, i: int) -> None:
        """Accept a registered case, or record a crux on a case being mediated."""
        if self.accepted < len(self.registered):
            number = self.registered[self.accepted]
            action, fields = "accept", {}
            self.accepted += 1
        else:
            number = self.mediating[i % len(self.mediating)]
            action, fields = "record_crux", {"text": f"症结第{i}次更新：工资结算周期争议"}
            self.recorded += 1
        version = self._version(number)
        self.client.post(
            f"/m/cases/{number}/actions/{action}",
            {"csrf_token": self.csrf, "version": str(version), **fields},
        )
        self.versions[number] = version + 1

    def request(self, i: int) -> None:
        """Send request number ``i`` of the cycle."""
        slot = i % 10
        if slot < 6:
            self.client.get(f"/m/cases/{self.cases[(i // 10 * 6 + slot) % len(self.cases)]}")
        elif slot == 6:
            self.client.get(f"/m/cases?page={(i // 10) % 40 + 1}")
        elif slot == 7:
            self.client.get(f"/m/cases?state=closed&town={self.town_id}&page={(i // 10) % 5 + 1}")
        elif slot == 8:
            self.client.get("/m/")
        else:
            self.change(i)


def measure(dataset: Dataset, requests: int) -> dict[str, float | int]:
    """Serve the dataset with one worker, send the requests, return the memory readings."""
    first = max(1, min(1000, requests // 10))
    with Server(dataset.url, 1) as server:
        server.wait_ready()
        (pid,) = server.worker_pids()
        client = Client(server, http_log_in(server.host, server.port))
        try:
            workload = Workload(client, dataset)
            started = time.perf_counter()
            for i in range(first):
                workload.request(i)
            early = worker_memory(pid)
            for i in range(first, requests):
                workload.request(i)
                if i % 2000 == 1999:
                    print(f"  memory: {i + 1}/{requests} requests", file=sys.stderr)
            late = worker_memory(pid)
            elapsed = time.perf_counter() - started
        finally:
            client.close()
        if server.worker_pids() != [pid]:
            raise RuntimeError("the gunicorn worker was replaced during the run")
    return {
        "requests": requests,
        "first": first,
        "early_rss_kb": early.rss_kb,
        "early_peak_kb": early.peak_kb,
        "late_rss_kb": late.rss_kb,
        "late_peak_kb": late.peak_kb,
        "accepted": workload.accepted,
        "recorded": workload.recorded,
        "seconds": elapsed,
    }


def collect(options: Options) -> list[Figure]:
    """Generate a database, serve it with one worker and watch the worker's memory."""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        dataset = generate(Path(tmp, "memory.sqlite3"), cases=options.memory_cases)
        result = measure(dataset, options.requests)
    early, late = int(result["early_rss_kb"]), int(result["late_rss_kb"])
    return [
        cost_figure(
            f"memory: worker RSS after {result['requests']:,} vs after {result['first']:,} "
            "requests",
            late / 1024,
            early / 1024,
            target=TARGET,
            group="memory",
            unit="MB",
            note=(
                f"one gunicorn worker, {options.memory_cases:,} cases; "
                f"{result['accepted']} accepts and {result['recorded']} crux records among them; "
                f"growth {100 * (late - early) / early:+.1f} % (target ≤ +{100 * (TARGET - 1):.0f} "
                f"%); peak RSS (VmHWM) {int(result['early_peak_kb']) / 1024:.1f} → "
                f"{int(result['late_peak_kb']) / 1024:.1f} MB; "
                f"{float(result['requests']) / float(result['seconds']):.0f} requests/s"
            ),
            extra=dict(result),
        )
    ]


def main(argv: list[str] | None = None) -> None:
    """Run the memory benchmark alone and print its row of the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=Options.requests)
    parser.add_argument("--cases", type=int, default=Options.memory_cases)
    args = parser.parse_args(argv)
    print(format_table(list(collect(Options(requests=args.requests, memory_cases=args.cases)))))


if __name__ == "__main__":
    main()
