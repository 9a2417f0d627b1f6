"""`casetrail worker` as a real process: killed mid-stream it resumes exactly; two workers never both apply."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.views.runner import lock_key
from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
from tests.projections.folds import folded_rows, projected_rows
from tests.projections.random_commands import random_history

BIN = Path(sys.executable).parent / "casetrail"


def start_worker(url: str, batch: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CASETRAIL_DATABASE_URL": url, "CASETRAIL_PROJECTION_BATCH": str(batch)}
    return subprocess.Popen([str(BIN), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def positions(container: Container) -> dict[str, int]:
    return {
        p.name: container.views.position(p.name, container.views.active_generation(p.name))
        for p in container.projections
    }


def head(container: Container) -> int:
    return container.store.recorder.max_notification_id() or 0


@contextmanager
def view_writes_blocked(container: Container) -> Iterator[None]:
    """Hold a lock every view write waits on (SQLite's one writer; PostgreSQL's tracking table) until the block ends."""
    if container.settings.backend == "sqlite":
        conn = sqlite3.connect(container.settings.sqlite_path, isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with psycopg.connect(POSTGRES_URL) as pg:  # a transaction until the block ends
        pg.execute(f"LOCK TABLE {container.views.tracking_table} IN SHARE MODE")  # conflicts with INSERT
        yield
        pg.rollback()


def waiting_on_a_lock() -> bool:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        waiting = (
            "SELECT 1 FROM pg_locks WHERE NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return bool(conn.execute(waiting).fetchone())


def test_worker_killed_mid_stream_resumes_to_a_full_rebuild(
    store_url: str, durable_container: Container, clock: FixedClock
) -> None:
    """The worker is killed while a lock holds its views' writes: on PostgreSQL once its batch is seen waiting on
    that lock (read past its position, not committed), on SQLite (which shows no waiters) a second after it was let
    go. Nothing it read then is applied, and a restarted worker ends at the fold of the whole log."""
    random_history(durable_container, clock, seed=7, cases=30, steps=200)
    applied = head(durable_container)
    worker = start_worker(store_url, batch=3)
    try:
        wait_for(lambda: min(positions(durable_container).values()) >= applied, 30, "the worker to catch up")
        worker.send_signal(signal.SIGSTOP)  # idle: nothing of the next stretch is read before the lock is held
        random_history(durable_container, clock, seed=9, cases=10, steps=200)
        with view_writes_blocked(durable_container):
            worker.send_signal(signal.SIGCONT)
            if durable_container.settings.backend == "postgresql":
                wait_for(waiting_on_a_lock, 30, "the worker's batch to wait on the lock")
            else:
                time.sleep(1)  # SQLite shows no waiters; the worker polls, reads and then waits on the write lock
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
    finally:
        worker.kill()
    assert set(positions(durable_container).values()) == {applied}, "a batch committed while its lock was held"
    assert applied < head(durable_container)
    random_history(durable_container, clock, seed=8, cases=5, steps=50)
    restarted = start_worker(store_url, batch=50)
    try:
        wait_for(
            lambda: min(positions(durable_container).values()) >= head(durable_container), 60, "the restarted worker"
        )
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
    for projection in durable_container.projections:
        assert projected_rows(durable_container, projection) == folded_rows(durable_container, projection), (
            projection.name
        )


def lock_holders(names: list[str]) -> set[int]:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        keys = [lock_key(n) for n in names]
        rows = conn.execute(
            "SELECT pid, (classid::bigint << 32) | objid::bigint AS key FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()  # this test's database only: other tests' workers on the shared server hold the same keys
    masked = {k & 0xFFFFFFFFFFFFFFFF for k in keys}
    return {pid for pid, key in rows if key & 0xFFFFFFFFFFFFFFFF in masked}


@pytest.mark.postgres
def test_two_workers_one_applies_and_the_other_takes_over(clock: FixedClock) -> None:
    require_postgres()
    reset_postgres()
    from infrastructure.container import build
    from infrastructure.settings import Settings

    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    names = [p.name for p in container.projections]
    first, second = start_worker(POSTGRES_URL, 100), None
    try:
        random_history(container, clock, seed=3, cases=5, steps=30)
        wait_for(lambda: min(positions(container).values()) >= head(container), 30, "the first worker to catch up")
        second = start_worker(POSTGRES_URL, 100)
        time.sleep(2)
        assert len(lock_holders(names)) == 1, "both workers hold projection locks"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        random_history(container, clock, seed=4, cases=5, steps=30)
        started = time.monotonic()
        wait_for(lambda: min(positions(container).values()) >= head(container), 15, "the standby to take over")
        assert time.monotonic() - started < 10
        for projection in container.projections:
            assert projected_rows(container, projection) == folded_rows(container, projection)
    finally:
        for w in (first, second):
            if w is not None:
                w.kill()
                w.wait(timeout=10)
        container.close()
