"""Append-only logs (reference numbers, the token index): the next version to append."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import DomainEvent

E = TypeVar("E", bound=DomainEvent)


def next_version(log: EventSourcedLog[Any]) -> int:
    """The version the next entry of `log` takes."""
    last = log.get_last()
    return last.originator_version + 1 if last else 1


def log_event(cls: type[E], log: EventSourcedLog[Any], version: int, at: datetime, **fields: Any) -> E:
    """A log entry stamped with the command's time (the library's `trigger_event` uses the wall clock)."""
    return cls(originator_id=log.originator_id, originator_version=version, timestamp=at, **fields)
