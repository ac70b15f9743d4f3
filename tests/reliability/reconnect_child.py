"""The process whose PostgreSQL connection the crash test terminates: it reconnects, goes on.

    python -m tests.reliability.reconnect_child DATABASE_URL

Like :mod:`tests.reliability.crash_child` it registers cases and advances each along the path
to ``closed``, printing ``ack <case id> <version>`` only after a commit returned. When the
server ends its backend (``pg_terminate_backend``) the transaction in flight fails: the child
prints ``lost <error>``, drops its pool and carries on. Whether a commit that failed that way
happened is unknown, so it is not acknowledged: the child reads the case's version again and
continues from there (a failed registration is simply not acknowledged; it starts a new case).
"""

from __future__ import annotations

import sys

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.service import ClaimInput, advance, register_case
from mediation.db import Database
from mediation.tables import CASE
from tests.factories import EMPLOYER, WORKER, ensure_organization, path_to

ACTOR = Actor(None, "crash-test")


def main(url: str) -> None:
    database = Database(url)
    today = clock.today()
    org_id, town_id = ensure_organization(database)
    steps = path_to("closed", today=today)
    print("ready", flush=True)
    case_id: int | None = None
    version: int | None = None  # None: unknown since a failure, read it again
    while True:
        try:
            if case_id is None:
                with database.writing() as session:
                    new_case, _ = register_case(
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
                case_id, version = new_case, 1  # only once the commit returned
                print(f"ack {case_id} 1", flush=True)
            elif version is None:
                with database.read_session() as session:
                    version = session.execute(
                        select(CASE.c.version).where(CASE.c.id == case_id)
                    ).scalar_one()
            elif version - 1 >= len(steps):
                case_id = None
            else:
                action, data = steps[version - 1]
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
        except SQLAlchemyError as exc:
            reason = type(getattr(exc, "orig", None) or exc).__name__
            print(f"lost {reason}", flush=True)
            database.dispose()
            version = None


if __name__ == "__main__":
    main(sys.argv[1])
