"""All SQL of the insight domain (health views, the needs-attention ranking, the signature
debugger's reads). Key figures come from the rollups (by route, key and status); only a key's
error groups read raw rows, through ``ix_request_logs_key_errors`` (error rows only, bounded
to the key and the window). Endpoint figures read ``webhook_attempts`` by endpoint and time
(``ix_webhook_attempts_endpoint_time``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.insight.figures import (
    AttemptCounts,
    ErrorGroupRow,
    EventTypeCounts,
    FailureGroupRow,
    RouteCounts,
    StatusCounts,
)
from app.request_log.models import REQUEST_LOGS, ROLLUPS
from app.webhook.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSecret

Segment = tuple[int, int, int]  # tier, start_ms, end_ms (app/request_log/analytics.plan)
# literal, not a parameter: the partial index's predicate must be provable from the query
ERROR_STATUS: sa.ColumnElement[int] = sa.literal_column("400", sa.Integer)
GROUP_LIMIT = 20


def _status_columns(count: Any, status: Any, bucket: Any) -> list[Any]:
    return [
        sa.func.sum(count),
        sa.func.sum(sa.case((sa.and_(status >= 400, status < 500), count), else_=0)),
        sa.func.sum(sa.case((status == 429, count), else_=0)),
        sa.func.sum(sa.case((status >= 500, count), else_=0)),
        sa.func.max(sa.case((status == 429, bucket))),
    ]


def _status_counts(row: Sequence[Any]) -> StatusCounts:
    last = row[4]
    return StatusCounts(
        int(row[0] or 0),
        int(row[1] or 0),
        int(row[2] or 0),
        int(row[3] or 0),
        int(last) if last is not None else None,
    )


class KeyHealthRepository:
    """Rollup reads over the plan's segments (app/request_log/analytics.plan)."""

    def __init__(
        self, connection: AsyncConnection, entity_id: str, mode: str, segments: list[Segment]
    ) -> None:
        self.connection = connection
        self.entity_id = entity_id
        self.mode = mode
        r = ROLLUPS.c
        spans = [
            sa.and_(
                r.entity_id == entity_id,
                r.mode == mode,
                r.tier == tier,
                r.bucket_ms >= start,
                r.bucket_ms < end,
            )
            for tier, start, end in segments
        ]
        self._where: list[sa.ColumnElement[bool]] = [sa.or_(*spans) if spans else sa.false()]
        self._columns = _status_columns(r.count, r.status, r.bucket_ms)

    async def by_key(self, key_ids: Sequence[str] | None = None) -> dict[str, StatusCounts]:
        """Counts of each key (``None``: every key of the entity and mode with traffic)."""
        r = ROLLUPS.c
        where = [*self._where, r.api_key_id != ""]
        if key_ids is not None:
            where.append(r.api_key_id.in_(list(key_ids)))
        query = sa.select(r.api_key_id, *self._columns).where(*where).group_by(r.api_key_id)
        rows = (await self.connection.execute(query)).all()
        return {str(row[0]): _status_counts(row[1:]) for row in rows}

    async def routes(self, key_id: str, limit: int = 10) -> list[RouteCounts]:
        """The key's busiest routes, with their error and 429 counts."""
        r = ROLLUPS.c
        query = (
            sa.select(r.route, *self._columns)
            .where(*self._where, r.api_key_id == key_id)
            .group_by(r.route)
            .order_by(sa.func.sum(r.count).desc(), r.route)
            .limit(limit)
        )
        rows = (await self.connection.execute(query)).all()
        return [RouteCounts(str(row[0]), _status_counts(row[1:])) for row in rows]

    async def rate_limited_routes(self, key_id: str, limit: int = 10) -> list[RouteCounts]:
        """Routes where the key was answered 429, most refused first."""
        r = ROLLUPS.c
        query = (
            sa.select(r.route, *self._columns)
            .where(*self._where, r.api_key_id == key_id, r.status == 429)
            .group_by(r.route)
            .order_by(sa.func.sum(r.count).desc(), r.route)
            .limit(limit)
        )
        rows = (await self.connection.execute(query)).all()
        return [RouteCounts(str(row[0]), _status_counts(row[1:])) for row in rows]


def key_error_groups_query(
    entity_id: str, mode: str, key_id: str, since_ms: int, until_ms: int, limit: int = GROUP_LIMIT
) -> sa.Select[Any]:
    """The key's error requests in [since, until) grouped by status, code and route: count,
    last time and last request ID, the biggest ``limit`` groups. One read of the key's error
    rows in the window (``ix_request_logs_key_errors``), whatever the entity's other traffic."""
    t = REQUEST_LOGS.c
    code = sa.func.coalesce(t.error_code, "")
    partition = (t.status, code, t.route)
    inner = (
        sa.select(
            t.id,
            t.ts_ms,
            t.status,
            code.label("code"),
            t.route,
            sa.func.count().over(partition_by=partition).label("n"),
            sa.func.row_number()
            .over(partition_by=partition, order_by=(t.ts_ms.desc(), t.id.desc()))
            .label("rn"),
        )
        .where(
            t.entity_id == entity_id,
            t.mode == mode,
            t.api_key_id == key_id,
            t.ts_ms >= since_ms,
            t.ts_ms < until_ms,
            t.status >= ERROR_STATUS,
        )
        .subquery()
    )
    c = inner.c
    return (
        sa.select(c.status, c.code, c.route, c.n, c.ts_ms, c.id)
        .where(c.rn == 1)
        .order_by(c.n.desc(), c.ts_ms.desc(), c.id)
        .limit(limit)
    )


async def key_error_groups(
    connection: AsyncConnection,
    entity_id: str,
    mode: str,
    key_id: str,
    since_ms: int,
    until_ms: int,
    limit: int = GROUP_LIMIT,
) -> list[ErrorGroupRow]:
    query = key_error_groups_query(entity_id, mode, key_id, since_ms, until_ms, limit)
    rows = (await connection.execute(query)).all()
    return [
        ErrorGroupRow(int(s), str(code_), str(route), int(n), int(ts), str(i))
        for s, code_, route, n, ts, i in rows
    ]


class EndpointHealthRepository:
    """Attempt reads of endpoints over [since, until)."""

    def __init__(self, session: AsyncSession, since: datetime, until: datetime) -> None:
        self.session = session
        self.since = since
        self.until = until

    def _window(self) -> list[sa.ColumnElement[bool]]:
        return [
            col(WebhookAttempt.attempted_at) >= self.since,
            col(WebhookAttempt.attempted_at) < self.until,
        ]

    async def counts(self, endpoint_ids: Sequence[str]) -> dict[str, AttemptCounts]:
        if not endpoint_ids:
            return {}
        a = WebhookAttempt
        failed = ~col(a.succeeded)
        status = col(a.status_code)

        def when(condition: Any) -> Any:
            return sa.func.sum(sa.case((condition, 1), else_=0))

        query = (
            select(  # type: ignore[call-overload]
                a.endpoint_id,
                sa.func.count(sa.distinct(col(a.delivery_id))),
                sa.func.count(),
                when(failed),
                when(sa.and_(failed, status >= 400, status < 500, status != 429)),
                when(sa.and_(failed, status == 429)),
                when(sa.and_(failed, status >= 500)),
                when(sa.and_(failed, status.is_(None))),
            )
            .where(col(a.endpoint_id).in_(list(endpoint_ids)), *self._window())
            .group_by(col(a.endpoint_id))
        )
        rows = (await self.session.exec(query)).all()
        return {str(row[0]): AttemptCounts(*(int(v or 0) for v in row[1:])) for row in rows}

    async def event_types(self, endpoint_id: str, limit: int = 10) -> list[EventTypeCounts]:
        a, d = WebhookAttempt, WebhookDelivery
        failed = sa.func.sum(sa.case((~col(a.succeeded), 1), else_=0))
        query = (
            select(d.event_type, sa.func.count(), failed)
            .select_from(a)
            .join(d, col(d.id) == col(a.delivery_id))
            .where(col(a.endpoint_id) == endpoint_id, *self._window())
            .group_by(col(d.event_type))
            .order_by(sa.func.count().desc(), col(d.event_type))
            .limit(limit)
        )
        rows = (await self.session.exec(query)).all()
        return [EventTypeCounts(str(t), int(n), int(f or 0)) for t, n, f in rows]

    async def failure_groups(
        self, endpoint_id: str, limit: int = GROUP_LIMIT
    ) -> list[FailureGroupRow]:
        """Failed attempts grouped by event type, error class and status: count, last time,
        last delivery and attempt."""
        attempts, deliveries = _table(WebhookAttempt), _table(WebhookDelivery)
        a, d = attempts.c, deliveries.c
        error_class = sa.func.coalesce(a.error_class, "")
        partition = (d.event_type, error_class, a.status_code)
        inner = (
            sa.select(
                a.id,
                a.delivery_id,
                a.attempted_at,
                a.status_code,
                error_class.label("error_class"),
                d.event_type,
                sa.func.count().over(partition_by=partition).label("n"),
                sa.func.row_number()
                .over(partition_by=partition, order_by=(a.attempted_at.desc(), a.id.desc()))
                .label("rn"),
            )
            .select_from(sa.join(attempts, deliveries, d.id == a.delivery_id))
            .where(
                a.endpoint_id == endpoint_id,
                a.attempted_at >= self.since,
                a.attempted_at < self.until,
                a.succeeded == sa.false(),
            )
            .subquery()
        )
        c = inner.c
        query = (
            sa.select(
                c.event_type, c.error_class, c.status_code, c.n, c.attempted_at, c.delivery_id, c.id
            )
            .where(c.rn == 1)
            .order_by(c.n.desc(), c.attempted_at.desc(), c.id)
            .limit(limit)
        )
        connection = await self.session.connection()
        found = []
        for event_type, klass, code, n, at, delivery_id, attempt_id in (
            await connection.execute(query)
        ).all():
            found.append(
                FailureGroupRow(
                    str(event_type),
                    str(klass),
                    int(code) if code is not None else None,
                    int(n),
                    _aware(at),
                    str(delivery_id),
                    str(attempt_id),
                )
            )
        return found


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SignatureRepository:
    """What the signature debugger reads: an attempt, its event's body, an endpoint's secrets
    (expired ones included, for "a secret from before a rotation")."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def attempt(self, attempt_id: str) -> WebhookAttempt | None:
        return await self.session.get(WebhookAttempt, attempt_id)

    async def event_of_delivery(self, delivery_id: str) -> WebhookEvent | None:
        delivery = await self.session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return None
        return await self.session.get(WebhookEvent, delivery.event_id)

    async def event(self, event_id: str) -> WebhookEvent | None:
        return await self.session.get(WebhookEvent, event_id)

    async def endpoints_of_event(self, event_id: str, limit: int = 20) -> list[str]:
        query = (
            select(WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.event_id == event_id)
            .distinct()
            .limit(limit)
        )
        return [str(e) for e in (await self.session.exec(query)).all()]

    async def secrets(
        self, endpoint_ids: Sequence[str], expired_after: datetime
    ) -> list[WebhookSecret]:
        """Every secret of the endpoints unexpired or expired after ``expired_after``, newest
        first."""
        if not endpoint_ids:
            return []
        query = (
            select(WebhookSecret)
            .where(
                col(WebhookSecret.endpoint_id).in_(list(endpoint_ids)),
                sa.or_(
                    col(WebhookSecret.expires_at).is_(None),
                    col(WebhookSecret.expires_at) > expired_after,
                ),
            )
            .order_by(col(WebhookSecret.created_at).desc(), col(WebhookSecret.id).desc())
        )
        return list((await self.session.exec(query)).all())
