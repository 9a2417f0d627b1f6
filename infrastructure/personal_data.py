"""Crypto-shredding: personal fields are sealed with a key of their case (AES-GCM), and that key is stored
wrapped by the master key (`CASETRAIL_MASTER_KEY_FILE`). Erasure deletes the case's key; its ciphertext, kept
by the events and covered by their hash chain, then opens no more.

The case id is the associated data of both seals, so a ciphertext or a wrapped key moved to another case does
not open there.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.ports import CONTACT_FIELDS, ERASED, UNREADABLE, Protected, is_sealed
from infrastructure.key_files import KeyFileError, key_file
from infrastructure.key_table import KeyTable

log = logging.getLogger("casetrail.personal_data")
NONCE = 12
CHECK = b"casetrail master key"
CACHE = 10_000  # unwrapped keys kept per process (reads of cases known not to be erased only)


class MasterKeyError(Exception):
    """The master key is missing, malformed, or not the one this store's keys were wrapped with."""


def load_master_key(path: Path, *, create: bool) -> bytes:
    """The master key from its file; created (0600, with a warning to back it up) when allowed and missing."""
    try:
        return key_file(
            path,
            create=create,
            what="master key",
            if_missing="restore it from its backup (without it no personal data of this store can be read), or "
            "set CASETRAIL_MASTER_KEY_FILE to it",
        )
    except KeyFileError as e:
        raise MasterKeyError(str(e)) from None


class AesPersonalData:
    """The PersonalData port (application/ports.py) over AES-GCM and the store's key table."""

    def __init__(self, master: bytes, keys: KeyTable) -> None:
        self.master = AESGCM(master)
        self.keys = keys
        self._cache: OrderedDict[str, AESGCM] = OrderedDict()
        self._lock = Lock()

    def check_master_key(self, *, may_set: bool) -> None:
        """Refuse a master key other than the one this store's keys were wrapped with (its check row)."""
        stored = self.keys.check_value()
        if stored is None:
            if self.keys.count() and not may_set:
                raise MasterKeyError("the key table holds data keys but no master-key check: run `casetrail migrate`")
            if may_set:
                self.keys.set_check_value(_seal(self.master, CHECK, b"check"))
            return
        try:
            self.master.decrypt(stored[:NONCE], stored[NONCE:], b"check")
        except InvalidTag:
            raise MasterKeyError(
                "CASETRAIL_MASTER_KEY_FILE is not the master key this store's personal data was sealed with: "
                "set it to that key (from its backup)"
            ) from None

    def protect(self, case_id: UUID, fields: dict[str, str]) -> Protected:
        key = AESGCM.generate_key(bit_length=256)
        ad = case_id.bytes
        sealed = _seal(AESGCM(key), orjson.dumps(fields), ad)
        return Protected({"sealed": base64.b64encode(sealed).decode(), "v": 1}, _seal(self.master, key, ad))

    def reveal(self, case_id: UUID, value: dict[str, Any], *, cached: bool = True) -> dict[str, str]:
        if not is_sealed(value):
            return dict(value)  # written before sealing: plaintext (docs/operations.md)
        aead = self._key(case_id, cached)
        if aead is None:
            return dict.fromkeys(CONTACT_FIELDS, ERASED)
        try:
            sealed = base64.b64decode(value["sealed"])
            fields: dict[str, str] = orjson.loads(aead.decrypt(sealed[:NONCE], sealed[NONCE:], case_id.bytes))
        except (InvalidTag, ValueError):
            log.error("the personal data of case %s does not open under its key", case_id)
            return dict.fromkeys(CONTACT_FIELDS, UNREADABLE)
        return fields

    def forget(self, case_id: UUID) -> None:
        with self._lock:
            self._cache.pop(str(case_id), None)

    def _key(self, case_id: UUID, cached: bool) -> AESGCM | UnreadableKey | None:
        name = str(case_id)
        if cached:
            with self._lock:
                if name in self._cache:
                    self._cache.move_to_end(name)
                    return self._cache[name]
        wrapped = self.keys.get(case_id)
        if wrapped is None:
            return None
        try:
            aead = AESGCM(self.master.decrypt(wrapped[:NONCE], wrapped[NONCE:], case_id.bytes))
        except (InvalidTag, ValueError):
            log.error("the data key of case %s does not open under the master key: it was damaged", case_id)
            return UnreadableKey()  # not remembered: a key row mended from backup is read at the next reveal
        if cached:
            with self._lock:
                self._cache[name] = aead
                if len(self._cache) > CACHE:
                    self._cache.popitem(last=False)
        return aead


class UnreadableKey:
    """A damaged key: it opens nothing, and says so, for its case alone."""

    def decrypt(self, nonce: bytes, data: bytes, ad: bytes) -> bytes:
        raise InvalidTag()


def _seal(aead: AESGCM, data: bytes, ad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE)
    return nonce + aead.encrypt(nonce, data, ad)
