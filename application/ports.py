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


class ExpectedHead(NamedTuple):
    """A command acted on a kept copy of its stream (application/aggregate_cache.py): its save stands only while
    the stream's event at the copy's version is still the copy's last, the one whose chain hash it holds (the hash
    covers every event before it). The next version being free is not enough: a store put back to an earlier
    state (a failover that lost commits, a restore, events removed from the end) leaves it free under a copy that
    is ahead of the store, and another writer may have written that version anew."""

    stream_id: UUID
    version: int
    hash: str  # the chain hash of the event at `version` (in its stored state as text)


STREAM_MOVED = "the stream's last event is not the one the command's kept copy ends with"


class RawEvent(NamedTuple):
    """A stored event with its global position, as read in bulk (it quacks like the library's Notification)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


# A stored event as the audit reads it in bulk: (position, stream id in its canonical text form `str(UUID)`,
# version, topic, state). Plain tuples: the audit needs only these bytes and strings, no object per row.
RawRow = tuple[int, str, int, str, bytes]


class AggregateRead(NamedTuple):
    """What one stream's read returns: its latest snapshot (at or below the version asked for) and the events
    after it."""

    snapshot: Any
    events: list[Any]


def in_shard(stream_id: UUID, shard: tuple[int, int]) -> bool:
    """Whether the stream belongs to shard k of n: by its id's last byte (random in a uuid4, a
    hash byte in a uuid5: casetrail makes no other ids)."""
    index, count = shard
    return (stream_id.int & 0xFF) % count == index


class StoreExtras(Protocol):
    """Queries the application recorder answers beyond the library's own."""

    def find_idempotency(self, token_id: str, key: str) -> IdempotencyRecord | None: ...

    def position_of(self, originator_id: UUID, version: int) -> int | None: ...

    def scan(
        self,
        after: int,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        shard: tuple[int, int] | None = None,
    ) -> list[RawEvent]:
        """Stored events after position `after` (up to `stop`), in position order: the bulk reader. With `shard`
        (k, n), only the events of streams in shard k of n (`in_shard`): n readers see every stream once."""
        ...

    def scan_rows(self, after: int, limit: int, stop: int | None = None) -> list[RawRow]:
        """What `scan` reads, as RawRow tuples: the audit's bulk reader."""
        ...


# -- personal data (DOMAIN.md, "Personal data") -------------------------------------------------------------

CONTACT_FIELDS = ("name", "phone")
ERASED = "已删除"  # what every personal field reads as once its case's personal data was erased
UNREADABLE = "无法解密"  # a damaged key: this case's personal fields cannot be read (logged), nothing else fails


def is_sealed(value: Any) -> bool:
    """Whether a stored personal value is a sealed envelope (else: plaintext written before sealing)."""
    return isinstance(value, dict) and "sealed" in value


@dataclass(frozen=True)
class Protected:
    """Personal fields sealed under a new key of their case: the envelope goes into the event, the wrapped key
    into the key table, in the event's transaction."""

    envelope: dict[str, Any]
    wrapped_key: bytes


class PersonalData(Protocol):
    """Seals and opens the personal fields of a case; erasure deletes the case's key with the erasure event."""

    def protect(self, case_id: UUID, fields: dict[str, str]) -> Protected: ...

    def reveal(self, case_id: UUID, value: dict[str, Any], *, cached: bool = True) -> dict[str, str]:
        """The fields; ERASED in each when the case's key is gone, UNREADABLE when it is damaged. `cached` is
        allowed only where the caller knows the case is not erased now (the current state says so)."""
        ...

    def forget(self, case_id: UUID) -> None:
        """Drop any copy of the case's key this process holds."""
        ...


@dataclass(frozen=True)
class PersonalDataRead:
    """One answer that carried a case's personal data: who received it, when, and through what."""

    at: datetime
    actor_id: str
    role: str
    department: str | None
    credit_code: str | None
    case_id: str
    via: str  # case, history, audit_feed, audit_export


@dataclass(frozen=True)
class AccessFilter:
    """Which reads of personal data to list: by actor id, case and time (`since` inclusive, `until` exclusive),
    after an entry id, at most `limit`."""

    actor: str | None = None
    case_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int = 0
    limit: int = 100


class AccessLog(Protocol):
    """The append-only log of reads of personal data, kept out of the cases' streams."""

    def record(self, reads: Sequence[PersonalDataRead]) -> None: ...

    def select(self, f: AccessFilter) -> list[tuple[int, PersonalDataRead]]:
        """Entries after id `after`, oldest first, matching every filter given."""
        ...
