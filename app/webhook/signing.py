"""Standard Webhooks signatures (REFERENCE.md): ``v1,`` + base64 HMAC-SHA256 of
``{webhook_id}.{timestamp}.{body}`` under each valid secret, space-separated."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from app.webhook.secrets import secret_key_bytes

USER_AGENT = "Portico-Webhooks/1.0 (+https://github.com/portico)"


_KEYS: dict[str, bytes] = {}  # secret -> its HMAC key (decoded once; never logged)
_KEYS_SIZE = 10_000


def _key(secret: str) -> bytes:
    key = _KEYS.get(secret)
    if key is None:
        key = secret_key_bytes(secret)
        if len(_KEYS) >= _KEYS_SIZE:
            _KEYS.clear()
        _KEYS[secret] = key
    return key


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature entry."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.digest(_key(secret), content, hashlib.sha256)
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one entry per valid secret (rotation grace)."""
    return " ".join(sign(s, webhook_id, timestamp, body) for s in secrets)


def delivery_headers(
    secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Every header of an attempt (the signature included), as sent and as recorded."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, webhook_id, timestamp, body),
    }
