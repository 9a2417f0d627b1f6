"""Automatic signed checkpoints: a thread of `casetrail serve` (SQLite) or `casetrail worker` (PostgreSQL).

Every `CASETRAIL_CHECKPOINT_EVERY` seconds (60 by default) the checkpointer reads what was recorded since and
appends a signed checkpoint to the checkpoint log. Of several workers one does it (advisory lock "checkpoints").
The signing key is created beside the integrity key on first use, with its public key (`.pub`) for auditors:
`casetrail audit verify --checkpoint <log>.jsonl --public-key <key>.pub` checks the latest checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from application.checkpoints import Checkpointer
from infrastructure.background import PeriodicJob
from infrastructure.checkpoint_log import CheckpointLog
from infrastructure.periodic import start_job
from infrastructure.signing import Ed25519Signer

if TYPE_CHECKING:
    from infrastructure.container import Container

log = logging.getLogger("casetrail.checkpoints")
LOCK_NAME = "checkpoints"


class CheckpointLoop(PeriodicJob):
    thread_name = "casetrail-checkpoints"
    job_name = "checkpoint"

    def __init__(self, checkpointer: Checkpointer, *, every: float, lock: Callable[[], bool] | None = None) -> None:
        super().__init__(every=every, lock=lock)
        self.checkpointer = checkpointer

    def work(self) -> dict[str, Any] | None:
        return self.checkpointer.take()


def signer_for(path: Path, public: Path) -> Ed25519Signer:
    """The checkpoint signing key; created (0600) with its public key beside it when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        Ed25519Signer.generate(path, public)
        log.warning("created the checkpoint signing key %s (public key %s for auditors): back it up", path, public)
    return Ed25519Signer.from_file(path)


def start_checkpoints(container: Container) -> Callable[[], None] | None:
    """Start taking checkpoints in a thread of this process; None when they are off (or the store is in
    memory)."""
    settings = container.settings
    key, public, path = settings.signing_key_path, settings.public_key_path, settings.checkpoint_log_path
    if not settings.checkpoint_every or key is None or public is None or path is None:
        return None
    checkpointer = Checkpointer(container.audit, signer_for(key, public), CheckpointLog(path))
    every = settings.checkpoint_every
    return start_job(container, lambda lock: CheckpointLoop(checkpointer, every=every, lock=lock), LOCK_NAME)
