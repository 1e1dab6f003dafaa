"""All SQL for webhook endpoints and their sealed signing secrets."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.webhook.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)


class EndpointRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: WebhookEndpoint | WebhookSecret) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return await self.session.get(WebhookEndpoint, endpoint_id)

    async def delete(self, endpoint: WebhookEndpoint) -> None:
        # Deliveries and attempts carry no foreign key to the endpoint's attempts: delete in order.
        await self.session.exec(
            sa.delete(WebhookAttempt).where(col(WebhookAttempt.endpoint_id) == endpoint.id)
        )
        await self.session.exec(
            sa.delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
        )
        await self.session.exec(
            sa.delete(WebhookSecret).where(col(WebhookSecret.endpoint_id) == endpoint.id)
        )
        await self.session.delete(endpoint)
        await self.session.flush()

    async def list(
        self,
        entity_id: str,
        *,
        mode: str | None,
        statuses: Sequence[str],
        limit: int,
        before: str | None,
    ) -> Sequence[WebhookEndpoint]:
        query = self._filtered(entity_id, mode, statuses)
        if before:
            query = query.where(col(WebhookEndpoint.id) < before)
        query = query.order_by(col(WebhookEndpoint.id).desc()).limit(limit)
        return (await self.session.exec(query)).all()

    async def count(self, entity_id: str, *, mode: str | None, statuses: Sequence[str]) -> int:
        query = self._filtered(entity_id, mode, statuses).subquery()
        result = await self.session.exec(select(sa.func.count()).select_from(query))
        return int(result.one())

    def _filtered(
        self, entity_id: str, mode: str | None, statuses: Sequence[str]
    ) -> SelectOfScalar[WebhookEndpoint]:
        query = select(WebhookEndpoint).where(WebhookEndpoint.entity_id == entity_id)
        if mode:
            query = query.where(WebhookEndpoint.mode == mode)
        if statuses:
            query = query.where(col(WebhookEndpoint.status).in_(list(statuses)))
        return query

    async def of_entity_mode(self, entity_id: str, mode: str) -> Sequence[WebhookEndpoint]:
        """Every endpoint of the entity in that mode (the outbox fan-out filters subscriptions)."""
        result = await self.session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.entity_id == entity_id,
                WebhookEndpoint.mode == mode,
                col(WebhookEndpoint.status).in_(
                    [EndpointStatus.ACTIVE, EndpointStatus.PAUSED, EndpointStatus.DISABLED]
                ),
            )
        )
        return result.all()

    # Secrets --------------------------------------------------------------------------------

    async def valid_secrets(
        self, endpoint_ids: Sequence[str], now: datetime
    ) -> dict[str, builtins.list[WebhookSecret]]:
        """Secrets that still sign (no expiry or expiring later), newest first, by endpoint."""
        found: dict[str, builtins.list[WebhookSecret]] = {i: [] for i in endpoint_ids}
        if not endpoint_ids:
            return found
        result = await self.session.exec(
            select(WebhookSecret)
            .where(
                col(WebhookSecret.endpoint_id).in_(list(endpoint_ids)),
                sa.or_(
                    col(WebhookSecret.expires_at).is_(None), col(WebhookSecret.expires_at) > now
                ),
            )
            .order_by(col(WebhookSecret.created_at).desc(), col(WebhookSecret.id).desc())
        )
        for row in result.all():
            found[row.endpoint_id].append(row)
        return found

    async def newest_secret(self, endpoint_id: str) -> WebhookSecret | None:
        result = await self.session.exec(
            select(WebhookSecret)
            .where(WebhookSecret.endpoint_id == endpoint_id)
            .order_by(col(WebhookSecret.created_at).desc(), col(WebhookSecret.id).desc())
            .limit(1)
        )
        return result.first()

    async def expire_other_secrets(
        self, endpoint_id: str, keep_id: str, now: datetime, expires_at: datetime
    ) -> None:
        """Every other secret still valid after ``expires_at`` now expires then (rotation)."""
        await self.session.exec(
            sa.update(WebhookSecret)
            .where(
                col(WebhookSecret.endpoint_id) == endpoint_id,
                col(WebhookSecret.id) != keep_id,
                sa.or_(
                    col(WebhookSecret.expires_at).is_(None),
                    col(WebhookSecret.expires_at) > expires_at,
                ),
            )
            .values(expires_at=expires_at)
        )
        await self.session.flush()

    # Figures for display --------------------------------------------------------------------

    async def delivery_counts(self, endpoint_ids: Sequence[str]) -> dict[str, int]:
        """Pending deliveries by endpoint (held or due, as the endpoint's status says)."""
        if not endpoint_ids:
            return {}
        result = await self.session.exec(
            select(WebhookDelivery.endpoint_id, sa.func.count())
            .where(
                col(WebhookDelivery.endpoint_id).in_(list(endpoint_ids)),
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .group_by(col(WebhookDelivery.endpoint_id))
        )
        return {endpoint_id: int(n) for endpoint_id, n in result.all()}

    async def last_delivery_at(self, endpoint_ids: Sequence[str]) -> dict[str, datetime]:
        if not endpoint_ids:
            return {}
        result = await self.session.exec(
            select(WebhookAttempt.endpoint_id, sa.func.max(WebhookAttempt.attempted_at))
            .where(col(WebhookAttempt.endpoint_id).in_(list(endpoint_ids)))
            .group_by(col(WebhookAttempt.endpoint_id))
        )
        return {endpoint_id: at for endpoint_id, at in result.all() if at is not None}

    async def attempt_stats(
        self, endpoint_ids: Sequence[str], since: datetime
    ) -> dict[str, tuple[int, int]]:
        """(attempts, succeeded) since ``since`` by endpoint."""
        if not endpoint_ids:
            return {}
        succeeded = sa.func.sum(sa.case((col(WebhookAttempt.succeeded), 1), else_=0))
        result = await self.session.exec(
            select(WebhookAttempt.endpoint_id, sa.func.count(), succeeded)
            .where(
                col(WebhookAttempt.endpoint_id).in_(list(endpoint_ids)),
                col(WebhookAttempt.attempted_at) >= since,
            )
            .group_by(col(WebhookAttempt.endpoint_id))
        )
        return {e: (int(n), int(ok or 0)) for e, n, ok in result.all()}
