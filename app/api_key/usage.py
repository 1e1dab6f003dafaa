"""``last_used_at`` / ``last_used_ip`` collected in memory and written in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from app.clock import SystemClock
from app.db import OutageLog
from app.uow import UnitOfWorkFactory

logger = logging.getLogger("portal.usage")


class UsageRecorder:
    def __init__(self, uow: UnitOfWorkFactory, interval_seconds: float) -> None:
        self.uow = uow
        self.interval = interval_seconds
        # key id -> (when, ip); "when" is a POSIX timestamp on the system clock (turned into
        # the datetime ``SystemClock.now`` would have given at flush time: one float per
        # request instead of a datetime), else the clock's own datetime
        self._pending: dict[str, tuple[datetime | float, str]] = {}
        self.outage = OutageLog(self.name, logger)

    def record(self, key_id: str, ip: str) -> None:
        """O(1), no I/O: the request never waits on the database for this."""
        clock = self.uow.clock
        self._pending[key_id] = (time.time() if type(clock) is SystemClock else clock.now(), ip)

    async def flush(self) -> int:
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        batch = {key_id: (_datetime(when), ip) for key_id, (when, ip) in pending.items()}
        try:
            async with self.uow.writer() as uow:
                await uow.api_keys.record_usage(batch)
        except Exception as exc:
            self.outage.failed(exc, "could not write key usage; will retry")
            for key_id, value in batch.items():
                self._pending.setdefault(key_id, value)
            return 0
        self.outage.up()
        return len(batch)

    name = "usage_recorder"

    async def run(self, stopping: asyncio.Event) -> None:
        """The job: a batch every ``interval`` seconds, and a last one when stopping."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)
            await self.flush()

    def health(self) -> dict[str, int]:
        return {"pending": len(self._pending)}


def _datetime(when: datetime | float) -> datetime:
    """``datetime.now(UTC)`` is ``fromtimestamp(time.time(), UTC)``: the same value."""
    return when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
