"""The one table every benchmark reports into: a figure, its limit, the ratio and the target.

Each benchmark module exposes ``collect(options) -> list[Figure]``; ``python -m benchmarks``
(and ``mediation bench``) calls them in turn and prints :func:`format_table`. A figure is
measured side by side with its limit in the same run, so the ratio means something on a
shared 2-core machine where the absolute numbers do not.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: How the ratio is held to its target: at least (``>=``) or at most (``<=``).
Direction = Literal[">=", "<="]


@dataclass(frozen=True)
class Options:
    """The sizes of one run (see ``python -m benchmarks --help`` for their meaning)."""

    #: advance: operations per round, and rounds (best counts).
    advance_cases: int = 1000
    rounds: int = 3
    #: lifecycle: cases taken register → closed on each database and by the peer.
    lifecycles: int = 200
    #: PostgreSQL server to create a scratch database on; ``None`` skips PostgreSQL.
    postgres_url: str | None = "postgresql://postgres@127.0.0.1:5432/test"
    #: decision: calls per timed round.
    decisions: int = 200_000
    #: pages: cases in the database, seconds per target per round.
    page_cases: int = 100_000
    page_seconds: float = 3.0
    #: reports: cases in the database.
    report_cases: int = 200_000
    #: documents: timed rounds and warm-up renders.
    document_rounds: int = 5
    document_warmup: int = 2
    #: memory: requests sent to one worker, and cases in its database.
    requests: int = 10_000
    memory_cases: int = 5_000
    #: For tests: as little work as gives every figure.
    quick: bool = False


@dataclass(frozen=True)
class Figure:
    """One row of the table."""

    #: What is measured, and against what ("service advance() vs plain sqlite3").
    name: str
    #: Our figure and its limit, in ``unit`` ("/s", "s", "ms", "µs", "MB", "KB").
    ours: float
    limit: float | None
    unit: str
    #: ``ours / limit`` (for rates: higher is better; for times and sizes: lower is better).
    ratio: float | None
    #: The target the ratio is held to, and how; ``None``: shown for information.
    target: float | None = None
    direction: Direction = ">="
    #: Which benchmark module measured it (advance, lifecycle, decision, pages, ...).
    group: str = ""
    #: How it was measured (sizes, rounds), shown under the table.
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Tell whether the target is met (``None`` when there is no target)."""
        if self.target is None or self.ratio is None or math.isnan(self.ratio):
            return None
        if self.direction == ">=":
            return self.ratio >= self.target
        return self.ratio <= self.target

    def as_dict(self) -> dict[str, Any]:
        """Return the figure as plain data (for ``--json``)."""
        data = asdict(self)
        data["met"] = self.met
        return data


@dataclass(frozen=True)
class Diagnostic:
    """A figure with no target, measured to explain a figure of the table (why a target is
    or is not met): shown in a block of its own under the table, never counted as a target.
    """

    name: str
    ours: float
    limit: float | None
    unit: str
    #: ``ours / limit``.
    ratio: float | None
    group: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the diagnostic as plain data (for ``--json``)."""
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A figure that could not be measured in this run, and why (shown as its own line)."""

    name: str
    reason: str
    group: str = ""


#: One row of a benchmark's answer.
Row = Figure | Skipped | Diagnostic


def rate_figure(
    name: str,
    ours: float,
    limit: float,
    *,
    target: float | None,
    group: str,
    unit: str = "/s",
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> Figure:
    """A rate (higher is better): ratio ours/limit, held to at least ``target``."""
    return Figure(
        name,
        ours,
        limit,
        unit,
        ours / limit if limit else math.nan,
        target,
        ">=",
        group,
        note,
        extra or {},
    )


def cost_figure(
    name: str,
    ours: float,
    limit: float,
    *,
    target: float | None,
    group: str,
    unit: str,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> Figure:
    """A time or a size (lower is better): ratio ours/limit, held to at most ``target``."""
    return Figure(
        name,
        ours,
        limit,
        unit,
        ours / limit if limit else math.nan,
        target,
        "<=",
        group,
        note,
        extra or {},
    )


def _number(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    if abs(value) >= 10_000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}" if unit else text


def _ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _target(figure: Figure) -> str:
    if figure.target is None:
        return "(info)"
    return f"{figure.direction} {figure.target:g}"


def _result(figure: Figure) -> str:
    met = figure.met
    if met is None:
        return ""
    return "met" if met else "NOT met"


def format_table(rows: list[Row], *, title: str = "") -> str:
    """Format the figures as one fixed-width table, skipped figures as lines of their own.

    Diagnostics (no target) follow in a block of their own, under the figures.
    """
    header = ("figure", "ours", "limit", "ratio", "target", "result")
    body: list[tuple[str, ...]] = []
    diagnostics: list[tuple[str, ...]] = []
    skipped: list[str] = []
    for row in rows:
        if isinstance(row, Skipped):
            body.append((row.name, "skipped", "", "", "", ""))
            skipped.append(f"skipped: {row.name}: {row.reason}")
            continue
        cells = (
            row.name,
            _number(row.ours, row.unit),
            _number(row.limit, row.unit),
            _ratio(row.ratio),
            "–" if isinstance(row, Diagnostic) else _target(row),
            "diagnostic" if isinstance(row, Diagnostic) else _result(row),
        )
        (diagnostics if isinstance(row, Diagnostic) else body).append(cells)
    lines = [header, *body, *diagnostics]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        numbers = [cells[i].rjust(widths[i]) for i in range(1, 5)]
        return "  ".join([first, *numbers, cells[5]]).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [title] if title else []
    out.append(line(header))
    out.append(rule)
    out.extend(line(cells) for cells in body)
    if diagnostics:
        out.append(rule)
        out.append("diagnostics (no target: measured to explain the figures above)")
        out.extend(line(cells) for cells in diagnostics)
    notes = [f"{row.name}: {row.note}" for row in rows if not isinstance(row, Skipped) and row.note]
    if notes or skipped:
        out.append("")
    out.extend(notes)
    out.extend(skipped)
    return "\n".join(out)


def summary(rows: list[Row]) -> str:
    """One line: how many targets are met, missed, and how many figures were skipped."""
    figures = [row for row in rows if isinstance(row, Figure)]
    met = sum(1 for f in figures if f.met is True)
    missed = [f.name for f in figures if f.met is False]
    failed = sum(1 for row in rows if isinstance(row, Skipped) and row.reason.startswith("ERROR"))
    skipped = sum(1 for row in rows if isinstance(row, Skipped)) - failed
    text = f"{met} of {met + len(missed)} targets met"
    if missed:
        text += f"; {len(missed)} not met (marked NOT met above)"
    if skipped:
        text += f"; {skipped} skipped"
    if failed:
        text += f"; {failed} benchmark(s) failed with an error (named above)"
    return text
