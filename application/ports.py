"""What the use cases need from the outside world: a clock and a store that keeps idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


@dataclass(frozen=True)
class IdempotencyRecord:
    """A command accepted under a client's Idempotency-Key, and the case version it produced."""

    token_id: str
    key: str
    fingerprint: str
    case_id: str
    version: int
    created_at: datetime


class StoreExtras(Protocol):
    """Queries the application recorder answers beyond the library's own."""

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None: ...

    def position_of(self, originator_id: UUID, version: int) -> int | None: ...
