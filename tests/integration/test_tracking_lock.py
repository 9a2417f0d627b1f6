"""With several workers on PostgreSQL, one tracks at a time; a standby takes over when the holder goes."""

from __future__ import annotations

import time

import pytest

from infrastructure.tracking_runner import advisory_lock
from infrastructure.views.runner import AdvisoryLocks
from tests.conftest import POSTGRES_URL, require_postgres

pytestmark = pytest.mark.postgres


def test_one_worker_holds_the_tracking_lock_and_a_standby_takes_over() -> None:
    require_postgres()
    first, second = AdvisoryLocks(POSTGRES_URL, retry_every=0), AdvisoryLocks(POSTGRES_URL, retry_every=0)
    try:
        assert advisory_lock(first)()
        assert not advisory_lock(second)()
        assert advisory_lock(first)()  # the holder keeps it
        first.close()  # the holder dies with its connection; the server lets go of its lock a moment later
        deadline = time.monotonic() + 5
        while not advisory_lock(second)():
            assert time.monotonic() < deadline, "the standby did not take over within 5 s"
            time.sleep(0.05)
    finally:
        first.close()
        second.close()
