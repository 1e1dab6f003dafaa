"""Standard Webhooks signatures (REFERENCE.md): ``v1,`` + base64 HMAC-SHA256 of
``{webhook_id}.{timestamp}.{body}`` under each valid secret, space-separated."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from app.webhook.secrets import secret_key_bytes

USER_AGENT = "Portico-Webhooks/1.0 (+https://github.com/portico)"


_BLOCK = 64  # SHA-256's block size (RFC 2104)
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))

Pads = tuple["hashlib._Hash", "hashlib._Hash"]
_PADS: dict[str, Pads] = {}  # secret -> its HMAC's keyed inner and outer states (never logged)
_PADS_SIZE = 10_000


def hmac_pads(key: bytes) -> Pads:
    """HMAC-SHA256 of ``key`` up to its message: the inner and outer hashes with the padded key
    already absorbed (RFC 2104). Copying them costs far less than ``hmac.digest``, which sets
    OpenSSL's MAC up again for every message; the result is the same bytes."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))


def _pads(secret: str) -> Pads:
    pads = _PADS.get(secret)
    if pads is None:
        pads = hmac_pads(secret_key_bytes(secret))
        if len(_PADS) >= _PADS_SIZE:
            _PADS.clear()
        _PADS[secret] = pads
    return pads


def hmac_sha256(pads: Pads, *parts: bytes) -> bytes:
    """HMAC-SHA256 of the concatenated ``parts`` under the key ``pads`` was made from."""
    inner = pads[0].copy()
    for part in parts:
        inner.update(part)
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.digest()


def signed_digest(pads: Pads, webhook_id: str, timestamp: int | str, body: bytes) -> bytes:
    """The HMAC-SHA256 that Standard Webhooks signs: ``{webhook_id}.{timestamp}.{body}``."""
    return hmac_sha256(pads, f"{webhook_id}.{timestamp}.".encode(), body)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature entry."""
    digest = signed_digest(_pads(secret), webhook_id, timestamp, body)
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
