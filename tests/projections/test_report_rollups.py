"""The reports roll-up answers every count exactly as the scan of the report's row tables does."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from application.projections.base import Deltas, add_into
from application.projections.reports import DAILY, ReportsProjection
from application.reports import Counts
from domain.schedule import local_date
from infrastructure.clock import FixedClock
from infrastructure.container import Container
from infrastructure.views.rebuild import rebuild
from infrastructure.views.report_reader import SqlReportReader
from infrastructure.views.store import table_name
from tests.conftest import START
from tests.projections.folds import folded_states
from tests.projections.random_commands import random_history


def nonzero(counts: dict[str, Counts]) -> dict[str, Counts]:
    """Counts without zeros: a department the roll-up has a row for but nothing to count equals one it lacks."""
    kept = {d: {k: v for k, v in c.items() if v} for d, c in counts.items()}
    return {d: c for d, c in kept.items() if c}


def periods(first: date, last: date, rng: random.Random) -> list[tuple[date, date, date | None]]:
    """Whole history, each month, single days, random ranges; read at their end, at days inside and before them."""
    found: list[tuple[date, date, date | None]] = [(first - timedelta(days=30), last + timedelta(days=30), None)]
    month = first.replace(day=1)
    while month <= last:
        end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        found += [(month, end, None), (month, end, month + timedelta(days=9)), (month, end, month - timedelta(days=3))]
        month = end + timedelta(days=1)
    span = (last - first).days
    for _ in range(40):
        start = first + timedelta(days=rng.randint(-2, span))
        end = start + timedelta(days=rng.choice([0, 0, 1, 3, 10, 45]))
        as_of = rng.choice([None, start + timedelta(days=rng.randint(-3, (end - start).days + 1))])
        found.append((start, end, as_of))
    return found


def caught_up(container: Container, batch_size: int) -> None:
    for worker in container.workers(batch_size):
        worker.catch_up()


@pytest.mark.parametrize("seed", [31, 32])
def test_the_rollup_answers_every_count_as_the_row_scan_does(
    any_container: Container, clock: FixedClock, seed: int
) -> None:
    random_history(any_container, clock, seed, cases=30, steps=320)
    caught_up(any_container, batch_size=7)  # many small batches: the roll-up is kept by deltas across them
    rolled, scanned = SqlReportReader(any_container.views, True), SqlReportReader(any_container.views, False)
    first, last = local_date(START), local_date(clock.now())
    checked = 0
    for start, end, as_of in periods(first, last, random.Random(seed)):
        for rates_only in (False, True):
            expected = nonzero(scanned.department_counts(start, end, as_of, rates_only))
            assert nonzero(rolled.department_counts(start, end, as_of, rates_only)) == expected, (start, end, as_of)
            checked += bool(expected)
    assert checked > 50  # the periods are not all empty


@pytest.mark.parametrize("today_offset", [None, 0, 40])
def test_the_months_of_the_trend_in_one_query_equal_each_month_scanned(
    any_container: Container, clock: FixedClock, today_offset: int | None
) -> None:
    random_history(any_container, clock, seed=33, cases=30, steps=320)
    caught_up(any_container, batch_size=50)
    rolled, scanned = SqlReportReader(any_container.views, True), SqlReportReader(any_container.views, False)
    first = local_date(START).replace(day=1)
    months = [first]
    while len(months) < 8:
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    today = None if today_offset is None else local_date(START) + timedelta(days=today_offset)
    found = rolled.month_counts(months, today)
    assert found is not None
    for month, counts in zip(months, found, strict=True):
        end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        as_of = None if today is None else min(end, today)
        assert nonzero(counts) == nonzero(scanned.department_counts(month, end, as_of, rates_only=True)), month
    assert any(nonzero(c) for c in found)


def test_the_rollup_equals_the_contributions_of_each_case_folded_from_scratch_and_after_a_rebuild(
    any_container: Container, clock: FixedClock
) -> None:
    random_history(any_container, clock, seed=34, cases=25, steps=250)
    caught_up(any_container, batch_size=3)
    projection = next(p for p in any_container.projections if isinstance(p, ReportsProjection))
    expected: Deltas = {}
    for state in folded_states(any_container, projection).values():
        add_into(expected, projection.contribution(state), 1)
    want = {k[1:]: v for k, v in expected.items() if any(v)}

    def stored() -> dict[tuple[str, ...], list[int]]:
        generation = any_container.views.active_generation(projection.name)
        rows = any_container.views.query(f"SELECT * FROM {table_name(projection.name, generation, DAILY.name)}")
        found: dict[tuple[str, ...], list[int]] = {}
        for row in rows:
            values = [int(row[c]) for c in DAILY.counters]
            if any(values):
                found[tuple(str(row[k]) for k in DAILY.keys)] = values
        return found

    assert stored() == want
    assert want  # the history fills the roll-up
    rebuild(any_container, projection, lambda done, total: None, batch_size=11)
    assert stored() == want


def test_a_generation_made_before_the_rollup_keeps_working_and_a_rebuild_brings_the_rollup(
    container: Container, clock: FixedClock
) -> None:
    """The upgrade: a store projected before the roll-up existed (its generation has no roll-up table) keeps being
    projected and its reports answered from the rows; `projections rebuild reports` then brings the roll-up, and
    the answers stay the same."""
    old = container.views.active_generation("reports")
    with container.views.cursor(commit=True) as c:
        c.execute(f"DROP TABLE {table_name('reports', old, DAILY.name)}")
    random_history(container, clock, seed=35, cases=10, steps=80)
    caught_up(container, batch_size=7)  # the worker applies the reports projection without a roll-up table
    period: tuple[Any, ...] = (local_date(START), local_date(clock.now()))
    reader = SqlReportReader(container.views)
    assert not reader.uses_rollup(old)
    assert reader.month_counts([period[0].replace(day=1)], None) is None
    before = reader.department_counts(*period)
    assert nonzero(before) == nonzero(SqlReportReader(container.views, False).department_counts(*period))
    projection = next(p for p in container.projections if p.name == "reports")
    new = rebuild(container, projection, lambda done, total: None)
    assert reader.uses_rollup(new)
    assert nonzero(reader.department_counts(*period)) == nonzero(before) != {}


def test_no_event_class_the_reports_projection_handles_derives_from_another() -> None:
    """The projection picks a handler by the event's exact class; with a derived class the order would decide."""
    from application.projections.reports import HANDLERS

    classes = [cls for cls, _ in HANDLERS]
    assert [(a, b) for a in classes for b in classes if a is not b and issubclass(a, b)] == []
