"""How every case command runs: access check, idempotent replay, optimistic retry, one atomic save."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Recording
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.access import require_role, require_visible
from application.ports import Clock, IdempotencyRecord
from application.store import EventStore
from domain.case import Case
from domain.errors import InvalidCommand, LostRace, NotFound, VersionMismatch
from domain.values import Actor

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


class Executor:
    """Runs commands against the store; the one place that knows about retries and replays."""

    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def load(self, case_id: UUID, version: int | None = None) -> Case:
        try:
            case: object = self.store.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise NotFound() from None
        if not isinstance(case, Case):
            raise NotFound()
        return case

    def load_visible(self, case_id: UUID, by: Actor) -> Case:
        case = self.load(case_id)
        require_visible(by, case)
        return case

    def run(self, case_id: UUID, cmd: Command, use_case: str, action: Action) -> CaseResult:
        require_role(cmd.by, use_case)
        replay = self.replay(cmd)
        if replay:
            return replay
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 - jitter to break lockstep
            case = self.load_visible(case_id, cmd.by)
            if cmd.expected_version is not None and case.version != cmd.expected_version:
                raise VersionMismatch(cmd.expected_version, case.version)
            others = list(action(case, self.clock.now()) or ())
            result = self.save(case, others, cmd)
            if result:
                return result
            current = self.load(case_id).version
            if cmd.expected_version is not None and current != cmd.expected_version:
                raise VersionMismatch(cmd.expected_version, current)
            # Otherwise another aggregate of the save changed (a merge target): re-apply, the precondition holds.
        raise LostRace()

    def save(self, case: Case, others: Sequence[Any], cmd: Command) -> CaseResult | None:
        """Save atomically; None means another writer got there first and the caller should retry."""
        record = self.idempotency_record(cmd, case)
        try:
            recordings = self.store.save(case, *others, idempotency=record)
        except IntegrityError:
            replay = self.replay(cmd)
            if replay:
                return replay
            return None
        return CaseResult(case, position_from(recordings, case.id))

    def idempotency_record(self, cmd: Command, case: Case) -> IdempotencyRecord | None:
        if cmd.idempotency is None:
            return None
        k = cmd.idempotency
        return IdempotencyRecord(k.token_id, k.key, k.fingerprint, str(case.id), case.version, self.clock.now())

    def replay(self, cmd: Command) -> CaseResult | None:
        """The first answer to a retried request, or None when this key is new."""
        if cmd.idempotency is None:
            return None
        k = cmd.idempotency
        found = self.store.extras.find_idempotency(k.token_id, k.key)
        if found is None:
            return None
        if found.fingerprint != k.fingerprint:
            raise InvalidCommand(
                "idempotency_key_reused", "this Idempotency-Key was used with another request; use a new key"
            )
        case_id = UUID(found.case_id)
        return CaseResult(self.load(case_id, found.version), self.position(case_id, found.version), replayed=True)

    def position(self, case_id: UUID, version: int) -> int:
        position = self.store.extras.position_of(case_id, version)
        assert position is not None, f"event {case_id}@{version} has no position"
        return position


def position_from(recordings: list[Recording[UUID]], case_id: UUID) -> int:
    ids = [r.notification.id for r in recordings if r.domain_event.originator_id == case_id]
    return max(i for i in ids if i is not None)
