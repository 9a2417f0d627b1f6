"""The views as a plain fold over each stream's events, to compare the projected tables against."""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection
from infrastructure.container import Container
from infrastructure.views.store import table_name


def folded_rows(container: Container, projection: Projection) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, computed by folding each stream's events from scratch."""
    expected: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in projection.tables}
    notifications = container.store.recorder.select_notifications(start=None, limit=10**9)
    streams: dict[Any, list[tuple[Any, int]]] = {}
    for n in notifications:
        event = container.store.mapper.to_domain_event(n)
        streams.setdefault(event.originator_id, []).append((event, n.id))
    for stream_id, events in streams.items():
        state, position = None, 0
        for event, pos in events:
            after = projection.fold(state, event)
            if after is not None or state is not None:
                position = pos
            state = after
        if state is None:
            continue
        for name, rows in projection.rows(state, position).items():
            columns = [c.name for c in next(t for t in projection.tables if t.name == name).columns]
            expected[name] += [(str(stream_id), *(row.get(c) for c in columns)) for row in rows]
    return {k: sorted(v, key=repr) for k, v in expected.items()}


def projected_rows(container: Container, projection: Projection) -> dict[str, list[tuple[Any, ...]]]:
    generation = container.views.active_generation(projection.name)
    found = {}
    for table in projection.tables:
        columns = ", ".join(["stream_id", *(c.name for c in table.columns)])
        rows = container.views.query(f"SELECT {columns} FROM {table_name(projection.name, generation, table.name)}")
        found[table.name] = sorted((tuple(r.values()) for r in rows), key=repr)
    return found


def folded_states(container: Container, projection: Projection) -> dict[Any, Any]:
    """Each stream's state, folded from scratch over its events (streams the projection leaves out are absent)."""
    states: dict[Any, Any] = {}
    for n in container.store.recorder.select_notifications(start=None, limit=10**9):
        event = container.store.mapper.to_domain_event(n)
        after = projection.fold(states.get(event.originator_id), event)
        if after is None:
            states.pop(event.originator_id, None)
        else:
            states[event.originator_id] = after
    return states
