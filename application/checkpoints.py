"""Signed checkpoints taken as the log grows, so a history cut or rewritten later is exposed.

The checkpointer keeps every chained stream's head in memory and reads only the events recorded since its last
checkpoint: one minute's events, not the whole log. Each checkpoint (position, stream count, Merkle root over
the heads) is signed and appended to a log kept outside the database (infrastructure/checkpoint_log.py).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from application.audit import AuditService, ChainVerifier, Signer, canonical, checkpoint_body

log = logging.getLogger("casetrail.checkpoints")


class CheckpointSink(Protocol):
    """Where checkpoints go: append-only, outside the database."""

    def append(self, checkpoint: dict[str, Any]) -> None: ...


class Checkpointer:
    def __init__(self, audit: AuditService, signer: Signer, sink: CheckpointSink) -> None:
        self.audit = audit
        self.signer = signer
        self.sink = sink
        self.verifier = ChainVerifier(audit.store)
        self.position = 0

    def take(self) -> dict[str, Any] | None:
        """Read the events since the last checkpoint, then sign and append a checkpoint of the head; None when
        nothing was recorded since."""
        head = self.audit.store.recorder.max_notification_id() or 0
        if head == self.position:  # nothing new (an empty store included: a checkpoint of nothing proves nothing)
            return None
        for batch in self.audit.batches(self.position, head):
            self.verifier.feed_rows(batch)
            self.position = batch[-1][0]
        self.position = head
        broken = sorted(str(i) for i, c in self.verifier.streams.items() if not c.ok)
        if broken:
            log.error("checkpoint at %s: %d streams fail their chain (first: %s); run `casetrail audit verify`",
                      head, len(broken), broken[0])  # fmt: skip
        body = checkpoint_body(self.verifier, head)
        body["signature"] = self.signer.sign(canonical(body))
        self.sink.append(body)
        return body
