"""The event store: one eventsourcing Application holding every stream in one global order."""

from __future__ import annotations

import logging
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import Application

from application.ports import StoreExtras
from domain.case import Case
from domain.project import Project

log = logging.getLogger("casetrail.store")

# A snapshot every this many versions: a case is read from its latest snapshot plus fewer than this many
# events (docs/performance.md, "replay"); snapshots are a cache of the events, never a source of truth.
SNAPSHOT_EVERY = 50


class EventStore(Application[UUID]):
    # The name is stored data (PostgreSQL table prefix, environment prefix): never change it.
    name = "casetrail"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Case: SNAPSHOT_EVERY, Project: SNAPSHOT_EVERY}

    @property
    def extras(self) -> StoreExtras:
        return cast(StoreExtras, self.recorder)

    def take_snapshot(self, aggregate_id: UUID, version: int | None = None, *args: Any, **kwargs: Any) -> None:
        """Taken after the events were committed: a failure to write a snapshot must not fail the command
        that is already recorded (the next interval writes one, and reads work without it)."""
        try:
            super().take_snapshot(aggregate_id, version, *args, **kwargs)
        except Exception:
            log.warning("snapshot of %s at version %s not written", aggregate_id, version, exc_info=True)
