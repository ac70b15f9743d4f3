"""Bulk data for benchmarks: a district union's SQLite database with many cases, in seconds.

The schema comes from the real migrations and the configuration rows (zones, towns,
organisations, the benchmark's mediator) from the people services. The cases are written
with plain SQL: Python builds the case rows and the agreements (whose amounts, instalments
and payments must agree with each other), and ``INSERT … SELECT`` statements derive the rest
from them inside SQLite — parties from pools of people and employers (valid resident ID
numbers and credit codes), claims, separate interviews, agreement terms, and the audit
events of each step the case went through (1–8 per case, 4 on average) for the case page's timeline.

States are mixed as at a real union: most cases closed, a few percent in each step of the
method, mediating cases received in the last weeks (so some are past the 15-day window),
agreements being performed with instalments falling due around today. The district centre
holds about 30 % of the cases; its mediator is the one the page benchmark logs in as.

The audit events carry placeholder hashes: ``mediation verify-audit`` does not hold on this
database (page speed does not depend on the hashes, and hashing a valid chain of half a
million events would cost more than writing all the rest).

    python -m benchmarks.data --cases 100000 --path /tmp/mediation-bench.sqlite3
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from mediation.cases.deadlines import next_unpaid_due
from mediation.clock import today as local_today
from mediation.db import Database
from mediation.people.identity import resident_id_check_digit, uscc_check_character
from mediation.people.sealing import SEALED_PARTY_FIELDS, key_ring, party_associated
from mediation.people.service import create_user, ensure_organization, ensure_town, ensure_zone
from mediation.schema import upgrade

MEDIATOR_USERNAME = "bench.mediator"
MEDIATOR_PASSWORD = "Bench-Tiaojie-2026!"
DISTRICT_CENTRE = "大兴区劳动争议调解中心"
#: Share of all cases that are the district centre's (the benchmark mediator's).
CENTRE_SHARE = 0.30
ACTOR = "王调解"

#: (state, share of all cases). Most end closed; a few percent are in each step.
STATE_MIX: tuple[tuple[str, float], ...] = (
    ("registered", 0.02),
    ("finding_crux", 0.03),
    ("seizing_opening", 0.03),
    ("ensuring_performance", 0.05),
    ("awaiting_conversion", 0.01),
    ("rejected", 0.03),
    ("failed", 0.12),
    ("withdrawn", 0.06),
    ("closed", 0.55),
    ("archived", 0.10),
)
MEDIATING = frozenset({"registered", "finding_crux", "seizing_opening"})
PERFORMING = frozenset({"ensuring_performance", "awaiting_conversion"})
SIGNED = frozenset({*PERFORMING, "closed", "archived"})
#: (category, share, label).
CATEGORIES: tuple[tuple[str, float, str], ...] = (
    ("wages", 0.45, "拖欠工资"),
    ("overtime", 0.12, "加班费"),
    ("compensation", 0.15, "经济补偿金"),
    ("damages", 0.05, "赔偿金"),
    ("social_insurance", 0.08, "社会保险"),
    ("injury", 0.06, "工伤待遇"),
    ("contract", 0.06, "劳动合同"),
    ("other", 0.03, "其他"),
)
SOURCES = ("walk_in", "walk_in", "walk_in", "hotline", "referral", "circuit")
ZONES = ("第一片区", "第二片区", "第三片区")
TOWNS = (
    "黄村镇",
    "西红门镇",
    "旧宫镇",
    "亦庄镇",
    "瀛海镇",
    "青云店镇",
    "采育镇",
    "安定镇",
    "礼贤镇",
    "榆垡镇",
    "庞各庄镇",
    "北臧村镇",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌海波宇浩鹏飞晨"
TRADES = ("建筑工程", "物流", "餐饮管理", "电子科技", "服装", "物业管理", "食品", "汽车配件")
WORDS = "兴旺顺达华强宏远金鼎恒信安泰鑫源盛世永丰博远瑞祥嘉禾"
STREETS = ("兴华大街", "金星路", "京开路", "团河路", "兴业大街", "永兴路", "黄良路")
#: Beijing Daxing's area code, in resident ID numbers and credit codes.
AREA = "110115"
WORKERS = 20_000
EMPLOYERS = 3_000


@dataclass
class Dataset:
    """What the benchmark needs to know about the generated database."""

    path: Path
    url: str
    cases: int
    organization_id: int
    organization_cases: int
    town_id: int
    #: One case number of the mediator's organisation per state.
    sample_numbers: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0


# --------------------------------------------------------------------------- pools


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _workers(rng: random.Random) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(WORKERS):
        born = date(1962, 1, 1) + timedelta(days=rng.randrange(0, 365 * 44))
        first17 = f"{AREA}{born:%Y%m%d}{rng.randrange(1000):03d}"
        rows.append(
            (
                i,
                _person(rng),
                first17 + resident_id_check_digit(first17),
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                f"北京市大兴区{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            )
        )
    return rows


def _employers(rng: random.Random) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(EMPLOYERS):
        name = f"北京{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
        # 9 1: an enterprise registered with the market regulator; then area, code, check.
        first17 = f"91{AREA}" + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(9))
        address = f"北京市大兴区{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
        rows.append(
            (i, f"{name}{i}", first17 + uscc_check_character(first17), _person(rng), address)
        )
    return rows


# --------------------------------------------------------------------------- configuration


def _configure(database: Database) -> tuple[list[int], int]:
    """Create zones, towns, organisations and the mediator; return org ids and the centre's."""
    with database.writing() as session:
        zones = [ensure_zone(session, name=name) for name in ZONES]
        towns = [
            ensure_town(session, name=name, zone_id=zones[i % len(zones)].id)
            for i, name in enumerate(TOWNS)
        ]
        centre = ensure_organization(
            session, name=DISTRICT_CENTRE, level="district", town_id=towns[0].id
        )
        organizations = [centre]
        for town in towns:
            organizations.append(
                ensure_organization(
                    session, name=f"{town.name}调解中心", level="town", town_id=town.id
                )
            )
        for i, town in enumerate(towns):
            organizations.append(
                ensure_organization(
                    session,
                    name=f"北京{WORDS[i]}{TRADES[i % len(TRADES)]}集团企业调解委员会",
                    level="enterprise",
                    town_id=town.id,
                )
            )
        create_user(
            session,
            username=MEDIATOR_USERNAME,
            password=MEDIATOR_PASSWORD,
            role="mediator",
            display_name=ACTOR,
            organization_id=centre.id,
        )
        ids = [org.id for org in organizations if org.id is not None]
        assert centre.id is not None
        return ids, centre.id


# --------------------------------------------------------------------------- the cases


@dataclass
class _Rows:
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    agreements: list[tuple[Any, ...]] = field(default_factory=list)
    instalments: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)


class _Clock:
    """Dates and stored timestamps (naive UTC, SQLAlchemy's SQLite format), precomputed."""

    def __init__(self, today: date, rng: random.Random) -> None:
        self.today = today
        self.days = [(today - timedelta(days=d)).isoformat() for d in range(4 * 366)]
        # Office hours in Beijing are 01:00–09:00 UTC; sorted, so a later index is later.
        self.times = sorted(
            f"{rng.randrange(1, 9):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
            f"{rng.randrange(10**6):06d}"
            for _ in range(997)
        )

    def day(self, ago: int) -> str:
        """The day ``ago`` days back (ahead, when negative: instalments fall due later)."""
        if ago < 0:
            return (self.today - timedelta(days=ago)).isoformat()
        return self.days[ago]

    def at(self, ago: int, slot: int) -> str:
        """A moment ``ago`` days back; a higher ``slot`` is later on the same day."""
        return f"{self.days[max(ago, 0)]} {self.times[slot % len(self.times)]}"


def _build(
    rng: random.Random,
    n: int,
    org_ids: list[int],
    centre_id: int,
    town_of: dict[int, int | None],
    clock: _Clock,
) -> _Rows:
    rows = _Rows()
    # The district centre takes disputes from every town; the others from their own.
    town_ids = sorted({t for t in town_of.values() if t is not None})
    states = rng.choices([s for s, _ in STATE_MIX], weights=[w for _, w in STATE_MIX], k=n)
    categories = rng.choices(
        [c for c, _, _ in CATEGORIES], weights=[w for _, w, _ in CATEGORIES], k=n
    )
    labels = {c: label for c, _, label in CATEGORIES}
    others = (1 - CENTRE_SHARE) / (len(org_ids) - 1)
    orgs = rng.choices(
        org_ids, weights=[CENTRE_SHARE if o == centre_id else others for o in org_ids], k=n
    )

    def received_ago(state: str) -> int:
        if state in MEDIATING:
            return rng.randrange(0, 25)
        if state in PERFORMING:
            return rng.randrange(15, 75)
        return rng.randrange(20, 3 * 365)

    # Numbers run per year in order of receipt, as the service gives them.
    ages = sorted(((received_ago(s), i) for i, s in enumerate(states)), reverse=True)
    per_year: dict[str, int] = {}
    for case_id, (ago, i) in enumerate(ages, start=1):
        state, category, org = states[i], categories[i], orgs[i]
        received_on = clock.day(ago)
        year = received_on[:4]
        per_year[year] = per_year.get(year, 0) + 1
        number = f"DX-{year}-{per_year[year]:05d}"
        claimed = rng.randrange(300, 20_000) * 1000
        slot = rng.randrange(0, 600)
        registered_at = clock.at(ago, slot)
        version = 1
        accepted_on = accepted_at = opened_at = signed_at = applied_at = None
        closed_at = failed_at = withdrawn_at = rejected_at = archived_at = None
        outcome = outcome_on = closed_as = None
        end_reason = crux = plan = ""
        agreed = paid = 0
        owed: list[tuple[date, int, int]] = []  # the case's instalments, for next_due_on
        updated = registered_at
        step = min(ago, rng.randrange(0, 3))  # days from receipt to acceptance
        if state == "rejected":
            rejected_at = updated = clock.at(ago - step, slot + 50)
            outcome, outcome_on, end_reason = "rejected", clock.day(ago - step), "不属于劳动争议"
            version = 2
        elif state != "registered":
            accepted_on = clock.day(ago - step)
            accepted_at = updated = clock.at(ago - step, slot + 50)
            version = 3 if state == "finding_crux" else 4  # accept and the interviews
        if state not in ("registered", "rejected", "finding_crux"):
            crux = f"{labels[category]}的计算期间与金额存在分歧"
            plan = "先核对考勤与工资表，再商定支付方式"
            ago -= step
            step = min(ago, rng.randrange(1, 6))
            opened_at = updated = clock.at(ago - step, slot + 100)
            version += 1
            ago -= step
            step = min(ago, rng.randrange(1, 8))
            if state in PERFORMING:
                # Signed lately, so that the instalments fall due around today.
                step = max(0, ago - rng.randrange(0, 14))
            decided = ago - step
            if state == "failed":
                failed_at = updated = clock.at(decided, slot + 150)
                outcome, outcome_on, end_reason = "failed", clock.day(decided), "双方分歧过大"
                version += 1
            elif state == "withdrawn":
                withdrawn_at = updated = clock.at(decided, slot + 150)
                outcome, outcome_on, end_reason = "withdrawn", clock.day(decided), "申请人撤回"
                version += 1
            elif state in SIGNED:
                agreed = claimed * rng.randrange(60, 101) // 100 // 100 * 100
                signed_at = updated = clock.at(decided, slot + 150)
                outcome, outcome_on = "settled", clock.day(decided)
                version += 6  # the draft, four signatures, signing
                parts = rng.choice((1, 2, 2, 3))
                share = agreed // parts
                rows.agreements.append(
                    (case_id, case_id, "bank_transfer", "", *(signed_at,) * 4, outcome_on)
                )
                due_ago = decided
                for seq in range(1, parts + 1):
                    amount = share if seq < parts else agreed - share * (parts - 1)
                    due_ago -= rng.randrange(3, 20)
                    due_on = clock.day(due_ago)
                    rows.instalments.append((case_id, seq, due_on, amount))
                    owed.append((date.fromisoformat(due_on), seq, amount))
                    if state in PERFORMING and due_ago <= 3:
                        continue  # not yet paid: due lately, today or later
                    paid_ago = max(due_ago, 0)
                    rows.payments.append(
                        (
                            case_id,
                            clock.day(paid_ago),
                            amount,
                            "bank_transfer",
                            f"HK-{case_id}-{seq}",
                        )
                    )
                    paid += amount
                    version += 1
                    updated = clock.at(paid_ago, slot + 200)
                if state == "awaiting_conversion":
                    applied_at = updated = clock.at(max(decided - 2, 0), slot + 250)
                    version += 1
                elif state in ("closed", "archived"):
                    closed_as = "performed"
                    closed_at = updated = clock.at(max(due_ago, 0), slot + 300)
                    version += 1
        if state == "archived":
            archived_at = updated = clock.at(0, slot + 350)
            version += 2  # the bundle, archiving
        rows.cases.append(
            (
                case_id,
                number,
                org,
                town_ids[case_id % len(town_ids)] if org == centre_id else town_of.get(org),
                category,
                SOURCES[case_id % len(SOURCES)],
                state,
                version,
                outcome,
                outcome_on,
                closed_as,
                end_reason,
                received_on,
                accepted_on,
                claimed,
                agreed,
                paid,
                crux,
                plan,
                registered_at,
                accepted_at,
                opened_at,
                signed_at,
                applied_at,
                closed_at,
                failed_at,
                withdrawn_at,
                rejected_at,
                archived_at,
                updated,
                _iso(next_unpaid_due(owed, paid)),
            )
        )
    return rows


_CASE_COLUMNS = (
    "id, number, organization_id, town_id, category, source, state, version, outcome, "
    "outcome_on, closed_as, end_reason, received_on, accepted_on, claimed_fen, agreed_fen, "
    "paid_fen, crux, mediation_plan, registered_at, accepted_at, opened_at, signed_at, "
    "conversion_applied_at, closed_at, failed_at, withdrawn_at, rejected_at, archived_at, "
    "updated_at, next_due_on"
)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


#: Everything derived from the case rows inside SQLite. ``bench_*`` are temporary tables.
_DERIVED = (
    # The summary names the parties, as mediators write it.
    """UPDATE mediation_case SET summary = (
         SELECT w.name || '与' || e.name || '的' || c.label || '纠纷'
         FROM bench_worker w, bench_employer e, bench_category c
         WHERE w.id = mediation_case.id * 7919 % :workers
           AND e.id = mediation_case.id * 104729 % :employers
           AND c.category = mediation_case.category)""",
    """INSERT INTO party (case_id, role, name, id_number, phone, address,
                          legal_representative, agent_name, agent_phone)
       SELECT c.id, 'worker', w.name, w.id_number, w.phone, w.address, '', '', ''
       FROM mediation_case c JOIN bench_worker w ON w.id = c.id * 7919 % :workers""",
    """INSERT INTO party (case_id, role, name, id_number, phone, address,
                          legal_representative, agent_name, agent_phone)
       SELECT c.id, 'employer', e.name, e.id_number, '', e.address, e.legal, '', ''
       FROM mediation_case c JOIN bench_employer e ON e.id = c.id * 104729 % :employers""",
    """INSERT INTO claim_item (case_id, category, amount_fen, description)
       SELECT c.id, c.category, c.claimed_fen, k.label
       FROM mediation_case c JOIN bench_category k ON k.category = c.category""",
    """INSERT INTO interview (case_id, party_role, held_on, notes, mediator_id)
       SELECT id, 'worker', accepted_on, '单独约谈劳动者，了解用工与欠薪经过', NULL
       FROM mediation_case WHERE accepted_on IS NOT NULL""",
    """INSERT INTO interview (case_id, party_role, held_on, notes, mediator_id)
       SELECT id, 'employer', accepted_on, '单独约谈用人单位，核对工资表与考勤', NULL
       FROM mediation_case WHERE accepted_on IS NOT NULL AND state != 'finding_crux'""",
    """INSERT INTO agreement_term (agreement_id, category, amount_fen, description)
       SELECT a.id, c.category, c.agreed_fen, k.label
       FROM agreement a JOIN mediation_case c ON c.id = a.case_id
       JOIN bench_category k ON k.category = c.category""",
)

#: The timeline: one event per step each case went through, as (action, from, to, created_at,
#: payload, source). Written step by step, so within a case the numbering follows the steps;
#: across cases it does not follow time (numbering half a million events in time order would
#: cost a sort, and no page reads the log across cases).
_EVENTS: tuple[tuple[str, str | None, str, str, str, str], ...] = (
    (
        "register",
        None,
        "registered",
        "registered_at",
        "json_object('category', category, 'claims', json_array(json_object('amount_fen', "
        "claimed_fen, 'category', category)), 'number', number, 'received_on', received_on)",
        "mediation_case",
    ),
    (
        "reject",
        "registered",
        "rejected",
        "rejected_at",
        "json_object('reason', end_reason)",
        "mediation_case WHERE rejected_at IS NOT NULL",
    ),
    (
        "accept",
        "registered",
        "finding_crux",
        "accepted_at",
        "'{}'",
        "mediation_case WHERE accepted_at IS NOT NULL",
    ),
    (
        "open_mediation",
        "finding_crux",
        "seizing_opening",
        "opened_at",
        "'{}'",
        "mediation_case WHERE opened_at IS NOT NULL",
    ),
    (
        "declare_failure",
        "seizing_opening",
        "failed",
        "failed_at",
        "json_object('reason', end_reason)",
        "mediation_case WHERE failed_at IS NOT NULL",
    ),
    (
        "withdraw",
        "seizing_opening",
        "withdrawn",
        "withdrawn_at",
        "json_object('reason', end_reason)",
        "mediation_case WHERE withdrawn_at IS NOT NULL",
    ),
    (
        "sign_agreement",
        "seizing_opening",
        "ensuring_performance",
        "signed_at",
        "json_object('agreed_fen', agreed_fen)",
        "mediation_case WHERE signed_at IS NOT NULL",
    ),
    (
        "record_payment",
        "ensuring_performance",
        "ensuring_performance",
        "paid_on || ' 06:00:00.000000'",
        "json_object('amount_fen', amount_fen)",
        "(SELECT case_id AS id, * FROM payment)",
    ),
    (
        "apply_conversion",
        "ensuring_performance",
        "awaiting_conversion",
        "conversion_applied_at",
        '\'{"conversion_kind":"judicial_confirmation"}\'',
        "mediation_case WHERE conversion_applied_at IS NOT NULL",
    ),
    (
        "confirm_performance",
        "ensuring_performance",
        "closed",
        "closed_at",
        '\'{"closed_as":"performed"}\'',
        "mediation_case WHERE closed_at IS NOT NULL",
    ),
    (
        "archive",
        "closed",
        "archived",
        "archived_at",
        "'{}'",
        "mediation_case WHERE archived_at IS NOT NULL",
    ),
)


def _write_events(connection: sqlite3.Connection, first: int) -> int:
    """Write the events of every case after event ``first``; return the last number."""
    last = first
    for action, before, after, at, payload, source in _EVENTS:
        cursor = connection.execute(
            "INSERT INTO audit_event (seq, case_id, actor_id, actor, action, from_state, "
            "to_state, payload, created_at, prev_hash, hash) "
            f"SELECT :base + n, id, NULL, :actor, :action, :before, :after, {payload}, {at}, "
            "printf('bench%059d', :base + n - 1), printf('bench%059d', :base + n) "
            f"FROM (SELECT *, row_number() OVER (ORDER BY rowid) AS n FROM {source})",
            {"base": last, "actor": ACTOR, "action": action, "before": before, "after": after},
        )
        last += cursor.rowcount
    connection.execute(
        "UPDATE audit_head SET seq = ?, hash = printf('bench%059d', ?) WHERE id = 1", (last, last)
    )
    return last


def _seal_party_numbers(connection: sqlite3.Connection) -> None:
    """Seal the ID and phone numbers the SQL above copied in clear, as the service stores them."""
    ring = key_ring()
    sealed = [
        (
            *(
                ring.seal(value, party_associated(case_id, role, column))
                for column, value in zip(SEALED_PARTY_FIELDS, values, strict=True)
            ),
            party_id,
        )
        for party_id, case_id, role, *values in connection.execute(
            f"SELECT id, case_id, role, {', '.join(SEALED_PARTY_FIELDS)} FROM party"
        )
    ]
    assignments = ", ".join(f"{column} = ?" for column in SEALED_PARTY_FIELDS)
    connection.executemany(f"UPDATE party SET {assignments} WHERE id = ?", sealed)


def _insert(connection: sqlite3.Connection, table: str, columns: str, rows: list[Any]) -> None:
    marks = ", ".join("?" * (columns.count(",") + 1))
    connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def generate(path: Path, *, cases: int, seed: int = 2026, today: date | None = None) -> Dataset:
    """Create a fresh SQLite database at ``path`` holding ``cases`` cases."""
    started = time.perf_counter()
    today = today or local_today()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    database = Database(url)
    upgrade(database.engine)
    org_ids, centre_id = _configure(database)
    database.dispose()

    rng = random.Random(seed)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # No journal while loading a file made from scratch: a failure leaves it to delete.
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("PRAGMA cache_size=-262144")
        connection.execute("PRAGMA temp_store=MEMORY")
        town_of = dict(connection.execute("SELECT id, town_id FROM organization").fetchall())
        first = connection.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()[0]
        rows = _build(rng, cases, org_ids, centre_id, town_of, _Clock(today, rng))
        connection.execute("BEGIN")
        # Secondary indexes are built once at the end (sorting beats a million inserts).
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.execute("CREATE TEMP TABLE bench_worker (id, name, id_number, phone, address)")
        connection.execute("CREATE TEMP TABLE bench_employer (id, name, id_number, legal, address)")
        connection.execute("CREATE TEMP TABLE bench_category (category PRIMARY KEY, label)")
        _insert(connection, "bench_worker", "id, name, id_number, phone, address", _workers(rng))
        _insert(
            connection, "bench_employer", "id, name, id_number, legal, address", _employers(rng)
        )
        _insert(
            connection, "bench_category", "category, label", [(c, lb) for c, _, lb in CATEGORIES]
        )
        connection.execute("CREATE INDEX temp.bench_worker_id ON bench_worker (id)")
        connection.execute("CREATE INDEX temp.bench_employer_id ON bench_employer (id)")
        connection.executemany(
            f"INSERT INTO mediation_case ({_CASE_COLUMNS}, summary, mediator_id, knew_on, "
            "consent_worker_at, consent_employer_at, imported) VALUES ("
            + ", ".join("?" * (_CASE_COLUMNS.count(",") + 1))
            + ", '', NULL, NULL, NULL, NULL, 0)",
            rows.cases,
        )
        _insert(
            connection,
            "agreement",
            "id, case_id, method, notes, signed_worker_at, signed_employer_at, "
            "signed_mediator_at, sealed_at, effective_on",
            rows.agreements,
        )
        _insert(connection, "instalment", "agreement_id, seq, due_on, amount_fen", rows.instalments)
        _insert(
            connection,
            "payment",
            "case_id, paid_on, amount_fen, method, receipt_ref",
            rows.payments,
        )
        for statement in _DERIVED:
            parameters = {"workers": WORKERS, "employers": EMPLOYERS}
            connection.execute(
                statement, {k: v for k, v in parameters.items() if f":{k}" in statement}
            )
        _seal_party_numbers(connection)
        _write_events(connection, first)
        for _name, sql in indexes:
            connection.execute(sql)
        connection.execute("COMMIT")
        connection.execute("PRAGMA analysis_limit=1000")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    dataset = describe(path)
    dataset.seconds = time.perf_counter() - started
    return dataset


_TABLES = (
    "mediation_case",
    "party",
    "claim_item",
    "interview",
    "agreement",
    "agreement_term",
    "instalment",
    "payment",
    "audit_event",
)


def describe(path: Path) -> Dataset:
    """Read what the benchmark needs from a database :func:`generate` made."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (centre_id, town_id) = connection.execute(
            "SELECT id, town_id FROM organization WHERE name = ?", (DISTRICT_CENTRE,)
        ).fetchone()
        cases, centre_cases = connection.execute(
            "SELECT count(*), sum(organization_id = ?) FROM mediation_case", (centre_id,)
        ).fetchone()
        samples = dict(
            connection.execute(
                # The latest-received case of each state: one with a full set of rows.
                "SELECT state, max(number) FROM mediation_case WHERE organization_id = ? "
                "GROUP BY state",
                (centre_id,),
            ).fetchall()
        )
        rows = sum(
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _TABLES
        )
    finally:
        connection.close()
    return Dataset(
        path=path,
        url=f"sqlite:///{path}",
        cases=cases,
        organization_id=centre_id,
        organization_cases=centre_cases or 0,
        town_id=town_id,
        sample_numbers=samples,
        rows=rows,
    )


def main(argv: list[str] | None = None) -> None:
    """Generate a benchmark database and say what is in it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--path", type=Path, default=Path("/tmp/mediation-bench.sqlite3"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    dataset = generate(args.path, cases=args.cases, seed=args.seed)
    print(
        f"{dataset.cases} cases ({dataset.organization_cases} of the district centre), "
        f"{dataset.rows} rows in {dataset.seconds:.1f} s -> {dataset.path}"
    )


if __name__ == "__main__":
    main()
