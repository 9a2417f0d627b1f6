"""`casetrail projections rebuild` as a real process on PostgreSQL: over a log of 20,000 events or more it folds in
the processes it is given, says so, and switches every projection to a view equal to the one the worker built; a
broken row makes it fail in one line with the live views untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.seed import seed
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.views.rebuild import SHARDED_FROM
from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
from tests.integration.tamper import Tamperer
from tests.projections.folds import projected_rows

BIN = Path(sys.executable).parent / "casetrail"
pytestmark = pytest.mark.postgres


@pytest.fixture
def seeded(clock: FixedClock) -> Iterator[Container]:
    """A store of 21,000 events (2,100 closed cases), every view caught up."""
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    assert seed(container, cases=2_100, events_per_case=10) >= SHARDED_FROM
    for worker in container.workers(5000):
        worker.catch_up()
    yield container
    container.close()


def rebuild(processes: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    env = {**clean, "CASETRAIL_DATABASE_URL": POSTGRES_URL, "CASETRAIL_REBUILD_PROCESSES": processes, "COLUMNS": "200"}
    return subprocess.run(
        [str(BIN), "projections", "rebuild"], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_command_folds_in_two_processes_and_switches_to_equal_views(seeded: Container) -> None:
    before = {p.name: projected_rows(seeded, p) for p in seeded.projections}
    old = {p.name: seeded.views.active_generation(p.name) for p in seeded.projections}
    done = rebuild("2")
    assert done.returncode == 0, done.stderr
    assert "(folded in 2 processes)" in done.stdout
    for projection in seeded.projections:
        generation = old[projection.name] + 1
        assert f"{projection.name}: generation {generation}" in done.stdout
        assert seeded.views.generations(projection.name) == [(generation, True)]
        assert projected_rows(seeded, projection) == before[projection.name]


@pytest.mark.parametrize("processes", ["2", "1"])
def test_a_broken_row_fails_the_command_in_one_line_and_leaves_the_live_views(
    seeded: Container, processes: str
) -> None:
    before = {p.name: projected_rows(seeded, p) for p in seeded.projections}
    live = {p.name: seeded.views.active_generation(p.name) for p in seeded.projections}
    stream = next(iter(seeded.store.extras.scan(0, 1))).originator_id
    tamper = Tamperer(seeded)
    tamper.set_state(stream, 1, tamper.state(stream, 1).replace(b'"', b"'", 1))
    done = rebuild(processes)
    assert done.returncode != 0
    assert f"{stream}@1: the seal does not match" in done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == [done.stderr.strip()]  # one line
    assert "Traceback" not in done.stderr + done.stdout
    for projection in seeded.projections:
        assert seeded.views.generations(projection.name) == [(live[projection.name], True)]
        assert projected_rows(seeded, projection) == before[projection.name]
