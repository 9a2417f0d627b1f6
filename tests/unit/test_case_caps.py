"""Abuse caps in the domain: a case holds at most so many events; the tracking job still records its warnings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import StateConflict
from infrastructure.container import Container
from tests.conftest import LEAD
from tests.unit import case_steps as s


def test_progress_on_a_full_case_is_refused_case_history_full(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("domain.case.MAX_EVENTS", 5)
    case_id = s.in_progress_case(container, co=[])  # versions 1-3
    for n in range(2):
        container.cases.progress(case_id, s.cmd(LEAD), note=f"进展{n}")

    s.refused(
        container,
        case_id,
        StateConflict,
        "case_history_full",
        lambda: container.cases.progress(case_id, s.cmd(LEAD), note="再来一条"),
    )
    assert s.version(container, case_id) == 5


def test_tracking_still_records_warnings_on_a_full_case(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("domain.case.MAX_EVENTS", 3)
    case_id = s.in_progress_case(container, co=[])  # versions 1-3: full
    case = s.current(container, case_id)

    raised = case.raise_warnings(datetime(2027, 3, 1, 9, tzinfo=UTC), container.schedule)

    assert raised and case.version > 3
