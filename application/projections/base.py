"""Projections as per-stream folds, and the worker that applies them in batches, exactly once.

A projection folds each stream's events into a small per-stream state and derives view rows from
that state. The worker reads the global log in batches, folds, and hands the view store every
touched stream's new state and rows together with the batch's last position: the store writes all
of it and the tracking position in one transaction, so a batch is applied exactly once or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from application.store import EventStore

log = logging.getLogger("casetrail.projections")

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "text", "int", "bool", "real"


@dataclass(frozen=True)
class Table:
    """A view table: every table has a `stream_id` column, rows are replaced per stream. In a table with
    `one_per_stream` every stream in the view has exactly one row, which a later batch updates in place."""

    name: str
    columns: tuple[Column, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    one_per_stream: bool = False


def table(name: str, columns: str, *indexes: tuple[str, ...], one_per_stream: bool = False) -> Table:
    """A table from its columns as 'name:type' words (a bare name is text: int, real, bool and blob are spelled
    out) and its indexes."""
    cols = tuple(Column(*(c.split(":") if ":" in c else (c, "text"))) for c in columns.split())
    return Table(name, cols, indexes, one_per_stream)


@dataclass(frozen=True)
class Rollup:
    """A table of counters summed over every stream, keyed by text `keys`: kept by adding each batch's deltas (a
    stream's contribution after the batch less its contribution before it), never by scanning the streams' rows."""

    name: str
    keys: tuple[str, ...]
    counters: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()


# A roll-up delta: (roll-up name, *key values) -> one number per counter, in the roll-up's order.
Deltas = dict[tuple[str, ...], list[int]]


@dataclass
class StreamChange:
    state: bytes | None  # None: the stream left this projection (its rows are deleted)
    rows: dict[str, list[Row]] = field(default_factory=dict)
    existed: bool = True  # the view held this stream before the batch (its old rows must go)


class Projection(Protocol):
    """A per-stream fold; `name` is stored data (tracking, table names): never change it."""

    name: str
    tables: tuple[Table, ...]
    topics: tuple[str, ...]  # the event topics it folds; () for all

    def fold(self, state: Any, event: Any) -> Any:
        """The stream's state after `event` (state is None before the stream's first relevant event)."""
        ...

    def encode(self, state: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...

    def rows(self, state: Any, position: int) -> dict[str, list[Row]]:
        """The view rows of one stream's state, by table name."""
        ...


class RollingUp(Protocol):
    """A projection that also keeps roll-ups: `contribution` is what one stream's state adds to them."""

    rollups: tuple[Rollup, ...]

    def contribution(self, state: Any) -> Deltas: ...


def rollups_of(projection: Any) -> tuple[Rollup, ...]:
    return tuple(getattr(projection, "rollups", ()))


def add_into(total: Deltas, part: Deltas, sign: int) -> None:
    for key, values in part.items():
        found = total.get(key)
        if found is None:
            total[key] = [sign * v for v in values]
        else:
            for i, v in enumerate(values):
                found[i] += sign * v


# One projection's batch; a shard of a rebuild writes no tracking position (the rebuild writes it once, after all).
Write = tuple[Projection, int, dict[UUID, StreamChange], Tracking | None, Deltas | None]


class ViewStore(Protocol):
    """Where projections keep states, rows and positions, by generation (for rebuilds)."""

    def active_generation(self, name: str) -> int: ...

    def position(self, name: str, generation: int) -> int: ...

    def load_states(self, name: str, generation: int, stream_ids: Sequence[UUID]) -> dict[UUID, bytes]: ...

    def write_many(self, writes: Sequence[Write]) -> None:
        """Each write's changes, roll-up deltas and tracking position, in one transaction: all or none."""
        ...


class JsonState:
    """Encoding for projections whose per-stream state is plain JSON data (dicts, lists, strings, numbers)."""

    def encode(self, state: dict[str, Any]) -> bytes:
        return orjson.dumps(state)

    def decode(self, data: bytes) -> dict[str, Any]:
        state: dict[str, Any] = orjson.loads(data)
        return state


@dataclass(frozen=True)
class Batch:
    events: list[tuple[Any, int]]
    upto: int  # the position the batch covers: its last event, or the head when skipped events follow
    topics: list[str] | None = None  # each event's topic, when the batch serves several projections
    full: bool = False  # the read came back with as many events as asked: more are likely waiting

    def part(self, position: int, topics: tuple[str, ...]) -> Batch:
        """The events after `position` of these topics (all when empty), covering up to the same position."""
        assert self.topics is not None
        wanted = frozenset(topics)
        events = [
            item
            for item, topic in zip(self.events, self.topics, strict=True)
            if item[1] > position and (not wanted or topic in wanted)
        ]
        return Batch(events, self.upto)


@dataclass
class Shard:
    """One of `count` disjoint sets of streams (`in_shard`) read up to the position `stop`: the part of a rebuild
    one process folds. Its batches write rows and states but no tracking position; the roll-ups' changes are
    summed in `deltas` (by projection) for the rebuild to add once every shard has finished."""

    index: int
    count: int
    stop: int
    deltas: dict[str, Deltas] = field(default_factory=dict)

    @property
    def streams(self) -> tuple[int, int]:
        return self.index, self.count


def read_log(
    store: EventStore,
    position: int,
    size: int,
    topics: tuple[str, ...] = (),
    head: int | None = None,
    shard: Shard | None = None,
) -> Batch:
    """The next `size` events after `position` of these topics (all when empty) and of this shard's streams (all
    when None), decoded; with topics or a shard, up to the log's `head` (the shard's stop; else read here when not
    given)."""
    if shard is not None:
        head = shard.stop
    elif topics and head is None:
        head = store.recorder.max_notification_id() or 0
    notifications = store.extras.scan(position, size, stop=head, topics=topics, shard=shard.streams if shard else None)
    if (topics or shard) and len(notifications) < size:
        # Every event up to the head has been seen: the skipped ones need not be read at all.
        upto = max(head or 0, position)
    else:
        upto = notifications[-1].id if notifications else position
    decode = store.mapper.to_domain_event
    return Batch(
        [(decode(cast(StoredEvent, n)), n.id) for n in notifications],
        upto,
        [n.topic for n in notifications],
        len(notifications) >= size,
    )


def topics_of(workers: list[Worker]) -> tuple[str, ...]:
    """The topics any of the workers reads: all (empty) as soon as one reads every topic."""
    every = [w.projection.topics for w in workers]
    return () if any(not t for t in every) else tuple(sorted({t for ts in every for t in ts}))


GROWTH = 16  # how much larger than the configured batch a backlog's batches may grow


class SharedReads:
    """Several projections' workers fed from one read of the log per batch: each event is read and decoded once,
    not once per projection. While reads come back full (a backlog) each is twice the last, up to `max_batch`
    (default 16 times the workers' batch size: 16,000 events with the default `CASETRAIL_PROJECTION_BATCH`);
    caught up, they go back to the workers' batch size. Each worker still applies its part of a batch with its
    own position in the same transaction as its rows (exactly once, as `Worker.run_once`)."""

    def __init__(self, workers: list[Worker], max_batch: int | None = None) -> None:
        self.base = min((w.batch_size for w in workers), default=1000)
        self.size = self.base
        self.max_batch = max(max_batch or GROWTH * self.base, self.base)

    def read(
        self,
        workers: list[Worker],
        generations: dict[str, int] | None = None,
        head: int | None = None,
        shard: Shard | None = None,
    ) -> tuple[Batch, dict[str, tuple[int, int]]]:
        """The next batch after the furthest-behind worker, and each worker's (generation, position): the active
        generation, or the one `generations` names (a rebuild's); `head`, the log's head if the caller read it."""
        at = {}
        for w in workers:
            gen = (generations or {}).get(w.projection.name) or w.views.active_generation(w.projection.name)
            at[w.projection.name] = (gen, w.views.position(w.projection.name, gen))
        low = min(position for _, position in at.values())
        batch = read_log(workers[0].store, low, self.size, topics_of(workers), head, shard)
        self.size = min(self.max_batch, self.size * 2) if batch.full else self.base
        return batch, at

    def catch_up(
        self,
        workers: list[Worker],
        keep_going: Callable[[], bool] = lambda: True,
        generations: dict[str, int] | None = None,
        on_batch: Callable[[int], None] | None = None,
        shard: Shard | None = None,
    ) -> int:
        """Run every worker to the head as one pipeline (a backlog): read and decode batch k+1 and write batch k-1
        while folding batch k. Returns the positions covered. A failure stops it with nothing after the failed
        write applied (batches commit in order). With a `shard`, only its streams, from the start of the (fresh)
        `generations` to the shard's stop, without tracking (`Shard`)."""
        if not workers:
            return 0
        batch, at = self.read(workers, generations, shard=shard)
        start = low = min(position for _, position in at.values())
        topics = topics_of(workers)
        recent: dict[str, dict[int, Any]] = {w.projection.name: {} for w in workers}
        size = self.size
        with ThreadPoolExecutor(1, "prefetch") as reader, ThreadPoolExecutor(1, "writer") as writer:
            written: list[Any] = []
            while batch.upto > low and keep_going():
                ahead = reader.submit(read_log, workers[0].store, batch.upto, size, topics, shard=shard)
                size = min(self.max_batch, size * 2)
                writes = []
                for w in workers:
                    name = w.projection.name
                    gen, position = at[name]
                    if batch.upto <= position:
                        continue
                    changes, states, deltas = w.fold_from(
                        gen, position, batch.part(position, w.projection.topics), recent[name]
                    )
                    tracking: Tracking | None = Tracking(tracking_name(name, gen), batch.upto)
                    if shard is not None:
                        add_into(shard.deltas.setdefault(name, {}), deltas, 1)
                        tracking, deltas = None, {}
                    writes.append((w, gen, changes, tracking, deltas))
                    recent[name], at[name] = states, (gen, batch.upto)
                for future in written:
                    future.result()  # the previous batch committed; a failure stops here
                written = [
                    writer.submit(w.views.write_many, [(w.projection, gen, changes, tracking, deltas)])
                    for w, gen, changes, tracking, deltas in writes
                ]
                low, batch = batch.upto, ahead.result()
                if on_batch:
                    on_batch(low)
            for future in written:
                future.result()
        return low - start


def tracking_name(name: str, generation: int) -> str:
    return f"casetrail@{name}.g{generation}"


class Worker:
    """Applies one projection to one generation of its view, a batch at a time."""

    def __init__(self, store: EventStore, projection: Projection, views: ViewStore, batch_size: int = 1000) -> None:
        self.store = store
        self.projection = projection
        self.views = views
        self.batch_size = batch_size

    def run_once(self, generation: int | None = None) -> int:
        """Process the next batch; returns how many positions it covered (0: caught up)."""
        gen = self.views.active_generation(self.projection.name) if generation is None else generation
        position = self.views.position(self.projection.name, gen)
        batch = self.read(position)
        return self.apply(gen, position, batch)

    def read(self, position: int) -> Batch:
        """The next events after `position`, and the position the batch covers up to."""
        return read_log(self.store, position, self.batch_size, self.projection.topics)

    def apply(self, gen: int, position: int, batch: Batch) -> int:
        if batch.upto <= position:
            return 0
        changes, _, deltas = self.fold_from(gen, position, batch, {})
        tracking = Tracking(tracking_name(self.projection.name, gen), batch.upto)
        self.views.write_many([(self.projection, gen, changes, tracking, deltas)])
        return batch.upto - position

    def fold_from(
        self, gen: int, position: int, batch: Batch, recent: dict[int, Any]
    ) -> tuple[dict[UUID, StreamChange], dict[int, Any], Deltas]:
        """`fold` of a batch read after `position`. Another runner (a `casetrail track` beside `serve`, a rebuild
        finishing) may apply it first: the states then already hold the batch's events, and folding them again
        fails (a case's version check) or would count them twice. That is the other runner's win, not a failure:
        it raises `IntegrityError`, as the tracking position's write would, and nothing of this batch is written."""
        try:
            return self.fold(gen, batch, recent)
        except Exception as e:
            if self.views.position(self.projection.name, gen) > position:
                raise IntegrityError(f"projection {self.projection.name}: position {position} applied elsewhere") from e
            raise

    def fold(
        self, gen: int, batch: Batch, recent: dict[int, Any]
    ) -> tuple[dict[UUID, StreamChange], dict[int, Any], Deltas]:
        """The batch's changes per stream, the streams' new states and the roll-ups' deltas.

        `recent` holds states this worker wrote in the previous batch, which may not be committed yet.
        """
        # Streams are keyed by the UUID's int: hashing and comparing UUID objects dominates otherwise.
        ids: dict[int, UUID] = {}
        born: set[int] = set()  # streams that start in this batch: no state before it to read
        for e, _ in batch.events:
            key = e.originator_id.int
            if key not in ids:
                ids[key] = e.originator_id
                if e.originator_version == 1:
                    born.add(key)
        wanted = [u for i, u in ids.items() if i not in recent and i not in born]
        stored = self.views.load_states(self.projection.name, gen, wanted) if wanted else {}
        states = {u.int: self.projection.decode(s) for u, s in stored.items()}
        states.update({i: recent[i] for i in ids if i in recent})
        positions: dict[int, int] = {}
        deltas: Deltas = {}
        contribution = cast(RollingUp, self.projection).contribution if rollups_of(self.projection) else None
        if contribution is not None:  # before folding: the handlers change states in place
            for state in states.values():
                if state is not None:
                    add_into(deltas, contribution(state), -1)
        fold = self.projection.fold
        for event, pos in batch.events:
            key = event.originator_id.int
            before = states.get(key)
            after = fold(before, event)
            if after is not None or before is not None:
                states[key] = after
                positions[key] = pos
        existed = {u.int for u in stored} | recent.keys()
        changes = {ids[k]: self._change(states[k], pos, k in existed) for k, pos in positions.items()}
        if contribution is not None:
            for state in states.values():
                if state is not None:
                    add_into(deltas, contribution(state), 1)
            deltas = {k: v for k, v in deltas.items() if any(v)}
        return changes, {k: states[k] for k in positions}, deltas

    def catch_up(self, generation: int | None = None, on_batch: Callable[[int], None] | None = None) -> int:
        """Run to the head as a pipeline: read batch k+1 and write batch k-1 while folding batch k (`SharedReads`
        of this worker alone, in batches of its size)."""
        generations = None if generation is None else {self.projection.name: generation}
        reads = SharedReads([self], max_batch=self.batch_size)
        return reads.catch_up([self], generations=generations, on_batch=on_batch)

    def _change(self, state: Any, position: int, existed: bool) -> StreamChange:
        if state is None:
            return StreamChange(None, existed=existed)
        return StreamChange(self.projection.encode(state), self.projection.rows(state, position), existed)
