"""Key usage (``last_used_at`` / ``last_used_ip``) gathered in memory and written in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from app.api_key.usage import UsageRecorder
from app.clock import Clock, FrozenClock, SystemClock
from app.uow import UnitOfWorkFactory


class RecordingFactory:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.batches: list[dict[str, tuple[datetime, str]]] = []

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[Any]:
        batches = self.batches

        class Keys:
            async def record_usage(self, batch: dict[str, tuple[datetime, str]]) -> None:
                batches.append(batch)

        class Uow:
            api_keys = Keys()

        yield Uow()


class TestUsageRecorder:
    async def test_the_system_clock_time_is_written_as_an_aware_datetime(self) -> None:
        factory = RecordingFactory(SystemClock())
        usage = UsageRecorder(cast(UnitOfWorkFactory, factory), interval_seconds=1)
        before = datetime.now(UTC)
        usage.record("key_1", "203.0.113.9")
        after = datetime.now(UTC)
        assert await usage.flush() == 1
        (used_at, ip) = factory.batches[0]["key_1"]
        assert ip == "203.0.113.9"
        assert used_at.tzinfo is not None and used_at.utcoffset() is not None
        assert before <= used_at <= after

    async def test_another_clock_is_asked_at_record_time(self) -> None:
        clock = FrozenClock(datetime(2030, 1, 1, tzinfo=UTC))
        factory = RecordingFactory(clock)
        usage = UsageRecorder(cast(UnitOfWorkFactory, factory), interval_seconds=1)
        usage.record("key_1", "203.0.113.9")
        clock.advance(60)
        usage.record("key_2", "203.0.113.10")
        await usage.flush()
        assert factory.batches == [
            {
                "key_1": (datetime(2030, 1, 1, tzinfo=UTC), "203.0.113.9"),
                "key_2": (datetime(2030, 1, 1, 0, 1, tzinfo=UTC), "203.0.113.10"),
            }
        ]

    async def test_the_last_request_of_a_key_wins(self) -> None:
        clock = FrozenClock(datetime(2030, 1, 1, tzinfo=UTC))
        factory = RecordingFactory(clock)
        usage = UsageRecorder(cast(UnitOfWorkFactory, factory), interval_seconds=1)
        usage.record("key_1", "203.0.113.9")
        clock.advance(5)
        usage.record("key_1", "203.0.113.10")
        await usage.flush()
        assert factory.batches[0] == {
            "key_1": (datetime(2030, 1, 1, 0, 0, 5, tzinfo=UTC), "203.0.113.10")
        }
