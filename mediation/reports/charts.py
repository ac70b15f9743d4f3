"""Charts of the supervisors' figures as plain SVG, drawn on the server.

No JavaScript and no chart library: each function returns an ``<svg>`` of rectangles, lines
and text, readable in any browser and printable by WeasyPrint (the quarterly summary embeds
the same charts). Every label is escaped; the SVG contains no links, styles or scripts, so
:func:`documents.render.inline_svg` accepts it. Figures are integers (counts, fen); only the
drawing coordinates are computed in floating point.

- :func:`column_chart`: grouped columns over categories (the monthly trend);
- :func:`bar_chart`: one horizontal bar per group with a text label (the split by level or
  zone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from mediation.reports.render import display_width

FONT: Final = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
COLOURS: Final = ("#6f9fd8", "#2e7d32", "#e69a28", "#8e63b5")
AXIS: Final = "#888888"
GRID: Final = "#e3e3e3"


@dataclass(frozen=True)
class Series:
    """One series of a column chart: its name, colour and a value per category."""

    name: str
    values: tuple[int, ...]
    colour: str = COLOURS[0]


def nice_ceiling(value: int) -> int:
    """Return the smallest 1, 2 or 5 times a power of ten at least ``value`` (1 for 0)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 11,
    anchor: str = "start",
    fill: str = "#333333",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{FONT}" font-weight="{weight}" fill="{fill}">{escape(content)}</text>'
    )


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart-svg" '
        f'role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )


def column_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_text: Callable[[int], str] = str,
    width: int = 720,
    height: int = 260,
) -> str:
    """Return grouped columns: one group per category, one column per series, with a legend."""
    left, right, top, bottom = 52, 12, 34, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((v for s in series for v in s.values), default=0))
    parts = [_open(width, height, title), _text(left, 16, title, size=13, weight="bold")]
    # Legend, top right.
    x: float = width - right
    for item in reversed(series):
        label_width = 14 + 6 * display_width(item.name) + 14
        x -= label_width
        parts.append(f'<rect x="{x:.1f}" y="7" width="10" height="10" fill="{item.colour}"/>')
        parts.append(_text(x + 14, 16, item.name, size=11))
    # Grid and axis labels: 0, half, full.
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID if fraction else AXIS}" stroke-width="1"/>'
        )
        parts.append(
            _text(left - 6, y + 4, value_text(int(peak * fraction)), size=10, anchor="end")
        )
    count = max(len(categories), 1)
    slot = plot_w / count
    column = slot * 0.8 / max(len(series), 1)
    show_values = count <= 12
    every = max(1, -(-count // 14))  # label at most 14 categories
    for index, category in enumerate(categories):
        x0 = left + slot * index + slot * 0.1
        for number, item in enumerate(series):
            value = item.values[index]
            bar_h = plot_h * value / peak
            x = x0 + column * number
            y = top + plot_h - bar_h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{column * 0.92:.1f}" '
                f'height="{bar_h:.1f}" fill="{item.colour}"/>'
            )
            if show_values and value:
                parts.append(
                    _text(x + column * 0.46, y - 3, value_text(value), size=9, anchor="middle")
                )
        if index % every == 0:
            parts.append(
                _text(
                    left + slot * index + slot / 2,
                    height - bottom + 16,
                    category,
                    size=10,
                    anchor="middle",
                )
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    *,
    title: str,
    rows: Sequence[tuple[str, int, str]],
    colour: str = COLOURS[1],
    width: int = 720,
    row_height: int = 24,
    label_width: int = 150,
) -> str:
    """Return one horizontal bar per row: (group, value, text shown after the bar)."""
    top, right = 30, 150
    height = top + row_height * max(len(rows), 1) + 10
    plot_w = width - label_width - right
    peak = max((value for _label, value, _text_ in rows), default=0) or 1
    parts = [_open(width, height, title), _text(4, 16, title, size=13, weight="bold")]
    for index, (label, value, shown) in enumerate(rows):
        y = top + row_height * index
        bar_w = plot_w * max(value, 0) / peak
        parts.append(_text(label_width - 8, y + row_height * 0.65, label, size=11, anchor="end"))
        parts.append(
            f'<rect x="{label_width}" y="{y + 4:.1f}" width="{bar_w:.1f}" '
            f'height="{row_height - 8}" fill="{colour}"/>'
        )
        parts.append(_text(label_width + bar_w + 6, y + row_height * 0.65, shown, size=10))
    if not rows:
        parts.append(_text(label_width, top + 14, "—", size=11))
    parts.append(
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{height - 10}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
