"""The checkpoint log: one signed checkpoint a line, appended to a file outside the database.

Opened for each append with O_APPEND and synced before the checkpoint counts as taken. Point it at storage the
database host cannot rewrite (another host's mount, a WORM volume) to make it the evidence it is meant to be.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class CheckpointLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, checkpoint: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(checkpoint, sort_keys=True, ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def latest(self) -> dict[str, Any] | None:
        """The last checkpoint appended, or None when there is none yet."""
        if not self.path.exists():
            return None
        lines = [line for line in self.path.read_text().splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else None
