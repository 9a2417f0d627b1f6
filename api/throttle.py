"""Failed authentication is rate-limited per client address, so tokens cannot be guessed at speed."""

from __future__ import annotations

import threading
import time
from collections import deque

from domain.errors import DomainError


class TooManyFailures(DomainError):
    """Too many failed authentications from this client (HTTP 429, Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "too_many_failed_authentications", f"too many failed authentications; retry in {retry_after} s"
        )
        self.retry_after = retry_after


class FailureThrottle:
    """At most `limit` failures per client in any `window` seconds; successes are never limited."""

    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self.failures: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def check(self, client: str) -> None:
        with self.lock:
            recent = self._recent(client, time.monotonic())
            if len(recent) >= self.limit:
                raise TooManyFailures(int(recent[0] + self.window - time.monotonic()) + 1)

    def failed(self, client: str) -> None:
        with self.lock:
            self._recent(client, time.monotonic()).append(time.monotonic())

    def _recent(self, client: str, now: float) -> deque[float]:
        recent = self.failures.setdefault(client, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if not recent and len(self.failures) > 10_000:  # forget idle clients; memory stays bounded
            self.failures.pop(client, None)
            recent = self.failures.setdefault(client, deque())
        return recent
