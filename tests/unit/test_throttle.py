"""The failed-authentication throttle: a limit per client and window, bounded memory."""

from __future__ import annotations

import pytest

from api.errors import TooManyFailures
from api.throttle import FailureThrottle


def test_throttle_refuses_a_client_over_the_limit_until_its_window_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("api.throttle.time.monotonic", lambda: now[0])
    throttle = FailureThrottle(limit=3, window=60)
    for _ in range(3):
        throttle.check("10.0.0.1")
        throttle.failed("10.0.0.1")
    with pytest.raises(TooManyFailures) as refused:
        throttle.check("10.0.0.1")
    assert refused.value.retry_after == 61
    throttle.check("10.0.0.2")  # another client is not affected
    now[0] += 60
    throttle.check("10.0.0.1")


def test_throttle_memory_is_bounded_with_100000_distinct_clients() -> None:
    throttle = FailureThrottle(limit=1, max_clients=1000)
    for i in range(100_000):
        throttle.failed(f"client-{i}")
    assert len(throttle.counts) == 1000
    assert "client-99999" in throttle.counts and "client-0" not in throttle.counts  # the oldest forgotten
