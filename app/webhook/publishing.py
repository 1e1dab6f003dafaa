"""Platform events: ``POST /internal/events`` publishes through here (Idempotency-Key kept on
the event row, so a retried publish is answered with the first event, not a second one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.actor import Actor
from app.errors import BadUserInput, Conflict, NotFound, excerpt
from app.idempotency import check_idempotency_key
from app.webhook.access import WebhookAccess
from app.webhook.models import WebhookEvent

# Events Portico publishes about itself: a platform publishing them would let a receiver take a
# forged api_key.revoked or webhook_endpoint.disabled for Portico's own word.
PORTICO_FAMILIES = ("api_key", "webhook_endpoint")
MAX_PUBLISH_IDEMPOTENCY_KEY = 200  # stored as "publish:" + key in a 255-character column


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class PublishedSummary:
    event: WebhookEvent
    deliveries: int
    replayed: bool


class PlatformEvents(WebhookAccess):
    # Platform events (POST /internal/events) -------------------------------------------------

    async def publish_event(
        self,
        entity_id: str,
        mode: str,
        event_type: str,
        data: Any,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> PublishedSummary:
        """Publish one event for the platform; a repeated ``idempotency_key`` with the same
        request answers the first event (``replayed``), with another request is refused."""
        stored_key = None
        if idempotency_key is not None:
            check_idempotency_key(idempotency_key, MAX_PUBLISH_IDEMPOTENCY_KEY)
            stored_key = f"publish:{idempotency_key}"
            found = await self._published(entity_id, stored_key, request_hash)
            if found is not None:
                return found
        if event_type.partition(".")[0] in PORTICO_FAMILIES:
            raise BadUserInput(
                f"Event type '{excerpt(event_type)}' is Portico's own: only Portico publishes "
                f"{', '.join(f + '.*' for f in PORTICO_FAMILIES)} events",
                field="type",
            )
        self.catalog.validate(event_type, data)
        try:
            async with self.uow.writer(Actor.system("platform")) as uow:
                if await uow.tenancy.entity(entity_id) is None:
                    raise NotFound("Entity not found", field="entity_id")
                published = await self.outbox.write(
                    uow.session,
                    entity_id,
                    mode,
                    event_type,
                    data,
                    idempotency_key=stored_key,
                    request_hash=request_hash,
                )
                uow.after_commit(self.wake.notify)
        except IntegrityError:
            if stored_key is None:
                raise
            found = await self._published(entity_id, stored_key, request_hash)
            if found is None:
                raise
            return found
        return PublishedSummary(published.event, len(published.deliveries), replayed=False)

    async def _published(
        self, entity_id: str, stored_key: str, request_hash: str | None
    ) -> PublishedSummary | None:
        async with self.uow.reader() as uow:
            event = await uow.webhook_events.by_idempotency_key(entity_id, stored_key)
            if event is None:
                return None
            if event.request_hash != request_hash:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used with a different request",
                    field="Idempotency-Key",
                )
            count = await uow.webhook_events.delivery_count(event.id)
        return PublishedSummary(event, count, replayed=True)
