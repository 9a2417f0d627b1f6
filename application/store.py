"""The event store: one eventsourcing Application holding every stream in one global order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, Recording
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Mapper

from application.errors import CorruptHistory
from application.ports import AggregateRead, StoreExtras
from domain.case import Case
from domain.project import Project

log = logging.getLogger("casetrail.store")

# A snapshot every this many versions: a case is read from its latest snapshot plus fewer than this many
# events (docs/performance.md, "replay"); snapshots are a cache of the events, never a source of truth. Each
# event after the snapshot costs a command ~12 µs of CPU to decode and fold; a snapshot is taken from the
# aggregate in hand (no read), so 20 costs about one row in five beside the events.
SNAPSHOT_EVERY = 20


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's `project_aggregate` without its per-event runtime Protocol check (~30 µs an event, a fifth
    of a command's CPU): every stored event here is an aggregate event or a snapshot, which both mutate."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _unsealed(topic: str, stream: str, version: int, state: bytes) -> bytes:
    return bytes(state)


class EventStore(Application[UUID]):
    # The name is stored data (PostgreSQL table prefix, environment prefix): never change it.
    name = "casetrail"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Case: SNAPSHOT_EVERY, Project: SNAPSHOT_EVERY}

    def __init__(
        self, *args: Any, sealing: Callable[[Mapper[UUID]], Mapper[UUID]] | None = None, **kwargs: Any
    ) -> None:
        self._sealing = sealing  # wraps the mapper so that every row is sealed and opened with the integrity key
        super().__init__(*args, **kwargs)
        # SQLite and PostgreSQL read an aggregate in one round trip; in memory the library's repository does.
        self._read_aggregate: Callable[[UUID, int | None], AggregateRead] | None = getattr(
            self.recorder, "read_aggregate", None
        )

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        return self._sealing(mapper) if self._sealing else mapper

    def row_opener(self) -> Callable[[str, str, int, bytes], bytes | None]:
        """A stored row's state as the transcoder wrote it, out of its integrity seal, for rows given as plain
        values (topic, stream id as `str(UUID)`, version, state); None when the seal does not open (the row was
        changed, added or moved without the integrity key). No object made per row."""
        opener: Callable[[str, str, int, bytes], bytes | None] | None = getattr(self.mapper, "open_text", None)
        return opener if opener else _unsealed

    @property
    def extras(self) -> StoreExtras:
        return cast(StoreExtras, self.recorder)

    def load(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate at `version` (default: the head) from its latest snapshot and the events after it, read
        in one round trip where the recorder can (SQLite, PostgreSQL); raises AggregateNotFoundError."""
        if self._read_aggregate is None:
            return self.repository.get(aggregate_id, version=version, projector_func=project)
        found = self._read_aggregate(aggregate_id, version)
        start, events = [], found.events
        if found.snapshot is not None:
            try:
                start = [self.mapper.to_domain_event(found.snapshot)]
            except Exception:  # a snapshot is a cache: one that does not open is ignored, and the events decide
                log.error("snapshot of %s at version %s fails its integrity check; folding the events instead",
                          aggregate_id, found.snapshot.originator_version)  # fmt: skip
                events = list(self.recorder.select_events(aggregate_id, lte=version))
        aggregate = project(None, chain(start, map(self._decode, events)))
        if aggregate is None:
            raise AggregateNotFoundError(f"no aggregate {aggregate_id} at version {version}")
        return aggregate

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `save`, but an aggregate's events are collected without the two runtime Protocol checks
        the library makes for every object saved (about 5% of a command's CPU); anything else is collected by the
        library's own rules."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, kept for parity
        return recordings

    def _decode(self, stored: Any) -> Any:
        try:
            return self.mapper.to_domain_event(stored)
        except Exception as e:
            raise CorruptHistory(stored.originator_id, stored.originator_version) from e

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """The library's, but a snapshot at the version an aggregate was just saved at is taken from the
        aggregate in hand (its state is the fold of the events just committed) instead of reading the stream
        again; one inside a command's several events still reads it, as the library does."""
        if not self.snapshots or not self.snapshotting_intervals:
            return
        for event in processing_event.events:
            aggregate: Any = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval is None or event.originator_version % interval:
                continue
            if aggregate.version != event.originator_version:
                self.take_snapshot(event.originator_id, event.originator_version, projector_func=project)
                continue
            try:
                snapshot_class: Any = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
                self.snapshots.put([snapshot_class.take(aggregate)])
            except Exception:  # as take_snapshot: the command is recorded; the next interval writes one
                log.warning("snapshot of %s at version %s not written", aggregate.id, aggregate.version, exc_info=True)

    def take_snapshot(self, aggregate_id: UUID, version: int | None = None, *args: Any, **kwargs: Any) -> None:
        """Taken after the events were committed: a failure to write a snapshot must not fail the command
        that is already recorded (the next interval writes one, and reads work without it)."""
        try:
            super().take_snapshot(aggregate_id, version, *args, **kwargs)
        except Exception:
            log.warning("snapshot of %s at version %s not written", aggregate_id, version, exc_info=True)
