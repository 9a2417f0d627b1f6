"""The event store: one eventsourcing Application holding every stream in one global order."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from eventsourcing.application import Application

from application.ports import StoreExtras


class EventStore(Application[UUID]):
    # The name is stored data (PostgreSQL table prefix, environment prefix): never change it.
    name = "casetrail"

    @property
    def extras(self) -> StoreExtras:
        return cast(StoreExtras, self.recorder)
