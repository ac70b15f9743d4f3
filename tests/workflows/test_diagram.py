"""The workflow picture: every state and transition drawn, the current state highlighted."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from workflows import diagram
from workflows.case import STATE_LABELS_ZH, TRANSITIONS, CaseState
from workflows.diagram import HEIGHT, WIDTH, StateLabels, TriggerLabels, render_svg

SVG = "{http://www.w3.org/2000/svg}"

STATE_LABELS: StateLabels = tuple(
    (s.value, STATE_LABELS_ZH[s], s.value.replace("_", " ").capitalize()) for s in CaseState
)
TRIGGER_LABELS: TriggerLabels = tuple((t.trigger, t.trigger.replace("_", " ")) for t in TRANSITIONS)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


@pytest.mark.parametrize("current", [s.value for s in CaseState])
def test_every_state_is_drawn_once_and_only_the_current_one_is_highlighted(current: str) -> None:
    root = parse(render_svg(current, STATE_LABELS, TRIGGER_LABELS, "流程"))
    states = groups(root, "state")
    assert sorted(g.get("data-state") for g in states) == sorted(s.value for s in CaseState)
    highlighted = [g for g in states if "current" in (g.get("class") or "").split()]
    assert [g.get("data-state") for g in highlighted] == [current]
    assert highlighted[0].get("aria-current") == "step"
    assert root.get("data-current") == current


def test_no_state_highlighted_without_a_current_state() -> None:
    root = parse(render_svg(None, STATE_LABELS, TRIGGER_LABELS))
    assert not [g for g in groups(root, "state") if "current" in g.get("class", "")]


def test_every_transition_is_an_arrow() -> None:
    root = parse(render_svg("registered", STATE_LABELS, TRIGGER_LABELS))
    drawn = {
        (g.get("data-trigger"), g.get("data-source"), g.get("data-dest"))
        for g in groups(root, "transition")
    }
    declared = {(t.trigger, s.value, t.dest.value) for t in TRANSITIONS for s in t.sources}
    assert drawn == declared
    assert len(groups(root, "transition")) == len(declared)
    for g in groups(root, "transition"):
        path = g.find(f"{SVG}path")
        assert path is not None and path.get("d", "").startswith("M")


def test_arrows_out_of_the_current_state_are_marked_and_labelled() -> None:
    root = parse(render_svg("seizing_opening", STATE_LABELS, TRIGGER_LABELS))
    leaving = groups(root, "from-current")
    assert {g.get("data-trigger") for g in leaving} == {
        "sign_agreement",
        "declare_failure",
        "withdraw",
    }
    for g in leaving:
        text = g.find(f"{SVG}text")
        assert text is not None and text.text == g.get("data-trigger", "").replace("_", " ")


def test_each_trigger_is_labelled_once_at_least() -> None:
    root = parse(render_svg("closed", STATE_LABELS, TRIGGER_LABELS))
    labelled = {
        g.get("data-trigger")
        for g in groups(root, "transition")
        if g.find(f"{SVG}text") is not None
    }
    assert labelled == {t.trigger for t in TRANSITIONS}


def test_labels_are_those_given_by_the_caller() -> None:
    root = parse(render_svg("finding_crux", STATE_LABELS, TRIGGER_LABELS))
    box = next(g for g in groups(root, "state") if g.get("data-state") == "finding_crux")
    texts = [t.text for t in box.iter(f"{SVG}text")]
    assert texts == ["找症结", "Finding crux"]


def test_labels_are_escaped_and_the_svg_stays_well_formed() -> None:
    nasty = "<script>alert(\"x\")</script> & 'quotes'"
    states = tuple((s, nasty, f"{nasty} {s}") for s, _zh, _en in STATE_LABELS)
    triggers = tuple((t, f"{t} {nasty}") for t, _label in TRIGGER_LABELS)
    svg = render_svg("closed", states, triggers, nasty)
    assert "<script>" not in svg
    root = parse(svg)
    assert not list(root.iter(f"{SVG}script"))
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == nasty
    box = next(g for g in groups(root, "state") if g.get("data-state") == "closed")
    assert [t.text for t in box.iter(f"{SVG}text")] == [nasty, f"{nasty} closed"]


def test_an_odd_current_value_is_escaped() -> None:
    root = parse(render_svg('"><script>', STATE_LABELS, TRIGGER_LABELS))
    assert root.get("data-current") == '"><script>'
    assert not [g for g in groups(root, "state") if "current" in g.get("class", "")]


def test_everything_is_inside_the_picture() -> None:
    svg = render_svg("archived", STATE_LABELS, TRIGGER_LABELS)
    root = parse(svg)
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    for path in root.iter(f"{SVG}path"):
        for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path.get("d", "")):
            assert 0 <= float(x) <= WIDTH and 0 <= float(y) <= HEIGHT
    for rect in root.iter(f"{SVG}rect"):
        assert 0 <= float(rect.get("x", "0")) <= WIDTH - float(rect.get("width", "0"))
        assert 0 <= float(rect.get("y", "0")) <= HEIGHT - float(rect.get("height", "0"))


def test_boxes_do_not_overlap() -> None:
    boxes = [diagram.box(s) for s in CaseState]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a.right <= b.x or b.right <= a.x or a.bottom <= b.y or b.bottom <= a.y
            assert apart, (a, b)


def test_the_picture_is_built_once_per_arguments() -> None:
    render_svg.cache_clear()
    first = render_svg("finding_crux", STATE_LABELS, TRIGGER_LABELS, "t")
    second = render_svg("finding_crux", STATE_LABELS, TRIGGER_LABELS, "t")
    assert first is second
    info = render_svg.cache_info()
    assert (info.hits, info.misses) == (1, 1)


def test_the_main_flow_runs_along_the_top_row() -> None:
    flow = [
        CaseState.REGISTERED,
        CaseState.FINDING_CRUX,
        CaseState.SEIZING_OPENING,
        CaseState.ENSURING_PERFORMANCE,
        CaseState.CLOSED,
        CaseState.ARCHIVED,
    ]
    boxes = [diagram.box(s) for s in flow]
    assert len({b.y for b in boxes}) == 1
    assert [b.x for b in boxes] == sorted(b.x for b in boxes)
    for side in (
        CaseState.REJECTED,
        CaseState.WITHDRAWN,
        CaseState.FAILED,
        CaseState.AWAITING_CONVERSION,
    ):
        assert diagram.box(side).y > boxes[0].y
