"""Rebuild a projection into fresh tables beside the live ones, and switch when it has caught up."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import Tracking

from application.projections.base import Deltas, Projection, Shard, SharedReads, Worker, add_into, tracking_name
from domain.rules import Refusal
from infrastructure.container import Container, open_log_and_views
from infrastructure.integrity import Tampered
from infrastructure.session_connection import advisory_key, session_connection, try_lock
from infrastructure.settings import Settings

log = logging.getLogger("casetrail.rebuild")

# Below this many events a rebuild folds in its own process: starting others would take longer than the fold.
SHARDED_FROM = 20_000


class RebuildFailed(RuntimeError):
    """A rebuild's process failed: the new generation was not switched to, readers still use the old one."""


class RebuildRunning(RebuildFailed):
    """Another rebuild of the projection is running: this one did not start."""


def rebuild_key(name: str) -> int:
    """The PostgreSQL advisory lock a rebuild of `name` holds (apart from the worker's projection locks)."""
    return advisory_key(f"casetrail rebuild {name}")


def folding_key(name: str) -> int:
    """The lock each of a rebuild's processes holds, shared, while it folds into a generation of `name`: a rebuild
    killed outright leaves them running until their next batch, and no rebuild may start until they are gone."""
    return advisory_key(f"casetrail rebuild {name}: folding")


class LockHeld:
    """What `rebuild_locks` gives: `check` raises `RebuildFailed` once the lock is known lost (its connection
    ended), so that the rebuild writes nothing more that counts and switches to nothing."""

    def __init__(self) -> None:
        self.lost = threading.Event()

    def check(self) -> None:
        if self.lost.is_set():
            raise RebuildFailed(
                "the rebuild lost its lock (its connection to the database ended); the live view is unchanged: "
                "run the rebuild again"
            )


def lock_connection(settings: Settings) -> psycopg.Connection[Any]:
    """A connection of its own for the rebuild's session locks (`session_connection`); a failure is
    `RebuildFailed`, said in one line."""
    try:
        return session_connection(settings.database_url)
    except psycopg.Error as e:
        raise RebuildFailed(f"cannot take the rebuild lock: {e}".strip()) from None


_HELD_IN_MEMORY: set[tuple[int, str]] = set()  # (the views' identity, projection) rebuilding in this process
_IN_MEMORY = threading.Lock()


@contextmanager
def rebuild_locks(container: Container, names: Sequence[str]) -> Iterator[LockHeld]:
    """One rebuild of a projection at a time: held for the whole rebuild and freed when it ends or its process
    dies (a PostgreSQL session lock, freed by the server when the session ends; on SQLite a lock on a file beside
    the database; in memory, this process's). On PostgreSQL a rebuild also waits for the processes of one killed
    before it (`folding_key`). So an unfinished generation found while holding it was left by a rebuild that
    stopped. A second rebuild of the same projection raises `RebuildRunning`."""
    settings = container.settings
    held = LockHeld()
    if settings.backend == "postgresql":
        with lock_connection(settings) as conn:
            try:
                for name in names:  # a session lock outlives no session: closing the connection frees every one
                    if not try_lock(conn, rebuild_key(name)) or not try_lock(conn, folding_key(name)):
                        raise RebuildRunning(_running(name))
                    conn.execute("SELECT pg_advisory_unlock(%s)", (folding_key(name),))  # only: no process folds
            except psycopg.Error as e:
                raise RebuildFailed(f"cannot take the rebuild lock: {e}".strip()) from None
            with _kept_busy(conn, names, held):
                yield held
    elif settings.backend == "sqlite":
        with contextlib.ExitStack() as stack:
            for name in names:
                path = settings.sqlite_path.with_name(f"{settings.sqlite_path.name}.rebuild-{name}.lock")
                lock = stack.enter_context(open(path, "a"))  # closed by the stack: that frees the lock
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise RebuildRunning(_running(name)) from None
            yield held
    else:
        keys = [(id(container.views), name) for name in names]
        with _IN_MEMORY:
            if busy := [name for key, name in zip(keys, names, strict=True) if key in _HELD_IN_MEMORY]:
                raise RebuildRunning(_running(busy[0]))
            _HELD_IN_MEMORY.update(keys)
        try:
            yield held
        finally:
            with _IN_MEMORY:
                _HELD_IN_MEMORY.difference_update(keys)


@contextmanager
def folding(settings: Settings, names: Sequence[str]) -> Iterator[None]:
    """Held by each of a rebuild's processes while it folds (`folding_key`, shared): freed when it ends."""
    with lock_connection(settings) as conn:
        for name in names:
            conn.execute("SELECT pg_advisory_lock_shared(%s)", (folding_key(name),))
        yield


# How often the lock's connection runs a query while the rebuild runs: a lost connection (the server restarted,
# the session ended by an administrator) is noticed within this, and the rebuild then stops (`LockHeld`).
KEEP_BUSY_EVERY = 30.0


@contextmanager
def _kept_busy(conn: psycopg.Connection[Any], names: Sequence[str], held: LockHeld) -> Iterator[None]:
    stop = threading.Event()

    def ping() -> None:
        while not stop.wait(KEEP_BUSY_EVERY):
            try:
                conn.execute("SELECT 1")
            except psycopg.Error as e:
                if not stop.is_set():
                    held.lost.set()
                    log.warning("the rebuild lock of %s was lost with its connection (%s)", ", ".join(names), e)
                return

    thread = threading.Thread(target=ping, name="casetrail-rebuild-lock", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=KEEP_BUSY_EVERY)


def _running(name: str) -> str:
    return (
        f"a rebuild of {name} is running already, or the processes of one that was stopped are finishing their "
        "batch; wait for it to end (`casetrail projections status` shows the generation it builds)"
    )


def rebuild_running(container: Container, name: str) -> bool:
    """Whether a rebuild of `name`, or a process of one, holds its lock now (on PostgreSQL read from the server's
    lock table, so that asking takes nothing a starting rebuild would need)."""
    if container.settings.backend == "postgresql":
        keys = [rebuild_key(name), folding_key(name)]
        rows = container.views.query(
            "SELECT 1 AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND (classid::bigint, objid::bigint) IN ((?, ?), (?, ?))",
            [part for key in keys for part in ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)],
        )
        return bool(rows)
    try:
        with rebuild_locks(container, [name]):
            return False
    except RebuildRunning:
        return True


def rebuild(
    container: Container,
    projection: Projection,
    progress: Callable[[int, int], None],
    batch_size: int = 5000,
    processes: int | None = None,
    notice: Callable[[str], None] = log.warning,
) -> int:
    """Readers keep using the old generation until the new one has reached it; returns the new generation."""
    return rebuild_all(container, [projection], progress, batch_size, processes, notice=notice)[projection.name]


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
    notice: Callable[[str], None] = log.warning,
) -> dict[str, int]:
    """Rebuild several projections over one read of the log (each event read and decoded once for all of them);
    each switches as `rebuild` does, when it has reached its live generation. Returns the new generations.

    It holds each projection's rebuild lock (`rebuild_locks`) throughout, and first drops the generations a
    rebuild that stopped before switching left behind (killed outright, or the database gone), saying so by
    `notice`.

    On PostgreSQL the log up to its present head is folded by several processes (`process_count`), each over its
    share of the streams (`Shard`: every stream's events in one process, in order); the roll-ups' changes and the
    position are then written once, and this process folds what arrived meanwhile."""
    views = container.views
    new: dict[str, int] = {}
    count = process_count(container, processes)
    with rebuild_locks(container, [p.name for p in projections]) as held, paused_gc():
        drop_left_behind(container, projections, notice)
        old = {p.name: views.active_generation(p.name) for p in projections}  # read under the lock: no rebuild
        try:
            for p in projections:
                new[p.name] = views.create_generation(p, active=False)
            return _fill_and_switch(container, projections, progress, batch_size, count, sharded_from, old, new, held)
        except BaseException:
            drop_unswitched(container, projections, new)
            raise


def drop_left_behind(container: Container, projections: list[Projection], notice: Callable[[str], None]) -> None:
    """Drop every generation that is not live: with the rebuild lock held, nothing is building one (and one that
    is live when dropped, in the same transaction, stays)."""
    for p in projections:
        for generation, active in container.views.generations(p.name):
            if not active and container.views.drop_generation(p, generation, unless_live=True):
                notice(f"dropped generation {generation} of {p.name}: a rebuild that stopped before switching left it")


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
    held: LockHeld,
) -> dict[str, int]:
    views = container.views
    head = container.store.recorder.max_notification_id() or 0
    if folds_in(processes, head, sharded_from) > 1:
        deltas = in_processes(
            container.settings, [p.name for p in projections], new, head, processes, batch_size, progress
        )
        check_idle_connections(container)
        held.check()
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
            held.check()
            if views.switch_if_caught_up(w.projection, old[name], new[name]):
                views.drop_generation(w.projection, old[name])
                pending.remove(w)
        if pending:
            time.sleep(0.05)  # a live generation is ahead: new events arrived meanwhile
    return new


def check_idle_connections(container: Container) -> None:
    """Replace the pooled connections that the server or a firewall closed while they sat idle: the processes
    may fold for many minutes, and the write of their totals, or the tail's reads of the log, would otherwise fail
    on a dead connection at the very end of the rebuild (neither the views' queries nor `scan` are retried, as
    the library's own recorder calls are)."""
    for owner in (container.views, container.store.recorder):
        pool = getattr(getattr(owner, "datastore", None), "pool", None)
        if isinstance(pool, psycopg_pool.ConnectionPool):
            pool.check()


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
        if parent is not None and not parent.is_alive():  # nobody will switch to it: the next rebuild drops it
            messages.cancel_join_thread()  # and nobody reads: do not wait to flush what was sent
            raise SystemExit(1)
        messages.put(("at", shard.index, upto))

    try:
        store, views, projections = open_log_and_views(settings)
        try:
            with folding(settings, names), paused_gc():
                if parent is not None and not parent.is_alive():  # it died before this process held the lock
                    raise SystemExit(1)
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
