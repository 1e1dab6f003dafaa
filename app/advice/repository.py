"""All SQL of the key advice: reads of the per-key hour rollups (key_route_rollups,
key_ip_rollups, written by the log writer) and a bounded sample of raw rows for a preview."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from app.advice.privilege import RouteCount
from app.advice.sources import SampleRequest, SourceCount
from app.request_log.models import DAY, HOUR, KEY_IPS, KEY_ROUTES, REQUEST_LOGS, TIER_MS


def _window(table: sa.Table, entity_id: str, mode: str, start_ms: int, end_ms: int) -> list[Any]:
    first_hour = start_ms - start_ms % TIER_MS[HOUR]
    return [
        table.c.entity_id == entity_id,
        table.c.mode == mode,
        table.c.tier == HOUR,
        table.c.bucket_ms >= first_hour,
        table.c.bucket_ms <= end_ms,
    ]


class AdviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, statement: Any) -> Sequence[Any]:
        connection = await self.session.connection()
        return (await connection.execute(statement)).all()

    async def route_counts(
        self, entity_id: str, mode: str, start_ms: int, end_ms: int, key_ids: Sequence[str]
    ) -> dict[str, list[RouteCount]]:
        """Requests per key, method and route in the window, by key."""
        r = KEY_ROUTES.c
        statement = (
            sa.select(
                r.api_key_id,
                r.method,
                r.route,
                sa.func.sum(r.count),
                sa.func.min(r.first_ms),
                sa.func.max(r.last_ms),
            )
            .where(*_window(KEY_ROUTES, entity_id, mode, start_ms, end_ms))
            .where(r.api_key_id.in_(list(key_ids)))
            .group_by(r.api_key_id, r.method, r.route)
        )
        found: dict[str, list[RouteCount]] = {}
        for key_id, method, route, count, first, last in await self._rows(statement):
            found.setdefault(key_id, []).append(
                RouteCount(method, route, int(count), int(first), int(last))
            )
        return found

    async def source_counts(
        self, entity_id: str, mode: str, start_ms: int, end_ms: int, key_ids: Sequence[str]
    ) -> dict[str, list[SourceCount]]:
        """Requests per key and source address in the window, with the distinct days seen."""
        c = KEY_IPS.c
        day = c.bucket_ms - c.bucket_ms % TIER_MS[DAY]
        statement = (
            sa.select(
                c.api_key_id,
                c.ip,
                sa.func.sum(c.count),
                sa.func.min(c.first_ms),
                sa.func.max(c.last_ms),
                sa.func.count(sa.distinct(day)),
            )
            .where(*_window(KEY_IPS, entity_id, mode, start_ms, end_ms))
            .where(c.api_key_id.in_(list(key_ids)))
            .group_by(c.api_key_id, c.ip)
        )
        found: dict[str, list[SourceCount]] = {}
        for key_id, ip, count, first, last, days in await self._rows(statement):
            found.setdefault(key_id, []).append(
                SourceCount(ip, int(count), int(first), int(last), int(days))
            )
        return found

    async def days_seen(
        self, entity_id: str, mode: str, start_ms: int, end_ms: int, key_ids: Sequence[str]
    ) -> dict[str, int]:
        """Distinct UTC days with a request, per key."""
        c = KEY_IPS.c
        day = c.bucket_ms - c.bucket_ms % TIER_MS[DAY]
        statement = (
            sa.select(c.api_key_id, sa.func.count(sa.distinct(day)))
            .where(*_window(KEY_IPS, entity_id, mode, start_ms, end_ms))
            .where(c.api_key_id.in_(list(key_ids)))
            .group_by(c.api_key_id)
        )
        return {key_id: int(n) for key_id, n in await self._rows(statement)}

    async def sample_requests(
        self,
        entity_id: str,
        mode: str,
        key_id: str,
        start_ms: int,
        end_ms: int,
        ips: Sequence[str],
        limit: int,
    ) -> list[SampleRequest]:
        """The newest raw rows of ``key_id`` from ``ips`` (``''``: no address recorded)."""
        t = REQUEST_LOGS.c
        known = [ip for ip in ips if ip]
        from_ips = [t.ip.in_(known)] if known else []
        if "" in ips:
            from_ips.append(t.ip.is_(None))
        if not from_ips:
            return []
        statement = (
            sa.select(t.id, t.ts_ms, t.method, t.path, t.status, t.error_code, t.ip)
            .where(
                t.entity_id == entity_id,
                t.mode == mode,
                t.ts_ms >= start_ms,
                t.ts_ms <= end_ms,
                t.api_key_id == key_id,
                sa.or_(*from_ips),
            )
            .order_by(t.ts_ms.desc(), t.id.desc())
            .limit(limit)
        )
        return [
            SampleRequest(str(i), int(ts), str(m), str(p), int(st), code, ip)
            for i, ts, m, p, st, code, ip in await self._rows(statement)
        ]
