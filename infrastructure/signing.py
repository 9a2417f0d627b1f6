"""Ed25519 signatures for audit checkpoints, with the operator's key from a PEM file."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class Ed25519Verifier:
    """Checks checkpoint signatures with the public key alone (no private key near the auditor)."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self.key = key

    @classmethod
    def from_file(cls, path: Path) -> Ed25519Verifier:
        hint = "`casetrail audit keygen` writes it beside the key"
        return cls(_read_pem(path, serialization.load_pem_public_key, Ed25519PublicKey, "public key", hint))

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            self.key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Ed25519Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    @classmethod
    def from_file(cls, path: Path) -> Ed25519Signer:
        hint = f"Create one with `casetrail audit keygen --out {path}`"
        load = partial(serialization.load_pem_private_key, password=None)
        return cls(_read_pem(path, load, Ed25519PrivateKey, "signing key", hint))

    @staticmethod
    def generate(path: Path, public_path: Path) -> None:
        """The private key (mode 600) and its public key (PEM), for whoever verifies checkpoints."""
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
        public_path.write_text(Ed25519Signer(key).public_key_pem(), encoding="utf-8")

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode()

    def verify(self, message: bytes, signature: str) -> bool:
        return Ed25519Verifier(self.key.public_key()).verify(message, signature)

    def public_key_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )


def _read_pem(path: Path, load: Callable[[bytes], Any], kind: type[Any], what: str, hint: str) -> Any:
    """An Ed25519 key from a PEM file; an unreadable, malformed or other kind of key is a ValueError naming the file
    and what to do."""
    try:
        key = load(path.read_bytes())
    except (OSError, ValueError) as e:
        raise ValueError(f"{what} {path}: {e}. {hint}") from e
    if not isinstance(key, kind):
        raise ValueError(f"{what} {path} is not an Ed25519 key. {hint}")
    return key
