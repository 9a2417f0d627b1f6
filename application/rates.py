"""Write rates per token: a token may record only so many commands a minute, enterprises the fewest.

A token bucket per caller (refilled continuously, holding at most a minute's worth), kept per API process for
the callers seen most recently (bounded memory). The tracking job and the CLI's own actor are not limited.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from application.errors import TooManyWrites
from domain.values import Actor, Role

MAX_CALLERS = 10_000
UNLIMITED = (Role.SYSTEM,)


@dataclass(frozen=True)
class WriteRates:
    """Commands a minute per token; 0 means unlimited."""

    enterprise: int = 30
    staff: int = 6000

    def per_minute(self, role: Role) -> int:
        if role in UNLIMITED:
            return 0
        return self.enterprise if role is Role.ENTERPRISE else self.staff


class WriteLimiter:
    def __init__(self, rates: WriteRates, max_callers: int = MAX_CALLERS) -> None:
        self.rates = rates
        self.max_callers = max_callers
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller -> (tokens, when counted)
        self.lock = threading.Lock()

    def admit(self, by: Actor) -> None:
        """Take one write from the caller's bucket, or refuse with how long to wait (429)."""
        rate = self.rates.per_minute(by.role)
        if not rate:
            return
        key = by.id or by.role.value
        now = time.monotonic()
        with self.lock:
            tokens, then = self.buckets.get(key, (float(rate), now))
            tokens = min(float(rate), tokens + (now - then) * rate / 60)
            if tokens < 1:
                raise TooManyWrites(int((1 - tokens) * 60 / rate) + 1)
            self.buckets[key] = (tokens - 1, now)
            self.buckets.move_to_end(key)
            if len(self.buckets) > self.max_callers:
                self.buckets.popitem(last=False)
