"""One rebuild of a projection at a time: a second is refused and changes nothing; the lock dies with the process
that held it; the generation a stopped rebuild left is dropped by the next rebuild, which says so. On PostgreSQL
the connections that sat idle while the rebuild's processes folded are checked before the rebuild writes on them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import psycopg
import pytest

from application.projections.base import Deltas, Worker
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.token_cache import TokenCache
from infrastructure.views import rebuild as rebuilding
from infrastructure.views.rebuild import (
    RebuildFailed,
    RebuildRunning,
    rebuild,
    rebuild_all,
    rebuild_locks,
    rebuild_running,
)
from infrastructure.views.runner import AdvisoryLocks
from infrastructure.views.status import generations_not_live
from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
from tests.projections.folds import folded_rows, projected_rows
from tests.projections.random_commands import random_history


def caught_up(container: Container) -> None:
    for worker in container.workers(1000):
        worker.catch_up()


def freed_by(container: Container, name: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while rebuild_running(container, name):
        assert time.monotonic() < deadline, f"the rebuild lock of {name} is still held"
        time.sleep(0.02)


def test_a_second_rebuild_of_a_projection_is_refused_and_changes_nothing(
    any_container: Container, clock: FixedClock
) -> None:
    container = any_container
    random_history(container, clock, seed=3, cases=4, steps=30)
    caught_up(container)
    cases, reports = container.projections[0], container.projections[1]
    live = {p.name: container.views.generations(p.name) for p in container.projections}
    before = projected_rows(container, cases)
    with rebuild_locks(container, [cases.name]):  # as a rebuild running elsewhere holds it
        assert rebuild_running(container, cases.name)
        assert not rebuild_running(container, reports.name)
        with pytest.raises(RebuildRunning, match="a rebuild of cases is running already"):
            rebuild_all(container, container.projections, lambda done, head: None)
        assert {p.name: container.views.generations(p.name) for p in container.projections} == live
        assert projected_rows(container, cases) == before
        rebuild(container, reports, lambda done, head: None)  # another projection's rebuild is not held up
    assert not rebuild_running(container, cases.name)
    new = rebuild(container, cases, lambda done, head: None)
    assert container.views.generations(cases.name) == [(new, True)]
    assert projected_rows(container, cases) == before == folded_rows(container, cases)


def test_the_next_rebuild_drops_the_generation_a_stopped_rebuild_left_and_says_so(
    any_container: Container, clock: FixedClock
) -> None:
    container = any_container
    random_history(container, clock, seed=4, cases=4, steps=30)
    caught_up(container)
    cases = container.projections[0]
    left = container.views.create_generation(cases, active=False)  # what a rebuild killed mid-way leaves
    Worker(container.store, cases, container.views, batch_size=5).run_once(left)
    assert generations_not_live(container) == {
        cases.name: [{"generation": left, "position": container.views.position(cases.name, left), "building": False}]
    }
    with rebuild_locks(container, [cases.name]):
        assert generations_not_live(container)[cases.name][0]["building"] is True
    said: list[str] = []
    new = rebuild(container, cases, lambda done, head: None, notice=said.append)
    assert said == [f"dropped generation {left} of cases: a rebuild that stopped before switching left it"]
    assert container.views.generations(cases.name) == [(new, True)]
    assert projected_rows(container, cases) == folded_rows(container, cases)
    assert generations_not_live(container) == {}


HOLD = """
import sys, time
from infrastructure.container import build
from infrastructure.settings import Settings
from infrastructure.views.rebuild import rebuild_locks
container = build(Settings(database_url=sys.argv[1]))
with rebuild_locks(container, ["cases"]):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_lock_of_a_rebuild_killed_outright_is_free(store: str, tmp_path: Any, clock: FixedClock) -> None:
    if store == "postgres":
        require_postgres()
        reset_postgres()
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path / 'casetrail.db'}"
    container = build(Settings(database_url=url), clock=clock)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert rebuild_running(container, "cases")
        holder.kill()  # SIGKILL: no clean-up of its own
        holder.wait(timeout=10)
        freed_by(container, "cases", seconds=10)  # the server notices the session's end on its own time
        rebuild(container, container.projections[0], lambda done, head: None)
    finally:
        if holder.poll() is None:
            holder.kill()
        container.close()


@pytest.mark.postgres
def test_connections_closed_while_the_processes_folded_are_replaced_before_the_final_write(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server ends every idle session once the rebuild's processes have finished (as an idle-session timeout
    or a firewall would after a long fold): the rebuild still writes its totals and switches."""
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    try:
        random_history(container, clock, seed=6, cases=6, steps=60)
        caught_up(container)
        before = {p.name: projected_rows(container, p) for p in container.projections}
        real = rebuilding.in_processes
        ended: list[int] = []

        def then_idle_sessions_end(*args: Any) -> dict[str, Deltas]:
            totals = real(*args)
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                ended.extend(
                    r[0]
                    for r in admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state = 'idle' AND backend_type = 'client backend' "
                        "AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')"  # not the rebuild lock
                    ).fetchall()
                )
            return totals

        monkeypatch.setattr(rebuilding, "in_processes", then_idle_sessions_end)
        new = rebuild_all(container, container.projections, lambda done, head: None, 7, processes=2, sharded_from=0)
        assert len(ended) >= 2 and all(ended)  # the pools' idle sessions were ended
        for p in container.projections:
            assert container.views.generations(p.name) == [(new[p.name], True)]
            assert projected_rows(container, p) == before[p.name]
    finally:
        container.close()


@pytest.mark.postgres
def test_the_lock_connection_runs_a_query_now_and_then(clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    monkeypatch.setattr(rebuilding, "KEEP_BUSY_EVERY", 0.05)
    last_query = (
        "SELECT a.query, a.state_change FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "WHERE l.locktype = 'advisory' AND l.objid::bigint = (%s::bigint & 4294967295)"
    )
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin, rebuild_locks(container, ["cases"]):
            key = rebuilding.rebuild_key("cases")
            time.sleep(0.2)
            first = admin.execute(last_query, (key,)).fetchone()
            time.sleep(0.2)
            second = admin.execute(last_query, (key,)).fetchone()
        assert first is not None and second is not None
        assert first[0] == second[0] == "SELECT 1"
        assert second[1] > first[1]  # it went idle again after a newer query
    finally:
        container.close()


@pytest.mark.postgres
def test_a_server_that_ends_idle_sessions_leaves_the_rebuild_lock_held(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sessions of this test that sit idle 0.3 s are ended by the server (PGOPTIONS); the lock's session is not."""
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            monkeypatch.setenv("PGOPTIONS", "-c idle_session_timeout=300")
            with rebuild_locks(container, ["cases"]):
                monkeypatch.delenv("PGOPTIONS")
                time.sleep(1.0)
                row = admin.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid::bigint = (%s::bigint & 4294967295)",
                    (rebuilding.rebuild_key("cases"),),
                ).fetchone()
                assert row == (1,)
    finally:
        container.close()


@pytest.mark.postgres
def test_a_rebuild_whose_lock_is_lost_switches_nothing_and_leaves_no_generation(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock's session is ended by an administrator while the processes fold: the rebuild stops before it writes
    their totals, drops what it built, and the live views are as they were."""
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    monkeypatch.setattr(rebuilding, "KEEP_BUSY_EVERY", 0.05)
    try:
        random_history(container, clock, seed=7, cases=6, steps=60)
        caught_up(container)
        before = {p.name: projected_rows(container, p) for p in container.projections}
        live = {p.name: container.views.generations(p.name) for p in container.projections}
        real = rebuilding.in_processes

        def then_the_lock_session_ends(*args: Any) -> dict[str, Deltas]:
            totals = real(*args)
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid::bigint = (%s::bigint & 4294967295)",
                    (rebuilding.rebuild_key("cases"),),
                )
            time.sleep(0.5)  # the lock's next query fails
            return totals

        monkeypatch.setattr(rebuilding, "in_processes", then_the_lock_session_ends)
        with pytest.raises(RebuildFailed, match="the rebuild lost its lock"):
            rebuild_all(container, container.projections, lambda done, head: None, 7, processes=2, sharded_from=0)
        assert {p.name: container.views.generations(p.name) for p in container.projections} == live
        assert {p.name: projected_rows(container, p) for p in container.projections} == before
    finally:
        container.close()


@pytest.mark.postgres
def test_no_rebuild_starts_while_processes_of_a_stopped_one_still_fold(clock: FixedClock) -> None:
    """A rebuild's processes hold a shared lock while they fold; one left running by a rebuild killed outright
    keeps the next rebuild from starting (and from dropping the generation it writes into) until it has gone."""
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    try:
        random_history(container, clock, seed=8, cases=6, steps=60)
        caught_up(container)
        holders: list[int] = []

        def watched(done: int, head: int) -> None:  # the processes report from inside their lock
            row = container.views.query(
                "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND mode = 'ShareLock' "
                "AND objid::bigint = (? & 4294967295)",
                [rebuilding.folding_key("cases")],
            )
            holders.append(int(row[0]["n"]))

        rebuild_all(container, container.projections, watched, 7, processes=2, sharded_from=0)
        assert max(holders) >= 1 and not rebuild_running(container, "cases")  # held while folding, then freed

        with psycopg.connect(POSTGRES_URL, autocommit=True) as orphan:  # what a killed rebuild's process holds
            orphan.execute("SELECT pg_advisory_lock_shared(%s)", (rebuilding.folding_key("cases"),))
            assert rebuild_running(container, "cases")
            live = container.views.generations("cases")
            with pytest.raises(RebuildRunning):
                rebuild(container, container.projections[0], lambda done, head: None)
            assert container.views.generations("cases") == live
        freed_by(container, "cases", seconds=10)
        rebuild(container, container.projections[0], lambda done, head: None)
    finally:
        container.close()


def test_a_lock_connection_the_database_refuses_is_a_rebuild_failure_in_words() -> None:
    """What the command prints in one line (`RebuildFailed`), instead of a driver's traceback."""
    with pytest.raises(RebuildFailed, match=r"^cannot take the rebuild lock: .*127\.0\.0\.1"):
        rebuilding.lock_connection(Settings(database_url="postgresql://postgres@127.0.0.1:1/casetrail"))


@pytest.mark.postgres
def test_every_session_connection_is_kept_from_idle_timeouts_and_sends_keepalives() -> None:
    """The worker's locks, the token cache's LISTEN and a rebuild's locks all use `session_connection`."""
    require_postgres()
    locks = AdvisoryLocks(POSTGRES_URL)
    tokens = TokenCache(POSTGRES_URL)
    try:
        assert locks.hold("some projection")
        tokens._listen()
        with rebuilding.lock_connection(Settings(database_url=POSTGRES_URL)) as rebuilds:
            for conn, idle in ((locks.conn, "30"), (tokens.conn, "5"), (rebuilds, "30")):
                assert conn is not None
                assert conn.execute("SHOW idle_session_timeout").fetchone() == ("0",)
                assert conn.execute("SHOW tcp_keepalives_idle").fetchone() == (idle,)
    finally:
        locks.close()
        tokens.close()
