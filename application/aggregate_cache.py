"""The aggregates this process saved last, kept between commands so that the next command on the same stream
need not read and fold it again (docs/decisions.md 139).

A kept aggregate is a copy that may be stale: another process (or a CLI) may have written to its stream since,
or the store may have gone back to an earlier state (a failover that lost commits, a restore). The store
decides, never the copy: a command acts on the copy and saves at the copy's next version with the copy's head
(`ExpectedHead`: its version and the chain hash of its last event), and the store refuses that save unless that
event is still the stream's last (the unique (stream, version) and the recorder's head check); only a save the
store accepted puts the aggregate back. So an answer built from a copy is one whose save proved the copy was the
head. Whatever else a command would answer from a copy (a refusal, a 404, a 409, a change of nothing) is judged
again on the stored state by the executor (`StreamExecutor.run`).

What is kept is a copy of the saved aggregate (the command's answer keeps the original), and a kept copy is taken
out while a command uses it: no two commands ever share, or see half-made changes to, one object. A second
command on the same stream meanwhile reads it from the store, as it would without a cache.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from copy import deepcopy
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

SHARED = (str, int, float, bytes, datetime, date, time, UUID, Decimal, Enum, type(None))  # immutable: not copied

# A stale copy's save fails, and in a group commit it takes its whole batch down to writer-by-writer commits. When
# other processes write the same streams in turn (a balancer without affinity), copies are stale more often than
# not: after WINDOW copies of which more than one in STALE_RATIO were stale, none is used for REST commands.
WINDOW = 64
STALE_RATIO = 8
REST = 1024

log = logging.getLogger("casetrail.cache")


def copied(value: Any) -> Any:
    """A deep copy of an aggregate's state value, sharing only immutable values; dicts, lists and tuples (the
    shapes events carry) are copied here, anything else by `deepcopy` (about a quarter of its time for a case)."""
    kind = type(value)
    if kind is dict:
        return {k: copied(v) for k, v in value.items()}
    if kind is list:
        return [copied(v) for v in value]
    if kind is tuple:
        return tuple(copied(v) for v in value)
    if isinstance(value, SHARED):
        return value
    return deepcopy(value)


def copy_of(aggregate: Any) -> Any:
    """An aggregate that shares no mutable state with `aggregate`, and has no pending events."""
    twin = object.__new__(type(aggregate))
    state = {name: copied(value) for name, value in aggregate.__dict__.items()}
    state["_pending_events"] = []
    twin.__dict__.update(state)
    return twin


class AggregateCache:
    """At most `maxsize` aggregates, least recently saved dropped first; `maxsize` 0 keeps none."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            raise ValueError("an aggregate cache holds zero or more aggregates")
        self.maxsize = maxsize
        self._kept: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._tried = self._stale = self._resting = 0

    def __len__(self) -> int:
        return len(self._kept)

    def take(self, stream_id: UUID) -> Any | None:
        """The kept aggregate of the stream, taken out (the caller puts it back with `keep` once saved); None
        while copies rest (`tried`)."""
        with self._lock:
            if self._resting:
                self._resting -= 1
                return None
            return self._kept.pop(stream_id, None)

    def tried(self, *, stale: bool) -> None:
        """How a save from a taken copy went: accepted, or refused because another writer had moved the stream
        on. Too many stale copies in a window and none is used for the next REST commands."""
        with self._lock:
            self._tried += 1
            self._stale += stale
            if self._tried < WINDOW:
                return
            if self._stale * STALE_RATIO > self._tried:
                self._resting = REST
                log.warning(
                    "%d of the last %d kept copies were stale (other processes write the same streams): every "
                    "command reads from the store for the next %d",
                    self._stale, self._tried, REST,
                )  # fmt: skip
            self._tried = self._stale = 0

    def keep(self, aggregate: Any) -> None:
        """Keep a copy of an aggregate the store just accepted, unless a later version of it is kept already."""
        if not self.maxsize:
            return
        twin = copy_of(aggregate)
        with self._lock:
            kept = self._kept.get(aggregate.id)
            if kept is not None and kept.version >= aggregate.version:
                return
            self._kept[aggregate.id] = twin
            self._kept.move_to_end(aggregate.id)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)

    def drop(self, stream_id: UUID) -> None:
        with self._lock:
            self._kept.pop(stream_id, None)
