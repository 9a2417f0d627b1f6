"""Seed a store quickly with realistic case histories, built by the domain and saved in batches."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg

from domain.case import Case
from domain.values import Actor, Outcome, Role, Satisfaction, Tier
from infrastructure.container import Container
from infrastructure.postgres_admin import ensure_database


def log(message: str) -> None:
    print(f"{datetime.now():%H:%M:%S} {message}", flush=True)


def reset(url: str) -> None:
    """The benchmark's PostgreSQL database, created if missing, with every table of a run before dropped."""
    ensure_database(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall():
            conn.execute(f'DROP TABLE "{name}" CASCADE')


COORDINATOR = Actor("bench-coordinator", Role.COORDINATOR, "service-center")
DEPARTMENTS = ("econ-info", "finance", "housing", "hi-tech-zone", "wanchun", "ecology", "sci-tech")
FIELDS = {
    "kind": "enterprise_problem",
    "description": "核药车间需要蒸汽保证洁净环境，原有蒸汽通道没有接入路径。",
    "enterprise": {"name": "远大医药（中国）有限公司", "credit_code": "91510115MA6C4B7Q2J"},
    "category": "utilities",
    "channel": "visit",
    "urgency": "normal",
    "contact": {"name": "李锐", "phone": "13800000000"},
    "project_id": None,
}


def one_case(container: Container, rng: random.Random, n: int, at: datetime, events: int) -> Case:
    """A closed case of `events` events (at least 7): registered, dispatched, signed for, contacted, progress notes,
    resolved, evaluated and closed."""
    lead = rng.choice(DEPARTMENTS)
    by = Actor(f"bench-{lead}", Role.HANDLER, lead)
    case = Case.register(
        id=uuid4(), by=COORDINATOR, at=at, reference=f"BENCH-{n:07d}", title=f"诉求{n} 蒸汽管道", **FIELDS
    )
    steps = [
        lambda t: case.dispatch(
            COORDINATOR, t, container.schedule, tier=Tier.HANDLING, lead=lead, co=[], departments=container.directory
        ),
        lambda t: case.sign_for(by, t, container.schedule),
        lambda t: case.record_contact(by, t, note="已联系企业"),
    ]
    for step in steps:
        at += timedelta(hours=1)
        step(at)
    while case.version < events - 3:
        at += timedelta(hours=1)
        case.log_progress(by, at, note="推进中")
    at += timedelta(hours=1)
    case.resolve(by, at, container.schedule, reply="已办结", outcome=Outcome.SOLVED, reason=None)
    at += timedelta(hours=1)
    case.evaluate(COORDINATOR, at, satisfaction=rng.choice(list(Satisfaction)), solved=True, comment=None)
    at += timedelta(hours=1)
    case.close(COORDINATOR, at, note=None)
    return case


def signed_for_case(container: Container, n: int, at: datetime, lead: str) -> Case:
    """A tier-1 case signed for by `lead`'s handler: ready for progress notes (3 events)."""
    case = Case.register(
        id=uuid4(), by=COORDINATOR, at=at, reference=f"OPEN-{n:07d}", title=f"诉求{n} 蒸汽管道", **FIELDS
    )
    case.dispatch(
        COORDINATOR, at, container.schedule, tier=Tier.HANDLING, lead=lead, co=[], departments=container.directory
    )
    case.sign_for(Actor(f"bench-{lead}", Role.HANDLER, lead), at + timedelta(minutes=30), container.schedule)
    return case


def seed(
    container: Container,
    cases: int,
    events_per_case: int = 10,
    batch: int = 200,
    progress=None,
    first: int = 0,
    start: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    spacing: timedelta = timedelta(minutes=1),
) -> int:
    """Save `cases` closed cases numbered from `first`, registered `spacing` apart from `start`; returns the
    number of events written."""
    rng = random.Random(7 + first)
    written = 0
    for low in range(first, first + cases, batch):
        built = [
            one_case(container, rng, n, start + (n - first) * spacing, events_per_case)
            for n in range(low, min(first + cases, low + batch))
        ]
        written += save_in_bulk(container, built)
        if progress:
            progress(written)
    return written


def save_in_bulk(container: Container, cases: list[Case]) -> int:
    """Store new cases' events. On PostgreSQL with COPY, in one transaction (a bulk load for benchmarks only:
    the service itself always saves through the store, which also records idempotency keys and notifies)."""
    if container.settings.backend != "postgresql":
        count = sum(len(c.pending_events) for c in cases)
        container.store.save(*cases)
        return count
    stored = [container.store.mapper.to_stored_event(e) for c in cases for e in c.collect_events()]
    insert_rows(container, [(s.originator_id, s.originator_version, s.topic, s.state) for s in stored])
    return len(stored)


Row = tuple[Any, int, str, bytes]  # stream id (UUID, or its text), version, topic, state
_BUILDER: dict[str, Any] = {}


def _built_rows(url: str, low: int, count: int, events_per_case: int, start: datetime, spacing: timedelta) -> list[Row]:
    """In a seeding process: cases `low`..`low + count` built by the domain, as sealed rows ready to insert."""
    if url not in _BUILDER:
        from infrastructure.container import build
        from infrastructure.settings import Settings

        _BUILDER[url] = build(Settings(database_url=url), create_tables=False)
    container = _BUILDER[url]
    rng = random.Random(7 + low)
    cases = [one_case(container, rng, n, start + n * spacing, events_per_case) for n in range(low, low + count)]
    stored = [container.store.mapper.to_stored_event(e) for c in cases for e in c.collect_events()]
    return [(s.originator_id.hex, s.originator_version, s.topic, s.state) for s in stored]


def insert_rows(container: Container, rows: list[Row]) -> None:
    """Sealed rows straight into the events table in one transaction (PostgreSQL: COPY). For benchmarks only: the
    service itself always saves through the store, which also records idempotency keys and notifies."""
    recorder: Any = container.store.recorder
    if container.settings.backend == "postgresql":
        table = f"{recorder.datastore.schema}.{recorder.events_table_name}"
        copy_sql = f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
        with recorder.datastore.transaction(commit=True) as curs, curs.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    with recorder.datastore.transaction(commit=True) as c:
        c.executemany(f"INSERT INTO {recorder.events_table_name} VALUES (?,?,?,?)", rows)


def seed_in_processes(
    container: Container,
    cases: int,
    events_per_case: int,
    start: datetime,
    spacing: timedelta,
    processes: int,
    batch: int = 500,
) -> int:
    """`seed` with the cases built by the domain in `processes` other processes (what takes the time: one core
    each) while this one inserts their rows as they come (SQLite or PostgreSQL); in memory, `seed`."""
    if processes < 1 or container.settings.backend == "memory":
        return seed(container, cases, events_per_case, start=start, spacing=spacing)
    import multiprocessing

    url = container.settings.database_url
    tasks = [(url, low, min(batch, cases - low), events_per_case, start, spacing) for low in range(0, cases, batch)]
    written = 0
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for rows in pool.imap(_unpack_built_rows, tasks):
            insert_rows(container, rows)
            written += len(rows)
    return written


def _unpack_built_rows(task: tuple[Any, ...]) -> list[Row]:
    return _built_rows(*task)
