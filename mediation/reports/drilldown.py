"""The cases behind a figure of a report: the drill-down list.

:func:`cases_behind` selects the cases with the very conditions the report counts and sums
them by (:func:`mediation.reports.figures.figure_condition` and
:func:`~mediation.reports.figures.group_condition`), so the list of a figure has as many
cases as the figure counts, and their amounts add up to the figure's amount. The count and
the sum come from SQL; only one page of cases is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import and_, exists, func, select
from sqlmodel import Session

from mediation import clock
from mediation.errors import InvalidInput
from mediation.reports.figures import (
    FIGURES,
    GROUPINGS,
    LEVEL_GROUPS,
    NO_KEY,
    NO_MEDIATOR,
    NO_ZONE,
    TOTAL,
    check_grouping,
    check_period,
    figure_condition,
    group_condition,
    source_for,
)
from mediation.tables import CASE, CORRECTION, ORGANIZATION, TOWN, USER, ZONE

#: Cases per page of a drill-down list.
PAGE_SIZE: Final = 100
#: The highest page number accepted in a URL.
MAX_PAGE: Final = 100_000


@dataclass(frozen=True)
class CaseLine:
    """One case of a drill-down list."""

    id: int
    number: str
    organization: str
    level: str
    town: str
    zone: str
    mediator: str
    category: str
    state: str
    received_on: date
    outcome: str | None
    outcome_on: date | None
    claimed_fen: int
    agreed_fen: int
    paid_fen: int
    corrected: bool

    @property
    def outstanding_fen(self) -> int:
        """Return agreed minus paid."""
        return self.agreed_fen - self.paid_fen

    def amount(self, figure: str) -> int | None:
        """Return the amount this case adds to an amount figure (None for a count)."""
        if figure == "claimed_amount":
            return self.claimed_fen
        if figure == "agreed_amount":
            return self.agreed_fen
        if figure == "paid_amount":
            return self.paid_fen
        if figure == "outstanding_amount":
            return self.outstanding_fen
        return None


@dataclass(frozen=True)
class Drilldown:
    """A page of the cases behind one figure of one group."""

    date_from: date
    date_to: date
    by: str
    key: str
    figure: str
    count: int
    #: The figure's amount (fen) for an amount figure, else None.
    amount_fen: int | None
    page: int
    pages: int
    lines: tuple[CaseLine, ...]


def check_figure(figure: str) -> str:
    """Return ``figure`` if it is one a list can be drawn for."""
    if figure not in FIGURES:
        raise InvalidInput(f"figure: {figure[:40]!r} is not one of {', '.join(FIGURES)}")
    return figure


def _amount_column(figure: str) -> Any:
    return {
        "claimed_amount": CASE.c.claimed_fen,
        "agreed_amount": CASE.c.agreed_fen,
        "paid_amount": CASE.c.paid_fen,
        "outstanding_amount": CASE.c.agreed_fen - CASE.c.paid_fen,
    }.get(figure)


def cases_behind(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    by: str,
    key: str,
    figure: str,
    today: date | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Drilldown:
    """Return the count, the amount and one page of the cases behind a figure of a group."""
    check_grouping(by)
    check_period(date_from, date_to)
    check_figure(figure)
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page: a page number from 1 to {MAX_PAGE}")
    today = today or clock.today()
    conditions = [figure_condition(figure, date_from, date_to, today)]
    group = group_condition(by, key)
    if group is not None:
        conditions.append(group)
    where = and_(*conditions)
    source = source_for(by)
    amount_column = _amount_column(figure)
    measures: list[Any] = [func.count()]
    if amount_column is not None:
        measures.append(func.coalesce(func.sum(amount_column), 0))
    totals = session.execute(select(*measures).select_from(source).where(where)).one()
    count = int(totals[0])
    pages = max(1, -(-count // page_size))
    corrected = exists().where(CORRECTION.c.case_id == CASE.c.id, CORRECTION.c.state == "approved")
    # The page's cases, with everything the list shows (joined here whatever the grouping).
    wanted = select(CASE.c.id).select_from(source).where(where).subquery()
    rows = session.execute(
        select(
            CASE.c.id,
            CASE.c.number,
            ORGANIZATION.c.name.label("organization"),
            ORGANIZATION.c.level,
            func.coalesce(TOWN.c.name, "").label("town"),
            func.coalesce(ZONE.c.name, "").label("zone"),
            func.coalesce(USER.c.display_name, "").label("mediator"),
            CASE.c.category,
            CASE.c.state,
            CASE.c.received_on,
            CASE.c.outcome,
            CASE.c.outcome_on,
            CASE.c.claimed_fen,
            CASE.c.agreed_fen,
            CASE.c.paid_fen,
            corrected.label("corrected"),
        )
        .select_from(
            CASE.join(wanted, wanted.c.id == CASE.c.id)
            .join(ORGANIZATION, ORGANIZATION.c.id == CASE.c.organization_id)
            .outerjoin(TOWN, TOWN.c.id == CASE.c.town_id)
            .outerjoin(ZONE, ZONE.c.id == TOWN.c.zone_id)
            .outerjoin(USER, USER.c.id == CASE.c.mediator_id)
        )
        .order_by(CASE.c.received_on, CASE.c.number)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    lines = tuple(
        CaseLine(
            id=row.id,
            number=row.number,
            organization=row.organization,
            level=row.level,
            town=row.town,
            zone=row.zone,
            mediator=row.mediator,
            category=row.category,
            state=row.state,
            received_on=row.received_on,
            outcome=row.outcome,
            outcome_on=row.outcome_on,
            claimed_fen=row.claimed_fen,
            agreed_fen=row.agreed_fen,
            paid_fen=row.paid_fen,
            corrected=bool(row.corrected),
        )
        for row in rows
    )
    return Drilldown(
        date_from=date_from,
        date_to=date_to,
        by=by,
        key=key,
        figure=figure,
        count=count,
        amount_fen=int(totals[1]) if amount_column is not None else None,
        page=page,
        pages=pages,
        lines=lines,
    )


def group_label(session: Session, by: str, key: str) -> str:
    """Return the name of the group a key names (as the report shows it)."""
    check_grouping(by)
    if key in ("", TOTAL):
        return TOTAL
    if by in ("level", "category"):
        group_condition(by, key)  # refuses a bad key
        return key
    if key == NO_KEY and by in ("zone", "mediator"):
        return NO_ZONE if by == "zone" else NO_MEDIATOR
    group_condition(by, key)
    table, column = {
        "organization": (ORGANIZATION, ORGANIZATION.c.name),
        "zone": (ZONE, ZONE.c.name),
        "mediator": (USER, USER.c.display_name),
    }[by]
    name = session.execute(select(column).where(table.c.id == int(key))).scalar_one_or_none()
    if name is None:
        raise InvalidInput(f"group: no {by} with id {key}")
    return str(name)


__all__ = ["GROUPINGS", "LEVEL_GROUPS", "CaseLine", "Drilldown", "cases_behind", "group_label"]
