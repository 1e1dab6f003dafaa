"""The delivery job end to end: a burst to a real receiver that verifies every delivery with
``standardwebhooks``, wake, draining on stop, and two workers never attempting one delivery at
once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlmodel import select

from app.clock import OffsetClock
from app.container import Container
from app.models import Entity
from app.webhook.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from app.worker.job import Job
from app.worker.webhook_delivery import WebhookDeliveryJob, build_delivery_job
from tests.support.webhooks import Receiver, add_endpoint, eventually, publish


@pytest.fixture
def clock() -> OffsetClock:  # type: ignore[override]
    return OffsetClock()


@asynccontextmanager
async def running(job: WebhookDeliveryJob) -> AsyncIterator[asyncio.Event]:
    stopping = asyncio.Event()
    task = asyncio.create_task(job.run(stopping))
    try:
        yield stopping
    finally:
        stopping.set()
        await asyncio.wait_for(task, 30)


async def statuses(container: Container) -> Counter[str]:
    async with container.db.session() as session:
        rows = (await session.exec(select(WebhookDelivery))).all()
    return Counter(r.status for r in rows)


async def attempt_count(container: Container) -> int:
    async with container.db.session() as session:
        return len((await session.exec(select(WebhookAttempt))).all())


class TestDeliveryJob:
    async def test_is_a_job(self, container: Container) -> None:
        job = build_delivery_job(container)
        assert isinstance(job, Job)
        assert job.health()["alive"] is False

    async def test_burst_delivered_signed_and_verified(
        self, container: Container, entity: Entity
    ) -> None:
        async with Receiver() as receiver:
            endpoints = [
                await add_endpoint(container, entity.id, receiver.url(f"/e{n}")) for n in range(3)
            ]
            receiver.secrets = [secret for _, secret in endpoints]
            queued = await publish(container, entity.id, [e.id for e, _ in endpoints], count=60)
            job = build_delivery_job(container)
            async with running(job):
                job.wake()
                got = await receiver.wait_for(len(queued))
                health = job.health()
                assert health["alive"] is True

        by_path = {f"/e{n}": n for n in range(3)}
        assert all(r.verified_with == [by_path[r.path]] for r in got)
        assert Counter(r.path for r in got) == {"/e0": 60, "/e1": 60, "/e2": 60}
        assert {(r.path, r.webhook_id) for r in got} == {
            (f"/e{[e.id for e, _ in endpoints].index(d.endpoint_id)}", d.event_id) for d in queued
        }
        assert job.health()["sent"] == 180 and job.health()["in_flight"] == 0
        assert job.health()["last_claim_at"] > 0
        assert await statuses(container) == {DeliveryStatus.SUCCEEDED: 180}

    async def test_wake_claims_without_waiting_for_the_poll(
        self, container: Container, entity: Entity
    ) -> None:
        async with Receiver() as receiver:
            endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
            job = build_delivery_job(container, poll_seconds=3600)
            async with running(job):
                await asyncio.sleep(0.2)  # the job is idle, waiting for its (hour-long) poll
                await publish(container, entity.id, [endpoint.id])
                job.wake()
                await receiver.wait_for(1)

    async def test_idle_polls_take_no_write_transaction_and_find_new_work(
        self, container: Container, entity: Entity
    ) -> None:
        async with Receiver() as receiver:
            endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
            job = build_delivery_job(container, poll_seconds=0.02)
            cycles: list[int] = []
            real_cycle = job.dispatcher.cycle

            async def counted(rows: object, limit: int) -> object:
                cycles.append(limit)
                return await real_cycle(rows, limit)  # type: ignore[arg-type]

            job.dispatcher.cycle = counted  # type: ignore[method-assign, assignment]
            async with running(job):
                await eventually(lambda: job.idle_polls >= 5)
                assert cycles == []  # nothing due: only reads, never the write lock
                await publish(container, entity.id, [endpoint.id])  # no wake: the poll finds it
                await receiver.wait_for(1)
            assert cycles  # the delivery was claimed and recorded in a write transaction

    async def test_stopping_finishes_and_records_in_flight_attempts(
        self, container: Container, entity: Entity
    ) -> None:
        async with Receiver(delay=0.5) as receiver:
            endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
            await publish(container, entity.id, [endpoint.id], count=5)
            job = build_delivery_job(container)
            stopping = asyncio.Event()
            task = asyncio.create_task(job.run(stopping))
            await eventually(lambda: job.health()["in_flight"] != 0)
            stopping.set()
            await asyncio.wait_for(task, 30)

        assert len(receiver.received) == 5
        assert await attempt_count(container) == 5
        assert await statuses(container) == {DeliveryStatus.SUCCEEDED: 5}
        assert job.health()["alive"] is False

    async def test_stopping_releases_claimed_deliveries_never_sent(
        self, container: Container, entity: Entity
    ) -> None:
        async with Receiver(delay=0.5) as receiver:
            endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
            await publish(container, entity.id, [endpoint.id], count=5)
            # one lane, one queued behind it
            job = build_delivery_job(container, concurrency=1, prefetch=1)
            stopping = asyncio.Event()
            task = asyncio.create_task(job.run(stopping))
            await eventually(lambda: receiver.overlap == 1)  # the first is being answered
            stopping.set()
            await asyncio.wait_for(task, 30)

        assert len(receiver.received) == 1
        assert job.released == 1
        async with container.db.session() as session:
            rows = (await session.exec(select(WebhookDelivery))).all()
        assert Counter(r.status for r in rows) == {
            DeliveryStatus.SUCCEEDED: 1,
            DeliveryStatus.PENDING: 4,
        }
        # the queued one is due again at once for any worker, not after its lease
        assert all(r.lease_owner is None and r.lease_expires_at is None for r in rows)
        assert job.health()["in_flight"] == 0

    async def test_claimed_delivery_waiting_too_long_is_released_not_sent_late(
        self, container: Container, entity: Entity
    ) -> None:
        async with Receiver(delay=0.3) as receiver:
            endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
            queued = await publish(container, entity.id, [endpoint.id], count=3)
            job = build_delivery_job(container, concurrency=1, start_within=0.05)
            async with running(job):
                job.wake()
                await receiver.wait_for(len(queued))
                await eventually(lambda: job.health()["sent"] == 3)

        assert job.released > 0  # each queued one outwaited its start deadline: claimed again
        assert sorted(r.webhook_id for r in receiver.received) == sorted(
            d.event_id for d in queued
        )  # each sent once
        assert await attempt_count(container) == 3


class TestTwoWorkers:
    async def test_never_attempt_one_delivery_at_once(
        self, container: Container, entity: Entity, clock: OffsetClock
    ) -> None:
        second = Container(container.settings, clock=clock)
        try:
            async with Receiver(delay=0.02) as receiver:
                endpoints = [
                    (await add_endpoint(container, entity.id, receiver.url(f"/e{n}")))[0]
                    for n in range(4)
                ]
                queued = await publish(container, entity.id, [e.id for e in endpoints], count=50)

                async def all_succeeded() -> bool:
                    return (await statuses(container)).get(DeliveryStatus.SUCCEEDED, 0) == 200

                one = build_delivery_job(container, concurrency=16)
                two = build_delivery_job(second, concurrency=16)
                async with running(one), running(two):
                    one.wake()
                    two.wake()
                    await receiver.wait_for(len(queued))
                    await eventually(all_succeeded)
        finally:
            await second.close()

        assert receiver.overlap == 1
        assert len(receiver.received) == len(queued)  # nothing attempted twice
        assert one.health()["sent"] > 0 and two.health()["sent"] > 0
        assert one.health()["sent"] + two.health()["sent"] == 200
