"""The daily api_key.expiring job: once per key, 14 days ahead, whatever runs it twice."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import sqlalchemy as sa

from app.clock import FrozenClock, OffsetClock
from app.container import Container
from app.webhook.models import WebhookDelivery, WebhookEvent
from app.worker.job import Job
from app.worker.key_expiry import KeyExpiryJob, build_key_expiry_job
from tests.support.keys import make_key
from tests.support.world import World
from tests.webhook.test_endpoints import make_endpoint, person


async def expiring_events(container: Container) -> list[dict[str, object]]:
    async with container.db.engine.connect() as connection:
        found = await connection.execute(
            sa.select(WebhookEvent.__table__).where(  # type: ignore[attr-defined]
                WebhookEvent.__table__.c.type == "api_key.expiring"  # type: ignore[attr-defined]
            )
        )
        return [json.loads(r.payload) for r in found]


class TestKeyExpiryJob:
    async def test_key_expiring_within_14_days_is_published_once(
        self, container: Container, world: World, clock: OffsetClock | FrozenClock
    ) -> None:
        endpoint = (
            await make_endpoint(container, world, event_types=["api_key.expiring"])
        ).endpoint
        soon, _ = await make_key(container, world, expires_in_days=30)
        await make_key(container, world, name="later", expires_in_days=90)
        job = build_key_expiry_job(container)
        assert isinstance(job, Job)
        assert await job.run_once() == 0  # 30 days away: not yet (the world's key: 365)
        clock.advance(timedelta(days=17))
        assert await job.run_once() == 1
        clock.advance(timedelta(days=1))
        assert await job.run_once() == 0  # the next day: already sent
        (event,) = await expiring_events(container)
        assert event["data"]["id"] == soon.id  # type: ignore[index]
        async with container.db.engine.connect() as connection:
            deliveries = list(await connection.execute(sa.select(WebhookDelivery.__table__)))  # type: ignore[attr-defined]
        assert [d.endpoint_id for d in deliveries if d.event_type == "api_key.expiring"] == [
            endpoint.id
        ]

    async def test_two_workers_at_once_send_it_once(
        self, container: Container, world: World
    ) -> None:
        await make_key(container, world, expires_at=container.clock.now() + timedelta(days=7))
        first, second = KeyExpiryJob(container.api_keys), KeyExpiryJob(container.api_keys)
        results = await asyncio.gather(first.run_once(), second.run_once())
        assert sorted(results) == [0, 1]
        assert len(await expiring_events(container)) == 1

    async def test_revoked_key_is_not_announced(self, container: Container, world: World) -> None:
        key, _ = await make_key(
            container, world, expires_at=container.clock.now() + timedelta(days=7)
        )
        await container.api_keys.revoke_key(person(world), key.id)
        assert await KeyExpiryJob(container.api_keys).run_once() == 0

    async def test_run_stops_when_asked(self, container: Container, world: World) -> None:
        await make_key(container, world, expires_at=container.clock.now() + timedelta(days=3))
        job = KeyExpiryJob(container.api_keys, interval_seconds=3600)
        stopping, ran = asyncio.Event(), asyncio.Event()
        run_once = job.run_once

        async def once() -> int:
            published = await run_once()
            ran.set()
            return published

        job.run_once = once  # type: ignore[method-assign]
        task = asyncio.create_task(job.run(stopping))
        await ran.wait()
        stopping.set()
        await task
        assert job.health()["published"] == 1
