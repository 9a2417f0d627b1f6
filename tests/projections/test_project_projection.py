"""The projects projection, with cases and project issues interleaved: equal to a plain fold, and rebuilt the same."""

from __future__ import annotations

import pytest

from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.views.rebuild import rebuild
from tests.projections.folds import folded_rows, projected_rows
from tests.projections.random_commands import random_history, random_project_history


def catch_up(app: Container, batch_size: int = 1000) -> None:
    for worker in app.workers(batch_size):
        worker.catch_up()


def mixed_history(app: Container, clock: FixedClock, seed: int) -> None:
    random_project_history(app, clock, seed, projects=5, steps=40)
    random_history(app, clock, seed, cases=5, steps=40)
    random_project_history(app, clock, seed + 100, projects=3, steps=40)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_every_view_equals_a_plain_fold_over_projects_and_cases(
    app: Container, clock: FixedClock, seed: int, batch_size: int
) -> None:
    mixed_history(app, clock, seed)
    catch_up(app, batch_size)
    for projection in app.projections:
        assert projected_rows(app, projection) == folded_rows(app, projection), projection.name
    projects = next(p for p in app.projections if p.name == "projects")
    rows = projected_rows(app, projects)
    assert len(rows["summary"]) == 8
    assert rows["progress"], "the random history reported progress"


def test_the_projects_view_follows_events_written_between_batches(app: Container, clock: FixedClock) -> None:
    random_project_history(app, clock, seed=11, projects=4, steps=30)
    catch_up(app, batch_size=5)
    random_project_history(app, clock, seed=12, projects=4, steps=30)
    catch_up(app, batch_size=5)
    for projection in app.projections:
        assert projected_rows(app, projection) == folded_rows(app, projection), projection.name


def test_the_projects_view_rebuilds_to_the_same_rows(app: Container, clock: FixedClock) -> None:
    mixed_history(app, clock, seed=41)
    catch_up(app)
    projects = next(p for p in app.projections if p.name == "projects")
    before = projected_rows(app, projects)
    old = app.views.active_generation("projects")
    assert rebuild(app, projects, lambda done, head: None, batch_size=13) == old + 1
    assert projected_rows(app, projects) == before
