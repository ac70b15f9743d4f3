"""Show a :class:`~mediation.reports.figures.Report` as a text table, CSV or JSON.

Amounts are yuan with two decimals ("8922.50"), never floats.

``csv``
    the header row ``group,received,settled,failed,withdrawn,claimed_amount,agreed_amount,
    paid_amount``, one row per group, then the ``total`` row; lines end with ``\\n``.
``json``
    one object::

        {"by": "level",
         "period": {"from": "2024-01-01", "to": "2024-06-30"},
         "columns": ["group", "received", …, "paid_amount"],
         "rows": [{"group": "district", "received": 3, …, "claimed_amount": "8922.50", …}, …],
         "total": {"group": "total", …}}

    Counts are numbers; amounts are strings, so they stay exact in any JSON reader.
``table``
    a fixed-width text table for a terminal: a title line, the header, the groups, a rule and
    the total. Chinese characters count as two columns.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any

from mediation.errors import InvalidInput
from mediation.money import format_yuan
from mediation.reports.figures import COLUMNS, Report, ReportRow

FORMATS = ("table", "csv", "json")


def _values(row: ReportRow) -> dict[str, Any]:
    return {
        "group": row.group,
        "received": row.received,
        "settled": row.settled,
        "failed": row.failed,
        "withdrawn": row.withdrawn,
        "claimed_amount": format_yuan(row.claimed_fen),
        "agreed_amount": format_yuan(row.agreed_fen),
        "paid_amount": format_yuan(row.paid_fen),
    }


def render(report: Report, fmt: str) -> str:
    """Render the report as ``table``, ``csv`` or ``json`` text (ending with a newline)."""
    if fmt == "csv":
        return render_csv(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "table":
        return render_table(report)
    raise InvalidInput(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")


def render_csv(report: Report) -> str:
    """Return the header, a row per group and the total row as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in (*report.rows, report.total):
        writer.writerow(_values(row).values())
    return buffer.getvalue()


def render_json(report: Report) -> str:
    """Return the report as one JSON object (amounts as exact decimal strings)."""
    document = {
        "by": report.by,
        "period": {"from": report.date_from.isoformat(), "to": report.date_to.isoformat()},
        "columns": list(COLUMNS),
        "rows": [_values(row) for row in report.rows],
        "total": _values(report.total),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def display_width(text: str) -> int:
    """Return how many terminal columns ``text`` takes: wide and full-width characters two."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def render_table(report: Report) -> str:
    """Return a fixed-width table: groups left-aligned, figures right-aligned."""
    cells = [
        [str(value) for value in _values(row).values()] for row in (*report.rows, report.total)
    ]
    widths = [
        max(display_width(line[index]) for line in [list(COLUMNS), *cells])
        for index in range(len(COLUMNS))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            _pad(value, widths[index], right=index > 0) for index, value in enumerate(values)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    title = (
        f"cases and amounts (yuan) by {report.by}, "
        f"{report.date_from.isoformat()} to {report.date_to.isoformat()}"
    )
    out = [title, line(list(COLUMNS)), rule, *(line(c) for c in cells[:-1]), rule, line(cells[-1])]
    return "\n".join(out) + "\n"
