"""Run every benchmark and print one table: figure, ours, its limit, the ratio, the target.

Each figure is measured side by side with its limit in the same run (ratios, not absolute
times, are what a shared 2-core machine can compare). The benchmarks, in the order run:

- decision:  ``workflows.case.decide``/``fire``/``available`` vs a plain dict of the same
             transition table and guards (≤ 15×)
- advance:   accept a case through ``advance()`` vs the same SQL through plain ``sqlite3`` (≥ 0.5)
- lifecycle: register → closed (16 transactions) on SQLite and PostgreSQL, ours vs
             SpiffWorkflow on a BPMN model of the three steps, persisted after every step (≥ 10×)
- documents: the settlement agreement through ``render_pdf`` vs bare WeasyPrint (≤ 1.2×), size
- reports:   the supervisors' report by zone and quarter vs the best plain SQL (≤ 1.2×)
- pages:     case list, filtered list, case page, dashboard vs a trivial route, gunicorn (≥ 0.3)
- memory:    one gunicorn worker's RSS after N requests vs after the first tenth (≤ 1.05)

Default sizes finish in a few minutes on 2 cores; ``--full`` uses the sizes of issue 8
(10,000 lifecycles, 100,000 cases for the pages, 1,000,000 for the report, 10,000 requests),
``--quick`` the least that gives every figure (seconds; for tests). Any size given explicitly
wins over both. PostgreSQL: a scratch database is created on the server of
``--postgres-url`` and dropped at the end; without a reachable server the PostgreSQL figure
is skipped with a line saying why.

Under the figures, a block of diagnostics (no target) explains some of them: for the
lifecycle, the CPU of this process per transaction on both sides and the same lifecycle with
the commit not waiting for the disk (``--json``: under ``diagnostics``, apart from the
figures).

The exit status is 0 when every benchmark ran, whether or not its target is met (the table
says); 1 when a benchmark failed with an error (named under the table).

    python -m benchmarks [--quick | --full] [--only lifecycle,decision] [--json]
    mediation bench [same options]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from dataclasses import fields, replace
from datetime import UTC, datetime

from benchmarks.table import Diagnostic, Figure, Options, Row, Skipped, format_table, summary

#: The benchmarks in the order they run (cheap and quiet first, servers last).
BENCHMARKS = ("decision", "advance", "lifecycle", "documents", "reports", "pages", "memory")

QUICK = Options(
    advance_cases=30,
    rounds=1,
    lifecycles=4,
    decisions=4_000,
    page_cases=400,
    page_seconds=0.3,
    report_cases=3_000,
    document_rounds=1,
    document_warmup=0,
    requests=200,
    memory_cases=400,
    quick=True,
)
FULL = Options(
    advance_cases=2_000,
    rounds=3,
    lifecycles=10_000,
    page_cases=100_000,
    report_cases=1_000_000,
    requests=10_000,
)
DEFAULT = Options()

#: Command-line option → field of :class:`Options`.
SIZES = {
    "cases": "advance_cases",
    "rounds": "rounds",
    "lifecycles": "lifecycles",
    "decisions": "decisions",
    "page_cases": "page_cases",
    "page_seconds": "page_seconds",
    "report_cases": "report_cases",
    "document_rounds": "document_rounds",
    "document_warmup": "document_warmup",
    "requests": "requests",
    "memory_cases": "memory_cases",
}


def _postgres_default() -> str:
    return (
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/test"
    )


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m benchmarks`` (and ``mediation bench``)."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(__doc__ or "").rsplit("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="sizes (default / --full / --quick):\n"
        + "\n".join(
            f"  --{option.replace('_', '-'):<18} {getattr(DEFAULT, name)} / "
            f"{getattr(FULL, name)} / {getattr(QUICK, name)}"
            for option, name in SIZES.items()
        ),
    )
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    preset.add_argument("--full", action="store_true", help="the sizes of issue 8")
    p.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    p.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    p.add_argument("--cases", type=int, help="advance: operations per round")
    p.add_argument("--rounds", type=int, help="rounds (alternating ours and the limit)")
    p.add_argument("--lifecycles", type=int, help="lifecycle: cases on each database")
    p.add_argument(
        "--postgres-url",
        default=_postgres_default(),
        help="PostgreSQL server for the scratch database (default: $BENCH_POSTGRES_URL, "
        "$TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test)",
    )
    p.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figure")
    p.add_argument("--decisions", type=int, help="decision: calls per round")
    p.add_argument("--page-cases", type=int, help="pages: cases in the database")
    p.add_argument("--page-seconds", type=float, help="pages: seconds per page per round")
    p.add_argument("--report-cases", type=int, help="reports: cases in the database")
    p.add_argument("--document-rounds", type=int, help="documents: timed rounds")
    p.add_argument("--document-warmup", type=int, help="documents: warm-up renders")
    p.add_argument("--requests", type=int, help="memory: requests to the worker")
    p.add_argument("--memory-cases", type=int, help="memory: cases in its database")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p


def options_from(args: argparse.Namespace) -> Options:
    """The preset's sizes, with every size given explicitly instead."""
    options = QUICK if args.quick else FULL if args.full else DEFAULT
    given = {name: getattr(args, option) for option, name in SIZES.items()}
    options = replace(options, **{k: v for k, v in given.items() if v is not None})
    return replace(options, postgres_url=None if args.no_postgres else args.postgres_url)


def chosen(args: argparse.Namespace) -> list[str]:
    """The benchmarks to run, in their order."""
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    skip = {name.strip() for name in args.skip.split(",") if name.strip()}
    unknown = (only | skip) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return [name for name in BENCHMARKS if (not only or name in only) and name not in skip]


def describe(options: Options) -> str:
    """The sizes of the run, on one line."""
    return ", ".join(
        f"{field.name}={getattr(options, field.name)}"
        for field in fields(options)
        if field.name not in ("postgres_url", "quick")
    )


def run(names: list[str], options: Options) -> tuple[list[Row], list[str]]:
    """Run the benchmarks; return their rows and the errors of those that failed."""
    rows: list[Row] = []
    errors: list[str] = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            rows.extend(module.collect(options))
        except Exception as exc:  # report every failure, go on with the others
            traceback.print_exc(file=sys.stderr)
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            rows.append(Skipped(f"{name} benchmark", f"ERROR {reason}", name))
            errors.append(f"{name}: {reason}")
        print(f"   {name} took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return rows, errors


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks and print the table; return the exit status."""
    args = parser().parse_args(argv)
    options = options_from(args)
    names = chosen(args)
    started = time.perf_counter()
    print(f"sizes: {describe(options)}", file=sys.stderr)
    rows, errors = run(names, options)
    elapsed = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "sizes": {f.name: getattr(options, f.name) for f in fields(options)},
                    "seconds": round(elapsed, 1),
                    "figures": [r.as_dict() for r in rows if isinstance(r, Figure)],
                    "skipped": [vars(r) for r in rows if isinstance(r, Skipped)],
                    "diagnostics": [r.as_dict() for r in rows if isinstance(r, Diagnostic)],
                    "errors": errors,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        cpus = os.cpu_count()
        print(f"mediation benchmarks, {stamp}, {cpus} CPUs, {elapsed:.0f} s")
        print(f"sizes: {describe(options)}")
        print()
        print(format_table(rows))
        print()
        print(summary(rows))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
