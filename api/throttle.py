"""Failed authentication is rate-limited per client address, so tokens cannot be guessed at speed."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from api.errors import TooManyFailures

MAX_CLIENTS = 10_000


class FailureThrottle:
    """At most `limit` failures per client in each window of `window` seconds, counted from its first failure.

    A client over the limit is refused before its token is even looked up, valid or not: otherwise a guess
    that hits would pass while throttled, and every refused guess would still cost a read of the store. Each
    request does constant work, and memory is bounded: one counter per client, at most `max_clients` of them,
    the least recently failing forgotten first. Counts are per API process (with `--workers N` a client gets
    up to N times the limit).
    """

    def __init__(self, limit: int = 20, window: float = 60.0, max_clients: int = MAX_CLIENTS) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self.counts: OrderedDict[str, tuple[float, int]] = OrderedDict()  # client -> (window start, failures)
        self.lock = threading.Lock()

    def check(self, client: str) -> None:
        now = time.monotonic()
        with self.lock:
            start, count = self._current(client, now)
        if count >= self.limit:
            raise TooManyFailures(int(start + self.window - now) + 1)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self.lock:
            start, count = self._current(client, now)
            self.counts[client] = (start, count + 1)
            self.counts.move_to_end(client)
            if len(self.counts) > self.max_clients:
                self.counts.popitem(last=False)

    def _current(self, client: str, now: float) -> tuple[float, int]:
        entry = self.counts.get(client)
        if entry is None or entry[0] + self.window <= now:
            return now, 0
        return entry
