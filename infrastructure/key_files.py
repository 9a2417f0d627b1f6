"""Secrets kept in files outside the database: 32 random bytes as hex, created with the store, mode 0600."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger("casetrail.keys")


class KeyFileError(ValueError):
    """A key file is missing or malformed; the message says what to do."""


def key_file(path: Path, *, create: bool, what: str, if_missing: str) -> bytes:
    """The 32-byte key in `path`; created (0600, with a warning to back it up) when allowed and missing.
    `if_missing` says what to do when it may not be created."""
    if not path.exists():
        if not create:
            raise KeyFileError(f"{what} {path} is missing: {if_missing}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        log.warning("created the %s %s: back it up and keep it outside the database", what, path)
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        raise KeyFileError(f"{what} {path} is not 64 hexadecimal characters") from None
    if len(key) != 32:
        raise KeyFileError(f"{what} {path} is not 32 bytes (64 hexadecimal characters)")
    return key
