"""Integrity a database writer cannot fake: every stored event, snapshot and token carries an HMAC seal made
with a key held outside the database (`CASETRAIL_INTEGRITY_KEY_FILE`).

The seal covers the row's topic, stream, version and state, so a row that is changed, added, or moved to
another stream or version no longer opens. The hash chain inside the events is untouched: checkpoints and
verification taken before sealing still hold. Only removal from a stream's end passes the seals; the
checkpoints catch that (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from infrastructure.key_files import key_file

log = logging.getLogger("casetrail.integrity")
PREFIX = b"\x00ct-seal1"  # never the start of the JSON the transcoder writes
TAG = 32
BODY = len(PREFIX) + TAG  # where the sealed payload starts
BLOCK = 64  # SHA-256's block size, for HMAC's key pads
IPAD, OPAD = bytes(b ^ 0x36 for b in range(256)), bytes(b ^ 0x5C for b in range(256))
MARKER = b"casetrail: every row of this store is sealed"


class Tampered(Exception):
    """A stored row's seal does not open: it was changed, added or moved without the integrity key."""


class Seal:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("an integrity key has at least 32 bytes")
        self.key = key
        # HMAC-SHA256 (RFC 2104) from SHA-256 states keyed once, as the standard library's own `hmac` builds it
        # without OpenSSL: per row two copies and updates, with no HMAC context made and fetched per row (the
        # one-shot `hmac.digest` did that) and no GIL released for a short row.
        block = hashlib.sha256(key).digest() if len(key) > BLOCK else key
        block = block.ljust(BLOCK, b"\0")
        self._inner = hashlib.sha256(block.translate(IPAD))
        self._outer = hashlib.sha256(block.translate(OPAD))

    def tag(self, topic: str, stream: Any, version: int, payload: bytes) -> bytes:
        stream = stream if isinstance(stream, UUID) else UUID(str(stream))
        return self.tag_text(topic, str(stream), version, payload)

    def tag_text(self, topic: str, stream: str, version: int, payload: bytes | memoryview) -> bytes:
        """The tag of a row whose stream is given in its canonical text form (`str(UUID)`)."""
        inner = self._inner.copy()
        inner.update(f"{topic}\n{stream}\n{version}\n".encode())
        inner.update(payload)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def close(self, stored: StoredEvent) -> StoredEvent:
        tag = self.tag(stored.topic, stored.originator_id, stored.originator_version, stored.state)
        return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, PREFIX + tag + stored.state)

    def open(self, stored: StoredEvent) -> bytes:
        """The sealed payload; raises Tampered when the row is unsealed or its seal does not match."""
        data = bytes(stored.state)
        if not data.startswith(PREFIX):
            raise Tampered(f"{stored.topic} {stored.originator_id}@{stored.originator_version} carries no seal")
        stream = stored.originator_id
        stream = stream if isinstance(stream, UUID) else UUID(str(stream))
        payload = self.open_text(stored.topic, str(stream), stored.originator_version, data)
        if payload is None:
            raise Tampered(
                f"{stored.topic} {stored.originator_id}@{stored.originator_version}: the seal does not match"
            )
        return payload

    def open_text(self, topic: str, stream: str, version: int, state: bytes) -> bytes | None:
        """The sealed payload of a row given as plain values (the stream in its canonical text form), or None when
        the row carries no seal or its seal does not match: the bulk readers' form, with no object per row."""
        if not state.startswith(PREFIX):
            return None
        payload = state[BODY:]
        expected = self.tag_text(topic, stream, version, payload)
        return payload if hmac.compare_digest(state[len(PREFIX) : BODY], expected) else None

    def marker(self) -> str:
        """What the store keeps to say that it is sealed, and under which key."""
        return hmac.new(self.key, MARKER, hashlib.sha256).hexdigest()


class SealingMapper(Mapper):
    """The library's mapper, sealing each row it writes and opening each row it reads."""

    def __init__(self, mapper: Mapper, seal: Seal) -> None:
        super().__init__(mapper.transcoder, mapper.compressor, mapper.cipher)
        self.seal = seal
        self.open_text = seal.open_text  # a row given as plain values: its payload, or None if the seal does not open

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return self.seal.close(super().to_stored_event(domain_event))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Also takes the recorders' raw rows and notifications: only their stream, version, topic and state
        are read."""
        payload = self.seal.open(stored_event)
        opened = StoredEvent(stored_event.originator_id, stored_event.originator_version, stored_event.topic, payload)
        return super().to_domain_event(opened)


def load_key(path: Path, *, create: bool) -> bytes:
    """The integrity key from its file; created (0600) when allowed and missing."""
    return key_file(
        path,
        create=create,
        what="integrity key",
        if_missing="run `casetrail migrate` (it creates the key), or set CASETRAIL_INTEGRITY_KEY_FILE to the key "
        "this store was sealed with",
    )
