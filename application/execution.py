"""How every case command runs: access check, idempotent replay, optimistic retry, one atomic save."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Recording
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.access import require_role, require_visible
from application.errors import IdempotencyKeyReused, LostRace, NotFound, VersionMismatch
from application.ports import Clock, IdempotencyRecord
from application.store import EventStore
from domain.case import Case
from domain.values import Actor

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
MAX_ATTEMPTS = 8  # re-applications without If-Match before answering 409 version_mismatch


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's Idempotency-Key, scoped to its token, with a fingerprint of method, path and body."""

    token_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Command:
    """Who issues a command, and the client's optional preconditions."""

    by: Actor
    expected_version: int | None = None
    idempotency: IdempotencyKey | None = None


@dataclass(frozen=True)
class CaseResult:
    """A case as it stands after a command (or as of a past version), with its global position."""

    case: Case
    position: int
    replayed: bool = False


Action = Callable[[Case, datetime], Iterable[Aggregate] | None]


class StreamExecutor(Generic[A, R]):
    """Runs commands against one kind of aggregate; the one place that knows about retries and replays."""

    kind: type[A]
    missing = "no such object"

    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def result(self, aggregate: A, position: int, replayed: bool = False) -> R:
        raise NotImplementedError

    def load(self, stream_id: UUID, version: int | None = None) -> A:
        try:
            found: object = self.store.load(stream_id, version)
        except AggregateNotFoundError:
            raise NotFound(self.missing) from None
        if not isinstance(found, self.kind):
            raise NotFound(self.missing)
        return found

    def attempts(self, stream_id: UUID, cmd: Command, load: Callable[[], A], action: Callable[[A, datetime], Any]) -> R:
        """Load, act, save; without If-Match a lost race is re-applied to the new state a few times."""
        replay = self.replay(cmd)
        if replay:
            return replay
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 - jitter to break lockstep
            aggregate = load()
            if cmd.expected_version is not None and aggregate.version != cmd.expected_version:
                raise VersionMismatch(cmd.expected_version, aggregate.version)
            others = list(action(aggregate, self.clock.now()) or ())
            result = self.save(aggregate, others, cmd)
            if result:
                return result
            current = self.load(stream_id).version
            if cmd.expected_version is not None and current != cmd.expected_version:
                raise VersionMismatch(cmd.expected_version, current)
            # Otherwise another aggregate of the save changed (a merge target): re-apply, the precondition holds.
        raise LostRace()

    def save(self, aggregate: A, others: Sequence[Any], cmd: Command) -> R | None:
        """Save atomically; None means another writer got there first and the caller should retry."""
        record = self.idempotency_record(cmd, aggregate)
        try:
            recordings = self.store.save(aggregate, *others, idempotency=record)
        except IntegrityError:
            return self.replay(cmd)
        return self.result(aggregate, position_from(recordings, aggregate.id))

    def idempotency_record(self, cmd: Command, aggregate: A) -> IdempotencyRecord | None:
        if cmd.idempotency is None:
            return None
        k = cmd.idempotency
        return IdempotencyRecord(
            k.token_id, k.key, k.fingerprint, str(aggregate.id), aggregate.version, self.clock.now()
        )

    def replay(self, cmd: Command) -> R | None:
        """The first answer to a retried request, or None when this key is new."""
        if cmd.idempotency is None:
            return None
        k = cmd.idempotency
        found = self.store.extras.find_idempotency(k.token_id, k.key)
        if found is None:
            return None
        if found.fingerprint != k.fingerprint:
            raise IdempotencyKeyReused()
        stream_id = UUID(found.case_id)
        return self.result(self.load(stream_id, found.version), self.position(stream_id, found.version), True)

    def position(self, stream_id: UUID, version: int) -> int:
        position = self.store.extras.position_of(stream_id, version)
        assert position is not None, f"event {stream_id}@{version} has no position"
        return position


class Executor(StreamExecutor[Case, CaseResult]):
    """Case commands: the caller's role and the case's visibility are checked before anything else."""

    kind = Case
    missing = "no such case"

    def result(self, aggregate: Case, position: int, replayed: bool = False) -> CaseResult:
        return CaseResult(aggregate, position, replayed)

    def load_visible(self, case_id: UUID, by: Actor) -> Case:
        case = self.load(case_id)
        require_visible(by, case)
        return case

    def run(self, case_id: UUID, cmd: Command, use_case: str, action: Action) -> CaseResult:
        require_role(cmd.by, use_case)
        return self.attempts(case_id, cmd, lambda: self.load_visible(case_id, cmd.by), action)


def position_from(recordings: list[Recording[UUID]], case_id: UUID) -> int:
    ids = [r.notification.id for r in recordings if r.domain_event.originator_id == case_id]
    return max(i for i in ids if i is not None)
