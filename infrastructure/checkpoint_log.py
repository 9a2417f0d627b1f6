"""The checkpoint log: one signed checkpoint a line, appended to a file outside the database.

Opened for each append with O_APPEND and synced before the checkpoint counts as taken. Point it at storage the
database host cannot rewrite (another host's mount, a WORM volume) to make it the evidence it is meant to be.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

TAIL = 1 << 16  # bytes read at a time from the end, looking for the last line (a line with hashes can be long)
SIGNED = ("position", "streams", "root")


def as_checkpoint(value: Any) -> dict[str, Any]:
    """`value` if it is a checkpoint (an object with position, streams and root); else ValueError."""
    if not isinstance(value, dict) or not set(SIGNED) <= value.keys():
        raise ValueError("not a checkpoint (written by `casetrail audit checkpoint`)")
    return value


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
        """The last checkpoint appended, or None when there is none yet; ValueError when the last line is not one.
        Reads back from the end only as far as that line: the log grows by a line a minute, for years."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as f:
            start = f.seek(0, os.SEEK_END)
            tail = b""
            while start > 0 and b"\n" not in tail.strip():
                step = min(TAIL, start)
                start -= step
                f.seek(start)
                tail = f.read(step) + tail
        last = tail.strip().rsplit(b"\n", 1)[-1]
        return as_checkpoint(json.loads(last)) if last else None
