"""Raw request logs: the list and detail reads, the writer's insert, retention deletes and
PostgreSQL's daily partitions."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.filters import LogFilter, ip_matches
from app.request_log.models import DAY, HOUR, MINUTE, REQUEST_LOGS, TIER_MS


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def log_conditions(entity_id: str, f: LogFilter) -> list[sa.ColumnElement[bool]]:
    t = REQUEST_LOGS.c
    conditions: list[sa.ColumnElement[bool]] = [
        t.entity_id == entity_id,
        t.mode == f.mode,
        t.ts_ms >= f.since_ms,
        t.ts_ms < f.until_ms,
    ]
    if f.status_class is not None:
        conditions += [t.status >= f.status_class * 100, t.status < f.status_class * 100 + 100]
    if f.status is not None:
        conditions.append(t.status == f.status)
    if f.error_code:
        conditions.append(t.error_code == f.error_code)
    if f.method:
        conditions.append(t.method == f.method.upper())
    if f.route:
        conditions.append(t.route == f.route)
    if f.path_prefix:
        conditions.append(t.path.like(_like_prefix(f.path_prefix), escape="\\"))
    if f.min_latency_ms is not None:
        conditions.append(t.latency_ms >= f.min_latency_ms)
    if f.max_latency_ms is not None:
        conditions.append(t.latency_ms <= f.max_latency_ms)
    if f.request_id:
        conditions.append(t.id == f.request_id)
    if f.api_key_id:
        conditions.append(t.api_key_id == f.api_key_id)
    if f.ip:
        network = ipaddress.ip_network(f.ip, strict=False)
        if network.num_addresses == 1:
            conditions.append(t.ip == str(network.network_address))
        else:
            # Exact CIDR matching happens in Python (portable); narrow by a text prefix first.
            conditions.append(t.ip.is_not(None))
    return conditions


class LogRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def page(
        self, entity_id: str, f: LogFilter, *, limit: int, before: tuple[int, str] | None
    ) -> list[dict[str, Any]]:
        """Newest first by (ts_ms, id); keyset ``before`` is the last row of the previous page."""
        t = REQUEST_LOGS.c
        conditions = log_conditions(entity_id, f)
        if before is not None:
            ts, row_id = before
            conditions.append(sa.or_(t.ts_ms < ts, sa.and_(t.ts_ms == ts, t.id < row_id)))
        query = sa.select(REQUEST_LOGS).where(*conditions).order_by(t.ts_ms.desc(), t.id.desc())
        rows: list[dict[str, Any]] = []
        chunk = max(limit * 4, 200)
        offset = 0
        while len(rows) < limit:
            result = await self.connection.execute(query.limit(chunk).offset(offset))
            batch = [dict(r._mapping) for r in result.all()]
            rows += [r for r in batch if ip_matches(r["ip"], f.ip)]
            if len(batch) < chunk or f.ip is None:
                break
            offset += chunk
        return rows[:limit]

    async def get(self, entity_id: str, request_id: str) -> dict[str, Any] | None:
        t = REQUEST_LOGS.c
        result = await self.connection.execute(
            sa.select(REQUEST_LOGS).where(t.id == request_id, t.entity_id == entity_id)
        )
        row = result.first()
        return dict(row._mapping) if row else None

    async def by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        result = await self.connection.execute(
            sa.select(REQUEST_LOGS).where(REQUEST_LOGS.c.id.in_(list(ids)))
        )
        return [dict(r._mapping) for r in result.all()]

    async def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        """The writer's batch of raw rows (``LogRecord.row()``), in the caller's transaction."""
        if rows:
            await self.connection.execute(sa.insert(REQUEST_LOGS), list(rows))

    async def count(self) -> int:
        return int(
            await self.connection.scalar(sa.select(sa.func.count()).select_from(REQUEST_LOGS)) or 0
        )

    # Retention ------------------------------------------------------------------------------------

    async def delete_logs_before(
        self, cutoff_ms: int, entity_id: str | None, *, chunk: int = 5_000
    ) -> int:
        """One chunk of an entity's (or, with None, unattributed) rows older than the cutoff."""
        t = REQUEST_LOGS.c
        owner = t.entity_id.is_(None) if entity_id is None else t.entity_id == entity_id
        rows = (
            await self.connection.execute(
                sa.select(t.id, t.ts_ms).where(owner, t.ts_ms < cutoff_ms).limit(chunk)
            )
        ).all()
        if not rows:
            return 0
        await self.connection.execute(
            sa.delete(REQUEST_LOGS).where(sa.tuple_(t.id, t.ts_ms).in_([tuple(r) for r in rows]))
        )
        return len(rows)

    # PostgreSQL daily partitions ------------------------------------------------------------------

    async def ensure_partitions(self, now_ms: int, days_ahead: int = 3) -> None:
        """Create tomorrow's partitions ahead of time (today's rows may sit in the default)."""
        if self.connection.dialect.name != "postgresql":
            return
        day = TIER_MS[DAY]
        today = now_ms - now_ms % day
        existing = await self._partitions()
        for n in range(1, days_ahead + 1):
            start = today + n * day
            name = partition_name(start)
            if name in existing:
                continue
            await self.connection.execute(
                sa.text(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF request_logs "
                    f"FOR VALUES FROM ({start}) TO ({start + day})"
                )
            )

    async def drop_partitions_before(self, cutoff_ms: int) -> list[str]:
        if self.connection.dialect.name != "postgresql":
            return []
        dropped = []
        for name in await self._partitions():
            start = partition_start(name)
            if start is not None and start + TIER_MS[DAY] <= cutoff_ms:
                await self.connection.execute(sa.text(f"DROP TABLE {name}"))
                dropped.append(name)
        return dropped

    async def _partitions(self) -> set[str]:
        result = await self.connection.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'request_logs'"
            )
        )
        return {str(name) for (name,) in result.all()}


TIERS = (MINUTE, HOUR, DAY)


def partition_name(start_ms: int) -> str:
    return "request_logs_p" + datetime.fromtimestamp(start_ms / 1000, UTC).strftime("%Y%m%d")


def partition_start(name: str) -> int | None:
    if not name.startswith("request_logs_p"):
        return None
    try:
        day = datetime.strptime(name.removeprefix("request_logs_p"), "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp() * 1000)
