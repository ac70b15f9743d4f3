"""What the supervisors' pages share: the period of the request, labels, links."""

from __future__ import annotations

from typing import Any, Final

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from mediation import clock
from mediation.errors import InvalidInput
from mediation.reports.figures import GROUPINGS, NO_MEDIATOR, NO_ZONE, TOTAL
from mediation.supervision.periods import Period, period_from_args

#: The figures of a report, as the pages name them.
FIGURE_LABELS: Final[dict[str, Any]] = {
    "received": _l("Cases received"),
    "accepted": _l("Cases accepted"),
    "settled": _l("Cases settled"),
    "failed": _l("Mediation failed"),
    "withdrawn": _l("Cases withdrawn"),
    "overdue": _l("Overdue cases"),
    "claimed_amount": _l("Claimed (yuan)"),
    "agreed_amount": _l("Agreed (yuan)"),
    "paid_amount": _l("Paid (yuan)"),
    "outstanding_amount": _l("Outstanding (yuan)"),
}

#: What each figure counts, shown on the drill-down page.
FIGURE_HELP: Final[dict[str, Any]] = {
    "received": _l("Cases received in the period."),
    "accepted": _l("Cases accepted in the period (imported cases: received and not rejected)."),
    "settled": _l("Cases whose agreement was signed in the period."),
    "failed": _l("Cases whose mediation failed in the period."),
    "withdrawn": _l("Cases withdrawn in the period."),
    "overdue": _l(
        "Cases received in the period that went past the 15-day mediation period without "
        "agreement (Art. 14)."
    ),
    "claimed_amount": _l("What was claimed in the cases received in the period."),
    "agreed_amount": _l("The agreed amounts of the cases settled in the period."),
    "paid_amount": _l("What has been paid on the cases settled in the period."),
    "outstanding_amount": _l("Agreed minus paid, on the cases settled in the period."),
}

GROUPING_LABELS: Final[dict[str, Any]] = {
    "level": _l("Level"),
    "organization": _l("Organisation"),
    "zone": _l("Zone"),
    "mediator": _l("Mediator"),
    "category": _l("Dispute category"),
}

GROUP_NAMES: Final[dict[str, Any]] = {
    "district": _l("District (区级)"),
    "grassroots": _l("Grassroots (基层)"),
    TOTAL: _l("Total"),
    NO_ZONE: _l("No zone (未分片)"),
    NO_MEDIATOR: _l("No mediator (未指派)"),
}

PERIOD_KINDS: Final[dict[str, Any]] = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "half": _l("Half-year"),
    "year": _l("Year"),
    "range": _l("Any range"),
}

assert set(GROUPING_LABELS) == set(GROUPINGS)


def request_period() -> Period:
    """Return the period the request names (the current quarter by default); 400 if bad."""
    args = {key: request.args.get(key, "") for key in ("period", "from", "to")}
    for key, value in args.items():
        if len(value) > 20:
            raise InvalidInput(f"{key}: too long")
    return period_from_args(args, clock.today())


def request_grouping(default: str = "level") -> str:
    """Return the ``by`` of the request, refusing an unknown grouping (400)."""
    by = request.args.get("by", default) or default
    if by not in GROUPINGS:
        raise InvalidInput(f"by: {by[:40]!r} is not one of {', '.join(GROUPINGS)}")
    return by


def request_page() -> int:
    """Return the ``page`` of the request (1 by default), refusing anything but a number."""
    text = request.args.get("page", "1") or "1"
    if not text.isdigit() or len(text) > 6 or int(text) < 1:
        raise InvalidInput(f"page: {text[:20]!r} is not a page number")
    return int(text)


def group_name(group: str) -> str:
    """Return a group as the pages show it (level and placeholder groups translated)."""
    label = GROUP_NAMES.get(group)
    return str(label) if label is not None else group


def figure_url(period: Period, by: str, key: str, figure: str) -> str:
    """Return the link from a figure to the list of the cases behind it."""
    return url_for(
        "supervisor.figure_cases", **period.args, by=by, group=key or TOTAL, figure=figure
    )


def period_url(endpoint: str, period: Period, **extra: Any) -> str:
    """Return the link to a page for another period."""
    return url_for(endpoint, **period.args, **extra)


def period_choices(selected: Period) -> list[tuple[Any, list[tuple[str, str]]]]:
    """Return the period picker's options: (group label, [(value, label)]), newest first.

    Years, half-years, quarters and months of the last three years (and the selected period,
    wherever it lies), so that the picker works without JavaScript.
    """
    from mediation.supervision.periods import of_kind

    today = clock.today()
    groups: list[tuple[Any, list[tuple[str, str]]]] = []
    for kind, count in (("quarter", 12), ("month", 36), ("half", 6), ("year", 5)):
        current = of_kind(kind, today)
        options = [current.shifted(-step) for step in range(count)]
        if selected.kind == kind and selected not in options:
            options.append(selected)
        groups.append((PERIOD_KINDS[kind], [(p.key, f"{p.label_zh} ({p.key})") for p in options]))
    return groups
