"""Waking delivery jobs across processes: a commit in one process wakes the delivery job of
another through the shared pub/sub (Redis here), and each process hears its own wake once."""

from __future__ import annotations

import asyncio
import os

from app.pubsub import RedisPubSub
from app.webhook.wake import DeliveryWake


class TestDeliveryWake:
    async def test_notify_wakes_listeners_in_this_and_another_process_once_each(self) -> None:
        url = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        first_bus, second_bus = RedisPubSub(url), RedisPubSub(url)
        here, there = DeliveryWake(), DeliveryWake()
        woken = {"here": 0, "there": 0}
        arrived = asyncio.Event()

        def on_there() -> None:
            woken["there"] += 1
            arrived.set()

        here.listen(lambda: woken.__setitem__("here", woken["here"] + 1))
        there.listen(on_there)
        here.connect(first_bus)
        there.connect(second_bus)
        await first_bus.start()
        await second_bus.start()
        try:
            await here.notify()
            await asyncio.wait_for(arrived.wait(), timeout=5)
            await asyncio.sleep(0.2)  # the own message comes back too: it is ignored
            assert woken == {"here": 1, "there": 1}
            assert there.remote_wakes == 1 and here.remote_wakes == 0
        finally:
            here.disconnect()
            there.disconnect()
            await first_bus.stop()
            await second_bus.stop()

    async def test_failing_listener_does_not_stop_the_others(self) -> None:
        wake = DeliveryWake()
        calls: list[str] = []

        def broken() -> None:
            raise RuntimeError("boom")

        wake.listen(broken)
        wake.listen(lambda: calls.append("ok"))
        await wake.notify()
        assert calls == ["ok"] and wake.notified == 1
