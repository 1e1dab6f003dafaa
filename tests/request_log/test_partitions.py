"""PostgreSQL's daily request_logs partitions: every replica and worker runs the maintenance
pass, so two of them creating the same day's partitions at once must both succeed (the CI
topology test saw "relation request_logs_p... already exists" from a second worker)."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

from app.container import Container
from app.request_log.models import TIER_MS
from app.request_log.repository import LogRepository
from app.request_log.repository.logs import partition_name
from tests.conftest import backend

DAY = TIER_MS[2]

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="partitions are PostgreSQL's")


async def partitions(container: Container) -> set[str]:
    async with container.db.engine.connect() as connection:
        return await LogRepository(connection)._partitions()


class TestEnsurePartitions:
    async def test_concurrent_passes_both_succeed(self, container: Container) -> None:
        # far enough ahead that no other pass has made these days yet
        now = int(time.time() * 1000) + 400 * DAY
        today = now - now % DAY
        names = {partition_name(today + n * DAY) for n in (1, 2, 3)}
        try:
            async with container.db.engine.connect() as first:
                transaction = await first.begin()
                await LogRepository(first).ensure_partitions(now)

                async def second_pass() -> None:
                    async with container.db.engine.begin() as second:
                        await LogRepository(second).ensure_partitions(now)

                # the second pass starts while the first has created but not committed
                racing = asyncio.create_task(second_pass())
                await asyncio.sleep(0.3)
                assert not racing.done()  # it waits for the first pass instead of colliding
                await transaction.commit()
                await asyncio.wait_for(racing, 10)
            assert names <= await partitions(container)
        finally:
            async with container.db.engine.begin() as connection:
                for name in names:
                    await connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
