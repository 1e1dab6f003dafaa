"""Retention of the advice's per-key hour rollups (key_ip_rollups, key_route_rollups): the
maintenance pass deletes those older than ``advice_retention_days``, a chunk per transaction,
and keeps the rest."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from app.container import Container
from app.request_log.models import HOUR, KEY_IPS, KEY_ROUTES, TIER_MS
from app.request_log.repository import RollupRepository
from tests.support.world import World

DAY = TIER_MS[2]


def rows(world: World, table: sa.Table, ages_days: list[int], now_ms: int) -> list[dict[str, Any]]:
    out = []
    for n, age in enumerate(ages_days):
        bucket = now_ms - age * DAY - (now_ms - age * DAY) % TIER_MS[HOUR]
        row: dict[str, Any] = {
            "tier": HOUR,
            "entity_id": world.acme.id,
            "mode": "live",
            "bucket_ms": bucket,
            "api_key_id": f"key_seed{n}",
            "count": 1,
            "first_ms": bucket,
            "last_ms": bucket,
        }
        if table is KEY_IPS:
            row["ip"] = f"198.51.100.{n}"
        else:
            row |= {"method": "GET", "route": f"/v1/r{n}"}
        out.append(row)
    return out


async def seed(container: Container, world: World, ages: list[int], now_ms: int) -> None:
    async with container.db.engine.begin() as connection:
        for table in (KEY_IPS, KEY_ROUTES):
            await connection.execute(sa.insert(table), rows(world, table, ages, now_ms))


async def ages_left(container: Container, table: sa.Table, now_ms: int) -> list[int]:
    async with container.db.engine.connect() as connection:
        seeded = sa.select(table.c.bucket_ms).where(table.c.api_key_id.like("key_seed%"))
        buckets = (await connection.execute(seeded)).scalars().all()
    return sorted((now_ms - int(b)) // DAY for b in buckets)


class TestKeyRollupRetention:
    async def test_maintenance_deletes_what_is_past_advice_retention(
        self, container: Container, world: World
    ) -> None:
        assert container.settings.advice_retention_days == 90
        now = int(time.time() * 1000)
        await seed(container, world, [1, 10, 89, 91, 100, 400], now)
        await container.request_logs.retention(now)
        for table in (KEY_IPS, KEY_ROUTES):
            assert await ages_left(container, table, now) == [1, 10, 89]

    async def test_deletes_go_a_chunk_at_a_time(self, container: Container, world: World) -> None:
        now = int(time.time() * 1000)
        await seed(container, world, [1, 91, 92, 93, 94, 95], now)
        cutoff = now - 90 * DAY
        chunks = []
        while True:
            async with container.db.engine.begin() as connection:
                repo = RollupRepository(connection)
                removed = await repo.delete_key_rollups_before(cutoff, chunk=2)
            if not removed:
                break
            chunks.append(removed)
        assert chunks == [2, 2, 1, 2, 2, 1]  # key_ip_rollups first, then key_route_rollups
        for table in (KEY_IPS, KEY_ROUTES):
            assert await ages_left(container, table, now) == [1]
