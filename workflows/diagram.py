"""Draw the case workflow as an SVG picture, with the current state highlighted.

Pure string building: no graphviz and no ``transitions`` GraphMachine (its memory grows with
every transition drawn, see PERFORMANCE-NOTES). The ten states are placed by hand: the main
flow of the three-step method runs along the top row, the states beside it (not accepted,
withdrawn, failed, awaiting conversion) along the bottom row, and every transition of
:data:`workflows.case.TRANSITIONS` is an arrow. Labels are given by the caller (the user
interface translates them); the picture is computed once per set of arguments and cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

from workflows.case import TRANSITIONS, CaseState

#: (state, first line, second line) — e.g. ("finding_crux", "找症结", "Finding the crux").
StateLabels = tuple[tuple[str, str, str], ...]
#: (trigger, label) — e.g. ("accept", "受理").
TriggerLabels = tuple[tuple[str, str], ...]

S = CaseState

BOX_WIDTH = 124
BOX_HEIGHT = 50
COLUMN_STEP = 210
MARGIN_X = 18
TOP_ROW_Y = 34
BOTTOM_ROW_Y = 176
#: Arrows from the bottom row to ``archived`` run along lanes under the picture.
LANE_Y = 262
LANE_STEP = 11

#: Where each state sits: (column, row); row 0 is the main flow.
PLACES: dict[CaseState, tuple[int, int]] = {
    S.REGISTERED: (0, 0),
    S.FINDING_CRUX: (1, 0),
    S.SEIZING_OPENING: (2, 0),
    S.ENSURING_PERFORMANCE: (3, 0),
    S.CLOSED: (4, 0),
    S.ARCHIVED: (5, 0),
    S.REJECTED: (0, 1),
    S.WITHDRAWN: (1, 1),
    S.FAILED: (2, 1),
    S.AWAITING_CONVERSION: (3, 1),
}

WIDTH = MARGIN_X * 2 + COLUMN_STEP * 5 + BOX_WIDTH
HEIGHT = LANE_Y + LANE_STEP * 3 + 24

#: The diagram's styles, scoped to it. A standalone SVG carries them in a ``<style>``; a web
#: page whose Content-Security-Policy refuses inline styles serves the same rules from its
#: stylesheet instead (``render_svg(..., inline_style=False)``; mediation/web/static/app.css).
STYLESHEET = """
.workflow-diagram .state rect{fill:#fff;stroke:#6c757d;stroke-width:1.2}
.workflow-diagram .state .zh{font-size:15px;font-weight:600;fill:#212529}
.workflow-diagram .state .en{font-size:10.5px;fill:#6c757d}
.workflow-diagram .state.main rect{stroke:#0d6efd}
.workflow-diagram .state.ended rect{stroke-dasharray:4 3}
.workflow-diagram .state.current rect{fill:#0d6efd;stroke:#0a58ca;stroke-width:2.5}
.workflow-diagram .state.current .zh,.workflow-diagram .state.current .en{fill:#fff}
.workflow-diagram .transition path{fill:none;stroke:#adb5bd;stroke-width:1.3;marker-end:url(#arrow)}
.workflow-diagram .transition text{font-size:10px;fill:#495057}
.workflow-diagram .transition text.halo{
  fill:#fff;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.workflow-diagram .transition.from-current path{
  stroke:#0d6efd;stroke-width:2;marker-end:url(#arrow-now)}
.workflow-diagram .transition.from-current text{fill:#0a58ca;font-weight:600}
.workflow-diagram .transition.from-current text.halo{fill:#fff}
.workflow-diagram text{
  font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
"""


@dataclass(frozen=True)
class Box:
    """A state's rectangle."""

    x: float
    y: float

    @property
    def cx(self) -> float:
        """Return the horizontal centre."""
        return self.x + BOX_WIDTH / 2

    @property
    def cy(self) -> float:
        """Return the vertical centre."""
        return self.y + BOX_HEIGHT / 2

    @property
    def right(self) -> float:
        """Return the right edge."""
        return self.x + BOX_WIDTH

    @property
    def bottom(self) -> float:
        """Return the bottom edge."""
        return self.y + BOX_HEIGHT


def box(state: CaseState) -> Box:
    """Return where a state is drawn."""
    column, row = PLACES[state]
    return Box(MARGIN_X + column * COLUMN_STEP, BOTTOM_ROW_Y if row else TOP_ROW_Y)


@dataclass(frozen=True)
class Edge:
    """One arrow: a trigger from one state to another, with its path and label position."""

    trigger: str
    source: CaseState
    dest: CaseState
    points: tuple[tuple[float, float], ...]
    label_at: tuple[float, float]
    primary: bool
    anchor: str = "middle"


@lru_cache(maxsize=1)
def edges() -> tuple[Edge, ...]:
    """Route an arrow for every (trigger, source) pair of the workflow."""
    pairs = [(t.trigger, source, t.dest) for t in TRANSITIONS for source in t.sources]
    # Arrows between the same two states (either way) are drawn side by side.
    between: dict[frozenset[CaseState], list[tuple[str, CaseState, CaseState]]] = {}
    for trigger, source, dest in pairs:
        between.setdefault(frozenset((source, dest)), []).append((trigger, source, dest))
    archive_lane = 0
    labelled: set[str] = set()
    result = []
    for trigger, source, dest in pairs:
        siblings = between[frozenset((source, dest))]
        offset = (siblings.index((trigger, source, dest)) - (len(siblings) - 1) / 2) * 14
        a, b = box(source), box(dest)
        same_row = a.y == b.y
        same_column = a.x == b.x
        anchor = "middle"
        if same_row and PLACES[dest][0] == PLACES[source][0] + 1:
            y = a.cy + offset
            points: tuple[tuple[float, float], ...] = ((a.right, y), (b.x, y))
            # The label goes on the outer side of its arrow, so side-by-side arrows stay legible.
            label: tuple[float, float] = ((a.right + b.x) / 2, y + 12 if offset > 0 else y - 5)
        elif same_column:
            down = b.y > a.y
            x = a.cx + offset
            points = ((x, a.bottom), (x, b.y)) if down else ((x, a.y), (x, b.bottom))
            anchor = "end" if offset < 0 else "start"
            label = (x - 4 if offset < 0 else x + 4, (a.cy + b.cy) / 2 + 4)
        elif dest == S.ARCHIVED and not same_row:
            lane = LANE_Y + archive_lane * LANE_STEP
            entry = b.cx - 30 + archive_lane * 20
            points = ((a.cx, a.bottom), (a.cx, lane), (entry, lane), (entry, b.bottom))
            label = ((a.cx + entry) / 2, lane - 3)
            archive_lane += 1
        else:
            # A diagonal between neighbouring columns of different rows.
            start = (a.cx + (BOX_WIDTH / 2 - 12) * _sign(b.x - a.x), a.bottom if b.y > a.y else a.y)
            end = (b.cx - (BOX_WIDTH / 2 - 12) * _sign(b.x - a.x), b.y if b.y > a.y else b.bottom)
            points = (start, end)
            label = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            anchor = "middle"
        # One label per trigger is enough: the other arrows of it carry a tooltip.
        result.append(Edge(trigger, source, dest, points, label, trigger not in labelled, anchor))
        labelled.add(trigger)
    return tuple(result)


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _path(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(
        f"{'M' if i == 0 else 'L'}{_number(x)},{_number(y)}" for i, (x, y) in enumerate(points)
    )


def _state_class(state: CaseState) -> str:
    if PLACES[state][1] == 0 and state not in (S.CLOSED, S.ARCHIVED):
        return "main"
    return "ended" if state != S.AWAITING_CONVERSION else "side"


@lru_cache(maxsize=256)
def render_svg(
    current: str | None,
    state_labels: StateLabels,
    trigger_labels: TriggerLabels,
    title: str = "",
    inline_style: bool = True,
) -> str:
    """Return the workflow as an SVG document, ``current`` highlighted.

    With ``inline_style`` the SVG carries :data:`STYLESHEET`; without it the page's own
    stylesheet must (a page that forbids inline styles).

    Every argument is hashable so the result is cached: a page asks for the same picture
    (one per state and language) again and again.
    """
    states = {state: (first, second) for state, first, second in state_labels}
    triggers = dict(trigger_labels)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'data-current={quoteattr(current or "")} aria-labelledby="workflow-diagram-title">',
        f'<title id="workflow-diagram-title">{escape(title)}</title>',
        f"<style>{STYLESHEET}</style>" if inline_style else "",
        "<defs>",
        _marker("arrow", "#adb5bd"),
        _marker("arrow-now", "#0d6efd"),
        "</defs>",
    ]
    # A trigger's label goes on its arrow out of the current state, if it has one.
    leaving = {edge.trigger for edge in edges() if edge.source.value == current}
    for edge in edges():
        label = triggers.get(edge.trigger, edge.trigger)
        from_current = edge.source.value == current
        classes = "transition from-current" if from_current else "transition"
        parts.append(
            f'<g class="{classes}" data-trigger={quoteattr(edge.trigger)} '
            f"data-source={quoteattr(edge.source.value)} data-dest={quoteattr(edge.dest.value)}>"
            f"<title>{escape(label)}</title>"
            f'<path d="{_path(edge.points)}"/>'
        )
        if from_current or (edge.primary and edge.trigger not in leaving):
            x, y = edge.label_at
            position = f'x="{_number(x)}" y="{_number(y)}" text-anchor="{edge.anchor}"'
            # A white outline under the label keeps it legible where it crosses a line
            # (drawn as a copy rather than with paint-order, which not every renderer knows).
            parts.append(
                f'<text class="halo" aria-hidden="true" {position}>{escape(label)}</text>'
                f"<text {position}>{escape(label)}</text>"
            )
        parts.append("</g>")
    for state in CaseState:
        first, second = states.get(state.value, (state.value, ""))
        b = box(state)
        classes = f"state {_state_class(state)}"
        current_attributes = ""
        if state.value == current:
            classes = "state current"
            current_attributes = ' aria-current="step"'
        parts.append(
            f'<g class="{classes}" data-state={quoteattr(state.value)}{current_attributes}>'
            f'<rect x="{_number(b.x)}" y="{_number(b.y)}" width="{BOX_WIDTH}" '
            f'height="{BOX_HEIGHT}" rx="8"/>'
            f'<text class="zh" x="{_number(b.cx)}" y="{_number(b.y + 22)}" '
            f'text-anchor="middle">{escape(first)}</text>'
            f'<text class="en" x="{_number(b.cx)}" y="{_number(b.y + 39)}" '
            f'text-anchor="middle">{escape(second)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )
