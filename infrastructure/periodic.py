"""Starting a periodic job (tracking, checkpoints) in a thread of this process, under its own advisory lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from infrastructure.background import PeriodicJob
from infrastructure.views.runner import AdvisoryLocks

if TYPE_CHECKING:
    from infrastructure.container import Container


def start_job(
    container: Container, make: Callable[[Callable[[], bool] | None], PeriodicJob], lock_name: str
) -> Callable[[], None]:
    """Start a periodic job under an advisory lock of its own name (PostgreSQL); returns its stop function."""
    settings = container.settings
    locks = AdvisoryLocks(settings.database_url) if settings.backend == "postgresql" else None
    job = make((lambda: locks.hold(lock_name)) if locks else None)
    job.start()

    def stop() -> None:
        job.stop()
        if locks:
            locks.close()

    return stop
