"""``kill -9`` a delivery worker in the middle of a burst and start another: every delivery
arrives at least once, and a repeated one carries the same ``webhook-id`` and signs again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlmodel import select

from app.clock import OffsetClock
from app.container import Container
from app.models import Entity
from app.webhook.models import DeliveryStatus, WebhookDelivery
from tests.conftest import TEST_SECRET
from tests.support.webhooks import Receiver, add_endpoint, eventually, publish


@pytest.fixture
def clock() -> OffsetClock:  # type: ignore[override]
    return OffsetClock()


def start_worker(container: Container, data_dir: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_ENV="test",
        PORTAL_DATABASE_URL=container.settings.resolved_database_url,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_SECRET_KEY=TEST_SECRET,
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
        PORTAL_WEBHOOK_TIMEOUT_SECONDS="2",
        PORTAL_WEBHOOK_LEASE_SECONDS="5",
        PORTAL_WEBHOOK_POLL_SECONDS="0.2",
        PORTAL_WEBHOOK_CONCURRENCY="8",
        **extra,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.webhook_worker"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
    )


async def nothing_pending(container: Container) -> bool:
    async with container.db.session() as session:
        rows = (await session.exec(select(WebhookDelivery))).all()
    return all(r.status != DeliveryStatus.PENDING for r in rows)


class TestKilledWorker:
    async def test_every_delivery_arrives_after_kill_and_restart(
        self, container: Container, entity: Entity, tmp_path: Path
    ) -> None:
        async with Receiver(delay=0.02) as receiver:
            endpoint, secret = await add_endpoint(container, entity.id, receiver.url())
            receiver.secrets = [secret]
            queued = await publish(container, entity.id, [endpoint.id], count=300)
            first = start_worker(container, tmp_path)
            try:
                await receiver.wait_for(60, within=60)
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait()
            assert first.returncode == -signal.SIGKILL
            assert 0 < len(receiver.received) < 300
            second = start_worker(container, tmp_path)
            try:
                await eventually(lambda: receiver.ids() == {d.event_id for d in queued}, 120)
                await eventually(lambda: nothing_pending(container), 60)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(timeout=30)

        assert second.returncode == 0
        assert all(r.verified_with == [0] for r in receiver.received)
        counts = Counter(r.webhook_id for r in receiver.received)
        assert set(counts) == {d.event_id for d in queued}
        # a delivery in flight when the worker died arrives again, as the same webhook-id
        repeated = [r for r in receiver.received if counts[r.webhook_id] > 1]
        assert all(r.envelope["id"] == r.webhook_id for r in repeated)


class TestWorkerHeartbeat:
    """A process without a delivery job of its own (a replica with PORTAL_EMBEDDED_WORKER=false)
    sees separate ``portal worker`` processes through their heartbeats."""

    async def test_alive_while_a_worker_beats_and_gone_after_it_stops_or_dies(
        self, container: Container, tmp_path: Path
    ) -> None:
        webhooks = container.webhooks
        assert webhooks.job_alive() is None  # no delivery job in this process
        assert await webhooks.delivery_alive() is False
        beat = {"PORTAL_WEBHOOK_HEARTBEAT_SECONDS": "0.3"}
        stopped = start_worker(container, tmp_path, **beat)
        try:
            await eventually(webhooks.delivery_alive, 30)
        finally:
            stopped.send_signal(signal.SIGTERM)
            stopped.wait(timeout=30)
        assert stopped.returncode == 0
        # A clean stop removes its heartbeat at once, long before it would go stale.
        assert await webhooks.delivery_alive() is False

        killed = start_worker(container, tmp_path, **beat)
        try:
            await eventually(webhooks.delivery_alive, 30)
        finally:
            killed.send_signal(signal.SIGKILL)
            killed.wait()
        # A killed worker leaves its row behind; it reads as dead once older than 3 beats.
        await eventually(lambda: _not(webhooks.delivery_alive), 10)


async def _not(check: Callable[[], Awaitable[bool]]) -> bool:
    return not await check()
