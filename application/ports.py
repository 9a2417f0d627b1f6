"""What the use cases need from the outside world: a clock and a store that keeps idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


@dataclass(frozen=True)
class IdempotencyRecord:
    """A command accepted under a client's Idempotency-Key, and the stream version it produced."""

    token_id: str
    key: str
    fingerprint: str
    stream_id: str  # stored in the column case_id (a stream of any kind: case, project, token)
    version: int
    created_at: datetime


class RawEvent(NamedTuple):
    """A stored event with its global position, as read in bulk (it quacks like the library's Notification)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class AggregateRead(NamedTuple):
    """What one stream's read returns: its latest snapshot (at or below the version asked for) and the events
    after it."""

    snapshot: Any
    events: list[Any]


class StoreExtras(Protocol):
    """Queries the application recorder answers beyond the library's own."""

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None: ...

    def position_of(self, originator_id: UUID, version: int) -> int | None: ...

    def scan(self, after: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> list[RawEvent]:
        """Stored events after position `after` (up to `stop`), in position order: the bulk reader."""
        ...
