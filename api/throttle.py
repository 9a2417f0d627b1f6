"""Failed authentication is rate-limited per client address, so tokens cannot be guessed at speed."""

from __future__ import annotations

import threading
import time
from collections import deque

from api.errors import TooManyFailures

MAX_CLIENTS = 10_000


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
        if len(self.failures) > MAX_CLIENTS:
            self._sweep(now)
        recent = self.failures.setdefault(client, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent

    def _sweep(self, now: float) -> None:
        """Forget clients with no failure inside the window, so memory stays bounded."""
        for client in [c for c, times in self.failures.items() if not times or times[-1] <= now - self.window]:
            del self.failures[client]
