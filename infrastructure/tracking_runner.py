"""Running the tracking job every minute: a thread of `casetrail serve` (SQLite) or `casetrail worker` (PostgreSQL).

With PostgreSQL several workers may run; a session advisory lock named "tracking" lets one of them track at a
time. The lock dies with its holder's connection; a standby asks for it every second, so it takes over within
about a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from application.ports import Clock
from application.tracking import TrackingService, TrackingSummary
from infrastructure.background import PeriodicJob
from infrastructure.metrics import TRACKING_RUNS, WARNINGS_RAISED
from infrastructure.periodic import start_job
from infrastructure.views.runner import AdvisoryLocks

if TYPE_CHECKING:
    from infrastructure.container import Container

log = logging.getLogger("casetrail.tracking")
EVERY = 60.0  # seconds between runs
LOCK_NAME = "tracking"


class TrackingLoop(PeriodicJob):
    """Runs the tracking job now and then every `every` seconds until stopped; a failed run is logged and retried."""

    thread_name = "casetrail-tracking"
    job_name = "tracking job"

    def __init__(
        self, service: TrackingService, clock: Clock, *, every: float = EVERY, lock: Callable[[], bool] | None = None
    ) -> None:
        super().__init__(every=every, lock=lock)
        self.service = service
        self.clock = clock

    def work(self) -> TrackingSummary:
        summary = self.service.run(self.clock.now(), stopping=self.stopped.is_set)
        TRACKING_RUNS.inc()
        for warning in summary.raised:
            WARNINGS_RAISED.labels(warning.level, warning.kind).inc()
        return summary


def advisory_lock(locks: AdvisoryLocks) -> Callable[[], bool]:
    """The job's lock: a name no projection has."""
    return lambda: locks.hold(LOCK_NAME)


def start_tracking(container: Container, *, every: float = EVERY) -> Callable[[], None]:
    """Start the tracking job in a thread of this process; returns the function that stops it.

    On PostgreSQL the job takes the "tracking" advisory lock on a connection of its own (AdvisoryLocks is
    not shared between threads), so of several workers exactly one tracks at a time.
    """
    return start_job(container, lambda lock: TrackingLoop(container.tracking, container.clock, every=every, lock=lock),
                     LOCK_NAME)  # fmt: skip
