"""API keys in webhook events (``api_key.*``): what an event says of a key (never its secret or
digest), and the daily ``api_key.expiring`` notice, published once per key."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from app.actor import Actor
from app.models import ApiKey
from app.uow import OutboxMessage, UnitOfWork, UnitOfWorkFactory

EXPIRING_NOTICE = timedelta(days=14)


def expiring_key(key_id: str) -> str:
    return f"api_key.expiring:{key_id}"


def event_data(key: ApiKey) -> dict[str, object]:
    """A key in webhook events (``api_key.*``): never its secret or digest."""
    return {
        "id": key.id,
        "name": key.name,
        "mode": key.mode,
        "start": key.start,
        "scopes": list(key.scopes),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
    }


def publish_key_event(
    uow: UnitOfWork,
    event_type: str,
    key: ApiKey,
    *,
    idempotency_key: str | None = None,
    **extra: object,
) -> None:
    data = {**event_data(key), **extra}
    uow.publish(
        OutboxMessage(event_type, key.entity_id, data, key.mode, idempotency_key=idempotency_key)
    )


async def publish_expiring(factory: UnitOfWorkFactory, within: timedelta = EXPIRING_NOTICE) -> int:
    """Publish ``api_key.expiring`` once per active key expiring within ``within``: the event
    carries the idempotency key ``api_key.expiring:<key id>``, so a second run, another day
    or another worker never sends it twice (the loser's commit hits the unique constraint)."""
    now = factory.clock.now()
    async with factory.reader() as uow:
        keys = await uow.api_keys.expiring_between(now, now + within)
        done = await uow.webhook_events.existing_idempotency_keys(
            [expiring_key(k.id) for k in keys]
        )
    published = 0
    for key in keys:
        notice = expiring_key(key.id)
        if notice in done:
            continue
        try:
            async with factory.writer(Actor.system("api_key_expiry")) as uow:
                publish_key_event(uow, "api_key.expiring", key, idempotency_key=notice)
        except IntegrityError:
            continue  # published meanwhile by another worker
        published += 1
    return published
