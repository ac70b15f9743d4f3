"""The mediator's case list: the organisation's cases, filtered, searched and paginated."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from forms.labels import CATEGORIES, STATES
from mediation import clock
from mediation.cases.enums import Role
from mediation.cases.queries import (
    MAX_SEARCH,
    CaseFilter,
    CaseListItem,
    Scope,
    list_cases,
    town_options,
)
from mediation.money import format_yuan
from mediation.web.access import allow
from mediation.web.db import read_session
from mediation.web.errors import error_page
from mediation.web.mediator import blueprint
from mediation.web.navigation import translated

PER_PAGE = 25

#: The query parameters the list understands, in the order the page links repeat them.
FILTER_PARAMETERS = ("q", "state", "town", "category", "overdue", "received_from", "received_to")


def case_url(number: str) -> str:
    """Return the address of a case's page (``/m/cases/<number>``)."""
    if "mediator.case_page" in current_app.view_functions:
        return url_for("mediator.case_page", number=number)
    return f"{url_for('mediator.case_list')}/{quote(number, safe='')}"


#: What Werkzeug's default (string) converter leaves unquoted in a path part.
_PATH_SAFE = "!$&'()*+,/:;=@"
#: Text ``quote`` leaves as it is whatever it is told is safe: every case number the register
#: writes (DX-2026-00001), which then needs no call to ``quote`` (about 1 µs a row).
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]+")
#: What ``url_for`` leaves unquoted in the query string it appends (Werkzeug's ``_urlencode``).
_QUERY_SAFE = "!$'()*,/:;?@"


def case_url_builder() -> Callable[[str], str]:
    """Return :func:`case_url` for the pages listing many cases: the same addresses, with
    ``url_for`` called once per page instead of once per row (about 5 µs each)."""
    if "mediator.case_page" not in current_app.view_functions:
        return case_url
    prefix = url_for("mediator.case_page", number="0")[:-1]
    plain = _UNQUOTED.fullmatch

    def build(number: str) -> str:
        if plain(number):
            return prefix + number
        return prefix + quote(number, safe=_PATH_SAFE)

    return build


def list_url_builder(kept: Mapping[str, str]) -> Callable[[int], str]:
    """Return the address of a page of the list with the filters ``kept`` (as ``url_for``
    would write it, with ``page`` last)."""
    base = url_for("mediator.case_list")
    query = urlencode(list(kept.items()), safe=_QUERY_SAFE)
    prefix = f"{base}?{query}&page=" if query else f"{base}?page="
    return lambda number: f"{prefix}{number}"


class BadParameter(ValueError):
    """A query parameter the list cannot use."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name)
        self.name = name
        self.value = value


@dataclass(frozen=True)
class ListRequest:
    """The filters, search and page asked for in the query string."""

    filters: CaseFilter
    page: int
    #: The non-empty parameters as given, to keep them in the page links.
    kept: dict[str, str]


def _date(args: MultiDict[str, str], name: str) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, value) from None


def _choice(args: MultiDict[str, str], name: str, allowed: Any) -> str | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadParameter(name, value)
    return value


def parse_list_request(args: MultiDict[str, str]) -> ListRequest:
    """Read the list's query parameters; raise :class:`BadParameter` naming a bad one."""
    town_text = args.get("town", "").strip()
    if town_text and not (town_text.isdigit() and len(town_text) < 10):
        raise BadParameter("town", town_text)
    overdue_text = _choice(args, "overdue", ("yes", "no"))
    page_text = args.get("page", "").strip() or "1"
    if not (page_text.isdigit() and len(page_text) < 7 and int(page_text) >= 1):
        raise BadParameter("page", page_text)
    search = args.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        raise BadParameter("q", search)
    received_from = _date(args, "received_from")
    received_to = _date(args, "received_to")
    if received_from and received_to and received_from > received_to:
        raise BadParameter("received_from", args.get("received_from", ""))
    filters = CaseFilter(
        state=_choice(args, "state", STATES),
        town_id=int(town_text) if town_text else None,
        category=_choice(args, "category", CATEGORIES),
        overdue=None if overdue_text is None else overdue_text == "yes",
        received_from=received_from,
        received_to=received_to,
        search=search,
    )
    kept = {name: args.get(name, "").strip() for name in FILTER_PARAMETERS}
    return ListRequest(
        filters=filters, page=int(page_text), kept={k: v for k, v in kept.items() if v}
    )


class ListRow(NamedTuple):
    """A row of the list with what the page shows of it, ready to print.

    Built in Python: the same work done by the template (a call per link, label, date and
    amount) costs several times as much.
    """

    item: CaseListItem
    url: str
    received: str
    state: str
    category: str
    claimed: str
    #: What the "days left" column says (empty when the case is no longer in mediation).
    deadline: str = ""


def _deadline_label(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left < 0:
        if days_left == -1:
            return _("Overdue by 1 day")
        return _("Overdue by %(n)s days", n=-days_left)
    if days_left == 0:
        return _("Last day today")
    if days_left == 1:
        return _("1 day left")
    return _("%(n)s days left", n=days_left)


def list_rows(
    items: Iterable[CaseListItem],
    states: Mapping[str, str],
    categories: Mapping[str, str],
    url: Callable[[str], str] = case_url,
) -> list[ListRow]:
    """Return the rows of a page of cases, with their links and translated names."""
    deadlines: dict[int | None, str] = {}
    rows = []
    for item in items:
        days_left = item.days_left
        deadline = deadlines.get(days_left)
        if deadline is None:
            deadline = deadlines[days_left] = _deadline_label(days_left)
        rows.append(
            ListRow(
                item=item,
                url=url(item.number),
                received=item.received_on.isoformat(),
                state=states.get(item.state, item.state),
                category=categories.get(item.category, item.category),
                claimed=format_yuan(item.claimed_fen),
                deadline=deadline,
            )
        )
    return rows


def page_window(current: int, pages: int, *, around: int = 2) -> list[int | None]:
    """Return the page numbers to link: first, last and a few around ``current``; None is a gap."""
    shown = sorted({1, pages, *range(max(1, current - around), min(pages, current + around) + 1)})
    window: list[int | None] = []
    for n in shown:
        if window and window[-1] is not None and n - window[-1] > 1:
            window.append(None)
        window.append(n)
    return window


def bad_parameter_page(exc: BadParameter) -> ResponseReturnValue:
    """Answer 400 naming the parameter the page could not use."""
    return error_page(
        400,
        _(
            "The filter “%(name)s” has a value this page cannot use: “%(value)s”.",
            name=exc.name,
            value=exc.value[:40],
        ),
    )


@blueprint.get("/cases")
@allow(Role.MEDIATOR)
def case_list() -> ResponseReturnValue:
    """List the organisation's cases with filters, search and pages."""
    try:
        asked = parse_list_request(request.args)
    except BadParameter as exc:
        return bad_parameter_page(exc)
    session = read_session()
    today = clock.today()
    page = list_cases(
        session,
        scope=Scope.organization(current_user.organization_id),
        filters=asked.filters,
        today=today,
        page=asked.page,
        per_page=PER_PAGE,
    )

    states = translated(STATES)
    categories = translated(CATEGORIES)
    return render_template(
        "mediator/case_list.html",
        page=page,
        rows=list_rows(page.items, states, categories, case_url_builder()),
        asked=asked,
        towns=town_options(session),
        states=states,
        categories=categories,
        page_url=list_url_builder(asked.kept),
        page_numbers=page_window(page.number, page.pages),
        today=today,
    )
