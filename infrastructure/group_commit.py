"""Group commit: concurrent writers' events go to the database in one transaction.

Every insert into the event log takes the table lock and ends in a commit (a WAL flush with synchronous
commit on), so writers queue behind each other. Here the first writer to arrive leads: it takes everything
queued, commits it as one transaction, and hands each writer its own notification ids; those who arrived
meanwhile form the next batch. Nobody waits for a timer: a lone writer commits at once, and batches grow only
when writers would have queued anyway.

A batch is all or nothing. If it breaks a uniqueness rule (two writers raced for one case version, or one
idempotency key came twice) it is retried writer by writer, so only the writer in the wrong sees the
IntegrityError, exactly as if it had committed alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from eventsourcing.persistence import IntegrityError, StoredEvent

from application.ports import ExpectedHead, IdempotencyRecord
from infrastructure.metrics import GROUP_COMMIT_BATCH


class DataKey(NamedTuple):
    """A case's wrapped data key, stored with the events that register the case."""

    case_id: str
    wrapped: bytes


# What a command writes (or checks) beside its events, in their transaction.
Row = IdempotencyRecord | DataKey | ExpectedHead
Commit = Callable[[list[StoredEvent], list[Row]], Sequence[int]]


@dataclass
class _Write:
    events: Sequence[StoredEvent]
    rows: list[Row]
    ids: Sequence[int] | None = None
    error: BaseException | None = None
    done: bool = False

    def finish(self, ids: Sequence[int] | None = None, error: BaseException | None = None) -> None:
        self.ids, self.error, self.done = ids, error, True

    def outcome(self) -> Sequence[int]:
        if self.error is not None:
            raise self.error
        return self.ids or []


@dataclass
class GroupCommit:
    commit: Commit
    max_batch: int = 64
    _queue: list[_Write] = field(default_factory=list)
    _leading: bool = False
    _cv: threading.Condition = field(default_factory=threading.Condition)

    def submit(
        self,
        events: Sequence[StoredEvent],
        record: IdempotencyRecord | None,
        data_key: DataKey | None = None,
        head: ExpectedHead | None = None,
    ) -> Sequence[int]:
        """Commit `events` (and the command's idempotency record and data key, if the stream's head is still
        `head`) with whatever else is waiting; returns the events' notification ids, or raises what their commit
        raised."""
        write = _Write(events, [row for row in (record, data_key, head) if row is not None])
        with self._cv:
            self._queue.append(write)
            while not write.done and self._leading:
                self._cv.wait()
            if write.done:
                return write.outcome()
            self._leading = True
        try:
            while not write.done:
                with self._cv:
                    batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                self._run(batch)
        finally:
            with self._cv:
                self._leading = False
                self._cv.notify_all()
        return write.outcome()

    def _run(self, batch: list[_Write]) -> None:
        GROUP_COMMIT_BATCH.observe(len(batch))
        try:
            ids = self.commit([e for w in batch for e in w.events], [row for w in batch for row in w.rows])
        except IntegrityError as e:
            if len(batch) == 1:
                batch[0].finish(error=e)
            else:
                for w in batch:  # find the writer in the wrong: each alone, in arrival order
                    self._run([w])
        except BaseException as e:
            for w in batch:
                w.finish(error=e)
            if not isinstance(e, Exception):
                raise
        else:
            start = 0
            for w in batch:
                w.finish(ids=list(ids[start : start + len(w.events)]))
                start += len(w.events)
