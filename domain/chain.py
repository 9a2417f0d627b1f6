"""Hash chains: each event's hash covers its immutable content and the previous event's hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
CHAIN_FIELDS = ("hash", "prev_hash")


def _default(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def event_hash(topic: str, originator_id: UUID, version: int, fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over a canonical JSON encoding of an event's content and its predecessor's hash."""
    content = {k: v for k, v in fields.items() if k not in CHAIN_FIELDS}
    canonical = json.dumps(
        {"topic": topic, "id": originator_id, "version": version, "prev_hash": prev_hash, "data": content},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_default,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
