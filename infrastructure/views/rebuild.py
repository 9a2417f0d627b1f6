"""Rebuild a projection into fresh tables beside the live ones, and switch when it has caught up."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from application.projections.base import Projection, SharedReads, Worker
from infrastructure.container import Container


def rebuild(
    container: Container, projection: Projection, progress: Callable[[int, int], None], batch_size: int = 5000
) -> int:
    """Readers keep using the old generation until the new one has reached it; returns the new generation."""
    return rebuild_all(container, [projection], progress, batch_size)[projection.name]


@contextmanager
def paused_gc() -> Iterator[None]:
    """A rebuild allocates millions of short-lived objects and few cycles; the cyclic collector would
    spend a quarter of the time finding nothing, so it runs once at the end instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def _report(progress: Callable[[int, int], None], head: int, position: int) -> None:
    progress(position, head)


def rebuild_all(
    container: Container, projections: list[Projection], progress: Callable[[int, int], None], batch_size: int = 5000
) -> dict[str, int]:
    """Rebuild several projections over one read of the log (each event read and decoded once for all of them);
    each switches as `rebuild` does, when it has reached its live generation. Returns the new generations."""
    with paused_gc():
        return _rebuild_all(container, projections, progress, batch_size)


def _rebuild_all(
    container: Container, projections: list[Projection], progress: Callable[[int, int], None], batch_size: int
) -> dict[str, int]:
    views = container.views
    old = {p.name: views.active_generation(p.name) for p in projections}
    new = {p.name: views.create_generation(p, active=False) for p in projections}
    pending = [Worker(container.store, p, views, batch_size) for p in projections]
    reads = SharedReads(pending, max_batch=batch_size)
    indexed = False
    while pending:
        head = container.store.recorder.max_notification_id() or 0
        done = reads.catch_up(pending, generations=new, on_batch=partial(_report, progress, head))
        progress(min(views.position(w.projection.name, new[w.projection.name]) for w in pending), head)
        if done:
            continue
        if not indexed:  # index once caught up, then catch up again with what arrived meanwhile
            for w in pending:
                views.add_query_indexes(w.projection, new[w.projection.name])
            indexed = True
            continue
        for w in list(pending):
            name = w.projection.name
            if views.switch_if_caught_up(w.projection, old[name], new[name]):
                views.drop_generation(w.projection, old[name])
                pending.remove(w)
        if pending:
            time.sleep(0.05)  # a live generation is ahead: new events arrived meanwhile
    return new
