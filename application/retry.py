"""The one retry loop: a write that lost a race to another writer is tried again, a bounded number of times."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from application.errors import LostRace

T = TypeVar("T")


def retry(attempt: Callable[[], T | None], attempts: int) -> T:
    """Call `attempt` until it answers; None or an IntegrityError means another writer got there first. Between
    tries a short random pause breaks lockstep; after `attempts` tries the caller gets LostRace (409)."""
    for n in range(attempts):
        if n:
            time.sleep(random.uniform(0, 0.002 * n))  # noqa: S311 - jitter, not security
        try:
            result = attempt()
        except IntegrityError:
            continue
        if result is not None:
            return result
    raise LostRace()
