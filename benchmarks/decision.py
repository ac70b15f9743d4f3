"""The state-machine decision alone vs a plain dictionary lookup of the same transition table.

What :func:`mediation.cases.service.advance` asks the workflow for a state-changing action:
``workflows.case.decide(subject, trigger)`` (is the trigger declared from this state, which
guards block) and then ``workflows.case.fire(subject, trigger)`` (the shared
``transitions`` machine, built once at import, runs its ``Transition`` of the trigger from
the subject's state on the thin subject: its conditions — the same guards, checked again —
and its callbacks). The subjects are the four triggers of the lifecycle — accept,
open_mediation, sign_agreement, confirm_performance — on facts that let them through (3 to 7
guards each), taken in turn.

The limit is the same transition table as a plain ``dict``: ``(state, trigger) → (dest,
guard predicates)``, the predicates called directly, the state set by hand — the least any
implementation of these rules must do. Also timed: ``available(subject)`` (every trigger of
the state with its blockers, what the case page asks) against the same plain table.

Rounds alternate; the best round of each counts. Target: the decision at most 15× the plain
lookup (a machine built per request costs ~180×, see PERFORMANCE-NOTES).

    python -m benchmarks.decision [--calls 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date

from benchmarks.table import Figure, Options, cost_figure, format_table
from workflows.case import MACHINE, TRANSITIONS, available, decide, fire
from workflows.guards import CaseFacts, CaseSubject

TARGET = 15.0
TODAY = date(2026, 3, 2)

#: (state, trigger, facts that let it through): the lifecycle's four state changes.
_FACTS = CaseFacts(
    today=TODAY,
    received_on=TODAY,
    worker_complete=True,
    employer_complete=True,
    claim_items_with_amount=1,
    interviewed_worker=True,
    interviewed_employer=True,
    has_crux=True,
    has_plan=True,
    terms_count=1,
    terms_total_fen=1_000_000,
    instalments_count=2,
    instalments_total_fen=1_000_000,
    has_method=True,
    signed_worker=True,
    signed_employer=True,
    signed_mediator=True,
    sealed=True,
    agreed_fen=1_000_000,
    paid_fen=1_000_000,
)
CASES: tuple[tuple[str, str], ...] = (
    ("registered", "accept"),
    ("finding_crux", "open_mediation"),
    ("seizing_opening", "sign_agreement"),
    ("ensuring_performance", "confirm_performance"),
)

#: The same transition table as a plain dict: (state, trigger) → (dest, guard predicates).
PLAIN: dict[tuple[str, str], tuple[str, tuple[Callable[[CaseSubject], bool], ...]]] = {
    (source.value, t.trigger): (t.dest.value, tuple(g.predicate for g in t.guards))
    for t in TRANSITIONS
    for source in t.sources
}
#: state → the triggers declared from it, for the plain ``available``.
PLAIN_BY_STATE: dict[str, tuple[str, ...]] = {}
for _t in TRANSITIONS:
    for _source in _t.sources:
        PLAIN_BY_STATE[_source.value] = (*PLAIN_BY_STATE.get(_source.value, ()), _t.trigger)


def _subjects() -> list[tuple[CaseSubject, str, str]]:
    return [(CaseSubject(state, _FACTS), trigger, state) for state, trigger in CASES]


def ours_decide_and_fire(calls: int) -> float:
    """Time ``decide`` + ``fire`` as ``advance`` calls them; return seconds per call."""
    subjects = _subjects()
    rounds = calls // len(subjects)
    started = time.perf_counter()
    for _ in range(rounds):
        for subject, trigger, source in subjects:
            subject.state = source
            decision = decide(subject, trigger)
            if not decision.allowed:
                raise RuntimeError(f"{trigger} refused")
            fire(subject, trigger)
    return (time.perf_counter() - started) / (rounds * len(subjects))


def ours_decide(calls: int) -> float:
    """Time ``decide`` alone; return seconds per call."""
    subjects = _subjects()
    rounds = calls // len(subjects)
    started = time.perf_counter()
    for _ in range(rounds):
        for subject, trigger, source in subjects:
            subject.state = source
            if not decide(subject, trigger).allowed:
                raise RuntimeError(f"{trigger} refused")
    return (time.perf_counter() - started) / (rounds * len(subjects))


def plain_decide_and_set(calls: int) -> float:
    """The plain table: look up, call the predicates, set the state; seconds per call."""
    subjects = _subjects()
    table = PLAIN
    rounds = calls // len(subjects)
    started = time.perf_counter()
    for _ in range(rounds):
        for subject, trigger, source in subjects:
            subject.state = source
            entry = table.get((source, trigger))
            if entry is None:
                raise RuntimeError(f"{trigger} not declared")
            dest, predicates = entry
            for predicate in predicates:
                if not predicate(subject):
                    raise RuntimeError(f"{trigger} refused")
            subject.state = dest
    return (time.perf_counter() - started) / (rounds * len(subjects))


def ours_available(calls: int) -> float:
    """Time ``available`` (every trigger of the state with its blockers); seconds per call."""
    subjects = _subjects()
    rounds = calls // len(subjects)
    started = time.perf_counter()
    for _ in range(rounds):
        for subject, _trigger, source in subjects:
            subject.state = source
            available(subject)
    return (time.perf_counter() - started) / (rounds * len(subjects))


def plain_available(calls: int) -> float:
    """The plain table's ``available``: each trigger of the state and its failing guards."""
    subjects = _subjects()
    table, by_state = PLAIN, PLAIN_BY_STATE
    rounds = calls // len(subjects)
    started = time.perf_counter()
    for _ in range(rounds):
        for subject, _trigger, source in subjects:
            subject.state = source
            result = []
            for trigger in by_state[source]:
                _dest, predicates = table[(source, trigger)]
                result.append((trigger, [p for p in predicates if not p(subject)]))
    return (time.perf_counter() - started) / (rounds * len(subjects))


def _best(
    pairs: list[tuple[Callable[[int], float], Callable[[int], float]]], calls: int, rounds: int
) -> list[tuple[float, float]]:
    best = [(float("inf"), float("inf")) for _ in pairs]
    for _ in range(rounds):
        for index, (ours, plain) in enumerate(pairs):
            mine, theirs = ours(calls), plain(calls)
            best[index] = (min(best[index][0], mine), min(best[index][1], theirs))
    return best


def collect(options: Options) -> list[Figure]:
    """Time the decision and ``available`` against the plain table."""
    calls, rounds = options.decisions, options.rounds
    models_before = len(MACHINE.models)
    for function in (ours_decide_and_fire, plain_decide_and_set, ours_available):
        function(min(calls, 4_000))  # warm-up
    (fire_pair, decide_pair, available_pair) = _best(
        [
            (ours_decide_and_fire, plain_decide_and_set),
            (ours_decide, plain_decide_and_set),
            (ours_available, plain_available),
        ],
        calls,
        rounds,
    )
    note = (
        f"{calls:,} calls × {rounds} rounds (best), 4 triggers with 3–7 guards; "
        f"models registered with the shared machine: {len(MACHINE.models) - models_before}"
    )
    return [
        cost_figure(
            "state-machine decision: decide()+fire() vs plain dict + same guards",
            fire_pair[0] * 1e6,
            fire_pair[1] * 1e6,
            target=TARGET,
            group="decision",
            unit="µs",
            note=note,
        ),
        cost_figure(
            "state-machine decision: decide() alone vs plain dict + same guards",
            decide_pair[0] * 1e6,
            decide_pair[1] * 1e6,
            target=TARGET,
            group="decision",
            unit="µs",
        ),
        cost_figure(
            "available() (triggers + blockers) vs plain dict + same guards",
            available_pair[0] * 1e6,
            available_pair[1] * 1e6,
            target=TARGET,
            group="decision",
            unit="µs",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Run the decision benchmark alone and print its rows of the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=Options.decisions)
    parser.add_argument("--rounds", type=int, default=Options.rounds)
    args = parser.parse_args(argv)
    print(format_table(list(collect(Options(decisions=args.calls, rounds=args.rounds)))))


if __name__ == "__main__":
    main()
