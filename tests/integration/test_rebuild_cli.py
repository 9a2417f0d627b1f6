"""`casetrail projections rebuild` as a real process on PostgreSQL: over a log of 20,000 events or more it folds in
the processes it is given, says so, and switches every projection to a view equal to the one the worker built; a
broken row makes it fail in one line with the live views untouched; killed outright, it leaves generations that
`casetrail projections status` names and the next rebuild drops."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.seed import seed
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.views.rebuild import SHARDED_FROM, rebuild_running
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


def environment(processes: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASETRAIL_")}
    return {**clean, "CASETRAIL_DATABASE_URL": POSTGRES_URL, "CASETRAIL_REBUILD_PROCESSES": processes, "COLUMNS": "200"}


def rebuild(processes: str) -> subprocess.CompletedProcess[str]:
    return casetrail("rebuild", processes=processes)


def casetrail(*args: str, processes: str = "2") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "projections", *args],
        env=environment(processes),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
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


def test_a_rebuild_killed_outright_leaves_generations_that_status_names_and_the_next_rebuild_drops(
    seeded: Container,
) -> None:
    before = {p.name: projected_rows(seeded, p) for p in seeded.projections}
    live = {p.name: seeded.views.active_generation(p.name) for p in seeded.projections}
    running = subprocess.Popen(
        [str(BIN), "projections", "rebuild"],
        env=environment("2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while any(len(seeded.views.generations(p.name)) < 2 for p in seeded.projections):
            assert running.poll() is None and time.monotonic() < deadline, "the rebuild ended before it was killed"
            time.sleep(0.01)
        running.kill()  # SIGKILL: no clean-up of its own
        running.wait(timeout=10)
    finally:
        if running.poll() is None:
            running.kill()
    deadline = time.monotonic() + 60  # its processes stop at their next batch, and then free their locks
    while any(rebuild_running(seeded, p.name) for p in seeded.projections):
        assert time.monotonic() < deadline, "a killed rebuild's processes still hold their locks"
        time.sleep(0.05)
    left = {p.name: live[p.name] + 1 for p in seeded.projections}
    for projection in seeded.projections:
        name = projection.name
        assert seeded.views.generations(name) == [(live[name], True), (left[name], False)]

    status = casetrail("status")
    assert status.returncode == 0, status.stderr
    said: dict[str, list[str]] = {}  # each projection's line, then the lines under it (spaces collapsed)
    for line in status.stdout.splitlines()[1:]:
        name = line.split()[0] if not line.startswith(" " * 12) else None
        if name in left:
            said[name] = []
        said[list(said)[-1]].append(" ".join(line.split()))
    for name, generation in left.items():
        assert said[name][0].startswith(f"{name} generation {live[name]} ")
        assert said[name][1].startswith(f"generation {generation} position ")
        assert said[name][1].endswith(
            "left unfinished by a rebuild that stopped; the next `casetrail projections rebuild` drops it"
        ), status.stdout

    again = rebuild("2")
    assert again.returncode == 0, again.stderr
    for projection in seeded.projections:
        name = projection.name
        dropped = f"dropped generation {left[name]} of {name}: a rebuild that stopped before switching left it"
        assert dropped in again.stdout
        assert seeded.views.generations(name) == [(left[name], True)]  # the number, freed, is taken again
        assert projected_rows(seeded, projection) == before[name]
