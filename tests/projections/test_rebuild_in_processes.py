"""A rebuild folded by several processes on PostgreSQL, each over its share of the streams, switches to the view a
plain fold gives (rows, states and roll-ups), takes in what arrived meanwhile, and a failed process switches nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from application.execution import CommandContext
from application.ports import in_shard
from application.projections.base import Deltas, Projection, add_into
from application.projections.reports import DAILY, ReportsProjection
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.views import rebuild as rebuilding
from infrastructure.views.rebuild import RebuildFailed, process_count, rebuild_all
from infrastructure.views.store import table_name
from tests.conftest import COORDINATOR, POSTGRES_URL, new_case, require_postgres, reset_postgres
from tests.integration.tamper import Tamperer
from tests.projections.folds import folded_rows, folded_states, projected_rows
from tests.projections.random_commands import random_history_with_tracking, random_project_history


@pytest.fixture
def pg(clock: FixedClock) -> Iterator[Container]:
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL, rebuild_processes=0), clock=clock)
    yield container
    container.close()


@dataclass
class Phases:
    """What the sharded phases did: how many processes each started (they run for real, this only watches), and
    the progress they reported."""

    processes: list[int] = field(default_factory=list)
    reported: list[tuple[int, int]] = field(default_factory=list)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Phases:
    phases = Phases()
    real = rebuilding.in_processes

    def watched(*args: Any) -> Deltas | Any:
        phases.processes.append(args[4])
        progress = args[6]

        def reported(done: int, head: int) -> None:
            phases.reported.append((done, head))
            progress(done, head)

        return real(*args[:6], reported)

    monkeypatch.setattr(rebuilding, "in_processes", watched)
    return phases


class LiveViews:
    """The views every reader sees, taken before a rebuild that is to fail: after it, nothing of them changed, no
    other generation remains and no rebuild process is left."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.rows = {p.name: projected_rows(container, p) for p in container.projections}
        self.generations = {p.name: container.views.active_generation(p.name) for p in container.projections}

    def assert_untouched(self) -> None:
        assert multiprocessing.active_children() == []
        for p in self.container.projections:
            assert self.container.views.generations(p.name) == [(self.generations[p.name], True)], p.name
            assert projected_rows(self.container, p) == self.rows[p.name], p.name


def caught_up(container: Container) -> None:
    for worker in container.workers(1000):
        worker.catch_up()


def rollup(container: Container, projection: Projection) -> dict[tuple[str, ...], list[int]]:
    generation = container.views.active_generation(projection.name)
    found: dict[tuple[str, ...], list[int]] = {}
    for row in container.views.query(f"SELECT * FROM {table_name(projection.name, generation, DAILY.name)}"):
        values = [int(row[c]) for c in DAILY.counters]
        if any(values):
            found[tuple(str(row[k]) for k in DAILY.keys)] = values
    return found


def states(container: Container, projection: Projection) -> dict[str, bytes]:
    """Each stream's stored state, in the projection's encoding (a decoded aggregate does not compare by value)."""
    generation = container.views.active_generation(projection.name)
    rows = container.views.query(f"SELECT stream_id, state FROM {table_name(projection.name, generation, 'state')}")
    return {r["stream_id"]: projection.encode(projection.decode(bytes(r["state"]))) for r in rows}


@pytest.mark.postgres
def test_a_rebuild_in_three_processes_equals_a_plain_fold_in_rows_states_and_rollups(
    pg: Container, clock: FixedClock, runs: Phases
) -> None:
    random_history_with_tracking(pg, clock, seed=5, cases=24, steps=220)
    random_project_history(pg, clock, seed=6, projects=4, steps=30)
    caught_up(pg)
    before = {p.name: projected_rows(pg, p) for p in pg.projections}
    old = {p.name: pg.views.active_generation(p.name) for p in pg.projections}
    new = rebuild_all(pg, pg.projections, lambda done, head: None, 7, processes=3, sharded_from=0)
    assert runs.processes == [3]
    head = pg.store.recorder.max_notification_id()
    for projection in pg.projections:
        assert pg.views.generations(projection.name) == [(new[projection.name], True)]
        assert new[projection.name] == old[projection.name] + 1
        assert pg.views.position(projection.name, new[projection.name]) == head
        assert projected_rows(pg, projection) == before[projection.name] == folded_rows(pg, projection)
        want = {str(stream): projection.encode(state) for stream, state in folded_states(pg, projection).items()}
        assert states(pg, projection) == want, projection.name
    reports = next(p for p in pg.projections if isinstance(p, ReportsProjection))
    expected: Deltas = {}
    for state in folded_states(pg, reports).values():
        add_into(expected, reports.contribution(state), 1)
    assert rollup(pg, reports) == {k[1:]: v for k, v in expected.items() if any(v) and k[0] == DAILY.name} != {}
    assert runs.reported[-1] == (head, head)  # the processes told how far the slowest had got, up to the head
    assert len(runs.reported) > 3 and sorted(runs.reported) == runs.reported
    assert multiprocessing.active_children() == []


@pytest.mark.postgres
def test_events_written_after_the_rebuild_read_the_head_are_in_the_view_it_switches_to(
    pg: Container, clock: FixedClock, runs: Phases
) -> None:
    random_history_with_tracking(pg, clock, seed=8, cases=10, steps=80)
    caught_up(pg)
    head = pg.store.recorder.max_notification_id()
    late: list[Any] = []

    def progress(done: int, upto: int) -> None:
        if not late:  # the processes were given the head: a handler registers a case meanwhile
            late.append(pg.cases.register(CommandContext(COORDINATOR), new_case(title="途中登记的诉求")).case.id)

    rebuild_all(pg, pg.projections, progress, 5, processes=2, sharded_from=0)
    assert runs.processes == [2]
    assert late and pg.store.recorder.max_notification_id() > head
    for projection in pg.projections:
        assert projected_rows(pg, projection) == folded_rows(pg, projection), projection.name
    cases = next(p for p in pg.projections if p.name == "cases")
    assert str(late[0]) in {row[0] for row in projected_rows(pg, cases)["summary"]}


@pytest.mark.postgres
@pytest.mark.parametrize("processes", [2, 1])
def test_a_failed_rebuild_switches_nothing_leaves_no_generation_behind_and_names_the_event(
    pg: Container, clock: FixedClock, runs: Phases, processes: int
) -> None:
    ids = random_history_with_tracking(pg, clock, seed=9, cases=8, steps=40)
    caught_up(pg)
    live = LiveViews(pg)
    Tamperer(pg).flip_byte(ids[3], 1, "诉求3".encode(), "诉求8".encode())
    seal = f"casetrail:CaseRegistered {ids[3]}@1: the seal does not match"
    with pytest.raises(Exception) as failed:
        rebuild_all(pg, pg.projections, lambda done, head: None, 5, processes=processes, sharded_from=0)
    if processes > 1:
        assert runs.processes == [2]
        assert isinstance(failed.value, RebuildFailed)
        assert re.search(f"rebuild process [12] of 2: Tampered: {re.escape(seal)}", str(failed.value))
    else:
        assert runs.processes == []
        assert seal in str(failed.value)
    live.assert_untouched()


@pytest.mark.postgres
def test_a_killed_rebuild_process_stops_the_rebuild_and_leaves_the_live_view(
    pg: Container, clock: FixedClock, runs: Phases
) -> None:
    random_history_with_tracking(pg, clock, seed=13, cases=8, steps=40)
    caught_up(pg)
    live = LiveViews(pg)
    killed: list[int] = []

    def progress(done: int, head: int) -> None:
        if not killed:  # batches of one event: every process has many left
            killed.extend(p.pid for p in multiprocessing.active_children() if p.name == "casetrail-rebuild-2")
            os.kill(killed[0], signal.SIGKILL)

    with pytest.raises(RebuildFailed, match=r"rebuild process 2 of 2 ended \(exit code -9\) before finishing"):
        rebuild_all(pg, pg.projections, progress, 1, processes=2, sharded_from=0)
    assert len(killed) == 1
    live.assert_untouched()


@pytest.mark.postgres
def test_a_small_log_or_a_single_process_setting_folds_in_this_process(
    pg: Container, clock: FixedClock, runs: Phases
) -> None:
    random_history_with_tracking(pg, clock, seed=10, cases=4, steps=20)
    caught_up(pg)
    rebuild_all(pg, pg.projections, lambda done, head: None, 5, processes=2)  # far below SHARDED_FROM events
    rebuild_all(pg, pg.projections, lambda done, head: None, 5, processes=1, sharded_from=0)
    assert runs.processes == []
    for projection in pg.projections:
        assert projected_rows(pg, projection) == folded_rows(pg, projection), projection.name
    assert process_count(pg, None) == min(len(os.sched_getaffinity(0)), 4)


def test_sqlite_and_the_memory_store_always_fold_in_one_process(tmp_path: Path) -> None:
    for url in ("memory://", f"sqlite:///{tmp_path / 'casetrail.db'}"):
        container = build(Settings(database_url=url, rebuild_processes=4))
        try:
            assert process_count(container, None) == process_count(container, 3) == 1
        finally:
            container.close()


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_shards_of_a_scan_hold_every_event_once_in_order_read_page_by_page(
    any_container: Container, clock: FixedClock, count: int
) -> None:
    random_history_with_tracking(any_container, clock, seed=12, cases=30, steps=60)  # (2/3)^30: no shard empty
    extras = any_container.store.extras
    head = any_container.store.recorder.max_notification_id()
    everything = [e.id for e in extras.scan(0, 10_000)]
    found: list[int] = []
    for k in range(count):
        part, after = [], 0
        while page := extras.scan(after, 7, stop=head, shard=(k, count)):
            assert len(page) <= 7
            assert all(in_shard(e.originator_id, (k, count)) for e in page)
            part += page
            after = page[-1].id
        assert part == sorted(part, key=lambda e: e.id)
        assert len({e.originator_id for e in part}) > 1
        found += [e.id for e in part]
    assert sorted(found) == everything and len(found) == len(set(found)) == head
