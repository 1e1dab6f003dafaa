"""The webhook outbox writer: what ``UnitOfWorkFactory(outbox=...)`` calls at commit time.

``uow.publish(OutboxMessage(topic=<event type>, entity_id, payload=<data>, mode))`` collects a
message; just before the commit the factory hands the messages to ``WebhookOutbox``, which
validates each ``data`` against the catalog (``BadUserInput`` naming the failing path: the whole
transaction rolls back), inserts the event (its envelope is the exact body every attempt signs)
and one pending delivery, due now, per endpoint of the same entity and mode subscribed to the
type, its family or ``*`` (paused and disabled endpoints included: their deliveries are held).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.clock import Clock
from app.errors import BadUserInput
from app.uow import OutboxMessage
from app.webhook.catalog import WebhookCatalog, matches
from app.webhook.models import DeliveryKind, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhook.repository.endpoints import EndpointRepository
from app.webhook.repository.events import EventRepository

MODES = ("live", "test")


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    event: WebhookEvent
    deliveries: list[WebhookDelivery]


def envelope(
    event_id: str, event_type: str, at: datetime, entity_id: str, mode: str, data: Any
) -> str:
    """The event's JSON body, exactly as signed and sent on every attempt."""
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "entity_id": entity_id,
            "mode": mode,
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


class WebhookOutbox:
    def __init__(self, catalog: WebhookCatalog, clock: Clock) -> None:
        self.catalog = catalog
        self.clock = clock

    async def __call__(self, session: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            if message.entity_id is None or message.mode is None:
                raise ValueError(f"webhook event {message.topic!r} needs an entity and a mode")
            await self.write(
                session,
                message.entity_id,
                message.mode,
                message.topic,
                message.payload,
                idempotency_key=message.idempotency_key,
            )

    async def write(
        self,
        session: AsyncSession,
        entity_id: str,
        mode: str,
        event_type: str,
        data: Any,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        endpoint: WebhookEndpoint | None = None,
        kind: DeliveryKind = DeliveryKind.EVENT,
    ) -> PublishedEvent:
        """Insert the event and its deliveries; ``endpoint`` given: to that endpoint only (a
        test event), else to every matching endpoint of the entity and mode."""
        if mode not in MODES:
            raise BadUserInput("mode must be 'live' or 'test'", field="mode")
        self.catalog.validate(event_type, data)
        now = self.clock.now()
        event = WebhookEvent(
            entity_id=entity_id,
            mode=mode,
            type=event_type,
            payload="",
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            created_at=now,
        )
        event.payload = envelope(event.id, event_type, now, entity_id, mode, data)
        if endpoint is not None:
            targets: Sequence[WebhookEndpoint] = [endpoint]
        else:
            candidates = await EndpointRepository(session).of_entity_mode(entity_id, mode)
            targets = [e for e in candidates if matches(e.event_types, event_type)]
        deliveries = [
            WebhookDelivery(
                endpoint_id=target.id,
                event_id=event.id,
                entity_id=entity_id,
                event_type=event_type,
                kind=kind,
                next_attempt_at=now,
                created_at=now,
            )
            for target in targets
        ]
        events = EventRepository(session)
        await events.add(event)
        if deliveries:
            await events.add(*deliveries)
        return PublishedEvent(event, deliveries)
