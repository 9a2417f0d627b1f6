"""Aggregates whose events record who acted, when, and a link in the stream's hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.chain import GENESIS, event_hash
from domain.values import Actor

A = TypeVar("A", bound="AuditedAggregate")


class AuditedAggregate(Aggregate):
    """Base for casetrail aggregates; command methods record events through `_record`."""

    class Event(Aggregate.Event):
        actor: dict[str, Any]
        prev_hash: str
        hash: str

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate._head_hash = self.hash
            return aggregate

    _head_hash = GENESIS  # not annotated: annotations become fields of the created event

    @property
    def head_hash(self) -> str:
        """The chain hash of the last event (which covers every event before it)."""
        return self._head_hash

    @classmethod
    def _start(cls: type[A], event_class: type[Any], *, id: Any, by: Actor, at: datetime, **fields: Any) -> A:  # noqa: A002
        content = {"timestamp": at, "actor": by.as_dict(), **fields}
        digest = event_hash(event_class.TOPIC, id, cls.INITIAL_VERSION, content, GENESIS)
        return cls._create(
            event_class, id=id, timestamp=at, actor=by.as_dict(), prev_hash=GENESIS, hash=digest, **fields
        )

    def _record(self, event_class: type[Any], *, by: Actor, at: datetime, **fields: Any) -> None:
        content = {"timestamp": at, "actor": by.as_dict(), **fields}
        digest = event_hash(event_class.TOPIC, self.id, self.version + 1, content, self._head_hash)
        self.trigger_event(
            event_class, timestamp=at, actor=by.as_dict(), prev_hash=self._head_hash, hash=digest, **fields
        )
