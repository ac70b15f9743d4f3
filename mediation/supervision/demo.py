"""The supervisors' part of the demo data: a reviewed sample and a pending correction.

Called by :func:`mediation.demo.seed_demo` once the cases exist. With a fixed seed, it draws a
sample of the cases settled in the year before ``today`` as supervisor ``dx-duda01``, reviews
the first cases of it (mostly confirmed; one discrepancy still open, one resolved), and has the
mediator of a case being performed ask to correct a signed amount — left pending, for a
supervisor to approve or reject on the corrections page. Everything goes through the services,
so every step is an event on the chain.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from sqlalchemy import select

from mediation.audit.chain import Actor
from mediation.db import Database
from mediation.errors import InvalidInput
from mediation.supervision.corrections import request_correction, signed_agreement
from mediation.supervision.reviews import (
    CONFIRMED,
    DISCREPANCY,
    draw_sample,
    get_sample,
    record_review,
    resolve_discrepancy,
)
from mediation.tables import CASE, USER

SUPERVISOR: Final = "dx-duda01"
SAMPLE_SIZE: Final = 8
#: The reviews recorded, in the order of the sample: (result, note).
REVIEWS: Final = (
    (CONFIRMED, ""),
    (DISCREPANCY, "第二期付款收据金额与调解协议约定金额不一致，待调解员补交银行回单。"),
    (CONFIRMED, "已核对银行转账回单。"),
    (DISCREPANCY, "收据缺少用人单位盖章。"),
    (CONFIRMED, ""),
)
#: What the resolved discrepancy (the second one) says.
RESOLUTION: Final = "调解员已补交加盖公章的收据，金额一致。"
#: The correction asked for: the first term and the last instalment, lower by this much.
CORRECTION_FEN: Final = 20_000
CORRECTION_REASON: Final = "协议第一项金额录入笔误，双方确认应减少200.00元，末期付款相应减少。"


def _actor(database: Database, username: str) -> Actor | None:
    with database.read_session() as session:
        row = session.execute(
            select(USER.c.id, USER.c.display_name).where(USER.c.username == username)
        ).one_or_none()
    return None if row is None else Actor(row.id, row.display_name)


def seed_supervision(database: Database, *, today: date, seed: int) -> None:
    """Add the sample, its reviews and the pending correction (see the module's docs)."""
    supervisor = _actor(database, SUPERVISOR)
    if supervisor is None:
        return
    _seed_reviews(database, supervisor, today=today, seed=seed)
    _seed_correction(database)


def _seed_reviews(database: Database, supervisor: Actor, *, today: date, seed: int) -> None:
    try:
        with database.writing() as session:
            sample_id = draw_sample(
                session,
                date_from=today - timedelta(days=365),
                date_to=today,
                size=SAMPLE_SIZE,
                seed=seed,
                actor=supervisor,
            )
    except InvalidInput:
        return  # no case was settled: nothing to sample
    with database.read_session() as session:
        members = get_sample(session, sample_id).members
    review_ids = []
    for member, (result, note) in zip(members, REVIEWS, strict=False):
        with database.writing() as session:
            review_ids.append(
                record_review(
                    session,
                    sample_id=sample_id,
                    case_id=member.case_id,
                    result=result,
                    note=note,
                    actor=supervisor,
                )
            )
    if len(review_ids) >= 2:
        with database.writing() as session:
            resolve_discrepancy(
                session, review_id=review_ids[1], resolution=RESOLUTION, actor=supervisor
            )


def _planned_correction(database: Database) -> tuple[int, Actor, list[int], list[int]] | None:
    """Choose the newest case being performed whose first term and last instalment can be
    lowered; return (case id, its mediator, corrected terms, corrected instalments)."""
    with database.read_session() as session:
        candidates = session.execute(
            select(CASE.c.id, CASE.c.mediator_id, USER.c.display_name)
            .join(USER, USER.c.id == CASE.c.mediator_id)
            .where(CASE.c.state == "ensuring_performance", CASE.c.imported.is_(False))
            .order_by(CASE.c.number.desc())
        ).all()
        for candidate in candidates:
            agreement = signed_agreement(session, candidate.id)
            if not agreement.terms or not agreement.instalments:
                continue
            terms = [t.old_fen for t in agreement.terms]
            instalments = [i.old_fen for i in agreement.instalments]
            if (
                terms[0] > CORRECTION_FEN
                and instalments[-1] > CORRECTION_FEN
                and agreement.agreed_fen - CORRECTION_FEN >= agreement.paid_fen
            ):
                terms[0] -= CORRECTION_FEN
                instalments[-1] -= CORRECTION_FEN
                mediator = Actor(candidate.mediator_id, candidate.display_name)
                return candidate.id, mediator, terms, instalments
    return None


def _seed_correction(database: Database) -> None:
    planned = _planned_correction(database)
    if planned is None:
        return
    case_id, mediator, terms, instalments = planned
    with database.writing() as session:
        request_correction(
            session,
            case_id=case_id,
            terms=terms,
            instalments=instalments,
            reason=CORRECTION_REASON,
            actor=mediator,
        )
