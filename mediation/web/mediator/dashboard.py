"""The mediator's start page: what needs doing today in the organisation's cases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlencode

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from forms.labels import STATES
from mediation import clock
from mediation.cases.case_file import to_local
from mediation.cases.enums import Role
from mediation.cases.queries import (
    DueInstalment,
    Scope,
    instalments_due,
    organization_summary,
    overdue_cases,
    recently_changed,
    state_counts,
)
from mediation.db import prebuilt_in
from mediation.money import format_yuan
from mediation.web.access import allow
from mediation.web.db import read_session
from mediation.web.mediator import blueprint
from mediation.web.mediator.case_list import case_url_builder
from mediation.web.navigation import translated
from workflows.case import MEDIATING_STATES, CaseState

#: States in which the organisation still has work to do on a case, shown first.
ACTIVE = frozenset(
    {*MEDIATING_STATES, CaseState.ENSURING_PERFORMANCE, CaseState.AWAITING_CONVERSION}
)

#: How far ahead the dashboard looks for agreed payment dates.
DUE_WITHIN_DAYS = 7


# The rows come ready to print, as flat tuples the template unpacks in its loops: the page
# lists up to 80 cases, and a link, a label, a date or a translated phrase worked out by the
# template — or even an attribute looked up there — costs several times as much per row.


class StateCount(NamedTuple):
    """A state's card or badge: how many cases, and the list of them."""

    state: str
    label: str
    cases: int
    url: str


class OverdueRow(NamedTuple):
    """A case past its 15-day window."""

    number: str
    url: str
    state: str
    worker_name: str
    employer_name: str
    received: str
    days_over: int
    continuing_with_consent: bool


class DueRow(NamedTuple):
    """An instalment due soon or missed."""

    number: str
    url: str
    due_on: str
    seq: int
    late: bool
    #: "due in 3 days", "2 days late" …
    when: str
    worker_name: str
    employer_name: str
    outstanding: str
    #: "of 5000.00" when part of it has been paid, else empty.
    of_amount: str


class RecentRow(NamedTuple):
    """A case that changed lately."""

    number: str
    url: str
    state: str
    worker_name: str
    employer_name: str
    #: When it changed, in Beijing time.
    updated: str


def _when(days_left: int) -> str:
    if days_left < 0:
        return _("1 day late") if days_left == -1 else _("%(n)s days late", n=-days_left)
    if days_left == 0:
        return _("due today")
    if days_left == 1:
        return _("due tomorrow")
    return _("due in %(n)s days", n=days_left)


def due_rows(items: Iterable[DueInstalment], url: Callable[[str], str]) -> list[DueRow]:
    """Return the rows of the payments due, with their links and phrases."""
    phrases: dict[int, str] = {}
    rows = []
    for (
        _case_id,
        number,
        _state,
        worker_name,
        employer_name,
        seq,
        due_on,
        amount_fen,
        outstanding_fen,
        days_left,
    ) in items:
        when = phrases.get(days_left)
        if when is None:
            when = phrases[days_left] = _when(days_left)
        rows.append(
            DueRow(
                number,
                url(number),
                due_on.isoformat(),
                seq,
                days_left < 0,
                when,
                worker_name,
                employer_name,
                format_yuan(outstanding_fen),
                ""
                if outstanding_fen == amount_fen
                else _("of %(amount)s", amount=format_yuan(amount_fen)),
            )
        )
    return rows


def _list_url(base: str, **query: str) -> str:
    # What url_for("mediator.case_list", **query) gives, from its address computed once.
    return f"{base}?{urlencode(query)}"


@lru_cache(maxsize=16)
def _overdue_link(base: str) -> str:
    return _list_url(base, overdue="yes")


@lru_cache(maxsize=16)
def _state_links(base: str) -> tuple[tuple[str, bool, str], ...]:
    # Every state in order, whether it has work to do, and its list's address: the same on
    # every dashboard served under one address prefix.
    return tuple((s.value, s in ACTIVE, _list_url(base, state=s.value)) for s in CaseState)


def state_cards(
    counts: Mapping[str, int], names: Mapping[str, str], base: str
) -> tuple[list[StateCount], list[StateCount]]:
    """Return the states with work still to do, and the others, with their counts and links."""
    active: list[StateCount] = []
    ended: list[StateCount] = []
    for state, is_active, url in _state_links(base):
        (active if is_active else ended).append(StateCount(state, names[state], counts[state], url))
    return active, ended


@blueprint.get("/")
@allow(Role.MEDIATOR)
def dashboard() -> ResponseReturnValue:
    """Show cases by state, overdue cases, payment dates due this week and recent changes."""
    session = read_session()
    today = clock.today()
    organization_id = current_user.organization_id
    scope = Scope.organization(organization_id)
    # One driver cursor for the statements the driver runs (mediation.db.prebuilt_in), not
    # one each, with the session asked for its connection once.
    with prebuilt_in(session):
        counts = state_counts(session, scope=scope)
        overdue = overdue_cases(session, scope=scope, today=today)
        due = instalments_due(session, scope=scope, today=today, within_days=DUE_WITHIN_DAYS)
        recent = recently_changed(session, scope=scope)
        organization = organization_summary(session, organization_id)
    names = translated(STATES)
    url = case_url_builder()
    base = url_for("mediator.case_list")
    active, ended = state_cards(counts, names, base)
    return render_template(
        "mediator/dashboard.html",
        today=today,
        organization=organization,
        active=active,
        ended=ended,
        total=sum(counts.values()),
        case_list_url=base,
        overdue_total=overdue.total,
        overdue_url=_overdue_link(base),
        overdue_rows=[
            OverdueRow(
                number,
                url(number),
                names.get(state, state),
                worker_name,
                employer_name,
                received_on.isoformat(),
                days_over,
                continuing_with_consent,
            )
            for (
                _case_id,
                number,
                state,
                received_on,
                _deadline,
                days_over,
                worker_name,
                employer_name,
                continuing_with_consent,
            ) in overdue.items
        ],
        due=due_rows(due, url),
        due_within=DUE_WITHIN_DAYS,
        recent=[
            RecentRow(
                number,
                url(number),
                names.get(state, state),
                worker_name,
                employer_name,
                _beijing_minute(updated_at),
            )
            for _case_id, number, state, worker_name, employer_name, updated_at in recent
        ],
    )


def _beijing_minute(updated_at: datetime | None) -> str:
    # As the datetimeformat('yyyy-MM-dd HH:mm') filter writes it: UTC to Asia/Shanghai.
    local = to_local(updated_at)
    return local.replace(tzinfo=None).isoformat(" ", "minutes") if local else ""
