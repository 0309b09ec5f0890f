"""Encryption of secret values at rest: AES-256-GCM under the workspace's master key.

Each value gets a fresh 96-bit nonce, and the ciphertext is bound to its slot (vault, name,
version) as associated data, so a ciphertext copied onto another secret's row fails to decrypt.
Rows record the key's id, so a server started with another master key says so instead of
failing with an opaque authentication error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lakebox import settings
from lakebox.errors import LakeboxError
from lakebox.runtime.files import write_private

NONCE_BYTES = 12


def new_master_key() -> str:
    """A fresh key in the form ``LAKEBOX_MASTER_KEY`` takes."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def load_master_key(key_file: Path) -> bytes:
    """``LAKEBOX_MASTER_KEY`` when set, else the key file, created (mode 0600) on first use."""
    configured = settings.LAKEBOX_MASTER_KEY.get()
    if configured is not None:
        return configured
    try:
        return base64.b64decode(key_file.read_text().strip())
    except FileNotFoundError:
        key = new_master_key()
        try:
            with open(key_file, "x"):  # exclusive: two processes creating it at once keep the first key
                pass
        except FileExistsError:
            return base64.b64decode(key_file.read_text().strip())
        write_private(key_file, key + "\n")
        return base64.b64decode(key)


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class SecretCipher:
    """Seals and opens values with one master key; ``key_id`` identifies the key without revealing it."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = hmac.new(key, b"lakebox-vault-key-id", hashlib.sha256).hexdigest()[:16]

    def seal(self, plaintext: str, slot: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        return Sealed(self.key_id, nonce, self._aead.encrypt(nonce, plaintext.encode(), slot.encode()))

    def open(self, sealed: Sealed, slot: str) -> str:
        if sealed.key_id != self.key_id:
            raise LakeboxError(
                f"secret {slot} was encrypted with master key {sealed.key_id}, but this server has key "
                f"{self.key_id}; start it with the LAKEBOX_MASTER_KEY (or .lakebox/master.key) that wrote it"
            )
        try:
            return self._aead.decrypt(sealed.nonce, sealed.ciphertext, slot.encode()).decode()
        except InvalidTag as exc:
            raise LakeboxError(f"secret {slot} failed its integrity check: the stored ciphertext was altered") from exc
