"""Running projections: a thread inside `casetrail serve` (SQLite), or `casetrail worker` (PostgreSQL).

With PostgreSQL several workers may run; a session advisory lock per projection lets exactly one
apply it, and the lock is freed when its holder's connection dies, so a standby takes over.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from functools import partial

import psycopg
from eventsourcing.persistence import IntegrityError, Tracking

from application.projections.base import Batch, Projection, SharedReads, Worker, Write, tracking_name
from infrastructure.background import BackgroundLoop
from infrastructure.session_connection import advisory_key, session_connection, try_lock

log = logging.getLogger("casetrail.worker")


# A backlog batch holds up to 16,000 decoded events and their view rows at once. With the collector's default
# thresholds (700, 10, 10) it walks them again and again while they are built: about a tenth of the worker's CPU
# catching up 200,000 events (docs/performance.md, 2026-11-29 session 2). Larger thresholds collect the same
# garbage, less often; a process that runs the projections (`casetrail worker`, `projections rebuild`) sets them.
GC_THRESHOLDS = (50_000, 20, 100)


def collect_less_often() -> None:
    """Set this process's garbage-collector thresholds for batches of many objects that all live until written."""
    gc.set_threshold(*GC_THRESHOLDS)


class ProjectionLoop(BackgroundLoop):
    """Keeps every projection caught up until stopped; failures are logged and retried with backoff.

    With a backlog it runs batch after batch; otherwise it looks again after `poll` seconds, so a steady
    stream of commands is applied in batches of what arrived meanwhile rather than a few events at a time
    (each batch costs the same handful of queries whatever its size: docs/performance.md, "commands").
    Every projection this process holds is fed from one read of the log per batch (`SharedReads`). Caught up,
    a look costs one query (the log's head, unchanged), so it looks often: the lag stays a poll's fraction.
    """

    thread_name = "casetrail-projections"

    def __init__(
        self, workers: list[Worker], *, poll: float = 0.025, lock: Callable[[Projection], bool] | None = None
    ) -> None:
        super().__init__()
        self.workers = workers
        self.poll = poll
        self.lock = lock or (lambda _: True)
        self.failures: dict[str, int] = {}
        self.reads = SharedReads(workers)
        self.idle_at: tuple[tuple[str, ...], int] | None = None  # (projections held, head) all were caught up at

    def run(self) -> None:
        while not self.stopped.is_set():
            if not self.step_all():
                self.stopped.wait(self.poll)

    def step_all(self) -> bool:
        """Apply the next batch of the log to every projection this process holds; True while a backlog remains."""
        held = [w for w in self.workers if self.lock(w.projection)]
        if not held:
            return False
        names = tuple(w.projection.name for w in held)
        try:
            head = held[0].store.recorder.max_notification_id() or 0
            if self.idle_at == (names, head):
                return False  # nothing was written since every projection held reached the head
            self.idle_at = None
            batch, at = self.reads.read(held, head=head)
        except Exception:
            log.exception("reading the log failed; retrying")
            self.stopped.wait(1.0)
            return False
        if not self.apply_together(held, batch, at):
            for worker in held:
                generation, position = at[worker.projection.name]
                self.step(
                    worker, partial(worker.apply, generation, position, batch.part(position, worker.projection.topics))
                )
        if not batch.full and batch.upto >= head and not any(name in self.failures for name in names):
            self.idle_at = (names, head)
        # Behind, the next batch is read at once (and twice as large). Running a backlog as a read-ahead/write-behind
        # pipeline, as rebuilds do, was measured too: on two shared cores it gained no time and cost a third more
        # CPU (threads contending for the GIL), so the loop stays one batch at a time.
        return batch.full

    def apply_together(self, held: list[Worker], batch: Batch, at: dict[str, tuple[int, int]]) -> bool:
        """Every projection's part of the batch written in one transaction (one commit, not one per projection:
        the lag of a steady trickle of commands); False, with nothing written, when any fold or the write fails or
        a projection is failing already: then each goes on its own, with its own retries."""
        views = held[0].views
        if any(w.projection.name in self.failures or w.views is not views for w in held):
            return False
        writes: list[Write] = []
        try:
            for w in held:
                name = w.projection.name
                generation, position = at[name]
                if batch.upto <= position:
                    continue
                changes, _, deltas = w.fold_from(generation, position, batch.part(position, w.projection.topics), {})
                writes.append(
                    (w.projection, generation, changes, Tracking(tracking_name(name, generation), batch.upto), deltas)
                )
            if writes:
                views.write_many(writes)
        except Exception:
            return False
        return True

    def step(self, worker: Worker, apply: Callable[[], int] | None = None) -> bool:
        """Apply the next batch (its own read, or `apply`); True when a whole batch was applied (more are likely
        waiting)."""
        name = worker.projection.name
        if apply is None and not self.lock(worker.projection):
            return False
        try:
            done = worker.run_once() if apply is None else apply()
        except IntegrityError:
            # Another runner applied this position first (a rebuild finishing, a second worker): not a
            # failure, the batch was rolled back whole; read the new position and go on.
            log.info("projection %s: position already applied elsewhere; continuing", name)
            return True
        except Exception:
            count = self.failures[name] = self.failures.get(name, 0) + 1
            log.exception("projection %s failed (%d in a row); retrying", name, count)
            self.stopped.wait(min(30.0, 0.5 * 2 ** min(count, 6)))
            return False
        self.failures.pop(name, None)
        return done >= worker.batch_size


class AdvisoryLocks:
    """One PostgreSQL session lock per projection, held on a dedicated connection."""

    def __init__(self, conninfo: str, retry_every: float = 1.0) -> None:
        self.conninfo = conninfo
        self.retry_every = retry_every
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.held: set[str] = set()
        self.last_try: dict[str, float] = {}
        self.last_ping = 0.0

    def __call__(self, projection: Projection) -> bool:
        return self.hold(projection.name)

    def hold(self, name: str) -> bool:
        """True while this process holds the lock `name` (taking it when free); standbys ask once a second."""
        if name in self.held and self._alive():
            return True
        now = time.monotonic()
        if now - self.last_try.get(name, -self.retry_every) < self.retry_every:
            return False  # a standby asks again once a second, not on every loop
        self.last_try[name] = now
        try:
            if not self._alive():
                self.conn = session_connection(self.conninfo)
                self.held.clear()
            assert self.conn is not None
            taken = try_lock(self.conn, lock_key(name))
        except psycopg.Error as e:
            log.warning("cannot take the lock for %s: %s", name, e)
            self.held.clear()
            return False
        if taken:
            log.info("this process now holds the %s lock", name)
            self.held.add(name)
            return True
        return False

    def _alive(self) -> bool:
        """Whether the lock connection still stands; a server-side kill is noticed within `PING_EVERY` seconds."""
        if self.conn is None or self.conn.closed or self.conn.broken:
            return False
        now = time.monotonic()
        if now - self.last_ping < PING_EVERY:
            return True
        self.last_ping = now
        try:
            self.conn.execute("SELECT 1")
        except psycopg.Error:
            log.warning("the lock connection died; these locks are lost: %s", ", ".join(sorted(self.held)))
            self.held.clear()
            return False
        return True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


PING_EVERY = 5.0


def lock_key(name: str) -> int:
    """The advisory lock of the worker that applies the projection `name`."""
    return advisory_key(f"casetrail projection {name}")
