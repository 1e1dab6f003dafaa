"""Webhook use cases on deliveries: the list with its attempts, test events, retry, replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.errors import BadUserInput, NotFound
from app.pagination import Page, decode_cursor, page_size
from app.uow import UnitOfWork
from app.webhook import policy
from app.webhook.access import Caller, WebhookAccess
from app.webhook.models import (
    DeliveryKind,
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhook.repository.events import DeliveryQuery, EventRepository

# Display statuses (GraphQL WebhookDeliveryStatus)
PENDING, HELD, SUCCEEDED, FAILED = "PENDING", "HELD", "SUCCEEDED", "FAILED"


class EndpointNotActive(BadUserInput):
    """A test event to a paused or disabled endpoint: BAD_USER_INPUT in GraphQL, with
    ``extensions.reason`` ``endpoint_not_active``."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message, reason="endpoint_not_active", **extra)


def display_status(delivery: WebhookDelivery, endpoint_status: str) -> str:
    if delivery.status == DeliveryStatus.SUCCEEDED:
        return SUCCEEDED
    if delivery.status == DeliveryStatus.FAILED:
        return FAILED
    return PENDING if endpoint_status == EndpointStatus.ACTIVE else HELD


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    statuses: frozenset[str] = frozenset()  # display statuses; empty: all
    event_types: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDelivery
    status: str  # display status
    payload: str
    attempts: list[WebhookAttempt] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.delivery.id


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    page: Page[DeliveryView]
    total: int


def _stored(statuses: frozenset[str], endpoint_status: str) -> tuple[str, ...] | None:
    """Stored statuses for the display ones (None: nothing can match)."""
    if not statuses:
        return ()
    active = endpoint_status == EndpointStatus.ACTIVE
    stored = []
    if (PENDING in statuses and active) or (HELD in statuses and not active):
        stored.append(DeliveryStatus.PENDING.value)
    if SUCCEEDED in statuses:
        stored.append(DeliveryStatus.SUCCEEDED.value)
    if FAILED in statuses:
        stored.append(DeliveryStatus.FAILED.value)
    return tuple(stored) or None


class DeliveryUseCases(WebhookAccess):
    async def list_deliveries(
        self,
        caller: Caller,
        endpoint_id: str,
        filters: DeliveryFilter,
        *,
        first: int | None = None,
        after: str | None = None,
    ) -> DeliveryPage:
        """Newest first, with their payloads and attempts: four queries whatever the page size."""
        limit = page_size(first)
        before = decode_cursor(after, "webhook_deliveries")
        async with self._reader(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            stored = _stored(filters.statuses, endpoint.status)
            if stored is None:
                return DeliveryPage(Page([], False), 0)
            query = DeliveryQuery(
                statuses=stored,
                event_types=filters.event_types,
                created_from=filters.created_from,
                created_to=filters.created_to,
            )
            events = uow.webhook_events
            rows = list(await events.deliveries(endpoint.id, query, limit=limit + 1, before=before))
            total = await events.count_deliveries(endpoint.id, query)
            visible = rows[:limit]
            views = await self._views(uow.webhook_events, visible, endpoint)
        page = Page.from_rows(views, limit, "id", "webhook_deliveries")
        return DeliveryPage(Page(page.items, len(rows) > limit), total)

    async def _views(
        self, events: EventRepository, rows: Sequence[WebhookDelivery], endpoint: WebhookEndpoint
    ) -> list[DeliveryView]:
        ids = [r.id for r in rows]
        attempts = await events.attempts(ids)
        payloads = await events.events([r.event_id for r in rows])
        return [
            DeliveryView(
                r,
                display_status(r, endpoint.status),
                payloads[r.event_id].payload if r.event_id in payloads else "",
                attempts.get(r.id, []),
            )
            for r in rows
        ]

    async def get_delivery(self, caller: Caller, delivery_id: str) -> DeliveryView:
        async with self._reader(caller) as uow:
            delivery, endpoint = await self._delivery(uow, caller, delivery_id)
            (view,) = await self._views(uow.webhook_events, [delivery], endpoint)
        return view

    async def _delivery(
        self, uow: UnitOfWork, caller: Caller, delivery_id: str
    ) -> tuple[WebhookDelivery, WebhookEndpoint]:
        delivery = await uow.webhook_events.delivery(delivery_id)
        if delivery is None:
            raise NotFound("Webhook delivery not found", field="deliveryId")
        try:
            endpoint = await self._endpoint(uow, caller, delivery.endpoint_id, "deliveryId")
        except NotFound:
            raise NotFound("Webhook delivery not found", field="deliveryId") from None
        return delivery, endpoint

    # Writes ---------------------------------------------------------------------------------

    async def send_test_event(
        self, caller: Caller, endpoint_id: str, event_type: str, data: Any | None = None
    ) -> DeliveryView:
        """A new event of ``event_type`` (``data`` or the catalog's example), validated, with
        one TEST delivery to this endpoint only."""
        found = self.catalog.require(event_type, "eventType")
        payload = found.example if data is None else data
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            if endpoint.status != EndpointStatus.ACTIVE:
                state = "paused" if endpoint.status == EndpointStatus.PAUSED else "disabled"
                raise EndpointNotActive(
                    f"This endpoint is {state}: resume it before sending a test event",
                    field="endpointId",
                )
            published = await self.outbox.write(
                uow.session,
                endpoint.entity_id,
                endpoint.mode,
                event_type,
                payload,
                endpoint=endpoint,
                kind=DeliveryKind.TEST,
            )
            (delivery,) = published.deliveries
            await self._audit_delivery(
                uow, "webhook_endpoint.test_sent", endpoint, delivery, {"event_type": event_type}
            )
            uow.after_commit(self.wake.notify)
        return DeliveryView(delivery, PENDING, published.event.payload, [])

    async def retry_delivery(self, caller: Caller, delivery_id: str) -> DeliveryView:
        """A finished delivery: a new REPLAY delivery of the same event, due now; a pending
        one: due now."""
        async with self._writer(caller) as uow:
            delivery, endpoint = await self._delivery(uow, caller, delivery_id)
            now = uow.now()
            if delivery.status == DeliveryStatus.PENDING:
                delivery.next_attempt_at = now
                await uow.webhook_events.update_delivery(delivery)
                target = delivery
            else:
                target = WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=delivery.event_id,
                    entity_id=delivery.entity_id,
                    event_type=delivery.event_type,
                    kind=DeliveryKind.REPLAY,
                    next_attempt_at=now,
                    created_at=now,
                )
                await uow.webhook_events.add(target)
            await self._audit_delivery(
                uow, "webhook_delivery.retried", endpoint, target, {"of_delivery_id": delivery.id}
            )
            uow.after_commit(self.wake.notify)
            (view,) = await self._views(uow.webhook_events, [target], endpoint)
        return view

    async def replay_events(
        self,
        caller: Caller,
        endpoint_id: str,
        start: datetime,
        end: datetime | None = None,
        *,
        only_failed: bool = True,
        event_types: Sequence[str] = (),
    ) -> int:
        """A REPLAY delivery for each event of the endpoint in [start, end] (at most 31 days
        and 10,000 deliveries); ``only_failed``: events whose latest delivery FAILED."""
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            now = uow.now()
            stop = end or now
            if stop < start:
                raise BadUserInput("'to' must not be before 'from'", field="to")
            if stop - start > policy.MAX_REPLAY_WINDOW:
                raise BadUserInput("Replay at most 31 days at a time", field="from")
            event_ids = await uow.webhook_events.replay_candidates(
                endpoint.id,
                start,
                stop,
                only_failed=only_failed,
                event_types=list(event_types),
                limit=policy.MAX_REPLAY_DELIVERIES + 1,
            )
            if len(event_ids) > policy.MAX_REPLAY_DELIVERIES:
                raise BadUserInput(
                    f"More than {policy.MAX_REPLAY_DELIVERIES} deliveries: narrow the time range",
                    field="from",
                )
            events = await uow.webhook_events.events(event_ids)
            rows = [
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=event_id,
                    entity_id=endpoint.entity_id,
                    event_type=events[event_id].type,
                    kind=DeliveryKind.REPLAY,
                    next_attempt_at=now,
                    created_at=now,
                )
                for event_id in event_ids
            ]
            if rows:
                await uow.webhook_events.add(*rows)
            await uow.audit(
                "webhook_endpoint.replayed",
                entity_id=endpoint.entity_id,
                target_type="webhook_endpoint",
                target_id=endpoint.id,
                details={
                    "from": start.isoformat(),
                    "to": stop.isoformat(),
                    "only_failed": only_failed,
                    "event_types": list(event_types),
                    "count": len(rows),
                },
            )
            uow.after_commit(self.wake.notify)
        return len(rows)

    async def _audit_delivery(
        self,
        uow: UnitOfWork,
        action: str,
        endpoint: WebhookEndpoint,
        delivery: WebhookDelivery,
        details: dict[str, object],
    ) -> None:
        await uow.audit(
            action,
            entity_id=endpoint.entity_id,
            target_type="webhook_delivery",
            target_id=delivery.id,
            details={"endpoint_id": endpoint.id, "event_id": delivery.event_id, **details},
        )
