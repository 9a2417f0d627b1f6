"""Jobs that loop in a daemon thread of the process until stopped (the projections, tracking, checkpoints)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("casetrail.jobs")


class BackgroundLoop:
    """Subclasses implement `run`, looping until `stopped` is set and waiting on it between rounds."""

    thread_name = "casetrail-background"

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()  # also ends the wait between rounds
        if self.thread:
            self.thread.join(timeout=10)

    def run(self) -> None:
        raise NotImplementedError


class PeriodicJob(BackgroundLoop):
    """Does `work` now and then every `every` seconds until stopped, while this process holds `lock` (of several
    workers on PostgreSQL one does each job); a failed round is logged and tried again at the next.

    A standby (not holding the lock) asks for it every `standby_poll` seconds, not every `every`: when the holder
    dies the standby takes the job over within about a second and runs it at once (docs/operations.md, "Scaling
    out"), instead of up to a whole period later."""

    job_name = "job"
    standby_poll = 1.0

    def __init__(self, *, every: float, lock: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.every = every
        self.lock = lock or (lambda: True)

    def run(self) -> None:
        while not self.stopped.is_set():
            if self.lock():
                self._round()
                self.stopped.wait(self.every)
            else:
                self.stopped.wait(min(self.every, self.standby_poll))

    def step(self) -> Any:
        """One round, if this process holds the lock; None when it does not, or the round failed."""
        if not self.lock():
            return None
        return self._round()

    def _round(self) -> Any:
        try:
            return self.work()
        except Exception:
            log.exception("the %s failed; it runs again in %.0f s", self.job_name, self.every)
            return None

    def work(self) -> Any:
        raise NotImplementedError
