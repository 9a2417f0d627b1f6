"""The tracking loop that `serve` and `worker` run: only under the lock, failures logged, stopped cleanly."""

from __future__ import annotations

import threading
import time
from datetime import UTC

import pytest

from application.execution import CommandContext
from application.tracking import TrackingSummary
from domain.values import Tier
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.tracking_runner import LOCK_NAME, TrackingLoop, start_tracking
from infrastructure.views.runner import lock_key
from tests.conftest import COORDINATOR, new_case
from tests.unit import case_steps as s
from tests.unit.tracking_steps import catch_up, local, warnings


def test_tracking_loop_runs_nothing_without_the_lock(container: Container, clock: FixedClock) -> None:
    s.dispatched_case(container)
    catch_up(container)
    clock.at = local(2026, 12, 8).astimezone(UTC)
    head = s.head_position(container)

    assert TrackingLoop(container.tracking, clock, lock=lambda: False).step() is None
    assert s.head_position(container) == head


def test_tracking_loop_tracks_as_of_the_clock(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container)
    catch_up(container)
    clock.at = local(2026, 12, 8).astimezone(UTC)

    summary = TrackingLoop(container.tracking, clock, lock=lambda: True).step()

    assert isinstance(summary, TrackingSummary)
    assert warnings(container, case_id)["sign_for"] == "red"


def test_tracking_loop_counts_its_runs_and_the_warnings_it_raised(container: Container, clock: FixedClock) -> None:
    from prometheus_client import REGISTRY

    s.dispatched_case(container)
    catch_up(container)
    clock.at = local(2026, 12, 8).astimezone(UTC)
    red = {"level": "red", "kind": "sign_for"}
    runs = REGISTRY.get_sample_value("casetrail_tracking_runs_total") or 0.0
    raised = REGISTRY.get_sample_value("casetrail_tracking_warnings_raised_total", red) or 0.0

    summary = TrackingLoop(container.tracking, clock, lock=lambda: True).step()

    assert summary is not None
    assert {(w.level, w.kind) for w in summary.raised} >= {("red", "sign_for")}
    assert REGISTRY.get_sample_value("casetrail_tracking_runs_total") == runs + 1
    assert REGISTRY.get_sample_value("casetrail_tracking_warnings_raised_total", red) == raised + 1


def test_tracking_loop_logs_a_failed_run_and_carries_on(
    container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(container.tracking, "run", broken)

    assert TrackingLoop(container.tracking, clock).step() is None
    assert "the tracking job failed" in caplog.text


def test_start_tracking_runs_at_once_and_stops(container: Container, clock: FixedClock) -> None:
    case_id = s.dispatched_case(container)
    catch_up(container)
    clock.at = local(2026, 12, 8).astimezone(UTC)

    stop = start_tracking(container, every=3600)
    try:
        deadline = time.monotonic() + 10
        while "sign_for" not in warnings(container, case_id) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop()

    assert warnings(container, case_id)["sign_for"] == "red"
    assert not any(t.name == "casetrail-tracking" for t in threading.enumerate())


def test_the_tracking_lock_is_not_a_projections_lock(container: Container) -> None:
    assert lock_key(LOCK_NAME) not in {lock_key(p.name) for p in container.projections}


def test_a_run_stops_between_cases_when_the_process_shuts_down(container: Container, clock: FixedClock) -> None:
    for _ in range(3):
        case = container.cases.register(CommandContext(COORDINATOR), new_case()).case
        container.cases.dispatch(
            case.id, CommandContext(COORDINATOR), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
        )
    for worker in container.workers():
        worker.catch_up()
    asked: list[int] = []
    summary = container.tracking.run(clock.now(), stopping=lambda: asked.append(1) or len(asked) > 1)
    assert (summary.candidates, summary.evaluated) == (3, 1)


def test_cases_with_nothing_due_are_judged_from_the_view_without_loading_them(
    container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = container.cases.register(CommandContext(COORDINATOR), new_case()).case
    container.cases.dispatch(
        case.id, CommandContext(COORDINATOR), tier=Tier.HANDLING, lead_department="econ-info", co_departments=[]
    )
    for worker in container.workers():
        worker.catch_up()
    loads: list[object] = []
    real_load = container.tracking.executor.load
    monkeypatch.setattr(container.tracking.executor, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    quiet = container.tracking.run(clock.now())
    assert (quiet.evaluated, quiet.raised, loads) == (1, [], [])
    clock.advance(days=12)
    late = container.tracking.run(clock.now())
    assert "sign_for" in [w.kind for w in late.raised]
    assert loads  # a warning is decided on the case itself, never on the view's copy


def test_a_standby_asks_for_the_lock_every_standby_poll_and_runs_the_job_as_soon_as_it_holds_it() -> None:
    """Of a job that runs once a minute, a standby takes over a dead holder's lock at its next poll (a second by
    default), not at its next period, and runs the job then."""
    from infrastructure.background import PeriodicJob

    asked: list[float] = []
    ran = threading.Event()

    class Job(PeriodicJob):
        def work(self) -> None:
            ran.set()

    def lock() -> bool:
        asked.append(time.monotonic())
        return len(asked) >= 3  # the holder dies after the standby's second question

    job = Job(every=60.0, lock=lock)
    job.standby_poll = 0.05
    job.start()
    try:
        assert ran.wait(5), "the standby never ran the job after the lock came free"
    finally:
        job.stop()
    assert len(asked) == 3
    assert asked[2] - asked[0] < 5, "the standby waited a whole period between questions"
    assert PeriodicJob.standby_poll == 1.0  # the default poll: a second
