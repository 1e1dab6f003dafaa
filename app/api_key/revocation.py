"""The one revoke step: what revoking a key does, whoever revokes it.

The key service's ``revoke_key``, its ``cleanup_keys`` and the leaked-key intake
(app/api_key/leaks.py) all revoke through ``revoke``: the key's state changes, the
``api_key.revoked`` audit row (unless the caller records the revocation in its own row) and
outbox event are written in the caller's unit of work, and the key is invalidated in every
replica's cache once that unit of work commits. What differs between callers is spelled out in
a ``Revocation``. Also here: how a key appears in audit rows (``summary``, ``audit_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.api_key.invalidation import InvalidationBus
from app.api_key.notices import publish_key_event
from app.models import ApiKey
from app.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Revocation:
    """Who revokes a key, when, and how the audit log records it."""

    at: datetime
    by_user_id: str | None  # None: the system (the leaked-key intake)
    reason: str | None = None  # added to the audit row's details ("cleanup")
    # False: the caller's own audit row records the revocation (the intake's api_key.leaked)
    audited: bool = True


async def revoke(
    uow: UnitOfWork, bus: InvalidationBus, key: ApiKey, revocation: Revocation
) -> None:
    """Revoke ``key`` (not yet revoked) in ``uow``: immediate and final once it commits."""
    assert key.revoked_at is None, "a key is revoked once"
    key.revoked_at = revocation.at
    key.revoked_by_user_id = revocation.by_user_id
    await uow.api_keys.add(key)
    if revocation.audited:
        details = summary(key)
        if revocation.reason is not None:
            details["reason"] = revocation.reason
        await audit_key(uow, "api_key.revoked", key, details)
    publish_key_event(uow, "api_key.revoked", key)
    bus.after_commit(uow, key.digest)


async def audit_key(uow: UnitOfWork, action: str, key: ApiKey, details: dict[str, object]) -> None:
    await uow.audit(
        action,
        entity_id=key.entity_id,
        target_type="api_key",
        target_id=key.id,
        details=details,
    )


def summary(key: ApiKey) -> dict[str, object]:
    """A key in audit events (never its secret or digest)."""
    return {
        "name": key.name,
        "description": key.description,
        "mode": key.mode,
        "start": key.start,
        "scopes": list(key.scopes),
        "ip_allowlist": list(key.ip_allowlist),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "justification": key.justification,
        "rate_limit_per_second": key.rate_limit_per_second,
        "rate_limit_burst": key.rate_limit_burst,
    }
