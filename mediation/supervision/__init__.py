"""Supervisors' work: periods, audit reviews, corrections, chain verification, anomalies.

- :mod:`mediation.supervision.periods`: the period a dashboard or report covers (month,
  quarter, half-year, year or any range of Asia/Shanghai calendar days).
- :mod:`mediation.supervision.reviews`: random samples of settled cases (size and seed kept,
  so a draw can be repeated) and the review of each sampled case.
- :mod:`mediation.supervision.corrections`: a mediator's request to correct a signed amount,
  the supervisor's approval (which changes the amounts through ``advance``) or rejection.
- :mod:`mediation.supervision.verification`: runs of the chain verification, kept with who
  ran them.
- :mod:`mediation.supervision.anomalies`: cases whose figures deserve a second look.
- :mod:`mediation.supervision.summary`: the quarterly summary (每季度总结研判) PDF.

Every change made here is an event on the hash-chained log. Supervisors see the whole
district: the demo's supervisors belong to no organisation or zone (DESIGN §1: "everything of
the district").
"""
