"""All SQL for reading request logs and rollups, compaction and retention."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.filters import LogFilter, ip_matches
from app.request_log.models import (
    DAY,
    HISTOGRAMS,
    HOUR,
    MINUTE,
    REQUEST_LOGS,
    ROLLUPS,
    TIER_MS,
    WATERMARKS,
)
from app.request_log.rollups import upsert_histograms, upsert_rollups


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

    async def count(self) -> int:
        return int(
            await self.connection.scalar(sa.select(sa.func.count()).select_from(REQUEST_LOGS)) or 0
        )

    # Watermarks and compaction --------------------------------------------------------------------

    async def watermarks(self) -> dict[int, int]:
        result = await self.connection.execute(sa.select(WATERMARKS.c.tier, WATERMARKS.c.bucket_ms))
        return {int(tier): int(mark) for tier, mark in result.all()}

    async def oldest_bucket(self, tier: int) -> int | None:
        value = await self.connection.scalar(
            sa.select(sa.func.min(ROLLUPS.c.bucket_ms)).where(ROLLUPS.c.tier == tier)
        )
        return int(value) if value is not None else None

    async def compact(self, tier: int, start_ms: int, end_ms: int) -> int:
        """Fold ``tier`` buckets in [start, end) into ``tier + 1`` and move the watermark, in
        the caller's transaction (so a re-run after a crash cannot count anything twice)."""
        size = TIER_MS[tier + 1]
        r = ROLLUPS.c
        rows = await self.connection.execute(
            sa.select(
                r.entity_id,
                r.mode,
                (r.bucket_ms - r.bucket_ms % size).label("bucket"),
                r.route,
                r.api_key_id,
                r.status,
                r.error_code,
                sa.func.sum(r.count),
                sa.func.sum(r.latency_sum),
                sa.func.max(r.latency_max),
            )
            .where(r.tier == tier, r.bucket_ms >= start_ms, r.bucket_ms < end_ms)
            .group_by(
                r.entity_id,
                r.mode,
                sa.text("bucket"),
                r.route,
                r.api_key_id,
                r.status,
                r.error_code,
            )
        )
        rollups = [
            {
                "tier": tier + 1,
                "entity_id": e,
                "mode": m,
                "bucket_ms": int(b),
                "route": rt,
                "api_key_id": k,
                "status": st,
                "error_code": ec,
                "count": int(c),
                "latency_sum": float(ls),
                "latency_max": float(lm),
            }
            for e, m, b, rt, k, st, ec, c, ls, lm in rows.all()
        ]
        h = HISTOGRAMS.c
        bins = await self.connection.execute(
            sa.select(
                h.entity_id,
                h.mode,
                (h.bucket_ms - h.bucket_ms % size).label("bucket"),
                h.route,
                h.api_key_id,
                h.bin,
                sa.func.sum(h.count),
            )
            .where(h.tier == tier, h.bucket_ms >= start_ms, h.bucket_ms < end_ms)
            .group_by(h.entity_id, h.mode, sa.text("bucket"), h.route, h.api_key_id, h.bin)
        )
        histograms = [
            {
                "tier": tier + 1,
                "entity_id": e,
                "mode": m,
                "bucket_ms": int(b),
                "route": rt,
                "api_key_id": k,
                "bin": int(bn),
                "count": int(c),
            }
            for e, m, b, rt, k, bn, c in bins.all()
        ]
        await upsert_rollups(self.connection, rollups)
        await upsert_histograms(self.connection, histograms)
        await self._set_watermark(tier, end_ms)
        return len(rollups)

    async def _set_watermark(self, tier: int, bucket_ms: int) -> None:
        updated = await self.connection.execute(
            sa.update(WATERMARKS).where(WATERMARKS.c.tier == tier).values(bucket_ms=bucket_ms)
        )
        if updated.rowcount == 0:
            await self.connection.execute(
                sa.insert(WATERMARKS).values(tier=tier, bucket_ms=bucket_ms)
            )

    async def lock_watermark(self, tier: int) -> int | None:
        """The tier's watermark, locked for the compaction (``FOR UPDATE`` on PostgreSQL)."""
        value = await self.connection.scalar(
            sa.select(WATERMARKS.c.bucket_ms).where(WATERMARKS.c.tier == tier).with_for_update()
        )
        return int(value) if value is not None else None

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

    async def delete_rollups_before(self, tier: int, cutoff_ms: int) -> None:
        for table in (ROLLUPS, HISTOGRAMS):
            await self.connection.execute(
                sa.delete(table).where(table.c.tier == tier, table.c.bucket_ms < cutoff_ms)
            )


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
