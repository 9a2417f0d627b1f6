"""One run of an expensive call for every caller that asks for it while it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """`run(key, call)` calls `call()` unless a call for `key` is already running; then it waits for that one and
    answers its result (or raises its exception). A call that has finished is never answered again: the next
    caller starts a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[T]] = {}
        self._joined: dict[Hashable, int] = {}

    def waiting(self, key: Hashable) -> int:
        """How many callers are waiting for the running call for `key` (besides the one running it)."""
        with self._lock:
            return self._joined.get(key, 0)

    def run(self, key: Hashable, call: Callable[[], T]) -> T:
        with self._lock:
            running = self._running.get(key)
            if running is None:
                running = self._running[key] = Future()
                leader = True
            else:
                leader = False
                self._joined[key] = self._joined.get(key, 0) + 1
        if not leader:
            return running.result()
        try:
            running.set_result(call())
        except BaseException as e:
            running.set_exception(e)
        finally:
            with self._lock:
                del self._running[key]
                self._joined.pop(key, None)
        return running.result()
