"""The event store: one eventsourcing Application holding every stream in one global order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from application.ports import AggregateRead, StoreExtras
from domain.case import Case
from domain.project import Project

log = logging.getLogger("casetrail.store")

# A snapshot every this many versions: a case is read from its latest snapshot plus fewer than this many
# events (docs/performance.md, "replay"); snapshots are a cache of the events, never a source of truth.
SNAPSHOT_EVERY = 50


def project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's `project_aggregate` without its per-event runtime Protocol check (~30 µs an event, a fifth
    of a command's CPU): every stored event here is an aggregate event or a snapshot, which both mutate."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class EventStore(Application[UUID]):
    # The name is stored data (PostgreSQL table prefix, environment prefix): never change it.
    name = "casetrail"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Case: SNAPSHOT_EVERY, Project: SNAPSHOT_EVERY}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SQLite and PostgreSQL read an aggregate in one round trip; in memory the library's repository does.
        self._read_aggregate: Callable[[UUID, int | None], AggregateRead] | None = getattr(
            self.recorder, "read_aggregate", None
        )

    @property
    def extras(self) -> StoreExtras:
        return cast(StoreExtras, self.recorder)

    def load(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate at `version` (default: the head) from its latest snapshot and the events after it, read
        in one round trip where the recorder can (SQLite, PostgreSQL); raises AggregateNotFoundError."""
        if self._read_aggregate is None:
            return self.repository.get(aggregate_id, version=version, projector_func=project)
        found = self._read_aggregate(aggregate_id, version)
        decode = self.mapper.to_domain_event
        start = [decode(found.snapshot)] if found.snapshot is not None else []
        aggregate = project(None, chain(start, map(decode, found.events)))
        if aggregate is None:
            raise AggregateNotFoundError(f"no aggregate {aggregate_id} at version {version}")
        return aggregate

    def take_snapshot(self, aggregate_id: UUID, version: int | None = None, *args: Any, **kwargs: Any) -> None:
        """Taken after the events were committed: a failure to write a snapshot must not fail the command
        that is already recorded (the next interval writes one, and reads work without it)."""
        try:
            super().take_snapshot(aggregate_id, version, *args, **kwargs)
        except Exception:
            log.warning("snapshot of %s at version %s not written", aggregate_id, version, exc_info=True)
