"""The audit hash chain: each event's digest covers its content and the previous digest."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from app.models import AuditEvent

GLOBAL_CHAIN = "portal"  # sign-ins and platform-wide actions that belong to no entity
GENESIS = "0" * 64

# What each digest covers (with ``created_at``, ISO 8601 with microseconds): the NDJSON audit
# export carries exactly these, and scripts/verify_audit_export.py recomputes them.
DIGESTED_FIELDS = (
    "id",
    "chain",
    "seq",
    "entity_id",
    "actor_user_id",
    "actor_email",
    "impersonator_user_id",
    "impersonator_email",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
    "prev_digest",
)


def chain_for(entity_id: str | None) -> str:
    return entity_id or GLOBAL_CHAIN


def event_content(event: AuditEvent) -> dict[str, Any]:
    """Everything the event's digest covers, as JSON values."""
    content: dict[str, Any] = {name: getattr(event, name) for name in DIGESTED_FIELDS}
    content["created_at"] = event.created_at.isoformat(timespec="microseconds")
    return content


def sign(key: bytes, content: dict[str, Any]) -> str:
    """HMAC-SHA256 over the canonical JSON of ``content`` (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def event_digest(key: bytes, event: AuditEvent) -> str:
    return sign(key, event_content(event))
