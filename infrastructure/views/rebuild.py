"""Rebuild a projection into fresh tables beside the live ones, and switch when it has caught up."""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from eventsourcing.persistence import Tracking

from application.projections.base import Deltas, Projection, Shard, SharedReads, Worker, add_into, tracking_name
from domain.rules import Refusal
from infrastructure.container import Container, open_log_and_views
from infrastructure.integrity import Tampered
from infrastructure.settings import Settings

log = logging.getLogger("casetrail.rebuild")

# Below this many events a rebuild folds in its own process: starting others would take longer than the fold.
SHARDED_FROM = 20_000


class RebuildFailed(RuntimeError):
    """A rebuild's process failed: the new generation was not switched to, readers still use the old one."""


def rebuild(
    container: Container,
    projection: Projection,
    progress: Callable[[int, int], None],
    batch_size: int = 5000,
    processes: int | None = None,
) -> int:
    """Readers keep using the old generation until the new one has reached it; returns the new generation."""
    return rebuild_all(container, [projection], progress, batch_size, processes)[projection.name]


def processes_for(container: Container, processes: int | None = None, sharded_from: int = SHARDED_FROM) -> int:
    """How many processes a rebuild starting now folds in (for the operator's progress line)."""
    return folds_in(
        process_count(container, processes), container.store.recorder.max_notification_id() or 0, sharded_from
    )


def folds_in(processes: int, head: int, sharded_from: int) -> int:
    """Below `sharded_from` events a rebuild folds in its own process: starting others would take longer."""
    return processes if head >= max(sharded_from, 1) else 1


def process_count(container: Container, processes: int | None) -> int:
    """How many processes fold a rebuild: `processes`, else the setting (0: one per core, at most 4). Only
    PostgreSQL takes several writers at once; SQLite and the memory store fold in this process."""
    if container.settings.backend != "postgresql":
        return 1
    wanted = container.settings.rebuild_processes if processes is None else processes
    return wanted or min(len(os.sched_getaffinity(0)), 4)  # the cores this process may run on


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
    container: Container,
    projections: list[Projection],
    progress: Callable[[int, int], None],
    batch_size: int = 5000,
    processes: int | None = None,
    sharded_from: int = SHARDED_FROM,
) -> dict[str, int]:
    """Rebuild several projections over one read of the log (each event read and decoded once for all of them);
    each switches as `rebuild` does, when it has reached its live generation. Returns the new generations.

    On PostgreSQL the log up to its present head is folded by several processes (`process_count`), each over its
    share of the streams (`Shard`: every stream's events in one process, in order); the roll-ups' changes and the
    position are then written once, and this process folds what arrived meanwhile."""
    views = container.views
    old = {p.name: views.active_generation(p.name) for p in projections}
    new: dict[str, int] = {}
    count = process_count(container, processes)
    with paused_gc():
        try:
            for p in projections:
                new[p.name] = views.create_generation(p, active=False)
            return _fill_and_switch(container, projections, progress, batch_size, count, sharded_from, old, new)
        except BaseException:
            drop_unswitched(container, projections, new)
            raise


def drop_unswitched(container: Container, projections: list[Projection], new: dict[str, int]) -> None:
    """After a failed rebuild: drop the new generations not switched to (readers never saw them)."""
    for p in projections:
        if p.name not in new:
            continue
        try:
            if container.views.active_generation(p.name) != new[p.name]:
                container.views.drop_generation(p, new[p.name])
        except Exception:  # the database may be what failed: the next rebuild builds a new generation anyway
            log.warning("could not drop the unfinished generation %s of %s", new[p.name], p.name, exc_info=True)


def _fill_and_switch(
    container: Container,
    projections: list[Projection],
    progress: Callable[[int, int], None],
    batch_size: int,
    processes: int,
    sharded_from: int,
    old: dict[str, int],
    new: dict[str, int],
) -> dict[str, int]:
    views = container.views
    head = container.store.recorder.max_notification_id() or 0
    if folds_in(processes, head, sharded_from) > 1:
        deltas = in_processes(
            container.settings, [p.name for p in projections], new, head, processes, batch_size, progress
        )
        views.write_many(
            [
                (p, new[p.name], {}, Tracking(tracking_name(p.name, new[p.name]), head), deltas[p.name])
                for p in projections
            ]
        )
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


def in_processes(
    settings: Settings,
    names: list[str],
    generations: dict[str, int],
    stop: int,
    processes: int,
    batch_size: int,
    progress: Callable[[int, int], None],
) -> dict[str, Deltas]:
    """Fold the log up to `stop` into the fresh `generations` in `processes` processes, one shard of the streams
    each; returns the roll-ups' changes summed over all of them. A failed or lost process stops the others and
    raises `RebuildFailed`; processes whose rebuild ended (this one killed) stop at their next batch."""
    context = multiprocessing.get_context("spawn")  # nothing of this process (its connections) is inherited
    messages: Any = context.Queue()
    started: list[Any] = []
    at, finished = [0] * processes, set[int]()
    totals: dict[str, Deltas] = {name: {} for name in names}

    def take(message: tuple[Any, ...]) -> None:
        kind, k, *rest = message
        if kind == "at":
            at[k] = rest[0]
            progress(min(at), stop)
        elif kind == "done":
            finished.add(k)
            for name, deltas in rest[0].items():
                add_into(totals[name], deltas, 1)
        else:
            raise RebuildFailed(f"rebuild process {k + 1} of {processes}: {rest[0]}; the live view is unchanged")

    try:
        for k in range(processes):
            shard = Shard(k, processes, stop)
            started.append(
                context.Process(
                    target=fold_shard,
                    args=(settings, names, generations, shard, batch_size, messages),
                    name=f"casetrail-rebuild-{k + 1}",
                    daemon=True,
                )
            )
            started[-1].start()
        while len(finished) < processes:
            with contextlib.suppress(queue.Empty):
                take(messages.get(timeout=0.5))
            ended = [k for k, p in enumerate(started) if k not in finished and p.exitcode is not None]
            if ended:  # what it sent before it ended is in the queue already: read that first
                while True:
                    try:
                        take(messages.get_nowait())
                    except queue.Empty:
                        break
                for k in ended:
                    if k not in finished:
                        raise RebuildFailed(
                            f"rebuild process {k + 1} of {processes} ended (exit code {started[k].exitcode}) before "
                            "finishing; the live view is unchanged: run the rebuild again"
                        )
    finally:
        for p in started:
            if p.is_alive():
                p.terminate()
            p.join()
    return {name: {key: v for key, v in deltas.items() if any(v)} for name, deltas in totals.items()}


def fold_shard(
    settings: Settings, names: list[str], generations: dict[str, int], shard: Shard, batch_size: int, messages: Any
) -> None:
    """One rebuild process: fold the shard's streams into the generations, then send the roll-ups' changes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the rebuild's to handle: it stops this process
    parent = multiprocessing.parent_process()

    def report(upto: int) -> None:
        if parent is not None and not parent.is_alive():  # nobody will switch to or drop this generation
            messages.cancel_join_thread()  # and nobody reads: do not wait to flush what was sent
            raise SystemExit(1)
        messages.put(("at", shard.index, upto))

    try:
        store, views, projections = open_log_and_views(settings)
        try:
            with paused_gc():
                workers = [Worker(store, p, views, batch_size) for p in projections if p.name in names]
                SharedReads(workers, max_batch=batch_size).catch_up(
                    workers, generations=generations, on_batch=report, shard=shard
                )
        finally:
            store.close()
            views.close()
        messages.put(("done", shard.index, shard.deltas))
    except Exception as e:
        if not isinstance(e, (Refusal, Tampered)):  # those say all there is in the rebuild's one line
            log.exception("rebuild process %s of %s failed", shard.index + 1, shard.count)
        rule = f" (rule {e.rule.value})" if isinstance(e, Refusal) else ""
        messages.put(("failed", shard.index, f"{type(e).__name__}{rule}: {e}"))
