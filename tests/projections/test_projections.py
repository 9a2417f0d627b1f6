"""Projections equal a plain fold over the events, apply each position once, and rebuild to the same."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import IntegrityError, Tracking

from application.projections.base import Worker, tracking_name
from application.projections.cases import CasesProjection
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.views.rebuild import rebuild, rebuild_all
from infrastructure.views.runner import ProjectionLoop
from tests.conftest import COORDINATOR
from tests.projections.folds import folded_rows, projected_rows
from tests.projections.random_commands import random_history


def catch_up(container: Container, batch_size: int = 1000) -> None:
    for worker in container.workers(batch_size):
        worker.catch_up()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_views_equal_a_plain_fold_over_random_histories(
    container: Container, clock: FixedClock, seed: int, batch_size: int
) -> None:
    random_history(container, clock, seed, cases=12, steps=150)
    catch_up(container, batch_size)
    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection), projection.name


def test_views_follow_events_written_between_batches(container: Container, clock: FixedClock) -> None:
    random_history(container, clock, seed=11, cases=6, steps=40)
    catch_up(container, batch_size=5)
    random_history(container, clock, seed=12, cases=6, steps=60)
    catch_up(container, batch_size=5)
    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection)


def test_delivering_a_position_twice_changes_nothing(container: Container, clock: FixedClock) -> None:
    random_history(container, clock, seed=21, cases=5, steps=30)
    catch_up(container)
    for projection in container.projections:
        generation = container.views.active_generation(projection.name)
        position = container.views.position(projection.name, generation)
        before = projected_rows(container, projection)
        replay = Tracking(tracking_name(projection.name, generation), position)
        with pytest.raises(IntegrityError):
            container.views.write_many([(projection, generation, {}, replay, None)])
        with pytest.raises(IntegrityError):
            stale = Tracking(tracking_name(projection.name, generation), max(position - 3, 1))
            container.views.write_many([(projection, generation, {}, stale, None)])
        assert projected_rows(container, projection) == before
        assert container.views.position(projection.name, generation) == position


def test_a_batch_failing_midway_leaves_view_and_position_untouched(
    container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    random_history(container, clock, seed=31, cases=4, steps=20)
    catch_up(container)
    projection = container.projections[0]
    generation = container.views.active_generation(projection.name)
    before, position = projected_rows(container, projection), container.views.position(projection.name, generation)
    random_history(container, clock, seed=32, cases=2, steps=10)

    def crash(*_: object) -> None:
        raise RuntimeError("disk full")  # after the tracking row, the deletes and the states were written

    monkeypatch.setattr(container.views, "insert_rows", crash)
    with pytest.raises(RuntimeError):
        Worker(container.store, projection, container.views).run_once()
    assert projected_rows(container, projection) == before
    assert container.views.position(projection.name, generation) == position
    monkeypatch.undo()
    catch_up(container)
    assert projected_rows(container, projection) == folded_rows(container, projection)


def test_rebuild_switches_to_an_equal_view_and_drops_the_old(container: Container, clock: FixedClock) -> None:
    random_history(container, clock, seed=41, cases=8, steps=80)
    catch_up(container)
    for projection in container.projections:
        before = projected_rows(container, projection)
        old = container.views.active_generation(projection.name)
        seen: list[tuple[int, int]] = []

        def progress(done: int, head: int, seen: list[tuple[int, int]] = seen) -> None:
            seen.append((done, head))

        new = rebuild(container, projection, progress, batch_size=50)
        assert new == old + 1
        assert container.views.active_generation(projection.name) == new
        assert container.views.generations(projection.name) == [(new, True)]
        assert projected_rows(container, projection) == before
        assert seen[-1][0] == seen[-1][1]


def test_the_live_view_keeps_serving_while_a_rebuild_is_in_progress(container: Container, clock: FixedClock) -> None:
    random_history(container, clock, seed=51, cases=5, steps=40)
    catch_up(container)
    projection = container.projections[0]
    live = container.views.active_generation(projection.name)
    building = container.views.create_generation(projection, active=False)
    Worker(container.store, projection, container.views, batch_size=3).run_once(building)
    assert container.views.active_generation(projection.name) == live
    assert projected_rows(container, projection) == folded_rows(container, projection)


def test_the_cases_view_state_round_trips_every_case_of_random_histories(
    container: Container, clock: FixedClock
) -> None:
    """The view keeps each case as a snapshot written by orjson; read back, it is the case, field for field, but
    for the contact (personal data), which the view does not keep."""
    projection = CasesProjection(container.store.mapper)
    for case_id in random_history(container, clock, seed=11, cases=12, steps=150):
        case = container.queries.get(case_id, COORDINATOR).case
        assert vars(projection.decode(projection.encode(case))) == {**vars(case), "contact": {}}
        ours = container.store.mapper.transcoder.decode(projection.encode(case))
        library = container.store.mapper.transcoder.decode(
            container.store.mapper.transcoder.encode(vars(Snapshot.take(case)))
        )
        library["state"]["contact"] = {}
        assert {**ours, "timestamp": None} == {**library, "timestamp": None}  # a snapshot's time is never read back


@pytest.mark.parametrize("name", ["cases", "reports"])
def test_a_batch_another_runner_applied_first_is_refused_with_integrity_error(
    container: Container, clock: FixedClock, name: str
) -> None:
    """Two runners of one projection (`casetrail track` beside `serve`): the one that read its batch before the
    other applied it gets `IntegrityError` (a lost race, tolerated by both), not a fold error, and the view stays
    what the winner wrote."""
    random_history(container, clock, seed=22, cases=4, steps=20)
    projection = next(p for p in container.projections if p.name == name)
    late, winner = (
        Worker(container.store, projection, container.views),
        Worker(container.store, projection, container.views),
    )
    generation = container.views.active_generation(name)
    batch = late.read(0)
    winner.catch_up()
    before = projected_rows(container, projection)

    with pytest.raises(IntegrityError):
        late.apply(generation, 0, batch)

    assert projected_rows(container, projection) == before == folded_rows(container, projection)


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_the_projection_loop_feeding_every_projection_from_one_read_equals_a_plain_fold(
    container: Container, clock: FixedClock, batch_size: int
) -> None:
    """The loop of `casetrail worker` and `serve`, batch by batch (growing while behind); with one projection
    ahead of the others (a rebuild just switched), each gets only what lies after its own position."""
    random_history(container, clock, seed=61, cases=10, steps=90)
    container.workers()[1].catch_up()  # reports ahead of cases and projects
    loop = ProjectionLoop(container.workers(batch_size))
    while loop.step_all():
        pass
    random_history(container, clock, seed=62, cases=6, steps=60)
    while loop.step_all():
        pass
    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection), projection.name
        generation = container.views.active_generation(projection.name)
        assert container.views.position(projection.name, generation) == container.store.recorder.max_notification_id()


def test_rebuilding_every_projection_over_one_read_switches_each_to_an_equal_view(
    container: Container, clock: FixedClock
) -> None:
    random_history(container, clock, seed=71, cases=8, steps=80)
    catch_up(container)
    before = {p.name: projected_rows(container, p) for p in container.projections}
    old = {p.name: container.views.active_generation(p.name) for p in container.projections}
    seen: list[tuple[int, int]] = []
    new = rebuild_all(container, container.projections, lambda done, head: seen.append((done, head)), batch_size=13)
    for projection in container.projections:
        assert new[projection.name] == old[projection.name] + 1
        assert container.views.generations(projection.name) == [(new[projection.name], True)]
        assert projected_rows(container, projection) == before[projection.name] == folded_rows(container, projection)
    assert seen[-1][0] == seen[-1][1] == container.store.recorder.max_notification_id()


def test_a_failing_projection_does_not_hold_back_the_others_the_loop_writes_together(
    container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop writes every projection's part of a batch in one transaction; when one fails, nothing of that
    transaction stays and each goes on alone: the others reach the head, the failing one stays where it was."""
    random_history(container, clock, seed=81, cases=6, steps=40)
    loop = ProjectionLoop(container.workers(1000))
    reports = next(w for w in loop.workers if w.projection.name == "reports")

    def poisoned(*_: object) -> None:
        raise RuntimeError("a poison event")

    monkeypatch.setattr(reports.projection, "fold", poisoned)
    monkeypatch.setattr(loop.stopped, "wait", lambda _: False)  # no back-off in a test
    loop.step_all()
    head = container.store.recorder.max_notification_id()
    for projection in container.projections:
        reached = container.views.position(projection.name, container.views.active_generation(projection.name))
        assert reached == (0 if projection.name == "reports" else head), projection.name
    assert loop.failures == {"reports": 1}
    monkeypatch.undo()
    loop.step_all()
    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection), projection.name
