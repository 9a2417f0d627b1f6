"""Running the tracking job every minute: a thread of `casetrail serve` (SQLite) or `casetrail worker` (PostgreSQL).

With PostgreSQL several workers may run; a session advisory lock named "tracking" lets one of them track at a
time. The lock dies with its holder's connection, so a standby takes over at its next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from application.ports import Clock
from application.tracking import TrackingService, TrackingSummary
from infrastructure.background import BackgroundLoop
from infrastructure.metrics import TRACKING_RUNS, WARNINGS_RAISED
from infrastructure.views.runner import AdvisoryLocks

if TYPE_CHECKING:
    from infrastructure.container import Container

log = logging.getLogger("casetrail.tracking")
EVERY = 60.0  # seconds between runs
LOCK_NAME = "tracking"


class TrackingLoop(BackgroundLoop):
    """Runs the tracking job now and then every `every` seconds until stopped; a failed run is logged and retried."""

    thread_name = "casetrail-tracking"

    def __init__(
        self, service: TrackingService, clock: Clock, *, every: float = EVERY, lock: Callable[[], bool] | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self.clock = clock
        self.every = every
        self.lock = lock or (lambda: True)

    def run(self) -> None:
        while not self.stopped.is_set():
            self.step()
            self.stopped.wait(self.every)

    def step(self) -> TrackingSummary | None:
        """One run, if this process holds the lock; None when it does not, or the run failed."""
        if not self.lock():
            return None
        try:
            summary = self.service.run(self.clock.now(), stopping=self.stopped.is_set)
        except Exception:
            log.exception("the tracking job failed; it runs again in %.0f s", self.every)
            return None
        TRACKING_RUNS.inc()
        for warning in summary.raised:
            WARNINGS_RAISED.labels(warning.level, warning.kind).inc()
        if summary.raised:
            log.info("tracking raised %d warnings over %d open cases", len(summary.raised), summary.candidates)
        return summary


def advisory_lock(locks: AdvisoryLocks) -> Callable[[], bool]:
    """The job's lock: a name no projection has."""
    return lambda: locks.hold(LOCK_NAME)


def start_tracking(container: Container, *, every: float = EVERY) -> Callable[[], None]:
    """Start the tracking job in a thread of this process; returns the function that stops it.

    On PostgreSQL the job takes the "tracking" advisory lock on a connection of its own (AdvisoryLocks is
    not shared between threads), so of several workers exactly one tracks at a time.
    """
    settings = container.settings
    locks = AdvisoryLocks(settings.database_url) if settings.backend == "postgresql" else None
    loop = TrackingLoop(container.tracking, container.clock, every=every, lock=advisory_lock(locks) if locks else None)
    loop.start()

    def stop() -> None:
        loop.stop()
        if locks:
            locks.close()

    return stop
