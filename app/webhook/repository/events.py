"""All SQL for webhook events and their deliveries as the outbox writes them and the portal
reads them (the workers' claim and completion live in ``dispatch``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.models import UTCDateTime
from app.webhook.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    """Deliveries of one endpoint. ``held``/``due``: pending ones, told apart by the endpoint's
    status (the caller knows it); ``statuses``: stored statuses."""

    statuses: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: WebhookEvent | WebhookDelivery) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def event(self, event_id: str) -> WebhookEvent | None:
        return await self.session.get(WebhookEvent, event_id)

    async def events(self, ids: Sequence[str]) -> dict[str, WebhookEvent]:
        if not ids:
            return {}
        result = await self.session.exec(
            select(WebhookEvent).where(col(WebhookEvent.id).in_(list(set(ids))))
        )
        return {row.id: row for row in result.all()}

    async def by_idempotency_key(self, entity_id: str, key: str) -> WebhookEvent | None:
        result = await self.session.exec(
            select(WebhookEvent).where(
                WebhookEvent.entity_id == entity_id, WebhookEvent.idempotency_key == key
            )
        )
        return result.first()

    async def existing_idempotency_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` some event of any entity already carries."""
        if not keys:
            return set()
        result = await self.session.exec(
            select(WebhookEvent.idempotency_key).where(
                col(WebhookEvent.idempotency_key).in_(list(keys))
            )
        )
        return {k for k in result.all() if k is not None}

    async def delivery_count(self, event_id: str) -> int:
        result = await self.session.exec(
            select(sa.func.count()).where(col(WebhookDelivery.event_id) == event_id)
        )
        return int(result.one())

    async def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return await self.session.get(WebhookDelivery, delivery_id)

    async def update_delivery(self, delivery: WebhookDelivery) -> None:
        self.session.add(delivery)
        await self.session.flush()

    async def deliveries(
        self, endpoint_id: str, query: DeliveryQuery, *, limit: int, before: str | None
    ) -> Sequence[WebhookDelivery]:
        statement = self._deliveries(endpoint_id, query)
        if before:
            statement = statement.where(col(WebhookDelivery.id) < before)
        statement = statement.order_by(col(WebhookDelivery.id).desc()).limit(limit)
        return (await self.session.exec(statement)).all()

    async def count_deliveries(self, endpoint_id: str, query: DeliveryQuery) -> int:
        sub = self._deliveries(endpoint_id, query).subquery()
        return int((await self.session.exec(select(sa.func.count()).select_from(sub))).one())

    def _deliveries(
        self, endpoint_id: str, query: DeliveryQuery
    ) -> SelectOfScalar[WebhookDelivery]:
        statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if query.statuses:
            statement = statement.where(col(WebhookDelivery.status).in_(list(query.statuses)))
        if query.event_types:
            statement = statement.where(
                col(WebhookDelivery.event_type).in_(list(query.event_types))
            )
        if query.created_from is not None:
            statement = statement.where(col(WebhookDelivery.created_at) >= query.created_from)
        if query.created_to is not None:
            statement = statement.where(col(WebhookDelivery.created_at) <= query.created_to)
        return statement

    async def attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[WebhookAttempt]]:
        """Attempts of many deliveries in one query, oldest first."""
        found: dict[str, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
        if not delivery_ids:
            return found
        result = await self.session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(list(delivery_ids)))
            .order_by(col(WebhookAttempt.attempted_at), col(WebhookAttempt.id))
        )
        for row in result.all():
            found[row.delivery_id].append(row)
        return found

    async def replay_candidates(
        self,
        endpoint_id: str,
        start: datetime,
        end: datetime,
        *,
        only_failed: bool,
        event_types: Sequence[str],
        limit: int,
    ) -> list[str]:
        """Event ids delivered to the endpoint in [start, end]; ``only_failed``: those whose
        latest delivery to it FAILED. Oldest first, at most ``limit``."""
        latest = (
            select(
                WebhookDelivery.event_id,
                WebhookDelivery.status,
                sa.func.row_number()
                .over(
                    partition_by=col(WebhookDelivery.event_id),
                    order_by=(
                        col(WebhookDelivery.created_at).desc(),
                        col(WebhookDelivery.id).desc(),
                    ),
                )
                .label("rank"),
            )
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .subquery()
        )
        statement = (
            select(WebhookEvent.id)
            .join(latest, latest.c.event_id == col(WebhookEvent.id))
            .where(
                latest.c.rank == 1,
                col(WebhookEvent.created_at) >= start,
                col(WebhookEvent.created_at) <= end,
            )
        )
        if only_failed:
            statement = statement.where(latest.c.status == DeliveryStatus.FAILED)
        if event_types:
            statement = statement.where(col(WebhookEvent.type).in_(list(event_types)))
        statement = statement.order_by(col(WebhookEvent.created_at), col(WebhookEvent.id)).limit(
            limit
        )
        return list((await self.session.exec(statement)).all())


async def queue_stats(
    session: AsyncSession, now: datetime, entity_id: str | None = None
) -> tuple[int, int, datetime | None]:
    """(due_count, held_count, oldest_due_at) of pending deliveries, for one entity or all.
    Due: pending, endpoint ACTIVE, next_attempt_at <= now; held: pending on a paused or
    disabled endpoint."""
    active = col(WebhookEndpoint.status) == EndpointStatus.ACTIVE
    due = sa.and_(active, col(WebhookDelivery.next_attempt_at) <= now)
    statement = (
        select(
            sa.func.sum(sa.case((due, 1), else_=0)),
            sa.func.sum(sa.case((active, 0), else_=1)),
            sa.func.min(
                sa.case((due, col(WebhookDelivery.next_attempt_at)), else_=None),
                type_=UTCDateTime(),
            ),
        )
        .select_from(WebhookDelivery)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING)
    )
    if entity_id is not None:
        statement = statement.where(WebhookDelivery.entity_id == entity_id)
    due_count, held_count, oldest = (await session.exec(statement)).one()
    return int(due_count or 0), int(held_count or 0), oldest
