"""Histories with warnings: the views still equal a plain fold, and every warning is raised once and cleared once."""

from __future__ import annotations

from typing import Any

import pytest

from domain.values import Status
from domain.warnings import ESCALATION, RANK, warning_key
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from tests.conftest import COORDINATOR
from tests.projections.folds import folded_rows, projected_rows
from tests.projections.random_commands import random_history_with_tracking


def catch_up(container: Container, batch_size: int = 1000) -> None:
    for worker in container.workers(batch_size):
        worker.catch_up()


def replay_warnings(history: list[dict[str, Any]]) -> dict[str, str]:
    """The open warnings after a history, checking that each threshold is recorded once and cleared once (an
    escalation's warning once per rung of the ladder: its kind names the rung)."""
    open_: dict[str, tuple[str, str]] = {}
    for event in history:
        data = event["data"]
        key = warning_key(data.get("kind", ""))
        if event["type"] == "CaseWarningRaised":
            kind, level = open_.get(key, ("", ""))
            if key == ESCALATION:
                assert data["kind"] != kind and RANK[data["level"]] >= RANK.get(level, 0), event
            else:
                assert RANK[data["level"]] > RANK.get(level, 0), event
            open_[key] = (data["kind"], data["level"])
        elif event["type"] == "CaseWarningCleared":
            assert open_.pop(key) == (data["kind"], data["level"]), event
    return {key: level for key, (_, level) in open_.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 1000])
def test_views_equal_a_plain_fold_over_histories_with_warnings(
    container: Container, clock: FixedClock, seed: int, batch_size: int
) -> None:
    ids = random_history_with_tracking(container, clock, seed, cases=12, steps=150)
    catch_up(container, batch_size)

    for projection in container.projections:
        assert projected_rows(container, projection) == folded_rows(container, projection), projection.name
    histories = [container.queries.history(case_id, COORDINATOR) for case_id in ids]
    types = {e["type"] for history in histories for e in history}
    assert {"CaseWarningRaised", "CaseWarningCleared"} <= types


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_every_warning_is_raised_once_per_threshold_and_cleared_once(
    container: Container, clock: FixedClock, seed: int
) -> None:
    ids = random_history_with_tracking(container, clock, seed, cases=12, steps=200)

    for case_id in ids:
        case = container.queries.get(case_id, COORDINATOR).case
        still_open = replay_warnings(container.queries.history(case_id, COORDINATOR))
        assert still_open == {kind: w["level"] for kind, w in case.warnings.items()}
        if not Status(case.status).is_open:
            assert still_open == {}
