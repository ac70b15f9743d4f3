"""The process the crash tests kill: advance cases in a loop, acknowledging each commit.

    python -m tests.reliability.crash_child DATABASE_URL

After each transaction commits it prints ``ack <case id> <version>`` (the case's version after
that commit) and flushes: every line the parent has read is an operation that returned
success, which must survive any crash.
"""

from __future__ import annotations

import sys

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.service import ClaimInput, advance, register_case
from mediation.db import Database
from tests.factories import EMPLOYER, WORKER, ensure_organization, path_to

ACTOR = Actor(None, "crash-test")


def main(url: str) -> None:
    database = Database(url)
    today = clock.today()
    org_id, town_id = ensure_organization(database)
    steps = path_to("closed", today=today)
    print("ready", flush=True)
    while True:
        with database.writing() as session:
            case_id, _ = register_case(
                session,
                actor=ACTOR,
                organization_id=org_id,
                town_id=town_id,
                category="wages",
                received_on=today,
                worker=WORKER,
                employer=EMPLOYER,
                claims=[ClaimInput("wages", 1_200_000, "拖欠三个月工资")],
            )
        print(f"ack {case_id} 1", flush=True)
        version = 1
        for action, data in steps:
            with database.writing() as session:
                advance(
                    session,
                    case_id=case_id,
                    action=action,
                    expected_version=version,
                    actor=ACTOR,
                    data=data,
                    today=today,
                )
            version += 1
            print(f"ack {case_id} {version}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
