"""The guard facts of a case are its own, however many other cases there are."""

from __future__ import annotations

from datetime import date

from mediation.cases.facts import load_facts
from tests.factories import make_case


def test_load_facts_with_several_agreements_reads_each_cases_own_terms(database, actor) -> None:
    first, _ = make_case(database, state="ensuring_performance", agreed_fen=500_000, actor=actor)
    second, _ = make_case(database, state="ensuring_performance", agreed_fen=800_000, actor=actor)
    third, _ = make_case(database, state="finding_crux", actor=actor)
    with database.read_session() as session:
        _, facts_first = load_facts(session, first, date.today())
        _, facts_second = load_facts(session, second, date.today())
        _, facts_third = load_facts(session, third, date.today())
    assert (facts_first.terms_total_fen, facts_first.instalments_total_fen) == (500_000, 500_000)
    assert (facts_second.terms_total_fen, facts_second.instalments_total_fen) == (800_000, 800_000)
    assert (facts_third.terms_count, facts_third.instalments_count) == (0, 0)
    assert facts_second.signed_worker and not facts_third.signed_worker
