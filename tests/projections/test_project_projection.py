"""The projects projection, with cases and project issues interleaved: equal to a plain fold, and rebuilt the same."""

from __future__ import annotations

import pytest

from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.views.rebuild import rebuild
from tests.projections.folds import folded_rows, projected_rows
from tests.projections.random_commands import random_history, random_project_history


def catch_up(container: Container, batch_size: int = 1000) -> None:
    for worker in container.workers(batch_size):
        worker.catch_up()


def mixed_history(container: Container, clock: FixedClock, seed: int) -> None:
    random_project_history(container, clock, seed, projects=5, steps=40)
    random_history(container, clock, seed, cases=5, steps=40)
    random_project_history(container, clock, seed + 100, projects=3, steps=40)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_every_view_equals_a_plain_fold_over_projects_and_cases(
    container: Container, clock: FixedClock, seed: int, batch_size: int
) -> None:
    mixed_history(container, clock, seed)
    catch_up(container, batch_size)
    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection), projection.name
    projects = next(p for p in container.projections if p.name == "projects")
    rows = projected_rows(container, projects)
    assert len(rows["summary"]) == 8
    assert rows["progress"], "the random history reported progress"


def test_the_projects_view_follows_events_written_between_batches(container: Container, clock: FixedClock) -> None:
    random_project_history(container, clock, seed=11, projects=4, steps=30)
    catch_up(container, batch_size=5)
    random_project_history(container, clock, seed=12, projects=4, steps=30)
    catch_up(container, batch_size=5)
    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection), projection.name


def test_the_projects_view_rebuilds_to_the_same_rows(container: Container, clock: FixedClock) -> None:
    mixed_history(container, clock, seed=41)
    catch_up(container)
    projects = next(p for p in container.projections if p.name == "projects")
    before = projected_rows(container, projects)
    old = container.views.active_generation("projects")
    assert rebuild(container, projects, lambda done, head: None, batch_size=13) == old + 1
    assert projected_rows(container, projects) == before
