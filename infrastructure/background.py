"""A job that loops in a daemon thread of the process until it is stopped (the projections, the tracking job)."""

from __future__ import annotations

import threading


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
