"""The directory where the API processes of `serve --workers N` write their metrics (prometheus_client's
multiprocess mode): made fresh for each `serve`, removed when it ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infrastructure.metrics import MULTIPROC_DIR


@contextmanager
def multiprocess_metrics(workers: int) -> Iterator[Path | None]:
    """With several workers, a fresh directory in PROMETHEUS_MULTIPROC_DIR (inherited by the worker processes,
    which import prometheus_client after it is set); an operator's own directory is emptied instead, since
    counts left from an earlier run would be added to this one's."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield Path(given)
        return
    if workers == 1:  # one process: its own memory is the whole count
        yield None
        return
    made = Path(tempfile.mkdtemp(prefix="casetrail-metrics-"))
    os.environ[MULTIPROC_DIR] = str(made)
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(made, ignore_errors=True)
