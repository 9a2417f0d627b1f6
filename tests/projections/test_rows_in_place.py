"""A stream's state and its row in a one-row-per-stream table (a case's summary) are written over in place, behind
a unique stream index; a generation made before that index keeps replacing rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from application.projections.base import Projection, StreamChange
from infrastructure.clock import FixedClock
from infrastructure.container import Container, build
from infrastructure.settings import Settings
from infrastructure.views import store
from infrastructure.views.store import table_name
from tests.conftest import POSTGRES_URL, require_postgres, reset_postgres
from tests.projections.folds import folded_rows, folded_states, projected_rows
from tests.projections.random_commands import random_history


def setup(container: Container, clock: FixedClock) -> tuple[Projection, str, list[UUID]]:
    ids = random_history(container, clock, seed=61, cases=6, steps=40)
    for worker in container.workers(5):  # small batches: most of them write over rows in place
        worker.catch_up()
    cases = next(p for p in container.projections if p.name == "cases")
    assert cases.tables[0].name == "summary" and cases.tables[0].one_per_stream
    assert projected_rows(container, cases) == folded_rows(container, cases)
    return cases, table_name("cases", container.views.active_generation("cases"), "summary"), ids


def rewrite(container: Container, cases: Projection, streams: list[UUID]) -> None:
    """Write these streams' rows again from their folded states, as the worker's next batch would."""
    states = folded_states(container, cases)
    positions = {}
    for n in container.store.recorder.select_notifications(start=None, limit=10**9):
        positions[container.store.mapper.to_domain_event(n).originator_id] = n.id
    changes = {s: StreamChange(cases.encode(states[s]), cases.rows(states[s], positions[s])) for s in streams}
    container.views.write_many([(cases, container.views.active_generation("cases"), changes, None, None)])


def counts(container: Container, summary: str) -> dict[str, int]:
    rows = container.views.query(f"SELECT stream_id, count(*) AS n FROM {summary} GROUP BY stream_id")
    return {r["stream_id"]: int(r["n"]) for r in rows}


def sql(container: Container, statement: str, *params: Any) -> None:
    with container.views.cursor(commit=True) as c:
        c.execute(statement.replace("?", container.views.ph), params)


def test_a_summary_row_is_written_over_in_place_cannot_be_doubled_and_comes_back_when_missing(
    durable_container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases, summary, ids = setup(durable_container, clock)
    deleted: list[tuple[str, list[str]]] = []
    real = durable_container.views.delete_rows

    def spied(c: Any, name: str, streams: list[str]) -> None:
        deleted.append((name, streams))
        real(c, name, streams)

    monkeypatch.setattr(durable_container.views, "delete_rows", spied)
    monkeypatch.setattr(store, "UPSERT_ROWS", 2)  # three streams: two statements
    rewrite(durable_container, cases, [ids[1], ids[4], ids[5]])
    state = summary.removesuffix("summary") + "state"
    assert not [d for d in deleted if d[0] in (summary, state) and d[1]]  # written over, not deleted and inserted
    assert {d[0] for d in deleted if d[1]} == {summary.removesuffix("summary") + t for t in ("departments", "warnings")}
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        sql(durable_container, f"INSERT INTO {summary} SELECT * FROM {summary} WHERE stream_id = ?", str(ids[3]))
    sql(durable_container, f"DELETE FROM {summary} WHERE stream_id = ?", str(ids[2]))
    rewrite(durable_container, cases, [ids[1], ids[2], ids[3]])
    assert all(n == 1 for n in counts(durable_container, summary).values())
    assert projected_rows(durable_container, cases) == folded_rows(durable_container, cases)


def test_a_generation_made_before_the_unique_index_has_its_rows_replaced_missing_or_doubled(
    durable_container: Container, clock: FixedClock
) -> None:
    cases, summary, ids = setup(durable_container, clock)
    with durable_container.views.cursor(commit=True) as c:  # the index as an older release made it
        c.execute(f"DROP INDEX {summary}_stream")
        c.execute(f"CREATE INDEX {summary}_stream ON {summary} (stream_id)")
    durable_container.views.forget(summary)  # as a process started after the upgrade knows it
    sql(durable_container, f"DELETE FROM {summary} WHERE stream_id = ?", str(ids[2]))
    sql(durable_container, f"INSERT INTO {summary} SELECT * FROM {summary} WHERE stream_id = ?", str(ids[3]))
    assert counts(durable_container, summary)[str(ids[3])] == 2
    rewrite(durable_container, cases, [ids[1], ids[2], ids[3]])
    assert all(n == 1 for n in counts(durable_container, summary).values())
    assert projected_rows(durable_container, cases) == folded_rows(durable_container, cases)


def test_a_stream_whose_state_no_longer_gives_its_summary_row_loses_that_row_and_gets_it_back(
    durable_container: Container, clock: FixedClock
) -> None:
    cases, summary, ids = setup(durable_container, clock)
    generation = durable_container.views.active_generation("cases")
    state = folded_states(durable_container, cases)[ids[1]]
    rows = {k: v for k, v in cases.rows(state, 1).items() if k != "summary"}
    durable_container.views.write_many(
        [(cases, generation, {ids[1]: StreamChange(cases.encode(state), rows)}, None, None)]
    )
    assert str(ids[1]) not in counts(durable_container, summary)
    rewrite(durable_container, cases, [ids[1]])
    assert projected_rows(durable_container, cases) == folded_rows(durable_container, cases)


@pytest.mark.postgres
def test_on_postgresql_the_tables_written_over_in_place_leave_room_on_their_pages(clock: FixedClock) -> None:
    require_postgres()
    reset_postgres()
    container = build(Settings(database_url=POSTGRES_URL), clock=clock)
    try:
        generation = container.views.active_generation("cases")
        prefix = f"cases_g{generation}_"
        rows = container.views.query("SELECT relname, reloptions FROM pg_class WHERE relname LIKE ?", (prefix + "%",))
        options = {r["relname"]: r["reloptions"] for r in rows}
        assert options[prefix + "summary"] == options[prefix + "state"] == ["fillfactor=80"]
        assert options[prefix + "departments"] is None
    finally:
        container.close()
