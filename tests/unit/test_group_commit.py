"""Group commit: concurrent writers share transactions, and each still gets exactly its own outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from application.ports import IdempotencyRecord
from infrastructure.group_commit import GroupCommit


def event(version: int = 1, topic: str = "ok") -> StoredEvent:
    return StoredEvent(uuid4(), version, topic, b"{}")


class FakeLog:
    """An event log that numbers what it commits, refuses batches holding a "conflict", and is slow to commit."""

    def __init__(self, delay: float = 0.0) -> None:
        self.committed: list[StoredEvent] = []
        self.batches: list[int] = []
        self.delay = delay
        self.lock = threading.Lock()

    def commit(self, events: list[StoredEvent], records: list[IdempotencyRecord]) -> Sequence[int]:
        time.sleep(self.delay)
        if any(e.topic == "conflict" for e in events):
            raise IntegrityError("duplicate key value violates unique constraint")
        if any(e.topic == "outage" for e in events):
            raise OperationalError("server closed the connection")
        with self.lock:
            first = len(self.committed) + 1
            self.committed += events
            self.batches.append(len(events))
        return list(range(first, first + len(events)))


def test_a_lone_writer_commits_at_once_and_gets_its_ids() -> None:
    log = FakeLog()
    group = GroupCommit(log.commit)
    assert group.submit([event(1), event(2)], None) == [1, 2]
    assert group.submit([event(3)], None) == [3]
    assert log.batches == [2, 1]


def test_concurrent_writers_share_commits_and_each_gets_its_own_ids() -> None:
    log = FakeLog(delay=0.005)
    group = GroupCommit(log.commit)
    writes = [[event(), event()] for _ in range(40)]
    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(lambda w: group.submit(w, None), writes))
    assert len(log.batches) < len(writes)  # grouped
    assert sorted(i for found in ids for i in found) == list(range(1, 81))  # every event once
    for write, found in zip(writes, ids, strict=True):
        assert [log.committed[i - 1] for i in found] == write  # its own events, in its order


def test_only_the_writer_in_the_wrong_sees_the_integrity_error() -> None:
    log = FakeLog(delay=0.005)
    group = GroupCommit(log.commit)
    writes = [[event(topic="conflict" if n == 7 else "ok")] for n in range(20)]

    def submit(write: list[StoredEvent]) -> object:
        try:
            return group.submit(write, None)
        except IntegrityError as e:
            return e

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(submit, writes))
    assert isinstance(outcomes[7], IntegrityError)
    assert all(isinstance(o, list) for n, o in enumerate(outcomes) if n != 7)
    assert len(log.committed) == 19


def test_an_outage_fails_every_writer_of_the_batch_and_the_next_writer_leads() -> None:
    log = FakeLog()
    group = GroupCommit(log.commit)
    with pytest.raises(OperationalError):
        group.submit([event(topic="outage")], None)
    assert group.submit([event()], None) == [1]  # nobody is left waiting for a leader that failed


def test_idempotency_records_of_the_batch_are_committed_with_it() -> None:
    seen: list[list[IdempotencyRecord]] = []

    def commit(events: list[StoredEvent], records: list[IdempotencyRecord]) -> Sequence[int]:
        seen.append(records)
        return list(range(1, len(events) + 1))

    record = IdempotencyRecord("token", "key-1", "fp", "case", 1, datetime.now(UTC))
    GroupCommit(commit).submit([event()], record)
    assert seen == [[record]]


def test_group_commit_records_each_batch_size_in_the_metrics() -> None:
    from prometheus_client import REGISTRY

    def observed() -> tuple[float, float]:
        count = REGISTRY.get_sample_value("casetrail_group_commit_batch_size_count") or 0.0
        total = REGISTRY.get_sample_value("casetrail_group_commit_batch_size_sum") or 0.0
        return count, total

    before = observed()
    GroupCommit(FakeLog().commit).submit([event(1), event(2)], None)
    after = observed()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)  # one batch holding one writer
