"""Webhook signing secrets: generated, encrypted at rest, decrypted only to sign or to reveal.

A secret must be used to sign, so it cannot be hashed. It is stored sealed with AES-256-GCM under
a key derived from the server secret for this purpose only; the associated data binds each
ciphertext to its endpoint, so a sealed secret copied to another endpoint's row fails to open.
Stored form: ``b"\\x01" + 12-byte nonce + ciphertext-and-tag``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
_VERSION = b"\x01"
_NONCE_BYTES = 12


def new_signing_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: the base64-decoded part after the prefix."""
    body = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(body)


class SecretUnreadable(Exception):
    """A stored secret did not decrypt: another server secret, or a tampered row."""


class SecretBox:
    """Seals and opens signing secrets with a key derived from the server secret."""

    def __init__(self, server_secret: bytes) -> None:
        key = hmac.new(server_secret, b"webhook-signing-secret", hashlib.sha256).digest()
        self._aead = AESGCM(key)

    def seal(self, endpoint_id: str, secret: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, secret.encode(), endpoint_id.encode())

    def open(self, endpoint_id: str, sealed: bytes) -> str:
        if len(sealed) <= 1 + _NONCE_BYTES or sealed[:1] != _VERSION:
            raise SecretUnreadable("unknown sealed-secret format")
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES :], endpoint_id.encode())
        except InvalidTag:
            raise SecretUnreadable("the secret does not decrypt with this server key") from None
        return plain.decode()
