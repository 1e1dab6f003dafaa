"""Claiming exports (request-log and audit) across runners: a long export is never picked up twice.

A run is stale when it has been silent (no start, no heartbeat) for ``STALE_RUN``, counted from the
run, never from the export's creation: an export that waited in the queue for longer than that is
not taken over the moment a runner starts it. Two replicas (two containers, two connections)
claiming at the same time get it once. A run that was taken over (its worker stalled) can neither
write nor finish the export. Time moves with the test's clock (``clock.advance``), shared by both
replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.audit.exports import STALE_RUN as AUDIT_STALE_RUN
from app.clock import OffsetClock
from app.container import Container
from app.export_files import ClaimLost
from app.request_log.exports import STALE_RUN
from app.request_log.filters import LogFilter
from app.settings import Settings
from tests.support.keys import owner
from tests.support.world import World

KINDS = ["log", "audit"]


@dataclass
class Kind:
    name: str

    def service(self, container: Container) -> Any:
        return container.exports if self.name == "log" else container.audit_exports

    async def create(self, container: Container, world: World) -> Any:
        now = datetime.now(UTC)
        if self.name == "log":
            window = LogFilter(
                mode="live",
                since_ms=int((now - timedelta(hours=1)).timestamp() * 1000),
                until_ms=int((now + timedelta(hours=1)).timestamp() * 1000),
            )
            return await container.exports.create(owner(world), world.acme.id, window, "NDJSON")
        return await container.audit_exports.create(
            owner(world),
            world.acme.id,
            "NDJSON",
            now - timedelta(days=1),
            now + timedelta(hours=1),
        )

    async def status(self, container: Container, world: World, export_id: str) -> Any:
        listed = await self.service(container).list(owner(world), world.acme.id)
        return next(e for e in listed if e.id == export_id)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Kind:
    return Kind(request.param)


@pytest.fixture
async def replica(settings: Settings, container: Container) -> AsyncIterator[Container]:
    """A second runner on the same database (its own engine and connection pool)."""
    other = Container(settings, clock=container.clock)
    try:
        yield other
    finally:
        await other.close()


def test_both_kinds_share_the_staleness():
    assert STALE_RUN == AUDIT_STALE_RUN


class TestClaims:
    async def test_an_export_queued_longer_than_staleness_is_not_taken_over_when_started(
        self, kind: Kind, container: Container, replica: Container, world: World, clock: Any
    ) -> None:
        assert isinstance(clock, OffsetClock)
        created = await kind.create(container, world)
        clock.advance(STALE_RUN * 3)  # it waited in the queue for half an hour
        claimed = await kind.service(container).claim_one()
        assert claimed is not None and claimed.id == created.id and claimed.attempt == 1
        assert await kind.service(replica).claim_one() is None  # started just now: not stale
        clock.advance(STALE_RUN - timedelta(minutes=1))
        assert await kind.service(replica).claim_one() is None

    async def test_a_run_that_beats_is_never_stale(
        self, kind: Kind, container: Container, replica: Container, world: World, clock: Any
    ) -> None:
        await kind.create(container, world)
        claimed = await kind.service(container).claim_one()
        for _ in range(3):  # 3 x 0.8 staleness since the start, each step beaten
            clock.advance(STALE_RUN * 0.8)
            await kind.service(container).heartbeat(claimed)
            assert await kind.service(replica).claim_one() is None
        await kind.service(container).process(claimed)
        finished = await kind.status(container, world, claimed.id)
        assert finished.status == "COMPLETED" and finished.attempt == 1

    async def test_a_silent_run_is_taken_over_once_and_cannot_finish(
        self, kind: Kind, container: Container, replica: Container, world: World, clock: Any
    ) -> None:
        await kind.create(container, world)
        stalled = await kind.service(container).claim_one()
        clock.advance(STALE_RUN + timedelta(minutes=1))  # its worker went silent
        taken = await kind.service(replica).claim_one()
        assert taken is not None and taken.id == stalled.id and taken.attempt == 2
        assert await kind.service(container).claim_one() is None  # not a third time
        with pytest.raises(ClaimLost):
            await kind.service(container).heartbeat(stalled)
        await kind.service(container).process(stalled)  # stops at its first heartbeat
        assert (await kind.status(container, world, stalled.id)).status == "RUNNING"
        await kind.service(replica).process(taken)
        finished = await kind.status(container, world, stalled.id)
        assert finished.status == "COMPLETED" and finished.attempt == 2

    async def test_concurrent_runners_claim_an_export_once(
        self, kind: Kind, container: Container, replica: Container, world: World
    ) -> None:
        for _ in range(5):
            created = await kind.create(container, world)
            claims = await asyncio.gather(
                kind.service(container).claim_one(), kind.service(replica).claim_one()
            )
            won = [c for c in claims if c is not None]
            assert [c.id for c in won] == [created.id], claims
            await kind.service(container).process(won[0])
            assert (await kind.status(container, world, created.id)).status == "COMPLETED"
