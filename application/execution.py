"""How every command runs, for cases, projects and tokens alike: access check, idempotent replay, If-Match,
bounded retry on a lost race, one atomic save."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Recording
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.access import require_role
from application.aggregate_cache import AggregateCache
from application.errors import IdempotencyKeyReused, NotFound, VersionMismatch
from application.ports import Clock, ExpectedHead, IdempotencyRecord
from application.rates import WriteLimiter
from application.retry import retry
from application.store import EventStore
from domain.audited import AuditedAggregate
from domain.values import Actor

A = TypeVar("A", bound=AuditedAggregate)
R = TypeVar("R")
MAX_ATTEMPTS = 8  # re-applications without If-Match before answering 409 version_mismatch
CREATE_ATTEMPTS = 50  # creations that lose a race for a shared log entry (a reference number) take the next one


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's Idempotency-Key, scoped to its token, with a fingerprint of method, path and body."""

    token_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class CommandContext:
    """Who issues a command, and the client's optional preconditions (If-Match, Idempotency-Key)."""

    by: Actor
    expected_version: int | None = None
    idempotency: IdempotencyKey | None = None


Act = Callable[[A, datetime], Iterable[Aggregate] | None]  # changes the aggregate; returns others to save with it
Make = Callable[[datetime], tuple[Any, ...]]  # the new aggregate first, then what is saved with it (log entries)


class StreamExecutor(Generic[A, R]):
    """Runs the commands of one kind of aggregate; the one place that knows about access, replays and retries.

    A subclass names the aggregate class, how a result is answered, and who may see an aggregate."""

    kind: type[A]
    missing = "no such object"

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        limiter: WriteLimiter | None = None,
        cache: AggregateCache | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limiter = limiter
        self.cache = cache  # the aggregates this executor saved last (application/aggregate_cache.py)

    def result(self, aggregate: A, position: int, replayed: bool = False) -> R:
        raise NotImplementedError

    def require_visible(self, by: Actor, aggregate: A) -> None:
        """Raise NotFound when `by` may not see the aggregate; every caller with the role may, by default."""

    def load(self, stream_id: UUID, version: int | None = None) -> A:
        try:
            found: object = self.store.load(stream_id, version)
        except AggregateNotFoundError:
            raise NotFound(self.missing) from None
        if not isinstance(found, self.kind):
            raise NotFound(self.missing)
        return found

    def load_visible(self, stream_id: UUID, by: Actor) -> A:
        aggregate = self.load(stream_id)
        self.require_visible(by, aggregate)
        return aggregate

    def run(self, stream_id: UUID, ctx: CommandContext, use_case: str, act: Act[A], **save: Any) -> R:
        """Check the role, replay a retried request, then load, act and save; without If-Match a lost race is
        re-applied to the new state a few times. `save` goes with the events into their transaction. A kept copy
        of the aggregate is tried first; only a save the store accepts answers from it (`_on_copy`)."""
        self._admit(ctx, use_case)
        replay = self.replay(ctx)
        if replay is not None:
            return replay

        def attempt() -> R | None:
            kept = self.cache.take(stream_id) if self.cache is not None else None
            if kept is not None and isinstance(kept, self.kind):
                answered = self._on_copy(kept, ctx, act, save)
                if answered is not None:
                    return answered
            aggregate = self.load_visible(stream_id, ctx.by)
            self._expect(ctx, aggregate.version)
            others = list(act(aggregate, self.clock.now()) or ())
            result = self.save(aggregate, others, ctx, **save)
            if result is None:
                # Another writer got there first: re-apply, unless the caller asked for the version it saw.
                self._expect(ctx, self.load(stream_id).version)
            return result

        return retry(attempt, MAX_ATTEMPTS)

    def _on_copy(self, aggregate: A, ctx: CommandContext, act: Act[A], save: dict[str, Any]) -> R | None:
        """The command on a kept copy: its answer when the store accepted the save, which it does only while the
        copy's last event is still the stream's last (`ExpectedHead`), or the first answer to a retried request
        that a concurrent writer recorded; None when the stored state must judge instead, because the copy
        refused (it may be stale), changed nothing, or was stale."""
        head = ExpectedHead(aggregate.id, aggregate.version, aggregate.head_hash)
        try:
            self.require_visible(ctx.by, aggregate)
            self._expect(ctx, aggregate.version)
            others = list(act(aggregate, self.clock.now()) or ())
        except Exception:  # judged on a copy that may be stale: the stored state judges again
            return None
        if not aggregate.pending_events and not others:
            return None
        answered = self.save(aggregate, others, ctx, expected_head=head, **save)
        if self.cache is not None:
            self.cache.tried(stale=answered is None)
        return answered

    def create(
        self,
        ctx: CommandContext,
        use_case: str,
        make: Make,
        taken: Callable[[A], Exception] | None = None,
        **save: Any,
    ) -> R:
        """Check the role, replay a retried request, then save what `make` builds. A collision means the id is
        `taken` (raised), or else that a shared log entry went to another writer: build again. `save` goes with
        the events into their transaction."""
        self._admit(ctx, use_case)
        replay = self.replay(ctx)
        if replay is not None:
            return replay

        def attempt() -> R | None:
            new, *others = make(self.clock.now())
            assert isinstance(new, self.kind)
            result = self.save(new, others, ctx, **save)
            if result is None and taken is not None:
                raise taken(new)
            return result

        return retry(attempt, CREATE_ATTEMPTS)

    def save(self, aggregate: A, others: Sequence[Any], ctx: CommandContext, **save: Any) -> R | None:
        """Save atomically; None means another writer got there first and the caller should retry."""
        if not aggregate.pending_events and not others:
            # The command changed nothing (an erasure of an erased case): nothing to record, the state answers.
            return self.result(aggregate, self.position(aggregate.id, aggregate.version))
        record = self._idempotency_record(ctx, aggregate)
        try:
            recordings = self.store.save(aggregate, *others, idempotency=record, **save)
        except IntegrityError:
            return self.replay(ctx)
        if self.cache is not None:
            for other in others:
                if isinstance(other, Aggregate):
                    self.cache.drop(other.id)  # changed beside this one: its kept copy (if any) is stale
            self.cache.keep(aggregate)
        return self.result(aggregate, position_from(recordings, aggregate.id))

    def replay(self, ctx: CommandContext) -> R | None:
        """The first answer to a retried request, or None when this key is new. The stream is read as the
        caller may see it now: a caller that lost sight of it (a reassigned department) gets 404."""
        if ctx.idempotency is None:
            return None
        k = ctx.idempotency
        found = self.store.extras.find_idempotency(k.token_id, k.key)
        if found is None:
            return None
        if found.fingerprint != k.fingerprint:
            raise IdempotencyKeyReused()
        stream_id = UUID(found.stream_id)
        self.load_visible(stream_id, ctx.by)
        return self.result(self.load(stream_id, found.version), self.position(stream_id, found.version), True)

    def position(self, stream_id: UUID, version: int) -> int:
        position = self.store.extras.position_of(stream_id, version)
        assert position is not None, f"event {stream_id}@{version} has no position"
        return position

    def _admit(self, ctx: CommandContext, use_case: str) -> None:
        """The caller's role may attempt the use case, and its token has writes left this minute (a retried
        request that replays costs one too: replays are answered by the same pipeline)."""
        require_role(ctx.by, use_case)
        if self.limiter is not None:
            self.limiter.admit(ctx.by)

    def _expect(self, ctx: CommandContext, version: int) -> None:
        if ctx.expected_version is not None and version != ctx.expected_version:
            raise VersionMismatch(ctx.expected_version, version)

    def _idempotency_record(self, ctx: CommandContext, aggregate: A) -> IdempotencyRecord | None:
        if ctx.idempotency is None:
            return None
        k = ctx.idempotency
        return IdempotencyRecord(
            k.token_id, k.key, k.fingerprint, str(aggregate.id), aggregate.version, self.clock.now()
        )


def position_from(recordings: list[Recording[UUID]], stream_id: UUID) -> int:
    ids = [r.notification.id for r in recordings if r.domain_event.originator_id == stream_id]
    return max(i for i in ids if i is not None)
